package io.intbench.golden.fuzz;

import io.intbench.compiler.testing.ConvSpec;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.compiler.testing.QdqModelBuilder.Act;
import io.intbench.compiler.testing.QdqModelBuilder.QParams;
import io.intbench.golden.fuzz.ModelSpec.Activation;
import io.intbench.golden.fuzz.ModelSpec.BranchConv;
import io.intbench.golden.fuzz.ModelSpec.Conv;
import io.intbench.golden.fuzz.ModelSpec.ConvQuant;
import io.intbench.golden.fuzz.ModelSpec.Dense;
import io.intbench.golden.fuzz.ModelSpec.Form;
import io.intbench.golden.fuzz.ModelSpec.Gap;
import io.intbench.golden.fuzz.ModelSpec.Layer;
import io.intbench.golden.fuzz.ModelSpec.MaxPool;
import io.intbench.golden.fuzz.ModelSpec.OutQ;
import io.intbench.golden.fuzz.ModelSpec.PadMode;
import io.intbench.golden.fuzz.ModelSpec.Residual;
import io.intbench.golden.fuzz.ModelSpec.SqueezeAdd;
import io.intbench.golden.fuzz.ModelSpec.Tail;
import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.onnx.OnnxProto.ModelProto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Turns a {@link ModelSpec} into an ONNX model with {@link QdqModelBuilder}. Every choice is interpreted
 * against the shape the model has reached, so that any spec, in particular any shrunk one, is a model
 * ONNX Runtime accepts: kernels and dilations shrink to fit small inputs, pads stay below MaxPool kernels,
 * groups fall back to what the channel count allows, auto_pad SAME is written only with dilation 1
 * (ORT refuses dilation with SAME), and the opset is raised to what per-channel QDQ (13) or 8-bit
 * QOperator MaxPool (12) needs.
 *
 * <p>Output parameters that are not automatic are expressed relative to the builder's automatic choice
 * for the same layer, so the model is built twice: the first pass (all automatic) records each layer's
 * automatic scale and zero point, the second applies the spec's factors. Both passes draw the same
 * weights, since the builder's random stream does not depend on output parameters.
 */
final class SpecBuilder {

    /**
     * The model, the input to run it on, the hardware to compile for, a line per layer as it was built, and the
     * known bugs ({@link ModelSpecs#avoidsKnownBugs}) whose pattern the model contains.
     */
    record Built(ModelProto model, Map<String, HostTensor> inputs, HardwareConfig hw, int opset, List<String> layers,
                 Set<String> knownBugs) {
        String describe() {
            return String.join("\n", layers);
        }
    }

    private final ModelSpec spec;
    private final List<QParams> autos;
    private final boolean recording;
    private final List<String> layers = new ArrayList<>();
    private final Set<String> knownBugs = new TreeSet<>();
    private QdqModelBuilder b;
    private int slot;

    private SpecBuilder(ModelSpec spec, List<QParams> autos, boolean recording) {
        this.spec = spec;
        this.autos = autos;
        this.recording = recording;
    }

    static Built build(ModelSpec spec) {
        List<QParams> autos = new ArrayList<>();
        new SpecBuilder(spec, autos, true).run();
        return new SpecBuilder(spec, autos, false).run();
    }

    /** The opset the model is written with: the requested one, raised where a layer needs a newer one. */
    static int opsetFor(ModelSpec s) {
        int opset = s.opset();
        if (s.form() != Form.QOPERATOR) {
            boolean perChannel = s.weights().perChannel();
            boolean floatBias = false;
            for (Layer l : s.body()) {
                for (ConvQuant q : convQuants(l)) {
                    ModelSpec.WeightQuant w = q.weights().quant;
                    perChannel |= w != null && w.perChannel();
                    floatBias |= q.bias() == ModelSpec.Bias.FLOAT;
                }
            }
            if (perChannel) {
                opset = Math.max(opset, 13); // per-axis DequantizeLinear
            }
            if (floatBias) {
                // ORT 1.29 at full optimisation quantizes a float Conv bias itself (Div -> Round -> Cast -> DQ,
                // nodes named "<bias>_div_round"...) at the model's opset, and Round exists only from opset 11:
                // at opset 10 the session fails with "No Op registered for Round with domain_version of 10".
                opset = Math.max(opset, 11);
            }
        } else if (s.body().stream().anyMatch(l -> l instanceof MaxPool)) {
            opset = Math.max(opset, 12); // MaxPool on uint8 tensors
        }
        return opset;
    }

