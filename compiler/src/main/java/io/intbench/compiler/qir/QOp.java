package io.intbench.compiler.qir;

import io.intbench.isa.DType;
import java.util.List;

/**
 * A quantized op after pattern matching: integer weights and activations with their float scales.
 * The float scales are compile-time data; lowering turns them into integer multipliers and tables.
 * {@code nodes} lists the ONNX nodes the op covers, for the pc -> node table.
 */
public sealed interface QOp {
    String name();

    List<String> nodes();

    QTensor out();

    List<QTensor> inputs();

    /** Which quantized ONNX op this is, for reports (QLinearConv, QLinearAdd, ...). */
    String kind();

    /**
     * Convolution. {@code weights} are the raw codes in [outC][inC/groups][kH][kW] order, one byte each as
     * stored (two's complement for int8, unsigned for uint8, as {@code wType} says); bytes, not ints, because a
     * model's weights are millions of codes, and four times their size cost a compile's time and memory.
     * {@code clampLo..clampHi} is the output range after fused Relu/Clip, in output codes.
     * {@code negativeSlope} is a fused LeakyRelu's alpha: negative accumulators are requantized with
     * {@code alpha * M} instead of {@code M} (1 when there is no LeakyRelu).
     */
    record Conv(String name, List<String> nodes, QTensor in, QTensor out, byte[] weights, DType wType, int[] wShape,
                int[] wZp, float[] wScale, int[] bias, int[] strides, int[] pads, int[] dilations, int groups,
                int clampLo, int clampHi, float negativeSlope) implements QOp {
        public Conv(String name, List<String> nodes, QTensor in, QTensor out, byte[] weights, DType wType, int[] wShape,
                    int[] wZp, float[] wScale, int[] bias, int[] strides, int[] pads, int[] dilations, int groups,
                    int clampLo, int clampHi) {
            this(name, nodes, in, out, weights, wType, wShape, wZp, wScale, bias, strides, pads, dilations, groups,
                    clampLo, clampHi, 1f);
        }

        public boolean leaky() { return negativeSlope != 1f; }

        public List<QTensor> inputs() { return List.of(in); }

        public String kind() { return "QLinearConv"; }
    }

    /**
     * Matrix multiply: {@code in} is [..., K] (leading dims flattened to M), {@code weights} in [N][K]
     * order, one byte per code as for {@link Conv}. {@code alpha} is Gemm's alpha (1 for MatMul);
     * {@code gemm} selects ORT's QGemm scale order.
     *
     * <p>Batched (numpy matmul semantics): the output is {@code sliceA.length} slices of [M][N]; slice
     * {@code s} multiplies A's slice {@code sliceA[s]} ([M][K], A viewed as [batchA][M][K]) by B's slice
     * {@code sliceB[s]}, broadcast batch dimensions repeating an index. B is either constant ({@code
     * weights} holds its slices one after another, each [N][K]) or, when {@code b} is not null, an
     * activation stored as [batchB][N][K] whose codes and zero point the array reads at run time
     * ({@code wZp} and {@code wScale} then repeat B's per-tensor parameters and {@code weights} is empty).
     */
    record MatMul(String name, List<String> nodes, QTensor in, QTensor out, byte[] weights, DType wType, int k, int n,
                  int[] wZp, float[] wScale, int[] bias, float alpha, boolean gemm, int clampLo, int clampHi,
                  QTensor b, int[] sliceA, int[] sliceB) implements QOp {
        /** An unbatched matrix multiply by constant weights. */
        public MatMul(String name, List<String> nodes, QTensor in, QTensor out, byte[] weights, DType wType, int k, int n,
                      int[] wZp, float[] wScale, int[] bias, float alpha, boolean gemm, int clampLo, int clampHi) {
            this(name, nodes, in, out, weights, wType, k, n, wZp, wScale, bias, alpha, gemm, clampLo, clampHi, null,
                    new int[] {0}, new int[] {0});
        }

        public List<QTensor> inputs() { return b == null ? List.of(in) : List.of(in, b); }

        public String kind() { return gemm ? "QGemm" : "QLinearMatMul"; }

        /** Number of [M][N] output slices. */
        public int slices() { return sliceA.length; }

        /** Rows M of one slice. */
        public int rows() { return Math.toIntExact(out.elements() / ((long) n * slices())); }

        /** Number of B slices (constant or activation). */
        public int bSlices() {
            return Math.toIntExact((b == null ? weights.length : b.elements()) / ((long) n * k));
        }
    }

