package io.intbench.cli;

import io.intbench.golden.Bench;
import io.intbench.isa.HardwareConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code intbench bench}: the simulator speed benchmark of {@link Bench}; this class only parses options and prints. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time ONNX Runtime and the simulator (functional + timing, and timing only) on the same model and input",
            "in one process after warm-up; print the medians, their ratio (simulator / ORT), simulated MACs and cycles per",
            "host second, compile time and peak heap. --threads sets both ORT's intra-op threads and the simulator's."},
        footer = {"", "Examples:", "  intbench bench examples/mobilenetv2-12-int8.onnx",
            "  intbench bench model.onnx --threads 2 --iterations 3 --report bench.json"})
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.onnx")
    Path model;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--iterations", defaultValue = "5", description = "Timed iterations of each measurement (default ${DEFAULT-VALUE}); medians are reported.")
    int iterations;

    @Option(names = "--warmup", defaultValue = "10", description = "Untimed warm-up iterations first (default ${DEFAULT-VALUE}: "
            + "the JIT compiles the simulator's Vector API tiles into vector instructions only after several runs).")
    int warmup;

    @Option(names = "--compiles", defaultValue = "3", description = "Timed compiles after warm-up (default ${DEFAULT-VALUE}).")
    int compiles;

    @Mixin
    InputOptions in = new InputOptions();

    @Option(names = "--report", paramLabel = "BENCH.json", description = "Write the figures as JSON.")
    Path report;

    @Mixin
    Common.ConfigOptions config = new Common.ConfigOptions();

    @Mixin
    Common.CompileOptions compile = new Common.CompileOptions();

    @Mixin
    Common.Verbose verbose = new Common.Verbose();

    @Mixin
    Common.ProgressOption progress = new Common.ProgressOption();

    @Option(names = {"-q", "--quiet"}, description = "Print nothing (with --report).")
    boolean quiet;

    @Override
    public Integer call() {
        in.check();
        HardwareConfig cfg = config.load(null);
        Bench.Options o = new Bench.Options(threads, iterations, warmup, compiles, in.seed);
        Progress bar = progress.start("bench", Bench.steps(o), quiet);
        Bench.Result r;
        try {
            r = Bench.run(model, cfg, compile.options(), in.input == null ? null : in::inputs, o, bar::step);
        } finally {
            bar.done();
        }
        if (report != null) {
            Bench.writeReport(r, report);
        }
        if (!quiet) {
            System.out.print(r.text());
        }
        return 0;
    }
}
