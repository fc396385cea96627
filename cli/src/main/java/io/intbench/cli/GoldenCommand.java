package io.intbench.cli;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.golden.Dataset;
import io.intbench.golden.Golden;
import io.intbench.golden.GoldenReport;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.TensorDesc;
import io.intbench.sim.host.ClassLabels;
import io.intbench.sim.host.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "golden", mixinStandardHelpOptions = true,
        description = {"Compile, simulate and compare every quantized tensor with ONNX Runtime.",
            "Compares with ORT's default optimisations, with optimisations off, and layer by layer on ORT's own",
            "inputs. Exit status 0 only when every tensor is within the mode's tolerance (0 LSB in ort mode;",
            "1 LSB for tensors of groups ONNX Runtime computes in float, which explain names, and tensors",
            "computed after one that differs are judged on ORT's own inputs).",
            "Without MODEL it runs the bundled example: MobileNetV2 int8 on a photo of a cat.",
            "Data-set mode: --input X.npy of shape [N, ...input shape], or a folder of",
            "images, runs every sample on the program compiled once and reports each",
            "sample's agreement, how often simulator and ONNX Runtime agree on the",
            "arg-max (top-1) and, with --labels, the top-1 accuracy of both."},
        footer = {"", "Examples:", "  intbench golden", "  intbench golden model.onnx --input x.npy --report golden.json",
            "  intbench golden model.onnx --requant fixed-point",
            "  intbench golden model.onnx --html golden.html",
            "  intbench golden model.onnx --input cat.jpg --resize 232",
            "  intbench golden model.onnx --input cat.png --channel-order bgr --layout nhwc",
            "  intbench golden model.onnx --input X.npy --labels Y.npy --report dataset.json   (X: [N, ...input shape])",
            "  intbench golden --input photos/                                                 (every PNG/JPEG, by name)"})