    private static List<ConvQuant> convQuants(Layer l) {
        if (l instanceof Conv c) {
            return List.of(c.quant());
        }
        if (l instanceof Residual r) {
            return r.branch().stream().map(BranchConv::quant).toList();
        }
        return List.of();
    }

    private static final Map<ModelSpec.Hw, HardwareConfig> HARDWARE = new java.util.concurrent.ConcurrentHashMap<>();

    static HardwareConfig hardware(ModelSpec.Hw hw) {
        return HARDWARE.computeIfAbsent(hw, h -> HardwareConfig.preset(h.preset).withOverrides(h.overrides));
    }

    private Built run() {
        int opset = opsetFor(spec);
        b = QdqModelBuilder.create(spec.weightSeed()).opset(opset).activationType(spec.act())
                .weightQuant(spec.weights().type(), spec.weights().perChannel(), spec.weights().symmetric());
        if (spec.form() == Form.QOPERATOR) {
            b.qoperator();
        } else if (spec.form() == Form.QDQ_FAKE_QUANT_WEIGHTS) {
            b.fakeQuantWeights(true);
        }
        DType t = spec.act();
        ModelSpec.Input in = spec.input();
        float scale = (float) (Math.scalb(1.0, in.scaleExp()) * (1 + in.scaleFrac() / 100.0));
        int centre = t == DType.UINT8 ? 128 : 0;
        int zp = clamp(centre + in.zpShift(), t);
        Act x = b.input("input", scale, zp, 1, in.channels(), in.height(), in.width());
        modelInput = x;
        layers.add(form() + " opset " + opset + ", " + spec.hw() + ": " + x);
        for (Layer l : spec.body()) {
            x = layer(x, l);
        }
        if (spec.tail() != Tail.SPATIAL) {
            if (spec.tail() == Tail.GAP_FLATTEN) {
                x = gap(x, OutQ.AUTO);
            }
            x = b.flatten(x);
            layers.add("flatten -> " + x);
            for (Dense d : spec.dense()) {
                x = dense(x, d);
            }
        }
        b.output(x, "output");
        return new Built(b.build(), b.randomInputs(spec.inputSeed()), hardware(spec.hw()), opset, List.copyOf(layers),
                Set.copyOf(knownBugs));
    }

    private String form() {
        return spec.form() + " " + spec.act() + " weights " + spec.weights();
    }

    private Act layer(Act x, Layer l) {
        if (l instanceof Conv c) {
            return conv(x, c);
        } else if (l instanceof Residual r) {
            return residual(x, r);
        } else if (l instanceof SqueezeAdd s) {
            Act g = gap(x, s.gapOut());
            return add(s.swap() ? g : x, s.swap() ? x : g, s.addOut());
        } else if (l instanceof MaxPool m) {
            return maxPool(x, m);
        } else if (l instanceof Gap g) {
            return gap(x, g.out());
        }
        throw new IllegalArgumentException("unknown layer " + l);
    }

    // ---------------------------------------------------------------- layers

