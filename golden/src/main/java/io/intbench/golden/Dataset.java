package io.intbench.golden;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.Program;
import io.intbench.isa.TensorDesc;
import io.intbench.onnx.OnnxProto;
import io.intbench.sim.Simulator;
import io.intbench.sim.host.ClassLabels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Golden comparison over a data set: many inputs through one compiled program, each compared with ONNX
 * Runtime, so that agreement is shown on the inputs people actually have rather than on one example.
 *
 * <p>The model is compiled once by the caller. The first sample gets the full {@link Golden#run} (three
 * comparisons, the no-float audit, the simulation report); every later sample is simulated and compared
 * with ORT's default-optimised graph only, through ORT sessions opened once for the whole data set (one
 * session with every quantized tensor exposed, plus, for int8 tensors, the one-tensor sub-models
 * {@link Golden#run} uses, for the same reason: exposing an int8 tensor changes ORT's optimised graph).
 * In {@code fixed-point} mode each sample is also run layer by layer on ORT's tensors, because that is the
 * comparison the mode is judged on (see {@link Golden#defaultTolerance}).
 *
 * <p>Besides element agreement it reports the arg-max (top-1) of the model's first output for the
 * simulator and for ORT, and, given labels, the top-1 accuracy of both.
 */
public final class Dataset {
    private Dataset() { }

    /** The samples of a data set, produced on demand so a folder of images is never held in memory at once. */
    public interface Samples {
        int size();

        /** The model inputs of sample {@code i}, by ONNX input name, as {@link Golden#run} takes them. */
        Map<String, HostTensor> get(int i);

        /** Where sample {@code i} came from, for the report (a file name, or {@code X.npy[i]}). */
        String source(int i);
    }

    /**
     * One sample's agreement with ONNX Runtime's optimised graph.
     *
     * @param elements                 quantized elements compared
     * @param exact                    of them, equal to ORT's
     * @param maxAbsDiffLsb            largest difference from ORT (default optimisations), in LSB
     * @param perLayerMaxAbsDiffLsb    fixed-point mode only: largest difference with every layer run on ORT's inputs; null in ort mode
     * @param withinTolerance          the mode's judged difference is within the tolerance
     * @param top1Sim                  arg-max of the simulator's first model output
     * @param top1Ort                  arg-max of ORT's first model output
     * @param label                    the sample's class index from the labels file; null without labels
     */
    public record Sample(int index, String source, long elements, long exact, long maxAbsDiffLsb, Long perLayerMaxAbsDiffLsb,
                         boolean withinTolerance, int top1Sim, int top1Ort, Long label) { }

    /**
     * Totals over the data set.
     *
     * @param exactSamples    samples whose every compared element equals ORT's
     * @param passSamples     samples within the tolerance
     * @param top1Agreement   fraction of samples whose simulator and ORT arg-max agree
     * @param accuracySim     fraction of samples whose simulator arg-max equals the label; null without labels
     * @param accuracyOrt     the same for ORT; null without labels
     */
    public record Summary(int samples, int exactSamples, int passSamples, double top1Agreement, Double accuracySim,
                          Double accuracyOrt, String output) { }

    /** The {@code golden --report} JSON in data-set mode; {@code first} is the ordinary golden report of sample 0. */
    public record Report(String model, String requant, int toleranceLsb, Summary summary, List<Sample> samples,
                         GoldenReport first) { }

    /** Everything a data-set run produced; {@code first} keeps the full golden result of sample 0 (tensors included). */
    public record Result(Golden.Result first, List<Sample> samples, Summary summary, boolean pass) {
        public Report report() {
            GoldenReport g = first.report();
            return new Report(g.model(), g.requant(), g.toleranceLsb(), summary, samples, g);
        }
    }

    /**
     * Runs every sample.
     *
     * @param labels   class index per sample, or null
     * @param onSample called after each sample (a progress bar); may be null
     * @throws IntbenchException.InvalidInput when there are no samples or the labels do not number one per sample
     */
    public static Result run(Compiler.Result c, HardwareConfig cfg, Samples samples, long[] labels, int toleranceLsb,
                             int threads, Runnable onSample) {
        int n = samples.size();
        if (n == 0) {
            throw new IntbenchException.InvalidInput("the data set holds no samples");
        }
        if (labels != null && labels.length != n) {
            throw new IntbenchException.InvalidInput("the labels give " + labels.length + " class indices but the data set has "
                    + n + " samples");
        }
        Program p = c.program();
        boolean ortMode = Golden.mode(p) == RequantMode.ORT;
        List<Sample> out = new ArrayList<>(n);

        Golden.Result first = Golden.run(c, cfg, samples.get(0), 0, toleranceLsb, threads);
        String output = first.sim().outputs().keySet().iterator().next();
        GoldenReport.Totals t0 = first.report().comparison(Golden.ORT_OPTIMIZED).totals();
        Long perLayer0 = ortMode ? null : first.report().comparison(Golden.ORT_PER_LAYER).totals().maxAbsDiffLsb();
        out.add(sample(0, samples.source(0), t0, perLayer0, first.pass(), first.sim().outputs().get(output),
                first.ortOptimized().get(output), labels));
        tick(onSample);

        if (n > 1) {
            try (OrtReference ref = OrtReference.open(c, threads)) {
                for (int i = 1; i < n; i++) {
                    Map<String, HostTensor> in = samples.get(i);
                    Simulator.Run sim = Simulator.run(p, cfg, in);
                    Map<String, HostTensor> ort = ref.run(in);
                    Map<String, String> floatInOrt = c.qmodel().floatInOrt();
                    GoldenReport.Comparison e2e = Golden.compare(Golden.ORT_OPTIMIZED, p, sim.tensors(), ort, floatInOrt);
                    GoldenReport.Totals t = e2e.totals();
                    Long perLayer = null;
                    boolean judgeLayers = !ortMode || t.floatInOrtMismatches() > 0;
                    GoldenReport.Comparison layers = judgeLayers
                            ? Golden.compare(Golden.ORT_PER_LAYER, p, Golden.perLayer(p, in, ort), ort, floatInOrt) : e2e;
                    if (!ortMode) {
                        perLayer = layers.totals().maxAbsDiffLsb();
                    }
                    boolean pass = Golden.judge(c.qmodel(), Golden.mode(p), e2e, layers, toleranceLsb);
                    out.add(sample(i, samples.source(i), t, perLayer, pass, sim.outputs().get(output),
                            ort.get(output), labels));
                    tick(onSample);
                }
            }
        }
        return new Result(first, List.copyOf(out), summary(out, labels != null, output), out.stream().allMatch(Sample::withinTolerance));
    }

    private static void tick(Runnable onSample) {
        if (onSample != null) {
            onSample.run();
        }
    }

    private static Sample sample(int i, String source, GoldenReport.Totals t, Long perLayer, boolean pass, HostTensor sim,
                                 HostTensor ort, long[] labels) {
        return new Sample(i, source, t.elements(), t.exact(), t.maxAbsDiffLsb(), perLayer, pass, argmax(sim),
                ort == null ? -1 : argmax(ort), labels == null ? null : labels[i]);
    }

    static Summary summary(List<Sample> s, boolean labelled, String output) {
        int exact = 0;
        int pass = 0;
        int agree = 0;
        int rightSim = 0;
        int rightOrt = 0;
        for (Sample x : s) {
            exact += x.exact() == x.elements() && x.maxAbsDiffLsb() == 0 ? 1 : 0;
            pass += x.withinTolerance() ? 1 : 0;
            agree += x.top1Sim() == x.top1Ort() ? 1 : 0;
            if (labelled) {
                rightSim += x.top1Sim() == x.label() ? 1 : 0;
                rightOrt += x.top1Ort() == x.label() ? 1 : 0;
            }
        }
        double n = s.size();
        return new Summary(s.size(), exact, pass, agree / n, labelled ? rightSim / n : null, labelled ? rightOrt / n : null, output);
    }

    /**
     * Index of the largest element of the whole tensor (first one on ties), integer codes or floats alike:
     * dequantization with a positive scale keeps the order, so the arg-max of codes and of floats agree.
     */
    public static int argmax(HostTensor t) {
        float[] f;
        if (t.dtype() == DType.FLOAT32) {
            f = t.toFloatArray();
        } else {
            int[] v = t.toIntArray();
            f = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                f[i] = v[i];
            }
        }
        return f.length == 0 ? -1 : ClassLabels.topK(f, 1)[0];
    }

    /**
     * The samples of an array with a leading sample axis: {@code x} of shape {@code [N, ...inputShape]}, or,
     * where the model's input has a leading batch dimension of 1, {@code [N, ...inputShape[1:]]} (each sample
     * gets the batch dimension back). An {@code x} of exactly the input shape is one sample; callers that keep
     * the single-sample run for that case test it first.
     *
     * @param file for messages
     * @throws IntbenchException.InvalidInput naming the file and both shapes when neither form matches
     */
    public static List<HostTensor> split(HostTensor x, long[] inputShape, String file) {
        long[] xs = x.shape();
        long[] per;
        if (Arrays.equals(xs, inputShape)) {
            return List.of(x);
        } else if (xs.length == inputShape.length + 1 && Arrays.equals(Arrays.copyOfRange(xs, 1, xs.length), inputShape)) {
            per = inputShape;
        } else if (inputShape.length > 0 && inputShape[0] == 1 && xs.length == inputShape.length
                && Arrays.equals(Arrays.copyOfRange(xs, 1, xs.length), Arrays.copyOfRange(inputShape, 1, inputShape.length))) {
            per = inputShape;
        } else {
            String alt = inputShape.length > 0 && inputShape[0] == 1
                    ? " or [N" + shapeTail(Arrays.copyOfRange(inputShape, 1, inputShape.length)) + "]" : "";
            throw new IntbenchException.InvalidInput(file + " has shape " + Arrays.toString(xs) + " but the model's input is "
                    + Arrays.toString(inputShape) + "; a data set needs a leading sample axis: [N" + shapeTail(inputShape) + "]" + alt);
        }
        int n = Math.toIntExact(xs[0]);
        int bytes = Math.toIntExact(HostTensor.elementCount(per) * x.dtype().bytes());
        List<HostTensor> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new HostTensor(x.dtype(), per.clone(), Arrays.copyOfRange(x.data(), i * bytes, (i + 1) * bytes)));
        }
        return out;
    }

    private static String shapeTail(long[] s) {
        StringBuilder b = new StringBuilder();
        for (long d : s) {
            b.append(", ").append(d);
        }
        return b.toString();
    }

    /**
     * Class indices from an integer tensor (int64 as NumPy writes them; int32/uint8/int8 accepted too), one per
     * sample: shape [N] or [N, 1].
     *
     * @throws IntbenchException.InvalidInput naming the file when the type or shape is not that of labels
     */
    public static long[] labels(HostTensor y, String file) {
        if (y.dtype() == DType.FLOAT32) {
            throw new IntbenchException.InvalidInput(file + " holds float32 values; labels must be integer class indices (int64)");
        }
        long[] s = y.shape();
        if (!(s.length == 1 || (s.length == 2 && s[1] == 1))) {
            throw new IntbenchException.InvalidInput(file + " has shape " + Arrays.toString(s)
                    + "; labels must be one class index per sample, shape [N]");
        }
        int n = Math.toIntExact(y.elements());
        long[] v = new long[n];
        ByteBuffer b = ByteBuffer.wrap(y.data()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            v[i] = y.dtype() == DType.INT64 ? b.getLong(i * 8) : y.getInt(i);
        }
        return v;
    }

}
