package io.intbench.compiler.quant;

import io.intbench.compiler.qir.QModel;
import io.intbench.compiler.qir.QOp;
import io.intbench.compiler.qir.QTensor;
import io.intbench.isa.DType;
import io.intbench.isa.IntbenchException;

/**
 * Compile-time proof that no Conv or MatMul layer can overflow its int32 accumulator.
 *
 * <p>The hardware (and ONNX Runtime's QLinearConv) accumulates
 * {@code acc = bias[c] + Σ (x − zx)(w − zw[c])} in int32 and wraps silently on overflow, which
 * would turn a saturated activation into garbage of the opposite sign. A quantized model is only
 * safe to run integer-only if that cannot happen for <em>any</em> input, so the compiler proves it
 * from the constants it already has, per output channel {@code c}:
 * <pre>
 *   |acc| &lt;= |bias[c]| + Σ_receptive field |w − zw[c]| · max|x − zx|,
 *   max|x − zx| = max(zx − qmin, qmax − zx) of the input type
 * </pre>
 * The right-hand side is a sum of absolute values, so it bounds not only the final accumulator
 * but every partial sum, whatever order the terms and the bias are added in (a padded position
 * contributes {@code x − zx = 0}, so padding only lowers the sum). Using the actual weights is
 * much tighter than the textbook {@code K · max|x − zx| · max|w − zw| + |bias|} — real weights are
 * mostly small — while remaining a proof. The bound is attained when the input zero point sits at
 * an end of its range and the weights of a channel all lie on one side of their zero point
 * (then every term can reach its maximum with the same sign).
 *
 * <p>Layers where the bound reaches {@code 2^31} are refused with
 * {@link IntbenchException.UnsupportedModel} naming the layer, the channel and the bound: they
 * would need a wider accumulator than the int32 that both the simulated hardware and ONNX Runtime
 * use.
 */
public final class AccumulatorBound {
    private AccumulatorBound() { }

    /** The first magnitude an int32 accumulator cannot hold, {@code 2^31}. */
    public static final long LIMIT = 1L << 31;

    /**
     * Checks every Conv and MatMul layer of {@code model}.
     *
     * @throws IntbenchException.UnsupportedModel for the first layer and output channel whose bound
     *         reaches {@link #LIMIT}
     */
    public static void check(QModel model) {
        for (QOp op : model.ops()) {
            if (op instanceof QOp.Conv c) {
                requireBelowLimit(c, channelBounds(c));
            } else if (op instanceof QOp.MatMul m) {
                requireBelowLimit(m, channelBounds(m));
            }
        }
    }

    /** Largest accumulator bound over the output channels of a convolution (0 with no channels). */
    public static long bound(QOp.Conv conv) {
        return max(channelBounds(conv));
    }

    /** Largest accumulator bound over the output columns of a matrix multiply (0 with no columns). */
    public static long bound(QOp.MatMul matMul) {
        return max(channelBounds(matMul));
    }

    /**
     * Per output channel {@code c}: {@code |bias[c]| + max|x − zx| · Σ |w − zw[c]|} over the
     * channel's {@code inC/groups · kH · kW} weights. Saturates at {@code Long.MAX_VALUE}.
     */
    public static long[] channelBounds(QOp.Conv conv) {
        int outC = conv.wShape()[0];
        long perChannel = 1;
        for (int i = 1; i < conv.wShape().length; i++) {
            perChannel *= conv.wShape()[i];
        }
        return bounds(conv.name(), conv.in(), conv.weights(), conv.wType() == DType.INT8, outC, perChannel, conv.wZp(),
                conv.bias());
    }

