package io.intbench.compiler.testing;

import io.intbench.isa.DType;

import java.util.Arrays;

/**
 * Parameters of one 2-D convolution layer for {@link QdqModelBuilder#conv}: geometry (kernel, strides,
 * pads or {@code auto_pad}, dilations, group), how its weights and bias are quantized, and an optional
 * fused activation. A mutable fluent value: the builder copies what it needs when the layer is added,
 * so one spec may be reused for several layers.
 *
 * <p>Weight settings left unset ({@code perChannel}, {@code weightType}, {@code symmetricWeights})
 * fall back to the builder's defaults ({@link QdqModelBuilder#weightQuant}).
 */
public final class ConvSpec {

    /** Activation applied between the float op and its output QuantizeLinear. */
    public enum Activation { NONE, RELU, CLIP, LEAKY_RELU }

    final int outChannels;
    final int kernelH;
    final int kernelW;
    int[] strides = {1, 1};
    int[] pads = {0, 0, 0, 0};
    int[] dilations = {1, 1};
    int group = 1;
    String autoPad;
    Boolean perChannel;
    DType weightType;
    Boolean symmetricWeights;
    boolean bias = true;
    boolean floatBias;
    Activation activation = Activation.NONE;
    float clipMin;
    float clipMax;

    private ConvSpec(int outChannels, int kernelH, int kernelW) {
        if (outChannels <= 0 || kernelH <= 0 || kernelW <= 0) {
            throw new IllegalArgumentException("outChannels and kernel sizes must be positive, got "
                    + outChannels + ", " + kernelH + "x" + kernelW);
        }
        this.outChannels = outChannels;
        this.kernelH = kernelH;
        this.kernelW = kernelW;
    }

    /** A convolution with {@code outChannels} filters of {@code kernelH x kernelW}; stride 1, no padding. */
    public static ConvSpec of(int outChannels, int kernelH, int kernelW) {
        return new ConvSpec(outChannels, kernelH, kernelW);
    }

    public ConvSpec stride(int h, int w) {
        strides = positive("stride", h, w);
        return this;
    }

    /** Explicit pads in ONNX order {@code [top, left, bottom, right]} ({@code x1_begin, x2_begin, x1_end, x2_end}). */
    public ConvSpec pads(int top, int left, int bottom, int right) {
        if (top < 0 || left < 0 || bottom < 0 || right < 0) {
            throw new IllegalArgumentException("pads must be >= 0, got " + Arrays.toString(new int[] {top, left, bottom, right}));
        }
        pads = new int[] {top, left, bottom, right};
        return this;
    }

    public ConvSpec dilation(int h, int w) {
        dilations = positive("dilation", h, w);
        return this;
    }

    /** Number of groups; {@code group == inC == outC} is a depthwise convolution. */
    public ConvSpec group(int g) {
        if (g <= 0) {
            throw new IllegalArgumentException("group must be positive, got " + g);
        }
        group = g;
        return this;
    }

    /**
     * ONNX {@code auto_pad}: null or "NOTSET" uses {@link #pads}; "SAME_UPPER", "SAME_LOWER" or "VALID"
     * make the builder write the {@code auto_pad} attribute and no {@code pads} attribute (the spec forbids both).
     */
    public ConvSpec autoPad(String mode) {
        if (mode != null && !mode.equals("NOTSET") && !mode.equals("SAME_UPPER") && !mode.equals("SAME_LOWER")
                && !mode.equals("VALID")) {
            throw new IllegalArgumentException("auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got " + mode);
        }
        autoPad = "NOTSET".equals(mode) ? null : mode;
        return this;
    }

    /** One weight scale (and zero point) per output channel, on axis 0 (needs opset >= 13 in QDQ form). */
    public ConvSpec perChannel(boolean v) {
        perChannel = v;
        return this;
    }

    /** INT8 (ORT's default) or UINT8 weights. */
    public ConvSpec weightType(DType t) {
        if (!t.isQuant8()) {
            throw new IllegalArgumentException("weights must be INT8 or UINT8, got " + t);
        }
        weightType = t;
        return this;
    }

    /** Symmetric weights: zero point 0 (int8) or 128 (uint8); otherwise a random zero point. */
    public ConvSpec symmetricWeights(boolean v) {
        symmetricWeights = v;
        return this;
    }

    /** Whether the Conv has a bias input (default true). */
    public ConvSpec bias(boolean v) {
        bias = v;
        return this;
    }

    /** A float bias initializer fed to the Conv directly instead of {@code DQ(int32 bias)} (QDQ form only). */
    public ConvSpec floatBias(boolean v) {
        floatBias = v;
        return this;
    }

    /** A Relu after the Conv (or none). In QOperator form see {@link QdqModelBuilder#qoperator()}. */
    public ConvSpec relu(boolean v) {
        activation = v ? Activation.RELU : Activation.NONE;
        return this;
    }

    /** A LeakyRelu with slope {@code alpha} after the Conv (QDQ form only: QLinearConv has no LeakyRelu). */
    public ConvSpec leakyRelu(float alpha) {
        activation = Activation.LEAKY_RELU;
        clipMin = alpha;
        return this;
    }

    /** A Clip(min, max) after the Conv, e.g. {@code clip(0, 6)} for ReLU6. */
    public ConvSpec clip(float min, float max) {
        if (!(min < max)) {
            throw new IllegalArgumentException("clip needs min < max, got " + min + ", " + max);
        }
        activation = Activation.CLIP;
        clipMin = min;
        clipMax = max;
        return this;
    }

    /**
     * Output length of one spatial axis, per the ONNX Conv/MaxPool shape rules (floor mode):
     * NOTSET {@code floor((in + padBegin + padEnd - ((k - 1) * d + 1)) / s) + 1}; SAME_* {@code ceil(in / s)};
     * VALID {@code ceil((in - ((k - 1) * d + 1) + 1) / s)}.
     */
    static long outputSize(long in, int k, int s, int d, int padBegin, int padEnd, String autoPad) {
        long effK = (long) (k - 1) * d + 1;
        long out;
        if (autoPad == null) {
            out = Math.floorDiv(in + padBegin + padEnd - effK, s) + 1;
        } else if (autoPad.startsWith("SAME")) {
            out = (in + s - 1) / s;
        } else {
            out = Math.floorDiv(in - effK, s) + 1;
        }
        if (out <= 0) {
            throw new IllegalArgumentException("window of effective size " + effK + " with stride " + s + " and pads "
                    + padBegin + "/" + padEnd + " leaves no output on an axis of length " + in);
        }
        return out;
    }

    private static int[] positive(String what, int h, int w) {
        if (h <= 0 || w <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + h + ", " + w);
        }
        return new int[] {h, w};
    }
}