    private Act conv(Act x, Conv c) {
        long[] s = x.shape();
        int inC = (int) s[1];
        int g;
        int oc;
        switch (c.groups()) {
            case DEPTHWISE -> {
                g = inC;
                oc = inC * (c.outChannels() % 2 == 0 ? 2 : 1);
            }
            case TWO -> {
                g = inC % 2 == 0 ? 2 : 1;
                oc = g * ((c.outChannels() + g - 1) / g);
            }
            default -> {
                g = 1;
                oc = c.outChannels();
            }
        }
        int[] pads = c.pads().stream().mapToInt(Integer::intValue).toArray();
        PadMode pm = c.padMode();
        int dh = c.dilationH();
        int dw = c.dilationW();
        if (pm == PadMode.SAME_UPPER || pm == PadMode.SAME_LOWER) {
            // ONNX Runtime's conv_attributes.h: "Dilation not supported for AutoPadType::SAME_UPPER or SAME_LOWER"
            dh = 1;
            dw = 1;
        }
        int[] kh = fit((int) s[2], c.kernelH(), dh, pm == PadMode.EXPLICIT ? pads[0] + pads[2] : 0, pm);
        int[] kw = fit((int) s[3], c.kernelW(), dw, pm == PadMode.EXPLICIT ? pads[1] + pads[3] : 0, pm);
        ConvSpec cs = ConvSpec.of(oc, kh[0], kw[0]).stride(c.strideH(), c.strideW()).dilation(kh[1], kw[1]).group(g);
        if (pm == PadMode.EXPLICIT) {
            cs.pads(pads[0], pads[1], pads[2], pads[3]);
        } else {
            cs.autoPad(pm.name());
        }
        String geom = "k" + kh[0] + "x" + kw[0] + " s" + c.strideH() + "x" + c.strideW()
                + (pm == PadMode.EXPLICIT ? " pads" + Arrays.toString(pads) : " " + pm) + " d" + kh[1] + "x" + kw[1] + " g" + g;
        return convLayer(x, cs, c.quant(), geom);
    }

    /** Kernel and dilation of one axis of length {@code in}: dilation 1, then a smaller kernel, where the window does not fit. */
    private static int[] fit(int in, int k, int d, int padSum, PadMode pm) {
        if (pm == PadMode.SAME_UPPER || pm == PadMode.SAME_LOWER) {
            return new int[] {k, d};
        }
        int avail = in + padSum;
        if ((k - 1) * d + 1 > avail) {
            d = 1;
        }
        return new int[] {Math.min(k, avail), d};
    }

    private Act convLayer(Act x, ConvSpec cs, ConvQuant q, String geom) {
        ModelSpec.WeightQuant w = q.weights().quant;
        if (w != null) {
            cs.weightType(w.type()).perChannel(w.perChannel()).symmetricWeights(w.symmetric());
        }
        Activation act = q.activation() == Activation.CLIP_PM2 && spec.form() == Form.QOPERATOR ? Activation.CLIP6 : q.activation();
        switch (act) {
            case RELU -> cs.relu(true);
            case CLIP6 -> cs.clip(0, 6);
            case CLIP_PM2 -> cs.clip(-2, 2);
            default -> { }
        }
        // a float bias is a QDQ layout (QLinearConv takes int32 codes only): QOperator models keep the int32 bias
        boolean floatBias = q.bias() == ModelSpec.Bias.FLOAT && spec.form() != Form.QOPERATOR;
        cs.bias(q.bias() != ModelSpec.Bias.NONE).floatBias(floatBias);
        boolean exposed = q.nonRedundantActivation() && spec.form() != Form.QOPERATOR;
        Act y = quantized(q.out(), exposed ? Activation.NONE : act, p -> b.conv(x, cs, p.scale(), p.zeroPoint()), () -> b.conv(x, cs));
        if (spec.form() != Form.QOPERATOR && !ortAbsorbs(act, y)) {
            knownBugs.add(ModelSpecs.FUZZ_2);
        }
        layers.add("conv " + x.qName() + " -> " + y + " " + geom + " " + act + (exposed ? " (non-redundant)" : "") + " weights "
                + (w == null ? "default" : w) + " bias " + (q.bias() == ModelSpec.Bias.FLOAT && !floatBias ? "INT32" : q.bias()));
        return y;
    }