    /** Per output column {@code n}: {@code |bias[n]| + max|x − zx| · Σ_k |w[n][k] − zw[n]|}. */
    public static long[] channelBounds(QOp.MatMul matMul) {
        int n = matMul.n();
        if (matMul.b() != null) {
            // B computed at run time: any code may come, so |b − zb| is bounded by B's type and zero point
            long perTerm = saturatingMultiply(maxInputMagnitude(matMul.in()), maxInputMagnitude(matMul.b()));
            long sum = saturatingMultiply(matMul.k(), perTerm);
            long[] out = new long[n];
            for (int c = 0; c < n; c++) {
                out[c] = saturatingAdd(Math.abs((long) matMul.bias()[c]), sum);
            }
            return out;
        }
        boolean signed = matMul.wType() == DType.INT8;
        long slice = (long) n * matMul.k();
        int slices = slice == 0 ? 1 : Math.max(1, Math.toIntExact(matMul.weights().length / slice));
        if (slices == 1) {
            return bounds(matMul.name(), matMul.in(), matMul.weights(), signed, n, matMul.k(), matMul.wZp(), matMul.bias());
        }
        // batched constant B: the worst slice per output column
        long[] out = new long[n];
        for (int s = 0; s < slices; s++) {
            byte[] w = java.util.Arrays.copyOfRange(matMul.weights(), Math.toIntExact(s * slice), Math.toIntExact((s + 1) * slice));
            long[] b = bounds(matMul.name(), matMul.in(), w, signed, n, matMul.k(), matMul.wZp(), matMul.bias());
            for (int c = 0; c < n; c++) {
                out[c] = Math.max(out[c], b[c]);
            }
        }
        return out;
    }

    /** {@code max(zx − qmin, qmax − zx)}: the largest {@code |x − zx|} an input code can give. */
    public static long maxInputMagnitude(QTensor in) {
        long zx = in.zeroPoint();
        return Math.max(zx - in.type().qmin(), in.type().qmax() - zx);
    }

    /** The bounds of {@code channels} runs of {@code perChannel} weight codes (int8 when {@code signed}, else uint8). */
    private static long[] bounds(String layer, QTensor in, byte[] weights, boolean signed, int channels, long perChannel,
                                 int[] wZp, int[] bias) {
        if ((long) channels * perChannel != weights.length || wZp.length != channels || bias.length != channels) {
            throw new IllegalStateException("layer " + layer + ": " + weights.length + " weights, " + wZp.length
                    + " weight zero points and " + bias.length + " biases do not make " + channels
                    + " channels of " + perChannel + " weights");
        }
        long maxX = maxInputMagnitude(in);
        long[] out = new long[channels];
        int per = (int) perChannel;     // channels x perChannel == weights.length, so it fits an int
        for (int c = 0, at = 0; c < channels; c++, at += per) {
            // |w - zw| < 2^32 and fewer than 2^31 weights: the sum of magnitudes fits a long exactly.
            // An int-counted loop over a run of the array: JIT compilers (even C1, which runs the first compile
            // of a process) compile it much better than a long-counted one with a running index.
            long sumW = 0;
            long zw = wZp[c];
            if (signed) {
                for (int i = at, end = at + per; i < end; i++) {
                    sumW += Math.abs(weights[i] - zw);
                }
            } else {
                for (int i = at, end = at + per; i < end; i++) {
                    sumW += Math.abs((weights[i] & 0xFF) - zw);
                }
            }
            out[c] = saturatingAdd(Math.abs((long) bias[c]), saturatingMultiply(sumW, maxX));
        }
        return out;
    }

    private static void requireBelowLimit(QOp op, long[] bounds) {
        for (int c = 0; c < bounds.length; c++) {
            if (bounds[c] >= LIMIT) {
                throw new IntbenchException.UnsupportedModel("layer " + op.name() + " (" + op.kind() + ", ONNX nodes "
                        + String.join(", ", op.nodes()) + "), output channel " + c
                        + ": the int32 accumulator could overflow: |bias| + Σ|w − zw|·max|x − zx| = "
                        + (bounds[c] == Long.MAX_VALUE ? "more than 2^63" : Long.toString(bounds[c]))
                        + " reaches 2^31 = " + LIMIT + " (bias " + bias(op)[c] + ", max|x − zx| = "
                        + maxInputMagnitude(op.inputs().get(0)) + "); the layer needs a wider accumulator than int32,"
                        + " or smaller weights, bias or input range");
            }
        }
    }

    private static int[] bias(QOp op) {
        return op instanceof QOp.Conv c ? c.bias() : ((QOp.MatMul) op).bias();
    }

    private static long max(long[] v) {
        long m = 0;
        for (long x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    private static long saturatingMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;   // a, b >= 0
    }

    private static long saturatingAdd(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;                   // a, b >= 0
    }
}
