package io.intbench.golden.fuzz;

import io.intbench.isa.DType;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A random model as a plain value: global choices (format, activation type, default weight quantization,
 * opset, hardware), the input, a list of layer choices and seeds. It holds no ONNX and no builder state,
 * so jqwik can shrink it field by field: dropping an element of {@link #body} or {@link #dense} drops a
 * layer, integers shrink towards the simplest geometry (kernel 1, stride 1, no padding) and enums towards
 * their first constant. {@link SpecBuilder} turns it into a model; it interprets every choice relative to
 * the shape it reaches, so any shrunk spec is still a valid model.
 *
 * @param form         QDQ (int8 weights as initializers), QDQ with fake-quantized float weights, or QOperator
 * @param act          type of every quantized activation (QOperator: always UINT8, see the constructor)
 * @param weights      default weight quantization (Gemm/MatMul always use it; Conv may override it)
 * @param opset        requested default-domain opset; raised where the model needs more ({@link SpecBuilder#opsetFor})
 * @param hw           hardware configuration the model is compiled for
 * @param input        input shape and quantization
 * @param body         layers on the NCHW tensor, in order
 * @param tail         how the model ends: on the NCHW tensor, or flattened into {@link #dense} layers
 * @param dense        fully connected layers after Flatten (empty unless {@code tail} flattens)
 * @param checkFixedPoint also compile in fixed-point mode and check it per layer (one model in ten)
 * @param weightSeed   seed of all weights, biases and weight scales (QdqModelBuilder)
 * @param inputSeed    seed of the random input
 */
public record ModelSpec(Form form, DType act, WeightQuant weights, int opset, Hw hw, Input input, List<Layer> body,
                        Tail tail, List<Dense> dense, boolean checkFixedPoint, long weightSeed, long inputSeed) {

    /**
     * Normalises the redundant combinations, so that what the report prints is what runs: QOperator models
     * have uint8 activations (QdqModelBuilder: ORT 1.29 at full optimisation has no kernel for several int8
     * QOperator layers), and a model that does not flatten has no dense layers.
     */
    public ModelSpec {
        if (form == Form.QOPERATOR) {
            act = DType.UINT8;
        }
        if (tail == Tail.SPATIAL) {
            dense = List.of();
        }
        body = List.copyOf(body);
        dense = List.copyOf(dense);
    }

    public enum Form { QDQ, QDQ_FAKE_QUANT_WEIGHTS, QOPERATOR }

    public enum Tail { SPATIAL, FLATTEN, GAP_FLATTEN }

    /** A named hardware configuration (preset plus overrides); results must not depend on it. */
    public enum Hw {
        EDGE_16X16_WS("edge-16x16-ws"),
        TINY_4X4_WS("tiny-4x4"),
        TINY_4X4_OS("tiny-4x4", "array.dataflow=OS"),
        EDGE_16X16_OS("edge-16x16-ws", "array.dataflow=OS");

        final String preset;
        final List<String> overrides;

        Hw(String preset, String... overrides) {
            this.preset = preset;
            this.overrides = List.of(overrides);
        }
    }

    /** Weight quantization: element type, one scale per output channel or per tensor, zero point 0/128 or random. */
    public record WeightQuant(DType type, boolean perChannel, boolean symmetric) {
        @Override
        public String toString() {
            return type.name().toLowerCase() + (perChannel ? " per-channel" : " per-tensor") + (symmetric ? " sym" : " asym");
        }
    }

    /** A Conv's own weight quantization: the model default, or one of its own. */
    public enum ConvWeights {
        DEFAULT(null),
        I8_PT_SYM(new WeightQuant(DType.INT8, false, true)),
        I8_PC_SYM(new WeightQuant(DType.INT8, true, true)),
        I8_PT_ASYM(new WeightQuant(DType.INT8, false, false)),
        I8_PC_ASYM(new WeightQuant(DType.INT8, true, false)),
        U8_PT_ASYM(new WeightQuant(DType.UINT8, false, false)),
        U8_PC_SYM(new WeightQuant(DType.UINT8, true, true));

        final WeightQuant quant;

        ConvWeights(WeightQuant q) {
            this.quant = q;
        }
    }

    /**
     * Input {@code 1 x channels x height x width}, scale {@code 2^scaleExp * (1 + scaleFrac / 100)}, zero point
     * {@code centre + zpShift} (centre 128 for uint8, 0 for int8), clamped to the type's range.
     */
    public record Input(int channels, int height, int width, int scaleExp, int scaleFrac, int zpShift) {
        @Override
        public String toString() {
            return "input 1x" + channels + "x" + height + "x" + width + " scale 2^" + scaleExp + "*(1+" + scaleFrac + "/100) zp+"
                    + zpShift;
        }
    }

    /**
     * A layer's output quantization: {@link #AUTO} takes QdqModelBuilder's automatic choice (about +-4 RMS of
     * the real values); otherwise its scale times {@code 2^(scaleQuarters / 4)} and its zero point plus
     * {@code zpShift} (clamped). After Relu/Clip the zero point stays at qmin and a Clip(0, 6) scale at most
     * 6 / 255, and after Clip(-2, 2) (even with AUTO) the whole range inside [-2, 2], so that ORT absorbs the
     * activation as quantize_static's models let it (NUMERICS.md); {@link ConvQuant#nonRedundantActivation} lifts that.
     */
    public record OutQ(int scaleQuarters, int zpShift) {
        public static final OutQ AUTO = new OutQ(0, 0);

        public boolean auto() {
            return scaleQuarters == 0 && zpShift == 0;
        }

        @Override
        public String toString() {
            return auto() ? "auto" : "q(2^" + scaleQuarters + "/4, zp+" + zpShift + ")";
        }
    }

    /**
     * Activation fused before the output QuantizeLinear: Relu, Clip(0, 6) (ReLU6) or Clip(-2, 2) (QDQ only: QOperator
     * expresses an activation only through the output range starting at real 0, so there it becomes Clip(0, 6)).
     */
    public enum Activation { NONE, RELU, CLIP6, CLIP_PM2 }

    /** Channel grouping: plain, depthwise (group = input channels), or two groups where the channels allow. */
    public enum Groups { ONE, DEPTHWISE, TWO }

    /** How the Conv pads: the explicit {@code pads}, or {@code auto_pad} (only with dilation 1, as ORT requires). */
    public enum PadMode { EXPLICIT, SAME_UPPER, SAME_LOWER, VALID }

    /** One layer on the NCHW tensor. */
    public sealed interface Layer permits Conv, Residual, SqueezeAdd, MaxPool, Gap { }

    /**
     * A Conv. {@code outChannels} is the number of filters (depthwise: the channel multiplier is 1 for an odd,
     * 2 for an even value). Kernel, dilation and pads are reduced where the input is too small for them.
     */
    public record Conv(int outChannels, int kernelH, int kernelW, int strideH, int strideW, List<Integer> pads,
                       int dilationH, int dilationW, Groups groups, PadMode padMode, ConvQuant quant) implements Layer {
        public Conv {
            pads = List.copyOf(pads);
        }

        @Override
        public String toString() {
            return "Conv(" + outChannels + ", k" + kernelH + "x" + kernelW + ", s" + strideH + "x" + strideW + ", pads" + pads
                    + ", d" + dilationH + "x" + dilationW + ", " + groups + ", " + padMode + ", " + quant + ")";
        }
    }

    /**
     * Quantization-side choices of a Conv: activation, weights, bias kind, output parameters.
     * {@code nonRedundantActivation}: explicit output parameters keep their own zero point (and a Clip(0, 6) its
     * scale) after Relu/Clip, so the activation clips inside the output range; ONNX Runtime then does not absorb
     * it and runs {@code DQ -> Conv -> Relu/Clip -> Q} in float. QDQ only (QOperator cannot express it).
     */
    public record ConvQuant(Activation activation, ConvWeights weights, Bias bias, OutQ out, boolean nonRedundantActivation) {
        @Override
        public String toString() {
            return activation + (nonRedundantActivation && activation != Activation.NONE ? " (non-redundant)" : "") + " " + weights
                    + " bias " + bias + " out " + out;
        }
    }

    /** Conv bias: DequantizeLinear of int32 codes (quantize_static), none, or a float initializer (QDQ only). */
    public enum Bias { INT32, NONE, FLOAT }

    /**
     * A residual block: {@code Add(shortcut(x), branch(x))} where the branch is a chain of shape-preserving
     * (stride 1, "same" padding, odd kernel) Convs and the shortcut is {@code x} itself or, with
     * {@code projectShortcut}, a 1x1 Conv to the branch's channels. {@code swap} puts the branch first in the Add.
     */
    public record Residual(List<BranchConv> branch, boolean projectShortcut, int projectedChannels, boolean swap, OutQ addOut)
            implements Layer {
        public Residual {
            branch = List.copyOf(branch);
        }
    }

    /** A shape-preserving Conv inside a residual branch: kernel {@code 2 * halfKernel + 1}, pads {@code halfKernel * dilation}. */
    public record BranchConv(int halfKernel, int dilation, Groups groups, ConvQuant quant) { }

    /** {@code Add(x, GlobalAveragePool(x))} with numpy broadcasting of [1,C,1,1] over [1,C,H,W] (a squeeze-and-excite skeleton). */
    public record SqueezeAdd(OutQ gapOut, boolean swap, OutQ addOut) implements Layer { }

    /** MaxPool with its own kernel, strides and pads (each pad less than the kernel, as ONNX requires). */
    public record MaxPool(int kernelH, int kernelW, int strideH, int strideW, List<Integer> pads) implements Layer {
        public MaxPool {
            pads = List.copyOf(pads);
        }
    }

    /** GlobalAveragePool to [1,C,1,1]; later layers continue on the 1x1 tensor. */
    public record Gap(OutQ out) implements Layer { }

    /** Fully connected layer after Flatten: Gemm with W [N,K] (transB = 1), Gemm with W [K,N], or MatMul. */
    public record Dense(DenseKind kind, int features, boolean relu, OutQ out) { }

    public enum DenseKind { GEMM_TRANS_B, GEMM, MATMUL }

    @Override
    public String toString() {
        return "ModelSpec{" + form + ", act " + act + ", weights " + weights + ", opset " + opset + ", " + hw + ", " + input
                + ", body=[" + body.stream().map(Object::toString).collect(Collectors.joining("; ")) + "], tail " + tail
                + ", dense=" + dense + (checkFixedPoint ? ", +fixed-point" : "") + ", weightSeed " + weightSeed + ", inputSeed "
                + inputSeed + "}";
    }
}