final class GoldenCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL.onnx", description = "The quantized ONNX model (default: the bundled example).")
    Path model;

    @Mixin
    InputOptions in = new InputOptions();

    @Option(names = "--labels", paramLabel = "Y.npy", description = "Data-set mode: the class index of every sample (int64, shape [N]); reports the top-1 accuracy of both runs.")
    Path sampleLabels;

    @Option(names = "--report", paramLabel = "GOLDEN.json", description = "Write the golden report as JSON.")
    Path report;

    @Option(names = "--html", paramLabel = "REPORT.html", description = {"Write a self-contained HTML page: per-layer cycles, utilization,",
        "DRAM traffic, roofline, agreement per tensor and the requantization summary of explain."})
    Path html;

    @Option(names = "--tolerance", paramLabel = "LSB", description = "Largest accepted difference (default 0 for ort, 1 for fixed-point).")
    Integer tolerance;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--labels-file", paramLabel = "LABELS.txt", description = "Class names, one per line: print the top-5 classes of both runs.")
    Path labels;

    @Mixin
    Common.ConfigOptions config = new Common.ConfigOptions();

    @Mixin
    Common.CompileOptions compile = new Common.CompileOptions();

    @Mixin
    Common.Verbose verbose = new Common.Verbose();

    @Mixin
    Common.ProgressOption progress = new Common.ProgressOption();

    @Option(names = {"-q", "--quiet"}, description = "Print only the verdict.")
    boolean quiet;

    @Override
    public Integer call() {
        boolean example = model == null;
        if (example) {
            Path home = Path.of(System.getProperty("intbench.home", "."));
            model = home.resolve("examples/mobilenetv2-12-int8.onnx");
            if (in.input == null) {
                in.input = home.resolve("examples/chelsea.png");
            }
            if (labels == null) {
                labels = home.resolve("examples/imagenet_classes.txt");
            }
            if (!Files.exists(model)) {
                throw new IntbenchException.InvalidInput("the bundled example " + model + " is missing; run from the intbench folder");
            }
            if (!quiet) {
                System.out.println("Bundled example: " + model + " (ONNX Model Zoo MobileNetV2 int8, QOperator) on " + in.input);
            }
        }
        in.check();
        if (sampleLabels != null && in.input == null) {
            throw new IntbenchException.InvalidInput("--labels " + sampleLabels + " needs a data set: give the samples with --input X.npy or --input FOLDER");
        }
        HardwareConfig cfg = config.load(null);
        Compiler.Options opts = compile.options();
        Compiler.Result compiled = progress.compile(model, cfg, opts, quiet);
        int tol = tolerance != null ? tolerance : Golden.defaultTolerance(opts.mode());
        if (in.input != null) {
            List<TensorDesc> ins = compiled.program().tensors(TensorDesc.Role.INPUT);
            if (ins.size() == 1 || Files.isDirectory(in.input)) {
                if (ins.size() != 1) {
                    throw new IntbenchException.InvalidInput("data-set mode (--input " + in.input + ") needs a model with one input; this one has " + ins.size());
                }
                Dataset.Samples samples = in.samples(ins.get(0), sampleLabels != null);
                if (samples != null) {
                    return dataset(compiled, cfg, samples, tol);
                }
            }
        }
        Map<String, HostTensor> x = in.input == null ? null : in.inputs(compiled.program());
        Progress bar = progress.start("golden", Golden.STEPS, quiet);
        Golden.Result r;
        try {
            r = Golden.run(compiled, cfg, x, in.seed, tol, threads, bar::step);
        } finally {
            bar.done();
        }
        if (report != null) {
            Common.writeJson(report, r.report());
        }
        if (html != null) {
            writeHtml(compiled, cfg, r.report(), r.pass(), null);
        }
        if (!quiet) {
            GoldenReport g = r.report();
            System.out.printf("%s: %d layers, %d MACs, %d cycles on %s (utilization %.3f), requant %s%n", g.model(),
                    g.simulation().layers().size(), g.simulation().totals().macs(), g.simulation().totals().cycles(),
                    cfg.name(), g.simulation().totals().utilization(), g.requant());
            System.out.print(Golden.table(g));
            System.out.printf("no-float audit: %d floating-point operations between layers; tensors between layers are %s%n",
                    g.noFloat().floatOpsBetweenLayers(), String.join(", ", g.noFloat().interLayerTensorTypes()));
            if (labels != null) {
                printTopK(r, labels);
            }
        }
        boolean ort = opts.mode() == RequantMode.ORT;
        GoldenReport.Totals t = r.report().comparison(ort ? Golden.ORT_OPTIMIZED : Golden.ORT_PER_LAYER).totals();
        System.out.printf("%s: %d of %d elements in %d tensors agree exactly with ONNX Runtime (default optimisations%s);"
                        + " largest difference %s LSB, tolerance %d LSB%n", r.pass() ? "PASS" : "FAIL", t.exact(), t.elements(),
                t.tensors(), ort ? "" : ", each layer on ORT's inputs",
                t.maxAbsDiffLsb() == Long.MAX_VALUE ? "n/a" : String.valueOf(t.maxAbsDiffLsb()), tol);
        if (t.floatInOrtTensors() > 0) {
            System.out.printf(java.util.Locale.ROOT, "  of which %d tensors (%d elements) ONNX Runtime computes in float (see explain):"
                            + " %d elements differ (rate %.3g), max %d LSB, tolerance %d LSB; every other tensor is judged with"
                            + " tolerance %d LSB (on ORT's own inputs where it comes after a differing one)%n",
                    t.floatInOrtTensors(), t.floatInOrtElements(), t.floatInOrtMismatches(), t.floatInOrtMismatchRate(),
                    t.floatInOrtMaxAbsDiffLsb(), Math.max(1, tol), tol);
        }
        return r.pass() ? 0 : Main.EXIT_MISMATCH;
    }

    private int dataset(Compiler.Result compiled, HardwareConfig cfg, Dataset.Samples samples, int tol) {
        long[] y = null;
        if (sampleLabels != null) {
            y = Dataset.labels(Npy.read(sampleLabels), sampleLabels.toString());
            if (y.length != samples.size()) {
                throw new IntbenchException.InvalidInput("--labels " + sampleLabels + " holds " + y.length + " labels but --input " + in.input
                        + " holds " + samples.size() + " samples; give one class index per sample");
            }
        }
        List<String> names = labels == null ? null : ClassLabels.read(labels);
        Progress bar = progress.start("golden", samples.size(), quiet);
        Dataset.Result r;
        try {
            r = Dataset.run(compiled, cfg, samples, y, tol, threads, bar::step);
        } finally {
            bar.done();
        }
        if (report != null) {
            Common.writeJson(report, r.report());
        }
        if (html != null) {
            writeHtml(compiled, cfg, r.first().report(), r.pass(), "Data set of " + r.samples().size() + " samples: this page shows the"
                    + " first (" + samples.source(0) + "); the verdict covers every sample and --report lists each one.");
        }
        boolean ort = compiled.program().requantMode() == RequantMode.ORT.code();
        Dataset.Summary s = r.summary();
        if (!quiet) {
            GoldenReport g = r.first().report();
            System.out.printf("%s: %d samples from %s; %d layers, %d cycles per sample on %s, requant %s%n", g.model(), s.samples(), in.input,
                    g.simulation().layers().size(), g.simulation().totals().cycles(), cfg.name(), g.requant());
            boolean all = r.samples().size() <= SHOWN_SAMPLES;
            int shown = 0;
            System.out.printf("%6s  %-24s %12s %12s %9s  %-24s %-24s%s%n", "sample", "source", "elements", "exact", "max diff",
                    "top-1 simulator", "top-1 ONNX Runtime", y == null ? "" : "  label");
            for (Dataset.Sample x : r.samples()) {
                boolean notable = x.exact() != x.elements() || x.top1Sim() != x.top1Ort() || !x.withinTolerance();
                if ((all || notable) && shown++ < SHOWN_SAMPLES) {
                    System.out.printf("%6d  %-24s %12d %12d %9s  %-24s %-24s%s%n", x.index(), clip(x.source(), 24), x.elements(), x.exact(),
                            lsb(x.maxAbsDiffLsb()), clip(className(x.top1Sim(), names), 24), clip(className(x.top1Ort(), names), 24),
                            x.label() == null ? "" : "  " + className(x.label(), names));
                }
            }
            if (!all) {
                System.out.printf("  (%d samples: only those that differ are listed, at most %d; --report has every sample)%n",
                        s.samples(), SHOWN_SAMPLES);
            }
            System.out.printf(java.util.Locale.ROOT, "top-1 of '%s': simulator and ONNX Runtime agree on %d of %d samples (%.4f)%n", s.output(),
                    Math.round(s.top1Agreement() * s.samples()), s.samples(), s.top1Agreement());
            if (y != null) {
                System.out.printf(java.util.Locale.ROOT, "top-1 accuracy on %s: simulator %.4f, ONNX Runtime %.4f%n", sampleLabels,
                        s.accuracySim(), s.accuracyOrt());
            }
        }
        long maxDiff = 0;
        long elements = 0;
        long exact = 0;
        for (Dataset.Sample x : r.samples()) {
            long d = ort ? x.maxAbsDiffLsb() : x.perLayerMaxAbsDiffLsb();
            maxDiff = Math.max(maxDiff, d);
            elements += x.elements();
            exact += x.exact();
        }
        System.out.printf("%s: %d of %d samples within tolerance; %d exact (%d of %d elements agree exactly with ONNX Runtime, default"
                        + " optimisations); largest difference %s LSB%s, tolerance %d LSB%n", r.pass() ? "PASS" : "FAIL", s.passSamples(),
                s.samples(), s.exactSamples(), exact, elements, lsbNumber(maxDiff), ort ? "" : " with each layer on ORT's inputs", tol);
        return r.pass() ? 0 : Main.EXIT_MISMATCH;
    }

    private void writeHtml(Compiler.Result compiled, HardwareConfig cfg, GoldenReport g, boolean pass, String note) {
        String page = HtmlReport.golden(g, cfg, io.intbench.golden.Explain.explain(compiled), pass, note);
        io.intbench.isa.ProgramFile.writeAtomically(html, page.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** At most this many sample rows on the terminal. */
    static final int SHOWN_SAMPLES = 50;

    private static String lsb(long d) {
        return lsbNumber(d) + (d == Long.MAX_VALUE ? "" : " LSB");
    }

    private static String lsbNumber(long d) {
        return d == Long.MAX_VALUE ? "n/a" : String.valueOf(d);
    }

    private static String className(long i, List<String> names) {
        return names != null && i >= 0 && i < names.size() ? i + " " + names.get((int) i) : String.valueOf(i);
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }

    private static void printTopK(Golden.Result r, Path labelsFile) {
        List<String> names = ClassLabels.read(labelsFile);
        for (Map.Entry<String, HostTensor> e : r.sim().outputs().entrySet()) {
            HostTensor mine = e.getValue();
            HostTensor ref = r.ortOptimized().get(e.getKey());
            if (ref == null || mine.elements() != names.size()) {
                continue;
            }
            float[] a = scores(mine);
            float[] b = scores(ref);
            int[] ta = ClassLabels.topK(a, 5);
            int[] tb = ClassLabels.topK(b, 5);
            System.out.printf("top-5 of '%s':%n  %-40s  %s%n", e.getKey(), "simulator (integer-only)", "ONNX Runtime");
            for (int i = 0; i < 5; i++) {
                System.out.printf("  %-40s  %s%n", String.format("%d %s (%.3f)", ta[i], names.get(ta[i]), a[ta[i]]),
                        String.format("%d %s (%.3f)", tb[i], names.get(tb[i]), b[tb[i]]));
            }
        }
    }

    private static float[] scores(HostTensor t) {
        if (t.dtype() == io.intbench.isa.DType.FLOAT32) {
            return t.toFloatArray();
        }
        int[] v = t.toIntArray();
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }

    static RequantMode mode(String s) {
        return RequantMode.parse(s);
    }
}