    /**
     * Elementwise add of two quantized tensors (numpy broadcasting), computed as ONNX Runtime computes
     * the group: see {@link Kernel}.
     */
    record Add(String name, List<String> nodes, QTensor a, QTensor b, QTensor out, int clampLo, int clampHi, Kernel kernel,
               String functionA, String functionB) implements QOp {
        /**
         * An Add of the dequantized operands; {@code functionA}/{@code functionB}, when not null, name a unary float op
         * ORT applies to that dequantized operand before the (then float) Add, e.g. {@code DQ(a) -> Tanh -> Add}.
         */
        public Add(String name, List<String> nodes, QTensor a, QTensor b, QTensor out, int clampLo, int clampHi, Kernel kernel) {
            this(name, nodes, a, b, out, clampLo, clampHi, kernel, null, null);
        }

        /** What ONNX Runtime (x86, default optimisations) runs for the group. */
        public enum Kernel {
            /** QLinearAdd on the codes as they are (QOperator models; QDQ groups ORT fuses without rewriting). */
            QLINEAR,
            /** QLinearAdd of int8 QDQ tensors that ORT's x86 int8-to-uint8 rewrite turned into uint8 (codes + 128). */
            QLINEAR_UINT8,
            /** {@code DQ -> float Add -> Q}: the group ORT leaves in float because its operand types differ. */
            FLOAT
        }

        public List<QTensor> inputs() { return List.of(a, b); }

        /** "Sub" for {@code a + (-b)}, the form a Sub takes (exact in float32). */
        public String kind() { return kernel != Kernel.FLOAT ? "QLinearAdd" : "Neg".equals(functionB) && functionA == null ? "Sub" : "Add"; }
    }

    /** Max pooling on the codes; output shares the input's parameters. */
    record MaxPool(String name, List<String> nodes, QTensor in, QTensor out, int[] kernel, int[] strides, int[] pads,
                   int[] dilations) implements QOp {
        public List<QTensor> inputs() { return List.of(in); }

        public String kind() { return "MaxPool"; }
    }

    /** Global average pooling as ORT's QLinearGlobalAveragePool. */
    record GlobalAvgPool(String name, List<String> nodes, QTensor in, QTensor out) implements QOp {
        public List<QTensor> inputs() { return List.of(in); }

        public String kind() { return "QLinearGlobalAveragePool"; }
    }

    /**
     * Elementwise requantization {@code out = clamp(Q_out(DQ_in(x)))} through a 256-entry table:
     * a QuantizeLinear of a DequantizeLinear with other parameters, or a standalone Relu/Clip.
     */
    record Rescale(String name, List<String> nodes, QTensor in, QTensor out, int clampLo, int clampHi) implements QOp {
        public List<QTensor> inputs() { return List.of(in); }

        public String kind() { return "Requantize"; }
    }

    /**
     * A unary float function between DequantizeLinear and QuantizeLinear (Tanh, Sigmoid, HardSwish,
     * LeakyRelu, ...), evaluated at compile time for all 256 input codes into a table:
     * {@code T[x] = clamp(Q_out(f(DQ_in(x))))}.
     */
    record Unary(String name, List<String> nodes, QTensor in, QTensor out, String function,
                 java.util.function.DoubleUnaryOperator f, int clampLo, int clampHi) implements QOp {
        public List<QTensor> inputs() { return List.of(in); }

        public String kind() { return "QLinear" + function; }
    }

    /**
     * A view: {@code out} is {@code in}'s storage under another name and shape (Reshape, Flatten, a
     * Q/DQ pair with identical parameters). Costs nothing at run time.
     */
    record Alias(String name, List<String> nodes, QTensor in, QTensor out) implements QOp {
        public List<QTensor> inputs() { return List.of(in); }

        public String kind() { return "Reshape"; }
    }

    /** Elementwise multiply of two quantized tensors (numpy broadcasting), as ORT's QLinearMul. */
    record Mul(String name, List<String> nodes, QTensor a, QTensor b, QTensor out, int clampLo, int clampHi)
            implements QOp {
        public List<QTensor> inputs() { return List.of(a, b); }

        public String kind() { return "QLinearMul"; }
    }

