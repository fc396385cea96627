package io.intbench.cli;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.onnx.OnnxLoader;
import io.intbench.isa.HardwareConfig;
import io.intbench.onnx.OnnxProto;
import io.intbench.sim.SimReport;
import io.intbench.sim.Simulator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Compile and time a model (timing only, no arithmetic) over square array sizes and DRAM bandwidths,",
            "starting from a base config; prints total cycles and utilization per point."},
        footer = {"", "Example:", "  intbench sweep model.onnx --arrays 4,8,16,32,64,128 --bandwidths 4,16,64 --report sweep.json"})
final class SweepCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.onnx")
    Path model;

    @Option(names = "--arrays", split = ",", defaultValue = "4,8,16,32,64,128", description = "Square array sizes (default ${DEFAULT-VALUE}).")
    List<Integer> arrays;

    @Option(names = "--bandwidths", split = ",", defaultValue = "4,16,64", description = "DRAM bytes per cycle (default ${DEFAULT-VALUE}).")
    List<Integer> bandwidths;

    @Option(names = "--report", paramLabel = "SWEEP.json", description = "Write every point as JSON.")
    Path report;

    @Mixin
    Common.ConfigOptions config = new Common.ConfigOptions();

    @Mixin
    Common.CompileOptions compile = new Common.CompileOptions();

    @Mixin
    Common.Verbose verbose = new Common.Verbose();

    @Mixin
    Common.ProgressOption progress = new Common.ProgressOption();

    /** One point of the sweep. */
    record Point(int array, int bytesPerCycle, long cycles, double utilization, long dramBytes) { }

    @Override
    public Integer call() {
        HardwareConfig base = config.load(null);
        OnnxProto.ModelProto m = OnnxLoader.load(model);
        List<Point> points = new ArrayList<>();
        StringBuilder header = new StringBuilder(String.format("%-10s", "array"));
        for (int bw : bandwidths) {
            header.append(String.format("  %24s", bw + " B/cycle: cycles (util)"));
        }
        System.out.println(header);
        Progress bar = progress.start("sweep", (long) arrays.size() * bandwidths.size(), false);
        try {
            for (int a : arrays) {
                StringBuilder row = new StringBuilder(String.format("%-10s", a + "x" + a));
                for (int bw : bandwidths) {
                    HardwareConfig cfg = base.withOverrides(List.of("array.rows=" + a, "array.cols=" + a, "dram.bytesPerCycle=" + bw));
                    SimReport r = Simulator.timingOnly(Compiler.compile(m, model.getFileName().toString(), cfg, compile.options()).program(), cfg);
                    points.add(new Point(a, bw, r.totals().cycles(), r.totals().utilization(),
                            r.totals().dramReadBytes() + r.totals().dramWriteBytes()));
                    row.append(String.format("  %24s", String.format("%d (%.3f)", r.totals().cycles(), r.totals().utilization())));
                    bar.step();
                }
                // the row goes to stdout, the bar to stderr: on one terminal, erase the bar first
                bar.clear();
                System.out.println(row);
            }
        } finally {
            bar.done();
        }
        if (report != null) {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("model", model.getFileName().toString());
            root.put("base", base.name());
            root.put("points", points);
            Common.writeJson(report, root);
        }
        return 0;
    }
}
