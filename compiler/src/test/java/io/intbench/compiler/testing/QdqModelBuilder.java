package io.intbench.compiler.testing;

import com.google.protobuf.ByteString;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.onnx.OnnxProto.AttributeProto;
import io.intbench.onnx.OnnxProto.GraphProto;
import io.intbench.onnx.OnnxProto.ModelProto;
import io.intbench.onnx.OnnxProto.NodeProto;
import io.intbench.onnx.OnnxProto.OperatorSetIdProto;
import io.intbench.onnx.OnnxProto.TensorProto;
import io.intbench.onnx.OnnxProto.TensorShapeProto;
import io.intbench.onnx.OnnxProto.TypeProto;
import io.intbench.onnx.OnnxProto.ValueInfoProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Builds small statically quantized ONNX models in memory, laid out the way ONNX Runtime's
 * {@code quantize_static} writes them, for compiler tests and the random-model fuzzer.
 *
 * <p><b>QDQ form</b> (default): every activation is a quantized tensor produced by {@code QuantizeLinear};
 * each float op reads {@code DequantizeLinear} outputs and its result is quantized again:
 * {@code DQ(x), DQ(w), DQ(int32 bias) -> Conv -> [Relu|Clip] -> Q}. As in quantize_static, one DQ per
 * quantized tensor is shared by all its consumers; weights are int8/uint8 initializers with float32
 * scales (scalar, or 1-D with {@code axis} for per-channel) and typed zero points; the bias is int32 with
 * scale {@code x_scale * w_scale} (float32 product) and zero point 0; MaxPool/Flatten/Reshape re-quantize
 * with the <em>same</em> scale and zero-point initializers as their input.
 *
 * <p><b>QOperator form</b> ({@link #qoperator()}): QuantizeLinear on the input, then QLinearConv,
 * QLinearMatMul, com.microsoft QGemm / QLinearAdd / QLinearGlobalAveragePool, MaxPool/Flatten/Reshape
 * directly on the 8-bit tensor, DequantizeLinear on the output. QOperator has no Relu/Clip node: as
 * quantize_static does, a fused Relu is expressed only through the output quantization range — the output
 * zero point must be the type's minimum ({@code qmin}, real 0), so the requantizer's clamp at {@code qmin}
 * is the Relu; a {@code Clip(0, hi)} additionally needs {@code scale * (qmax - qmin) <= hi} (automatic
 * output parameters choose exactly {@code hi / (qmax - qmin)}). Other Clip ranges are refused.
 *
 * <p>Checked against ONNX Runtime 1.29 (CPU, x86): QDQ models with uint8 or int8 activations and QOperator models
 * with uint8 activations run at both NO_OPT and ALL_OPT. QOperator with INT8 activations runs at NO_OPT, but at
 * ALL_OPT ORT fails to find a kernel ("com.microsoft.QLinearConv ... types are incompatible") for a QLinearConv
 * with asymmetric int8 weights, and for a QGemm fed by another QGemm; quantize_static's QOperator default is uint8
 * activations, so prefer that in QOperator form.
 *
 * <p>Note: quantize_static itself removes a Relu that follows a Conv/Gemm also in QDQ form (the output
 * range absorbs it). This builder writes the Relu/Clip node explicitly in QDQ form, so models contain the
 * {@code Conv -> Relu -> Q} pattern that ONNX Runtime absorbs when it is redundant (zero point = qmin);
 * to get quantize_static's fused layout instead, leave {@code relu} off and pass a zero point of qmin.
 *
 * <p>All random choices (weights, weight scales and zero points, biases) come from the seed, so a seed
 * fully determines the model. Output quantization parameters are either given, or chosen automatically
 * (overloads without {@code outScale, outZp}) from a rough estimate of the output's RMS so that the model
 * neither saturates nor collapses to a few codes: see {@link #paramsForRange}.
 *
 * <pre>{@code
 * QdqModelBuilder b = QdqModelBuilder.create(7).opset(13).activationType(DType.UINT8);
 * Act x = b.input("input", 0.02f, 128, 1, 3, 16, 16);
 * Act y = b.conv(x, ConvSpec.of(8, 3, 3).pads(1, 1, 1, 1).relu(true), 0.05f, 0);
 * b.output(b.globalAveragePool(y), "output");
 * byte[] onnx = b.toBytes();
 * }</pre>
 *
 * Names are readable and unique: layer {@code conv1} has weight {@code conv1_w}, scale {@code conv1_w_scale},
 * float output {@code conv1_out}, quantized output {@code conv1_out_q}, its DQ {@code conv1_out_dq}, and so on.
 * Configuration methods ({@link #opset}, {@link #activationType}, {@link #qoperator}, {@link #fakeQuantWeights},
 * {@link #weightQuant}) must be called before the first layer.
 */
public final class QdqModelBuilder {

    /** Domain of ONNX Runtime's contrib ops (QGemm, QLinearAdd, QLinearGlobalAveragePool). */
    public static final String MS_DOMAIN = "com.microsoft";

    /**
     * A quantized activation: the 8-bit tensor {@code qName} with its quantization parameters (the names of
     * their initializers and their values), static shape, and the builder's rough RMS estimate of the real
     * values (used only to choose automatic output parameters).
     */
    public record Act(String base, String qName, String scaleName, String zpName, float scale, int zeroPoint,
                      DType type, long[] shape, double rms, boolean nonNegative) {
        public Act {
            shape = shape.clone();
        }

        @Override
        public long[] shape() { return shape.clone(); }

        /** Real value range covered by the 8-bit codes. */
        public double realMin() { return (double) scale * (type.qmin() - zeroPoint); }

        public double realMax() { return (double) scale * (type.qmax() - zeroPoint); }

        @Override
        public String toString() {
            return "Act[" + qName + " " + type + Arrays.toString(shape) + " scale=" + scale + " zp=" + zeroPoint + "]";
        }
    }

    /** A float32 scale and the matching zero point. */
    public record QParams(float scale, int zeroPoint) { }

    private record Weights(String tensor, String scaleName, String zpName, float[] scales, int[] zps, double rms) { }

    private record Bias(String tensor, double rms) { }

    private record TypedShape(int elemType, long[] shape) { }

    private final long seed;
    private final Random rnd;
    private int opset = 13;
    private DType actType = DType.UINT8;
    private boolean qop;
    private boolean fakeQuant;
    private boolean intermediateValueInfo = true;
    private DType defWeightType = DType.INT8;
    private boolean defPerChannel = true;
    private boolean defSymmetric = true;

    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> inits = new ArrayList<>();
    private final List<ValueInfoProto> graphInputs = new ArrayList<>();
    private final List<ValueInfoProto> graphOutputs = new ArrayList<>();
    private final Map<String, Act> inputActs = new LinkedHashMap<>();
    private final Map<String, TypedShape> tensorTypes = new HashMap<>();
    private final Set<String> tensorNames = new HashSet<>();
    private final Set<String> nodeNames = new HashSet<>();
    private final Map<String, String> dqCache = new HashMap<>();
    private final Map<String, Integer> counters = new HashMap<>();
    private boolean usesMsDomain;

    private QdqModelBuilder(long seed) {
        this.seed = seed;
        this.rnd = new Random(seed);
    }

    /** A new builder whose random choices all derive from {@code seed}. */
    public static QdqModelBuilder create(long seed) {
        return new QdqModelBuilder(seed);
    }

    // ---------------------------------------------------------------- configuration

    /** Default-domain opset, 10..22 (default 13). Per-channel QDQ needs >= 13; QOperator MaxPool on 8-bit needs >= 12. */
    public QdqModelBuilder opset(int v) {
        requireNoLayers("opset");
        if (v < 10 || v > 22) {
            throw new IllegalArgumentException("opset " + v + " outside 10..22 (QuantizeLinear exists from 10)");
        }
        opset = v;
        return this;
    }

    /** Type of every quantized activation: UINT8 (default, ORT's default) or INT8. */
    public QdqModelBuilder activationType(DType t) {
        requireNoLayers("activationType");
        if (!t.isQuant8()) {
            throw new IllegalArgumentException("activations must be UINT8 or INT8, got " + t);
        }
        actType = t;
        return this;
    }

    /** Emit the QOperator form (QLinearConv, QGemm, ...) instead of QDQ. See the class comment on Relu. */
    public QdqModelBuilder qoperator() {
        requireNoLayers("qoperator");
        if (fakeQuant) {
            throw new IllegalStateException("fakeQuantWeights is a QDQ layout; QOperator ops take 8-bit weights");
        }
        qop = true;
        return this;
    }

    /**
     * Weights as float initializers passed through {@code QuantizeLinear -> DequantizeLinear} (the layout
     * PyTorch's exporter writes), so a compiler must fold the pair into 8-bit weights. The float values are
     * {@code float(q - zp) * scale}, which quantize back to exactly the codes {@code q}.
     */
    public QdqModelBuilder fakeQuantWeights(boolean v) {
        requireNoLayers("fakeQuantWeights");
        if (v && qop) {
            throw new IllegalStateException("fakeQuantWeights is a QDQ layout; QOperator ops take 8-bit weights");
        }
        fakeQuant = v;
        return this;
    }

    /** Defaults for weights of Gemm/MatMul and of ConvSpecs that leave them unset (default INT8, per-channel, symmetric). */
    public QdqModelBuilder weightQuant(DType type, boolean perChannel, boolean symmetric) {
        requireNoLayers("weightQuant");
        if (!type.isQuant8()) {
            throw new IllegalArgumentException("weights must be INT8 or UINT8, got " + type);
        }
        defWeightType = type;
        defPerChannel = perChannel;
        defSymmetric = symmetric;
        return this;
    }

    /** Whether to declare value_info (type and static shape) for intermediate tensors (default true). */
    public QdqModelBuilder intermediateValueInfo(boolean v) {
        intermediateValueInfo = v;
        return this;
    }

    public int opset() { return opset; }

    public DType activationType() { return actType; }

    public boolean isQOperator() { return qop; }

    public long seed() { return seed; }

    // ---------------------------------------------------------------- layers

    /** A float32 graph input of {@code shape}, quantized by {@code QuantizeLinear(input, scale, zp)}. */
    public Act input(String name, float scale, int zp, long... shape) {
        checkParams(name, scale, zp);
        if (shape.length == 0) {
            throw new IllegalArgumentException("input " + name + " needs a shape");
        }
        for (long d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("input " + name + " has non-positive dimension in " + Arrays.toString(shape));
            }
        }
        claimTensor(name);
        graphInputs.add(valueInfo(name, DType.FLOAT32.onnxCode(), shape));
        String qName = name + "_q";
        String scaleName = scalarFloat(name + "_scale", scale);
        String zpName = scalarZp(name + "_zp", actType, zp);
        addNode(name + "_quantize", "", "QuantizeLinear", List.of(name, scaleName, zpName), List.of(qName));
        declare(qName, actType, shape);
        double lo = (double) scale * (actType.qmin() - zp);
        double hi = (double) scale * (actType.qmax() - zp);
        // RMS of a uniform distribution on [lo, hi]: randomInput draws from exactly this range.
        double rms = Math.sqrt((lo * lo + lo * hi + hi * hi) / 3);
        Act a = new Act(name, qName, scaleName, zpName, scale, zp, actType, shape, rms, lo >= 0);
        inputActs.put(name, a);
        return a;
    }

    /** A Conv layer with the given output quantization. */
    public Act conv(Act x, ConvSpec spec, float outScale, int outZp) {
        return convImpl(x, spec, new QParams(outScale, outZp));
    }

    /** A Conv layer with automatically chosen output quantization. */
    public Act conv(Act x, ConvSpec spec) {
        return convImpl(x, spec, null);
    }

    private Act convImpl(Act x, ConvSpec spec, QParams out) {
        long[] xs = x.shape;
        if (xs.length != 4) {
            throw new IllegalArgumentException("conv input " + x.qName + " must be NCHW, has shape " + Arrays.toString(xs));
        }
        long inC = xs[1];
        int g = spec.group;
        if (inC % g != 0 || spec.outChannels % g != 0) {
            throw new IllegalArgumentException("group " + g + " must divide input channels " + inC + " and output channels "
                    + spec.outChannels);
        }
        String autoPad = spec.autoPad;
        if (autoPad != null && autoPad.startsWith("SAME") && (spec.dilations[0] != 1 || spec.dilations[1] != 1)) {
            // ONNX allows it, but ONNX Runtime's conv_attributes.h refuses it at run time
            // ("Dilation not supported for AutoPadType::SAME_UPPER or AutoPadType::SAME_LOWER").
            throw new IllegalArgumentException("auto_pad " + autoPad + " with dilation " + Arrays.toString(spec.dilations)
                    + " is rejected by ONNX Runtime; use explicit pads");
        }
        long oh = ConvSpec.outputSize(xs[2], spec.kernelH, spec.strides[0], spec.dilations[0], spec.pads[0], spec.pads[2], autoPad);
        long ow = ConvSpec.outputSize(xs[3], spec.kernelW, spec.strides[1], spec.dilations[1], spec.pads[1], spec.pads[3], autoPad);
        long[] outShape = {xs[0], spec.outChannels, oh, ow};
        int oc = spec.outChannels;
        long[] wDims = {oc, inC / g, spec.kernelH, spec.kernelW};
        int fanIn = Math.toIntExact(inC / g * spec.kernelH * spec.kernelW);
        String L = layerName("conv");
        DType wType = spec.weightType != null ? spec.weightType : defWeightType;
        boolean pc = spec.perChannel != null ? spec.perChannel : defPerChannel;
        boolean sym = spec.symmetricWeights != null ? spec.symmetricWeights : defSymmetric;
        if (spec.floatBias && qop) {
            throw new IllegalArgumentException(L + ": QLinearConv takes only an int32 bias; floatBias needs the QDQ form");
        }
        Weights w = makeWeights(L, wDims, 0, oc, fanIn, wType, pc, sym);
        Bias b = spec.bias ? makeBias(L, oc, x.scale, w.scales, pc, spec.floatBias) : null;

        List<AttributeProto> attrs = new ArrayList<>();
        if (autoPad != null) {
            attrs.add(attrS("auto_pad", autoPad));
        }
        attrs.add(attrInts("dilations", spec.dilations));
        attrs.add(attrI("group", g));
        attrs.add(attrInts("kernel_shape", spec.kernelH, spec.kernelW));
        if (autoPad == null) {
            attrs.add(attrInts("pads", spec.pads));
        }
        attrs.add(attrInts("strides", spec.strides));

        double preRms = Math.sqrt(fanIn * x.rms * x.rms * w.rms * w.rms + (b == null ? 0 : b.rms * b.rms));
        QParams q = outputParams(L, out, spec.activation, spec.clipMin, spec.clipMax, preRms);
        if (qop) {
            List<String> in = new ArrayList<>(List.of(x.qName, x.scaleName, x.zpName, w.tensor, w.scaleName, w.zpName));
            String[] yq = outQParams(L, q);
            in.add(yq[0]);
            in.add(yq[1]);
            if (b != null) {
                in.add(b.tensor);
            }
            String outQ = L + "_out_q";
            addNode(L, "", "QLinearConv", in, List.of(outQ), attrs.toArray(new AttributeProto[0]));
            declare(outQ, actType, outShape);
            return act(L + "_out", outQ, yq[0], yq[1], q, outShape, spec.activation, spec.clipMin, spec.clipMax, preRms);
        }
        List<String> in = new ArrayList<>(List.of(dq(x), w.tensor));
        if (b != null) {
            in.add(b.tensor);
        }
        String f = L + "_out";
        addNode(L, "", "Conv", in, List.of(f), attrs.toArray(new AttributeProto[0]));
        declare(f, DType.FLOAT32, outShape);
        f = activation(L, f, outShape, spec.activation, spec.clipMin, spec.clipMax);
        return quantizeOut(L + "_out", f, outShape, q, outQParams(L, q), spec.activation, spec.clipMin, spec.clipMax, preRms);
    }

    /** {@code DQ(a), DQ(b) -> Add -> Q} (QOperator: com.microsoft QLinearAdd); numpy broadcasting. */
    public Act add(Act a, Act b, float outScale, int outZp) {
        return addImpl(a, b, new QParams(outScale, outZp));
    }

    /** Add with automatically chosen output quantization. */
    public Act add(Act a, Act b) {
        return addImpl(a, b, null);
    }

    private Act addImpl(Act a, Act b, QParams out) {
        long[] shape = broadcast(a.shape, b.shape);
        String L = layerName("add");
        double rms = Math.sqrt(a.rms * a.rms + b.rms * b.rms);
        boolean nonNeg = a.nonNegative && b.nonNegative;
        QParams q = out != null ? checked(L, out) : nonNeg ? paramsForRange(0, 4 * rms, actType) : paramsForRange(-4 * rms, 4 * rms, actType);
        String[] yq = outQParams(L, q);
        if (qop) {
            usesMsDomain = true;
            String outQ = L + "_out_q";
            addNode(L, MS_DOMAIN, "QLinearAdd", List.of(a.qName, a.scaleName, a.zpName, b.qName, b.scaleName, b.zpName, yq[0], yq[1]),
                    List.of(outQ));
            declare(outQ, actType, shape);
            return new Act(L + "_out", outQ, yq[0], yq[1], q.scale, q.zeroPoint, actType, shape, rms, nonNeg || isQmin(q));
        }
        String f = L + "_out";
        addNode(L, "", "Add", List.of(dq(a), dq(b)), List.of(f));
        declare(f, DType.FLOAT32, shape);
        return quantizeOut(L + "_out", f, shape, q, yq, ConvSpec.Activation.NONE, 0, 0, rms);
    }

    /** Square max pooling {@code kernel x kernel}, equal strides and pads on all sides. */
    public Act maxPool(Act x, int kernel, int stride, int pad) {
        return maxPool(x, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {pad, pad, pad, pad});
    }

    /**
     * {@code DQ -> MaxPool -> Q} re-quantized with the input's own scale and zero-point initializers (as
     * quantize_static writes it; ORT then drops the pair). QOperator: MaxPool directly on the 8-bit tensor.
     * Pads in ONNX order [top, left, bottom, right]; {@code ceil_mode = 0}.
     */
    public Act maxPool(Act x, int[] kernel, int[] strides, int[] pads) {
        long[] xs = x.shape;
        if (xs.length != 4 || kernel.length != 2 || strides.length != 2 || pads.length != 4) {
            throw new IllegalArgumentException("maxPool needs an NCHW input, 2 kernel sizes, 2 strides, 4 pads; input "
                    + x.qName + " has shape " + Arrays.toString(xs));
        }
        for (int p : pads) {
            if (p < 0) {
                throw new IllegalArgumentException("maxPool pads must be >= 0, got " + Arrays.toString(pads));
            }
        }
        for (int i = 0; i < 2; i++) {
            if (kernel[i] <= 0 || strides[i] <= 0 || pads[i] >= kernel[i] || pads[i + 2] >= kernel[i]) {
                // ONNX requires pads smaller than the kernel so that no window is all padding.
                throw new IllegalArgumentException("maxPool kernel " + Arrays.toString(kernel) + ", strides "
                        + Arrays.toString(strides) + ", pads " + Arrays.toString(pads) + " invalid (pad must be < kernel)");
            }
        }
        if (qop && opset < 12) {
            throw new IllegalArgumentException("MaxPool on 8-bit tensors needs opset >= 12, builder is at " + opset);
        }
        long oh = ConvSpec.outputSize(xs[2], kernel[0], strides[0], 1, pads[0], pads[2], null);
        long ow = ConvSpec.outputSize(xs[3], kernel[1], strides[1], 1, pads[1], pads[3], null);
        long[] shape = {xs[0], xs[1], oh, ow};
        String L = layerName("maxpool");
        AttributeProto[] attrs = {attrI("ceil_mode", 0), attrInts("kernel_shape", kernel), attrInts("pads", pads),
                attrInts("strides", strides)};
        return sameParamsOp(x, L, "MaxPool", List.of(), shape, 1, attrs);
    }

    /** GlobalAveragePool with the given output quantization (QOperator: com.microsoft QLinearGlobalAveragePool). */
    public Act globalAveragePool(Act x, float outScale, int outZp) {
        return gapImpl(x, new QParams(outScale, outZp));
    }

    /** GlobalAveragePool with automatically chosen output quantization. */
    public Act globalAveragePool(Act x) {
        return gapImpl(x, null);
    }

    private Act gapImpl(Act x, QParams out) {
        long[] xs = x.shape;
        if (xs.length != 4) {
            throw new IllegalArgumentException("globalAveragePool input " + x.qName + " must be NCHW, has " + Arrays.toString(xs));
        }
        long[] shape = {xs[0], xs[1], 1, 1};
        String L = layerName("gap");
        // A mean of non-negative values keeps most of their RMS; of zero-mean values it shrinks with sqrt(HW).
        double rms = x.nonNegative ? 0.8 * x.rms : x.rms / Math.sqrt(xs[2] * xs[3]) + 1e-6;
        QParams q = out != null ? checked(L, out) : x.nonNegative ? paramsForRange(0, 3 * rms, actType) : paramsForRange(-4 * rms, 4 * rms, actType);
        String[] yq = outQParams(L, q);
        if (qop) {
            usesMsDomain = true;
            String outQ = L + "_out_q";
            addNode(L, MS_DOMAIN, "QLinearGlobalAveragePool", List.of(x.qName, x.scaleName, x.zpName, yq[0], yq[1]),
                    List.of(outQ), attrI("channels_last", 0));
            declare(outQ, actType, shape);
            return new Act(L + "_out", outQ, yq[0], yq[1], q.scale, q.zeroPoint, actType, shape, rms, x.nonNegative);
        }
        String f = L + "_out";
        addNode(L, "", "GlobalAveragePool", List.of(dq(x)), List.of(f));
        declare(f, DType.FLOAT32, shape);
        return quantizeOut(L + "_out", f, shape, q, yq, ConvSpec.Activation.NONE, 0, 0, rms);
    }

    /** Flatten (axis 1) to [N, rest], re-quantized with the input's parameters (QOperator: on the 8-bit tensor). */
    public Act flatten(Act x) {
        long[] xs = x.shape;
        long rest = 1;
        for (int i = 1; i < xs.length; i++) {
            rest *= xs[i];
        }
        String L = layerName("flatten");
        return sameParamsOp(x, L, "Flatten", List.of(), new long[] {xs[0], rest}, 1, attrI("axis", 1));
    }

    /** Reshape to an explicit shape (no -1 or 0), shape given as an int64 initializer; same quantization as input. */
    public Act reshape(Act x, long... shape) {
        if (HostTensor.elementCount(shape) != HostTensor.elementCount(x.shape)) {
            throw new IllegalArgumentException("reshape of " + x.qName + " " + Arrays.toString(x.shape) + " to "
                    + Arrays.toString(shape) + " changes the element count");
        }
        String L = layerName("reshape");
        String shapeName = int64Initializer(L + "_shape", shape);
        return sameParamsOp(x, L, "Reshape", List.of(shapeName), shape, 1);
    }

    /**
     * Gemm {@code Y = X * W^T + b} ({@code transB = 1}, W of shape [N, K]) or {@code X * W + b} ({@code transB = 0},
     * W of shape [K, N]) with constant 8-bit weights (per-channel along N: axis 0 or 1) and an int32 bias, then an
     * optional Relu. QDQ: {@code DQ(x), DQ(w), DQ(b) -> Gemm(alpha=1, beta=1, transA=0) -> [Relu] -> Q};
     * QOperator: com.microsoft QGemm (alpha=1, transA=0).
     */
    public Act gemm(Act x, int outFeatures, boolean transB, float outScale, int outZp, boolean relu) {
        return gemmImpl(x, outFeatures, transB, new QParams(outScale, outZp), relu);
    }

    /** Gemm with automatically chosen output quantization. */
    public Act gemm(Act x, int outFeatures, boolean transB, boolean relu) {
        return gemmImpl(x, outFeatures, transB, null, relu);
    }

    private Act gemmImpl(Act x, int n, boolean transB, QParams out, boolean relu) {
        if (x.shape.length != 2) {
            throw new IllegalArgumentException("gemm input " + x.qName + " must be 2-D, has " + Arrays.toString(x.shape));
        }
        if (n <= 0) {
            throw new IllegalArgumentException("gemm outFeatures must be positive, got " + n);
        }
        int k = Math.toIntExact(x.shape[1]);
        long[] shape = {x.shape[0], n};
        String L = layerName("gemm");
        long[] wDims = transB ? new long[] {n, k} : new long[] {k, n};
        Weights w = makeWeights(L, wDims, transB ? 0 : 1, n, k, defWeightType, defPerChannel, defSymmetric);
        Bias b = makeBias(L, n, x.scale, w.scales, defPerChannel, false);
        double preRms = Math.sqrt(k * x.rms * x.rms * w.rms * w.rms + b.rms * b.rms);
        ConvSpec.Activation act = relu ? ConvSpec.Activation.RELU : ConvSpec.Activation.NONE;
        QParams q = outputParams(L, out, act, 0, 0, preRms);
        String[] yq = outQParams(L, q);
        if (qop) {
            usesMsDomain = true;
            String outQ = L + "_out_q";
            addNode(L, MS_DOMAIN, "QGemm", List.of(x.qName, x.scaleName, x.zpName, w.tensor, w.scaleName, w.zpName, b.tensor,
                    yq[0], yq[1]), List.of(outQ), attrF("alpha", 1f), attrI("transA", 0), attrI("transB", transB ? 1 : 0));
            declare(outQ, actType, shape);
            return act(L + "_out", outQ, yq[0], yq[1], q, shape, act, 0, 0, preRms);
        }
        String f = L + "_out";
        addNode(L, "", "Gemm", List.of(dq(x), w.tensor, b.tensor), List.of(f), attrF("alpha", 1f), attrF("beta", 1f),
                attrI("transA", 0), attrI("transB", transB ? 1 : 0));
        declare(f, DType.FLOAT32, shape);
        f = activation(L, f, shape, act, 0, 0);
        return quantizeOut(L + "_out", f, shape, q, yq, act, 0, 0, preRms);
    }

    /**
     * MatMul {@code X[..., K] * W[K, N]} with constant 8-bit weights (per-channel along N: axis 1) and no bias.
     * QDQ: {@code DQ(x), DQ(w) -> MatMul -> Q}; QOperator: QLinearMatMul.
     */
    public Act matmul(Act x, int outFeatures, float outScale, int outZp) {
        return matmulImpl(x, outFeatures, new QParams(outScale, outZp));
    }

    /** MatMul with automatically chosen output quantization. */
    public Act matmul(Act x, int outFeatures) {
        return matmulImpl(x, outFeatures, null);
    }

    private Act matmulImpl(Act x, int n, QParams out) {
        if (x.shape.length < 2 || n <= 0) {
            throw new IllegalArgumentException("matmul needs an input of rank >= 2 and outFeatures > 0; input " + x.qName
                    + " has " + Arrays.toString(x.shape) + ", outFeatures " + n);
        }
        int k = Math.toIntExact(x.shape[x.shape.length - 1]);
        long[] shape = x.shape.clone();
        shape[shape.length - 1] = n;
        String L = layerName("matmul");
        Weights w = makeWeights(L, new long[] {k, n}, 1, n, k, defWeightType, defPerChannel, defSymmetric);
        double preRms = Math.sqrt(k * x.rms * x.rms * w.rms * w.rms);
        QParams q = outputParams(L, out, ConvSpec.Activation.NONE, 0, 0, preRms);
        String[] yq = outQParams(L, q);
        if (qop) {
            String outQ = L + "_out_q";
            addNode(L, "", "QLinearMatMul", List.of(x.qName, x.scaleName, x.zpName, w.tensor, w.scaleName, w.zpName, yq[0], yq[1]),
                    List.of(outQ));
            declare(outQ, actType, shape);
            return act(L + "_out", outQ, yq[0], yq[1], q, shape, ConvSpec.Activation.NONE, 0, 0, preRms);
        }
        String f = L + "_out";
        addNode(L, "", "MatMul", List.of(dq(x), w.tensor), List.of(f));
        declare(f, DType.FLOAT32, shape);
        return quantizeOut(L + "_out", f, shape, q, yq, ConvSpec.Activation.NONE, 0, 0, preRms);
    }

    /**
     * Any float op on one activation, {@code DQ(x) -> opType(dq, extraInputs...) -> Q} with the input's own
     * quantization (in both forms: quantize_static leaves ops it cannot quantize in this shape). The op's
     * first output is quantized; {@code outputCount - 1} further outputs (e.g. TopK's indices, typed int64)
     * are left unused. For building models with ops a compiler may not support.
     */
    public Act floatOp(Act x, String opType, long[] outShape, List<String> extraInputs, int outputCount, AttributeProto... attrs) {
        String L = layerName(opType.toLowerCase());
        return sameParamsOpImpl(x, L, opType, extraInputs, outShape, outputCount, true, attrs);
    }

    /** {@link #floatOp(Act, String, long[], List, int, AttributeProto...)} with no extra inputs and one output. */
    public Act floatOp(Act x, String opType, long[] outShape, AttributeProto... attrs) {
        return floatOp(x, opType, outShape, List.of(), 1, attrs);
    }

    /** Adds an int64 initializer (e.g. a Reshape shape or TopK's K) and returns its unique name. */
    public String int64Initializer(String name, long... values) {
        claimTensor(name);
        ByteBuffer bb = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            bb.putLong(v);
        }
        inits.add(TensorProto.newBuilder().setName(name).setDataType(DType.INT64.onnxCode()).addDims(values.length)
                .setRawData(ByteString.copyFrom(bb.array())).build());
        return name;
    }

    /** {@code DQ -> float graph output "name"} with the activation's full static shape. */
    public void output(Act a, String name) {
        addNode(name + "_dequantize", "", "DequantizeLinear", List.of(a.qName, a.scaleName, a.zpName), List.of(name));
        graphOutputs.add(valueInfo(name, DType.FLOAT32.onnxCode(), a.shape));
    }

    /** Exposes the 8-bit tensor itself as a graph output (what a layer-by-layer golden comparison reads). */
    public void outputQuantized(Act a) {
        for (ValueInfoProto o : graphOutputs) {
            if (o.getName().equals(a.qName)) {
                throw new IllegalArgumentException(a.qName + " is already a graph output");
            }
        }
        graphOutputs.add(valueInfo(a.qName, a.type.onnxCode(), a.shape));
    }

    // ---------------------------------------------------------------- results

    /** The model as built so far; needs at least one output. May be called again after adding more layers. */
    public ModelProto build() {
        if (graphOutputs.isEmpty()) {
            throw new IllegalStateException("model has no output; call output(act, name) first");
        }
        Set<String> outs = new HashSet<>();
        graphOutputs.forEach(o -> outs.add(o.getName()));
        GraphProto.Builder g = GraphProto.newBuilder()
                .setName("intbench_" + (qop ? "qoperator" : "qdq") + "_seed" + seed)
                .setDocString("Built by intbench's QdqModelBuilder (seed " + seed + ", " + actType + " activations)")
                .addAllNode(nodes).addAllInitializer(inits).addAllInput(graphInputs).addAllOutput(graphOutputs);
        if (intermediateValueInfo) {
            for (NodeProto n : nodes) {
                for (String o : n.getOutputList()) {
                    TypedShape ts = tensorTypes.get(o);
                    if (ts != null && !outs.contains(o)) {
                        g.addValueInfo(valueInfo(o, ts.elemType, ts.shape));
                    }
                }
            }
        }
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(irVersion(opset))
                .setProducerName("intbench.QdqModelBuilder").setProducerVersion("1")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
        if (usesMsDomain) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(MS_DOMAIN).setVersion(1));
        }
        return m.setGraph(g).build();
    }

    /** {@link #build()} serialized to the ONNX file format. */
    public byte[] toBytes() {
        return build().toByteArray();
    }

    /** Names of the float graph inputs, in declaration order. */
    public List<String> inputNames() {
        return List.copyOf(inputActs.keySet());
    }

    /** Random float input for the first graph input (see {@link #randomInputs}). */
    public HostTensor randomInput(long inputSeed) {
        if (inputActs.isEmpty()) {
            throw new IllegalStateException("model has no input");
        }
        return randomInputs(inputSeed).values().iterator().next();
    }

    /**
     * A random float32 tensor per graph input, of its declared shape, uniform over the real range its
     * QuantizeLinear can represent ({@code scale * (qmin - zp) .. scale * (qmax - zp)}).
     */
    public Map<String, HostTensor> randomInputs(long inputSeed) {
        Random r = new Random(inputSeed);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Act a : inputActs.values()) {
            float[] v = new float[Math.toIntExact(HostTensor.elementCount(a.shape))];
            double lo = a.realMin();
            double hi = a.realMax();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (lo + (hi - lo) * r.nextDouble());
            }
            out.put(a.base, HostTensor.ofFloats(a.shape, v));
        }
        return out;
    }

    /**
     * Scale and zero point covering {@code [lo, hi]} extended to include 0, the way ORT's quantizer computes
     * them ({@code compute_scale_zp}): {@code scale = (rmax - rmin) / (qmax - qmin)},
     * {@code zp = round(qmin - rmin / scale)}, clamped to the type's range.
     */
    public static QParams paramsForRange(double lo, double hi, DType type) {
        double rmin = Math.min(lo, 0);
        double rmax = Math.max(hi, 0);
        if (rmax - rmin < 1e-8) {
            rmax = rmin + 1e-3;
        }
        float scale = (float) ((rmax - rmin) / (type.qmax() - type.qmin()));
        long zp = Math.round(Math.rint(type.qmin() - rmin / scale));
        zp = Math.max(type.qmin(), Math.min(type.qmax(), zp));
        return new QParams(scale, (int) zp);
    }

    /** ONNX IR version released together with {@code opset} (onnx/docs/Versioning.md release table). */
    static int irVersion(int opset) {
        if (opset <= 10) {
            return 5;
        } else if (opset == 11) {
            return 6;
        } else if (opset <= 14) {
            return 7;
        } else if (opset <= 18) {
            return 8;
        } else if (opset <= 20) {
            return 9;
        }
        return 10;
    }

    // ---------------------------------------------------------------- static model helpers for refusal tests

    /** A plain float model {@code input[1,3,8,8] -> Conv(4, 3x3, pads 1) -> Relu -> output}: no quantization at all. */
    public static ModelProto floatConvModel(long seed) {
        Random r = new Random(seed);
        float[] w = new float[4 * 3 * 3 * 3];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.2);
        }
        float[] b = new float[4];
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (r.nextGaussian() * 0.1);
        }
        GraphProto g = GraphProto.newBuilder().setName("float_conv")
                .addInitializer(floatTensor("conv1_w", new long[] {4, 3, 3, 3}, w))
                .addInitializer(floatTensor("conv1_b", new long[] {4}, b))
                .addNode(node("conv1", "", "Conv", List.of("input", "conv1_w", "conv1_b"), List.of("conv1_out"),
                        attrInts("dilations", 1, 1), attrI("group", 1), attrInts("kernel_shape", 3, 3),
                        attrInts("pads", 1, 1, 1, 1), attrInts("strides", 1, 1)))
                .addNode(node("relu1", "", "Relu", List.of("conv1_out"), List.of("output")))
                .addInput(valueInfo("input", DType.FLOAT32.onnxCode(), new long[] {1, 3, 8, 8}))
                .addOutput(valueInfo("output", DType.FLOAT32.onnxCode(), new long[] {1, 4, 8, 8}))
                .build();
        return model(13, g, false);
    }

    /**
     * A dynamically quantized model as ORT's {@code quantize_dynamic} writes a MatMul:
     * {@code DynamicQuantizeLinear(input[1,16]) -> MatMulInteger(x_q, W int8[16,8], x_zp, W_zp) -> Cast(float)
     * -> Mul(x_scale * W_scale) -> output[1,8]}. Its activation scale is computed at run time, which
     * static integer-only compilation cannot represent.
     */
    public static ModelProto dynamicQuantModel(long seed) {
        Random r = new Random(seed);
        int[] w = new int[16 * 8];
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextInt(255) - 127;
        }
        float wScale = 0.001f + 0.01f * r.nextFloat();
        GraphProto g = GraphProto.newBuilder().setName("dynamic_quant_matmul")
                .addInitializer(intTensor("matmul1_w", DType.INT8, new long[] {16, 8}, w, true))
                .addInitializer(floatTensor("matmul1_w_scale", new long[0], new float[] {wScale}))
                .addInitializer(intTensor("matmul1_w_zp", DType.INT8, new long[0], new int[] {0}, false))
                .addNode(node("input_dynamic_quantize", "", "DynamicQuantizeLinear", List.of("input"),
                        List.of("input_q", "input_scale", "input_zp")))
                .addNode(node("matmul1_scales_mul", "", "Mul", List.of("input_scale", "matmul1_w_scale"),
                        List.of("matmul1_scale")))
                .addNode(node("matmul1", "", "MatMulInteger", List.of("input_q", "matmul1_w", "input_zp", "matmul1_w_zp"),
                        List.of("matmul1_acc")))
                .addNode(node("matmul1_cast", "", "Cast", List.of("matmul1_acc"), List.of("matmul1_acc_f"),
                        attrI("to", DType.FLOAT32.onnxCode())))
                .addNode(node("matmul1_mul", "", "Mul", List.of("matmul1_acc_f", "matmul1_scale"), List.of("output")))
                .addInput(valueInfo("input", DType.FLOAT32.onnxCode(), new long[] {1, 16}))
                .addOutput(valueInfo("output", DType.FLOAT32.onnxCode(), new long[] {1, 8}))
                .build();
        return model(13, g, false);
    }

    /**
     * A valid QDQ model (opset 13) with two ops an integer accelerator compiler is not expected to support,
     * each between DQ and Q: {@code input[1,4,6,6] -> conv1 -> Einsum "nchw->nhwc" (node "einsum1")
     * -> TopK k=3 on the last axis (node "topk1") -> output[1,6,6,3]}. For "list every offending node" tests.
     */
    public static ModelProto unsupportedOpModel() {
        QdqModelBuilder b = create(1);
        Act x = b.input("input", 0.02f, 128, 1, 4, 6, 6);
        Act c = b.conv(x, ConvSpec.of(4, 3, 3).pads(1, 1, 1, 1));
        Act e = b.floatOp(c, "Einsum", new long[] {1, 6, 6, 4}, attrS("equation", "nchw->nhwc"));
        String k = b.int64Initializer("topk1_k", 3);
        Act t = b.floatOp(e, "TopK", new long[] {1, 6, 6, 3}, List.of(k), 2, attrI("axis", -1), attrI("largest", 1),
                attrI("sorted", 1));
        b.output(t, "output");
        return b.build();
    }

    // ---------------------------------------------------------------- attribute helpers (public for floatOp callers)

    public static AttributeProto attrI(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    public static AttributeProto attrF(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    public static AttributeProto attrS(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v)).build();
    }

    public static AttributeProto attrInts(String name, int... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (int x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    // ---------------------------------------------------------------- internals

    private void requireNoLayers(String what) {
        if (!nodes.isEmpty() || !graphInputs.isEmpty()) {
            throw new IllegalStateException(what + " must be set before the first input or layer");
        }
    }

    private void checkParams(String where, float scale, int zp) {
        if (!(scale > 0) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException(where + ": scale must be positive and finite, got " + scale);
        }
        if (zp < actType.qmin() || zp > actType.qmax()) {
            throw new IllegalArgumentException(where + ": zero point " + zp + " outside " + actType + " range");
        }
    }

    private QParams checked(String where, QParams q) {
        checkParams(where, q.scale, q.zeroPoint);
        return q;
    }

    private boolean isQmin(QParams q) {
        return q.zeroPoint == actType.qmin();
    }

    /**
     * Output parameters of a layer with an optional activation: given ones are checked (in QOperator form they
     * must express the activation, see the class comment); automatic ones cover about +-4 RMS of the pre-activation
     * value, clipped by the activation.
     */
    private QParams outputParams(String layer, QParams given, ConvSpec.Activation act, float clipMin, float clipMax, double preRms) {
        if (qop && act == ConvSpec.Activation.CLIP && clipMin != 0f) {
            throw new IllegalArgumentException(layer + ": QOperator form can only express Clip(0, hi) through the output "
                    + "range, got Clip(" + clipMin + ", " + clipMax + ")");
        }
        if (qop && act == ConvSpec.Activation.LEAKY_RELU) {
            throw new IllegalArgumentException(layer + ": QOperator form has no Conv + LeakyRelu op");
        }
        if (given != null) {
            checked(layer, given);
            if (qop && act != ConvSpec.Activation.NONE && given.zeroPoint != actType.qmin()) {
                throw new IllegalArgumentException(layer + ": QOperator form has no Relu/Clip node; the fused activation "
                        + "needs output zero point " + actType.qmin() + " (real 0 at qmin), got " + given.zeroPoint);
            }
            if (qop && act == ConvSpec.Activation.CLIP
                    && (double) given.scale * (actType.qmax() - actType.qmin()) > clipMax * (1 + 1e-6)) {
                throw new IllegalArgumentException(layer + ": QOperator Clip(0, " + clipMax + ") needs scale <= "
                        + clipMax / (actType.qmax() - actType.qmin()) + " so that saturation is the clip, got " + given.scale);
            }
            return given;
        }
        double r = Math.max(preRms, 1e-6);
        return switch (act) {
            case NONE -> paramsForRange(-4 * r, 4 * r, actType);
            case LEAKY_RELU -> paramsForRange(-4 * r * clipMin, 4 * r, actType);
            case RELU -> paramsForRange(0, 3 * r, actType);
            case CLIP -> clipMin == 0f
                    ? paramsForRange(0, qop ? clipMax : Math.min(clipMax, 3 * r), actType)
                    : paramsForRange(Math.max(clipMin, -4 * r), Math.min(clipMax, 4 * r), actType);
        };
    }

    /** Adds the output scale and zero-point initializers of layer {@code L}: {L}_out_scale, {L}_out_zp. */
    private String[] outQParams(String L, QParams q) {
        return new String[] {scalarFloat(L + "_out_scale", q.scale), scalarZp(L + "_out_zp", actType, q.zeroPoint)};
    }

    private Act act(String base, String qName, String scaleName, String zpName, QParams q, long[] shape,
                    ConvSpec.Activation act, float clipMin, float clipMax, double preRms) {
        double rms = switch (act) {
            case NONE, LEAKY_RELU -> preRms;
            case RELU -> preRms / Math.sqrt(2);
            case CLIP -> Math.min(preRms, Math.max(Math.abs(clipMin), Math.abs(clipMax)));
        };
        boolean nonNeg = act == ConvSpec.Activation.RELU || (act == ConvSpec.Activation.CLIP && clipMin >= 0)
                || q.zeroPoint == actType.qmin();
        return new Act(base, qName, scaleName, zpName, q.scale, q.zeroPoint, actType, shape, rms, nonNeg);
    }

    /** QDQ: {@code f -> QuantizeLinear(f, scale, zp) -> base_q}. */
    private Act quantizeOut(String base, String f, long[] shape, QParams q, String[] qNames, ConvSpec.Activation act,
                            float clipMin, float clipMax, double preRms) {
        String qName = base + "_q";
        addNode(base + "_quantize", "", "QuantizeLinear", List.of(f, qNames[0], qNames[1]), List.of(qName));
        declare(qName, actType, shape);
        return act(base, qName, qNames[0], qNames[1], q, shape, act, clipMin, clipMax, preRms);
    }

    /** QDQ: appends Relu or Clip after {@code f} and returns the activation's output (or {@code f} for none). */
    private String activation(String L, String f, long[] shape, ConvSpec.Activation act, float clipMin, float clipMax) {
        switch (act) {
            case NONE:
                return f;
            case LEAKY_RELU: {
                String o = L + "_leakyrelu_out";
                addNode(L + "_leakyrelu", "", "LeakyRelu", List.of(f), List.of(o), attrF("alpha", clipMin));
                declare(o, DType.FLOAT32, shape);
                return o;
            }
            case RELU: {
                String o = L + "_relu_out";
                addNode(L + "_relu", "", "Relu", List.of(f), List.of(o));
                declare(o, DType.FLOAT32, shape);
                return o;
            }
            default: {
                String o = L + "_clip_out";
                if (opset < 11) {
                    // Clip-6 takes min/max as attributes; from opset 11 they are (optional) inputs.
                    addNode(L + "_clip", "", "Clip", List.of(f), List.of(o), attrF("min", clipMin), attrF("max", clipMax));
                } else {
                    String lo = scalarFloat(L + "_clip_min", clipMin);
                    String hi = scalarFloat(L + "_clip_max", clipMax);
                    addNode(L + "_clip", "", "Clip", List.of(f, lo, hi), List.of(o));
                }
                declare(o, DType.FLOAT32, shape);
                return o;
            }
        }
    }

    /** The float DequantizeLinear output of {@code a}, created once and shared by all consumers (as quantize_static does). */
    private String dq(Act a) {
        String cached = dqCache.get(a.qName);
        if (cached != null) {
            return cached;
        }
        String out = a.base + "_dq";
        addNode(a.base + "_dequantize", "", "DequantizeLinear", List.of(a.qName, a.scaleName, a.zpName), List.of(out));
        declare(out, DType.FLOAT32, a.shape);
        dqCache.put(a.qName, out);
        return out;
    }

    private Act sameParamsOp(Act x, String L, String opType, List<String> extra, long[] shape, int outputCount,
                             AttributeProto... attrs) {
        return sameParamsOpImpl(x, L, opType, extra, shape, outputCount, false, attrs);
    }

    /**
     * An op whose output keeps the input's quantization. QOperator and not {@code forceQdq}: the op runs on the 8-bit
     * tensor. Otherwise {@code DQ -> op -> Q} with the input's scale/zp initializers reused by name.
     */
    private Act sameParamsOpImpl(Act x, String L, String opType, List<String> extra, long[] shape, int outputCount,
                                 boolean forceQdq, AttributeProto... attrs) {
        List<String> outs = new ArrayList<>();
        if (qop && !forceQdq) {
            List<String> in = new ArrayList<>(List.of(x.qName));
            in.addAll(extra);
            String outQ = L + "_out_q";
            addNode(L, "", opType, in, List.of(outQ), attrs);
            declare(outQ, actType, shape);
            return new Act(L + "_out", outQ, x.scaleName, x.zpName, x.scale, x.zeroPoint, actType, shape, x.rms, x.nonNegative);
        }
        List<String> in = new ArrayList<>(List.of(dq(x)));
        in.addAll(extra);
        String f = L + "_out";
        outs.add(f);
        for (int i = 1; i < outputCount; i++) {
            outs.add(L + "_out" + i);
        }
        addNode(L, "", opType, in, outs, attrs);
        declare(f, DType.FLOAT32, shape);
        if (opType.equals("TopK") && outputCount > 1) {
            declare(outs.get(1), DType.INT64, shape);
        }
        String qName = L + "_out_q";
        addNode(L + "_out_quantize", "", "QuantizeLinear", List.of(f, x.scaleName, x.zpName), List.of(qName));
        declare(qName, actType, shape);
        return new Act(L + "_out", qName, x.scaleName, x.zpName, x.scale, x.zeroPoint, actType, shape, x.rms, x.nonNegative);
    }

    /**
     * Random 8-bit weights of {@code dims} with quantization along {@code axis} ({@code channels} entries when
     * per-channel). Codes span a random magnitude 16..127 around the zero point; scales are chosen so that the
     * real weights have roughly He-uniform range {@code sqrt(6 / fanIn)}, times a random factor 0.6..1.4 per channel.
     */
    private Weights makeWeights(String L, long[] dims, int axis, int channels, int fanIn, DType type, boolean perChannel,
                                boolean symmetric) {
        if (perChannel && !qop && opset < 13) {
            throw new IllegalArgumentException(L + ": per-channel (per-axis) DequantizeLinear needs opset >= 13, builder is at "
                    + opset + "; use perChannel(false) or a newer opset");
        }
        int nch = perChannel ? channels : 1;
        int mag = 16 + rnd.nextInt(112);
        float[] scales = new float[nch];
        int[] zps = new int[nch];
        double target = Math.sqrt(6.0 / fanIn);
        for (int c = 0; c < nch; c++) {
            scales[c] = (float) (target / mag * (0.6 + 0.8 * rnd.nextDouble()));
            if (symmetric) {
                // ORT's compute_scale_zp for symmetric ranges: zero point 0 for int8, (0 + 255) / 2 rounded = 128 for uint8.
                zps[c] = type == DType.INT8 ? 0 : 128;
            } else {
                zps[c] = type == DType.INT8 ? rnd.nextInt(41) - 20 : 108 + rnd.nextInt(41);
            }
        }
        int n = Math.toIntExact(HostTensor.elementCount(dims));
        int[] q = new int[n];
        // Per-axis index: along axis 0 the channel is i / (product of the rest); along the last axis of [K, N] it is i % N.
        long inner = 1;
        for (int d = axis + 1; d < dims.length; d++) {
            inner *= dims[d];
        }
        double sumSq = 0;
        int lowest = type == DType.INT8 && symmetric ? -127 : type.qmin();
        for (int i = 0; i < n; i++) {
            int c = perChannel ? (int) ((i / inner) % dims[axis]) : 0;
            int lo = Math.max(lowest, zps[c] - mag);
            int hi = Math.min(type.qmax(), zps[c] + mag);
            q[i] = lo + rnd.nextInt(hi - lo + 1);
            double real = (double) (q[i] - zps[c]) * scales[c];
            sumSq += real * real;
        }
        long[] pDims = perChannel ? new long[] {nch} : new long[0];
        String scaleName = claimedInit(floatTensor(L + "_w_scale", pDims, scales));
        String zpName = claimedInit(intTensor(L + "_w_zp", type, pDims, zps, false));
        double rms = Math.sqrt(sumSq / n);
        if (qop) {
            String w = claimedInit(intTensor(L + "_w", type, dims, q, true));
            return new Weights(w, scaleName, zpName, scales, zps, rms);
        }
        AttributeProto[] axisAttr = perChannel ? new AttributeProto[] {attrI("axis", axis)} : new AttributeProto[0];
        String src;
        if (fakeQuant) {
            float[] fw = new float[n];
            for (int i = 0; i < n; i++) {
                int c = perChannel ? (int) ((i / inner) % dims[axis]) : 0;
                // DequantizeLinear's own formula, so QuantizeLinear maps it back to exactly q[i].
                fw[i] = (float) (q[i] - zps[c]) * scales[c];
            }
            String wf = claimedInit(floatTensor(L + "_w_float", dims, fw));
            src = L + "_w";
            addNode(L + "_w_quantize", "", "QuantizeLinear", List.of(wf, scaleName, zpName), List.of(src), axisAttr);
            declare(src, type, dims);
        } else {
            src = claimedInit(intTensor(L + "_w", type, dims, q, true));
        }
        String out = L + "_w_dq";
        addNode(L + "_w_dequantize", "", "DequantizeLinear", List.of(src, scaleName, zpName), List.of(out), axisAttr);
        declare(out, DType.FLOAT32, dims);
        return new Weights(out, scaleName, zpName, scales, zps, rms);
    }

    /**
     * Random int32 bias codes in [-2^12, 2^12] with scale {@code x_scale * w_scale[c]} (a float32 product, as
     * quantize_static computes it) and zero point 0. QDQ: {@code DQ(L_b, L_b_scale, L_b_zp)}; the per-tensor bias
     * scale is 1-D of one element, as quantize_static writes it. {@code floatBias}: a float initializer instead.
     */
    private Bias makeBias(String L, int channels, float xScale, float[] wScales, boolean perChannel, boolean floatBias) {
        int[] codes = new int[channels];
        float[] bScales = new float[wScales.length];
        for (int c = 0; c < wScales.length; c++) {
            bScales[c] = xScale * wScales[c];
        }
        double sumSq = 0;
        float[] real = new float[channels];
        for (int c = 0; c < channels; c++) {
            codes[c] = rnd.nextInt(8193) - 4096;
            real[c] = codes[c] * bScales[perChannel ? c : 0];
            sumSq += (double) real[c] * real[c];
        }
        double rms = Math.sqrt(sumSq / channels);
        if (floatBias) {
            return new Bias(claimedInit(floatTensor(L + "_b", new long[] {channels}, real)), rms);
        }
        String b = claimedInit(intTensor(L + "_b", DType.INT32, new long[] {channels}, codes, true));
        if (qop) {
            return new Bias(b, rms);
        }
        String s = claimedInit(rawFloatTensor(L + "_b_scale", new long[] {bScales.length}, bScales));
        String z = perChannel
                ? claimedInit(intTensor(L + "_b_zp", DType.INT32, new long[] {channels}, new int[channels], true))
                : claimedInit(intTensor(L + "_b_zp", DType.INT32, new long[0], new int[] {0}, false));
        String out = L + "_b_dq";
        AttributeProto[] axisAttr = perChannel ? new AttributeProto[] {attrI("axis", 0)} : new AttributeProto[0];
        addNode(L + "_b_dequantize", "", "DequantizeLinear", List.of(b, s, z), List.of(out), axisAttr);
        declare(out, DType.FLOAT32, new long[] {channels});
        return new Bias(out, rms);
    }

    private String layerName(String op) {
        String name;
        do {
            int n = counters.merge(op, 1, Integer::sum);
            name = op + n;
        } while (nodeNames.contains(name) || tensorNames.contains(name) || tensorNames.contains(name + "_out"));
        return name;
    }

    private void claimTensor(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must be non-empty");
        }
        if (!tensorNames.add(name)) {
            throw new IllegalArgumentException("tensor name " + name + " is already used in this model");
        }
    }

    private String claimedInit(TensorProto t) {
        claimTensor(t.getName());
        inits.add(t);
        return t.getName();
    }

    private String scalarFloat(String name, float v) {
        return claimedInit(floatTensor(name, new long[0], new float[] {v}));
    }

    private String scalarZp(String name, DType type, int zp) {
        return claimedInit(intTensor(name, type, new long[0], new int[] {zp}, false));
    }

    private void addNode(String name, String domain, String op, List<String> in, List<String> out, AttributeProto... attrs) {
        if (!nodeNames.add(name)) {
            throw new IllegalArgumentException("node name " + name + " is already used in this model");
        }
        for (String o : out) {
            claimTensor(o);
        }
        nodes.add(node(name, domain, op, in, out, attrs));
    }

    private void declare(String tensor, DType type, long[] shape) {
        tensorTypes.put(tensor, new TypedShape(type.onnxCode(), shape.clone()));
    }

    private static long[] broadcast(long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            long da = i < r - a.length ? 1 : a[i - (r - a.length)];
            long db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            out[i] = Math.max(da, db);
        }
        return out;
    }

    private static NodeProto node(String name, String domain, String op, List<String> in, List<String> out, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(in).addAllOutput(out);
        if (!domain.isEmpty()) {
            n.setDomain(domain);
        }
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        return n.build();
    }

    private static ValueInfoProto valueInfo(String name, int elemType, long[] shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : shape) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s)))
                .build();
    }

    /** Float tensor in {@code float_data} (how quantize_static stores scales). */
    private static TensorProto floatTensor(String name, long[] dims, float[] v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(DType.FLOAT32.onnxCode());
        for (long d : dims) {
            t.addDims(d);
        }
        for (float f : v) {
            t.addFloatData(f);
        }
        return t.build();
    }

    /** Float tensor in little-endian {@code raw_data}. */
    private static TensorProto rawFloatTensor(String name, long[] dims, float[] v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(DType.FLOAT32.onnxCode());
        for (long d : dims) {
            t.addDims(d);
        }
        return t.setRawData(ByteString.copyFrom(HostTensor.ofFloats(dims, v).data())).build();
    }

    /**
     * 8-bit or int32 tensor, in {@code raw_data} (little-endian, as quantize_static stores weights and biases) or
     * in {@code int32_data} (one int32 per element, also for 8-bit types, as it stores zero points).
     */
    private static TensorProto intTensor(String name, DType type, long[] dims, int[] v, boolean raw) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.onnxCode());
        for (long d : dims) {
            t.addDims(d);
        }
        if (raw) {
            t.setRawData(ByteString.copyFrom(HostTensor.ofInts(type, dims, v).data()));
        } else {
            for (int x : v) {
                t.addInt32Data(x);
            }
        }
        return t.build();
    }

    private static ModelProto model(int opset, GraphProto g, boolean ms) {
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(irVersion(opset))
                .setProducerName("intbench.QdqModelBuilder").setProducerVersion("1")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
        if (ms) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(MS_DOMAIN).setVersion(1));
        }
        return m.setGraph(g).build();
    }
}