    private Act residual(Act x, Residual r) {
        int inC = (int) x.shape()[1];
        int oc = r.projectShortcut() ? r.projectedChannels() : inC;
        Act y = x;
        for (BranchConv bc : r.branch()) {
            int c = (int) y.shape()[1];
            int g = switch (bc.groups()) {
                case DEPTHWISE -> gcd(c, oc);
                case TWO -> c % 2 == 0 && oc % 2 == 0 ? 2 : 1;
                case ONE -> 1;
            };
            int k = 2 * bc.halfKernel() + 1;
            int p = bc.halfKernel() * bc.dilation();
            ConvSpec cs = ConvSpec.of(oc, k, k).pads(p, p, p, p).dilation(bc.dilation(), bc.dilation()).group(g);
            y = convLayer(y, cs, bc.quant(), "(residual branch) k" + k + " pads " + p + " d" + bc.dilation() + " g" + g);
        }
        Act shortcut = x;
        if (r.projectShortcut()) {
            shortcut = convLayer(x, ConvSpec.of(oc, 1, 1), new ConvQuant(Activation.NONE, ModelSpec.ConvWeights.DEFAULT,
                    ModelSpec.Bias.INT32, OutQ.AUTO, false), "(residual shortcut) k1x1");
        }
        return r.swap() ? add(y, shortcut, r.addOut()) : add(shortcut, y, r.addOut());
    }

    /** The graph input's quantized tensor and GlobalAveragePool outputs (FUZZ-4: int8 Adds reading them). */
    private Act modelInput;
    private final java.util.Set<Act> gapOutputs = new java.util.HashSet<>();

    private Act add(Act a, Act c, OutQ out) {
        if (spec.act() == DType.INT8) {
            knownBugs.add(ModelSpecs.FUZZ_1);
            if (a == modelInput || c == modelInput || gapOutputs.contains(a) || gapOutputs.contains(c)
                    || HostTensor.elementCount(a.shape()) != HostTensor.elementCount(c.shape())) {
                knownBugs.add(ModelSpecs.FUZZ_4);
            }
        }
        if (HostTensor.elementCount(a.shape()) < HostTensor.elementCount(c.shape())) {
            knownBugs.add(ModelSpecs.FUZZ_3);
        }
        Act y = quantized(out, Activation.NONE, p -> b.add(a, c, p.scale(), p.zeroPoint()), () -> b.add(a, c));
        layers.add("add " + a.qName() + " + " + c.qName() + " -> " + y);
        return y;
    }

    private Act maxPool(Act x, MaxPool m) {
        long[] s = x.shape();
        int kh = (int) Math.min(m.kernelH(), s[2]);
        int kw = (int) Math.min(m.kernelW(), s[3]);
        List<Integer> p = m.pads();
        // ONNX: a pad must be smaller than the kernel, so that no window lies entirely in the padding
        int[] pads = {Math.min(p.get(0), kh - 1), Math.min(p.get(1), kw - 1), Math.min(p.get(2), kh - 1), Math.min(p.get(3), kw - 1)};
        int[] kernel = {kh, kw};
        int[] strides = {m.strideH(), m.strideW()};
        Act y = b.maxPool(x, kernel, strides, pads);
        layers.add("maxpool " + x.qName() + " -> " + y + " k" + kh + "x" + kw + " s" + m.strideH() + "x" + m.strideW() + " pads"
                + Arrays.toString(pads));
        return y;
    }

    private Act gap(Act x, OutQ out) {
        Act y = quantized(out, Activation.NONE, p -> b.globalAveragePool(x, p.scale(), p.zeroPoint()), () -> b.globalAveragePool(x));
        gapOutputs.add(y);
        layers.add("globalaveragepool " + x.qName() + " -> " + y);
        return y;
    }

    private Act dense(Act x, Dense d) {
        boolean relu = d.relu() && d.kind() != ModelSpec.DenseKind.MATMUL;
        Act y = switch (d.kind()) {
            case GEMM_TRANS_B, GEMM -> {
                boolean tb = d.kind() == ModelSpec.DenseKind.GEMM_TRANS_B;
                yield quantized(d.out(), relu ? Activation.RELU : Activation.NONE,
                        p -> b.gemm(x, d.features(), tb, p.scale(), p.zeroPoint(), relu), () -> b.gemm(x, d.features(), tb, relu));
            }
            case MATMUL -> quantized(d.out(), Activation.NONE, p -> b.matmul(x, d.features(), p.scale(), p.zeroPoint()),
                    () -> b.matmul(x, d.features()));
        };
        if (spec.form() != Form.QOPERATOR && !ortAbsorbs(relu ? Activation.RELU : Activation.NONE, y)) {
            knownBugs.add(ModelSpecs.FUZZ_2);
        }
        layers.add(d.kind().name().toLowerCase() + " " + x.qName() + " -> " + y + (relu ? " relu" : ""));
        return y;
    }