    /**
     * Concatenation along {@code axis}, as ORT's QLinearConcat: each input is copied into its slice of
     * the output, through a requantization table when its parameters differ from the output's.
     */
    record Concat(String name, List<String> nodes, List<QTensor> ins, QTensor out, int axis) implements QOp {
        public List<QTensor> inputs() { return ins; }

        public String kind() { return "QLinearConcat"; }
    }

    /**
     * A data movement on codes: output element {@code (j_0, .., j_r-1)} reads the input element whose
     * index along input axis {@code axisOf[k]} is {@code index[k][j_k]} (Transpose permutes axes, Slice
     * and Split pick strided ranges, nearest Resize repeats indices). Exact on codes; when input and output
     * parameters differ the codes pass through a requantization table (a Q(DQ(x)) pair folded in).
     */
    record Gather(String name, List<String> nodes, QTensor in, QTensor out, String op, int[] axisOf, int[][] index)
            implements QOp {
        public List<QTensor> inputs() { return List.of(in); }

        public String kind() { return op; }
    }

    /**
     * Pad in constant mode: {@code out} is {@code in} shifted by {@code begin} elements along each axis
     * (negative crops), with {@code padCode} (a code of the output's type) everywhere else. Exact on
     * codes; requantized through a table when input and output parameters differ.
     */
    record Pad(String name, List<String> nodes, QTensor in, QTensor out, int[] begin, int padCode) implements QOp {
        public List<QTensor> inputs() { return List.of(in); }

        public String kind() { return "Pad"; }
    }

    /**
     * Bilinear Resize as ONNX Runtime computes it, NCHW ({@code channels} 1) or NHWC ({@code channels}
     * innermost): {@code yTab} holds per output row the pixel offsets of its two input rows and the float32 bits of their weights, {@code xTab} per output column the two
     * input columns and their weights' bits (see {@link io.intbench.isa.Descriptor.ResizeDesc}). On the
     * codes themselves when {@code onCodes} (a Resize of the 8-bit tensor, input and output sharing their
     * parameters), else on dequantized values, quantized with the output's parameters (QDQ form: ORT keeps
     * {@code DQ -> Resize -> Q} in float).
     */
    record ResizeLinear(String name, List<String> nodes, QTensor in, QTensor out, int planes, int inH, int inW,
                        int channels, int outH, int outW, int[] yTab, int[] xTab, boolean onCodes) implements QOp {
        public List<QTensor> inputs() { return List.of(in); }

        public String kind() { return "Resize(linear)"; }
    }

    /**
     * Average pooling (2-D, NCHW) as ONNX Runtime computes the group: ORT's QLinearAveragePool
     * ({@code floatPool} false), or, for a group ORT leaves in float, its float AveragePool / GlobalAveragePool
     * (MlasPool, summing in {@code sumOrder}, an {@code io.intbench.isa.Descriptor.SUM_*} constant) on the
     * dequantized input, or on {@code function} of it (a unary float op between the DequantizeLinear and the
     * pooling, such as Tanh; null for none), followed by QuantizeLinear.
     */
    record AvgPool(String name, List<String> nodes, QTensor in, QTensor out, int[] kernel, int[] strides, int[] pads,
                   boolean countIncludePad, boolean floatPool, int sumOrder, String function) implements QOp {
        public AvgPool(String name, List<String> nodes, QTensor in, QTensor out, int[] kernel, int[] strides, int[] pads,
                       boolean countIncludePad) {
            this(name, nodes, in, out, kernel, strides, pads, countIncludePad, false, 0, null);
        }

        public List<QTensor> inputs() { return List.of(in); }

        public String kind() {
            if (!floatPool) {
                return "QLinearAveragePool";
            }
            String pool = sumOrder == io.intbench.isa.Descriptor.SUM_EIGEN_PACKETS ? "ReduceMean" : "AveragePool";
            return (function == null ? "" : function + " + ") + pool + " (float in ORT)";
        }
    }

    /** Softmax along the last axis as ORT's QLinearSoftmax; {@code opset} decides ORT's reduction length. */
    /**
     * Softmax along the last axis as ORT's QLinearSoftmax; {@code saturate}: an int8 QDQ group ORT rewrote to uint8,
     * whose int8 result saturates at 127 where the int8 kernel's would wrap.
     */
    record Softmax(String name, List<String> nodes, QTensor in, QTensor out, boolean saturate) implements QOp {
        public List<QTensor> inputs() { return List.of(in); }

        public String kind() { return "QLinearSoftmax"; }
    }
}
