package io.intbench.cli;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.golden.Golden;
import io.intbench.golden.GoldenReport;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.sim.host.ClassLabels;
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
            "inputs. Exit status 0 only when every tensor is within the mode's tolerance (0 LSB in ort mode).",
            "Without MODEL it runs the bundled example: MobileNetV2 int8 on a photo of a cat."},
        footer = {"", "Examples:", "  intbench golden", "  intbench golden model.onnx --input x.npy --report golden.json",
            "  intbench golden model.onnx --requant fixed-point"})
final class GoldenCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL.onnx", description = "The quantized ONNX model (default: the bundled example).")
    Path model;

    @Option(names = "--input", paramLabel = "X.npy|IMAGE", description = "The model's float input (.npy) or a PNG/JPEG image; default: seeded random.")
    Path input;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random input (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--report", paramLabel = "GOLDEN.json", description = "Write the golden report as JSON.")
    Path report;

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

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Print only the verdict.")
    boolean quiet;

    @Override
    public Integer call() {
        boolean example = model == null;
        if (example) {
            Path home = Path.of(System.getProperty("intbench.home", "."));
            model = home.resolve("examples/mobilenetv2-12-int8.onnx");
            if (input == null) {
                input = home.resolve("examples/chelsea.png");
            }
            if (labels == null) {
                labels = home.resolve("examples/imagenet_classes.txt");
            }
            if (!Files.exists(model)) {
                throw new IntbenchException.InvalidInput("the bundled example " + model + " is missing; run from the intbench folder");
            }
            if (!quiet) {
                System.out.println("Bundled example: " + model + " (ONNX Model Zoo MobileNetV2 int8, QOperator) on " + input);
            }
        }
        HardwareConfig cfg = config.load(null);
        Compiler.Options opts = compile.options();
        Compiler.Result compiled = Compiler.compile(model, cfg, opts);
        Map<String, HostTensor> in = input == null ? null : SimulateCommand.inputs(compiled.program(), input, seed);
        int tol = tolerance != null ? tolerance : Golden.defaultTolerance(opts.mode());
        Golden.Result r = Golden.run(compiled, cfg, in, seed, tol, threads);
        if (report != null) {
            Common.writeJson(report, r.report());
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
        return r.pass() ? 0 : Main.EXIT_MISMATCH;
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