    // ---------------------------------------------------------------- output quantization

    /**
     * Builds a layer with automatic output parameters, or with the spec's factors applied to the automatic
     * ones recorded in the first pass. After Relu/Clip(0, 6) the zero point stays at qmin (real 0) and a Clip
     * scale at most 6 / (qmax - qmin): then the activation is redundant with the output range and ORT absorbs
     * it into the integer kernel, as in quantize_static's models; otherwise ORT would run the Conv in float.
     */
    private Act quantized(OutQ out, Activation act, Function<QParams, Act> explicit, java.util.function.Supplier<Act> automatic) {
        int i = slot++;
        if (recording) {
            Act y = automatic.get();
            autos.add(new QParams(y.scale(), y.zeroPoint()));
            return y;
        }
        if (out.auto() && act != Activation.CLIP_PM2) {
            return automatic.get();
        }
        // Clip(-2, 2) always takes the explicit path below: the builder's automatic range for it, [-1.992, 2.008] in
        // uint8, overshoots the Clip by a fraction of a step, and ORT would then run the Conv in float (FUZZ-2)
        DType t = spec.act();
        QParams base = autos.get(i);
        float scale = (float) (base.scale() * Math.pow(2, out.scaleQuarters() / 4.0));
        int zp;
        switch (act) {
            case NONE -> zp = clamp(base.zeroPoint() + out.zpShift(), t);
            case CLIP_PM2 -> {
                // the whole output range inside [-2, 2] (ORT's ClipQuantFusion: min <= scale * (qmin - zp) and
                // scale * (qmax - zp) <= max, up to float epsilon); a little margin keeps float rounding inside
                zp = Math.max(t.qmin() + 1, Math.min(t.qmax() - 1, base.zeroPoint() + out.zpShift()));
                scale = Math.min(scale, (float) (2.0 / Math.max(t.qmax() - zp, zp - t.qmin()) * (1 - 1e-6)));
            }
            default -> {
                zp = t.qmin();
                if (act == Activation.CLIP6) {
                    scale = Math.min(scale, 6f / (t.qmax() - t.qmin()));
                }
            }
        }
        return explicit.apply(new QParams(scale, zp));
    }

    /**
     * Whether ONNX Runtime removes the activation in front of the output QuantizeLinear, so that the group still
     * fuses into an integer kernel: a Relu when the zero point is qmin (ReluQuantFusion), a Clip when it leaves the
     * whole output range alone (ClipQuantFusion).
     */
    private static boolean ortAbsorbs(Activation act, Act y) {
        return switch (act) {
            case NONE -> true;
            case RELU -> y.zeroPoint() == y.type().qmin();
            case CLIP6 -> clipCoversOutputRange(0f, 6f, y);
            case CLIP_PM2 -> clipCoversOutputRange(-2f, 2f, y);
        };
    }

    /**
     * Whether Clip(min, max) leaves the whole output range alone, as ORT's ClipQuantFusion tests it before removing a
     * Clip in front of QuantizeLinear (onnxruntime/core/optimizer/qdq_transformer/clip_quantizelinear.cc): in float,
     * {@code min - scale * (qmin - zp) <= FLT_EPSILON} and {@code scale * (qmax - zp) - max <= FLT_EPSILON}.
     */
    private static boolean clipCoversOutputRange(float min, float max, Act y) {
        DType t = y.type();
        float lower = y.scale() * (t.qmin() - y.zeroPoint());
        float upper = y.scale() * (t.qmax() - y.zeroPoint());
        float eps = Math.ulp(1f);
        return min - lower <= eps && upper - max <= eps;
    }

    private static int clamp(int v, DType t) {
        return Math.max(t.qmin(), Math.min(t.qmax(), v));
    }

    private static int gcd(int a, int c) {
        return c == 0 ? a : gcd(c, a % c);
    }
}
