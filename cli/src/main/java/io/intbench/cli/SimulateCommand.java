package io.intbench.cli;

import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.Program;
import io.intbench.isa.ProgramFile;
import io.intbench.sim.Simulator;
import io.intbench.sim.Timing;
import io.intbench.sim.host.Npy;
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

@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Run a program on the simulated accelerator (from the program file alone) and report cycles per layer.",
        footer = {"", "Examples:", "  intbench simulate model.ibc --input x.npy --output y.npy --report report.json",
            "  intbench simulate model.ibc --html report.html",
            "  intbench simulate model.ibc --input cat.jpg --channel-order bgr --output y.npy"})
final class SimulateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PROGRAM.ibc")
    Path program;

    @Mixin
    InputOptions in = new InputOptions();

    @Option(names = "--output", paramLabel = "Y.npy", description = "Write the model's output (dequantized float32 where the ONNX output is float).")
    Path output;

    @Option(names = "--report", paramLabel = "REPORT.json", description = "Write the simulation report as JSON.")
    Path report;

    @Option(names = "--trace", paramLabel = "TRACE.json", description = "Write a Chrome trace (chrome://tracing, Perfetto) of every instruction.")
    Path trace;

    @Option(names = "--csv", paramLabel = "LAYERS.csv", description = "Write the per-layer table as CSV.")
    Path csv;

    @Option(names = "--html", paramLabel = "REPORT.html",
            description = "Write a self-contained HTML page: per-layer cycles, utilization, DRAM traffic and a roofline plot.")
    Path html;

    @Option(names = "--timing-only", description = "Skip the arithmetic: cycle counts only (the same as a full run), for fast sweeps.")
    boolean timingOnly;

    @Mixin
    Common.ConfigOptions config = new Common.ConfigOptions();

    @Mixin
    Common.Verbose verbose = new Common.Verbose();

    @Mixin
    Common.ProgressOption progress = new Common.ProgressOption();

    @Option(names = {"-q", "--quiet"}, description = "Print only errors.")
    boolean quiet;

    @Override
    public Integer call() {
        in.check();
        Program p = ProgramFile.read(program);
        HardwareConfig cfg = config.load(p.configName());
        Simulator.checkConfig(p, cfg);
        if (timingOnly && output != null) {
            throw new IllegalArgumentException("--output needs the arithmetic; drop --timing-only");
        }
        io.intbench.sim.SimReport rep;
        if (timingOnly) {
            rep = Simulator.timingOnly(p, cfg);
        } else {
            Map<String, HostTensor> x = in.inputs(p);
            Progress bar = progress.start("simulate", Simulator.steps(p), quiet);
            Simulator.Run run;
            try {
                run = Simulator.run(p, cfg, x, bar::step);
            } finally {
                bar.done();
            }
            if (output != null) {
                writeOutputs(run.outputs(), output);
            }
            rep = run.report();
        }
        if (report != null) {
            Common.writeJson(report, rep);
        }
        if (csv != null) {
            ProgramFile.writeAtomically(csv, rep.csv().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        if (trace != null) {
            Common.writeJson(trace, trace(p, cfg));
        }
        if (html != null) {
            ProgramFile.writeAtomically(html, HtmlReport.simulation(rep, cfg).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        if (!quiet) {
            System.out.print(rep.table());
            System.out.printf("%d cycles at %d MHz = %.3f ms simulated; utilization %.3f; DRAM %d bytes read, %d written;"
                            + " scheduling ratio %.3f (cycles / sum of per-layer max(compute, memory))%n",
                    rep.totals().cycles(), cfg.clockMHz(), rep.totals().cycles() / (cfg.clockMHz() * 1e3),
                    rep.totals().utilization(), rep.totals().dramReadBytes(), rep.totals().dramWriteBytes(),
                    rep.totals().schedulingRatio());
        }
        return 0;
    }

    static void writeOutputs(Map<String, HostTensor> outputs, Path output) {
        List<String> names = new ArrayList<>(outputs.keySet());
        for (int i = 0; i < names.size(); i++) {
            Path f = output;
            if (i > 0) {
                String n = output.getFileName().toString();
                String stem = n.endsWith(".npy") ? n.substring(0, n.length() - 4) : n;
                f = output.resolveSibling(stem + "." + i + ".npy");
            }
            Npy.write(f, outputs.get(names.get(i)));
        }
    }

    /**
     * Chrome Trace Event JSON (opens in Perfetto and chrome://tracing): one track per unit (LOAD DMA,
     * ARRAY, VECTOR, STORE DMA, CONTROL), one slice per instruction named after its layer, and counter
     * tracks of DRAM bandwidth in use (bytes per cycle) and of scratchpad occupancy (bytes, see
     * {@link #scratchpadOccupancy}). 1 µs in the viewer = 1 cycle.
     */
    /**
     * Changes of the scratchpad's occupied bytes over time: a LOAD's bytes from its start until the end of
     * the array or vector instruction it feeds (the next one in program order, which consumes them; a
     * layer's constants loaded ahead are counted until its first tile ends), an output tile's bytes from
     * the start of the instruction that writes it until its STORE ends.
     */
    static java.util.TreeMap<Long, Long> scratchpadOccupancy(Program p, Timing.Result t) {
        java.util.TreeMap<Long, Long> delta = new java.util.TreeMap<>();
        int n = p.code().size();
        int prevWork = -1;
        int[] prev = new int[n];
        for (int pc = 0; pc < n; pc++) {
            if (isWork(p, t, pc)) {
                prevWork = pc;
            }
            prev[pc] = prevWork;
        }
        int nextWork = -1;
        for (int pc = n - 1; pc >= 0; pc--) {
            Timing.Slot s = t.slots().get(pc);
            io.intbench.isa.Instruction ins = p.code().get(pc);
            if (isWork(p, t, pc)) {
                nextWork = pc;
            } else if (s != null && ins.op() == io.intbench.isa.Opcode.LOAD) {
                long until = nextWork >= 0 ? Math.max(s.end(), t.slots().get(nextWork).end()) : s.end();
                delta.merge(s.start(), ins.operand(1), Long::sum);
                delta.merge(until, -ins.operand(1), Long::sum);
            } else if (s != null && ins.op() == io.intbench.isa.Opcode.STORE) {
                long from = prev[pc] >= 0 ? Math.min(s.start(), t.slots().get(prev[pc]).start()) : s.start();
                delta.merge(from, ins.operand(1), Long::sum);
                delta.merge(s.end(), -ins.operand(1), Long::sum);
            }
        }
        return delta;
    }

    private static boolean isWork(Program p, Timing.Result t, int pc) {
        Timing.Slot s = t.slots().get(pc);
        io.intbench.isa.Unit u = p.code().get(pc).op().unit();
        return s != null && s.end() > s.start() && (u == io.intbench.isa.Unit.ARRAY || u == io.intbench.isa.Unit.VECTOR);
    }

    static Map<String, Object> trace(Program p, HardwareConfig cfg) {
        Timing.Result t = Timing.run(p, cfg);
        List<Map<String, Object>> events = new ArrayList<>();
        int tid = 0;
        for (io.intbench.isa.Unit u : io.intbench.isa.Unit.values()) {
            events.add(Map.of("name", "thread_name", "ph", "M", "pid", 1, "tid", tid++, "args", Map.of("name", u.name())));
        }
        java.util.TreeMap<Long, Long> bw = new java.util.TreeMap<>();
        for (int pc = 0; pc < t.slots().size(); pc++) {
            Timing.Slot s = t.slots().get(pc);
            if (s == null) {
                continue;
            }
            io.intbench.isa.Instruction ins = p.code().get(pc);
            int layer = p.pcLayer()[pc];
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", (layer >= 0 ? p.layers().get(layer).name() + " " : "") + ins.op().name());
            e.put("cat", ins.op().unit().name());
            e.put("ph", "X");
            e.put("ts", s.start());
            e.put("dur", s.end() - s.start());
            e.put("pid", 1);
            e.put("tid", ins.op().unit().ordinal());
            e.put("args", Map.of("pc", pc, "tokenWaitCycles", s.tokenWait(), "portWaitCycles", s.portWait(),
                    "bankWaitCycles", s.bankWait()));
            events.add(e);
            if ((ins.op() == io.intbench.isa.Opcode.LOAD || ins.op() == io.intbench.isa.Opcode.STORE) && s.end() > s.start()) {
                long rate = Math.min(cfg.dram().bytesPerCycle(), Math.max(1, ins.operand(1) / (s.end() - s.start())));
                bw.merge(s.start(), rate, Long::sum);
                bw.merge(s.end(), -rate, Long::sum);
            }
        }
        long level = 0;
        for (Map.Entry<Long, Long> b : bw.entrySet()) {
            level += b.getValue();
            events.add(Map.of("name", "DRAM bytes/cycle", "ph", "C", "ts", b.getKey(), "pid", 1, "args", Map.of("bytesPerCycle", level)));
        }
        long occupied = 0;
        for (Map.Entry<Long, Long> b : scratchpadOccupancy(p, t).entrySet()) {
            occupied += b.getValue();
            events.add(Map.of("name", "scratchpad bytes", "ph", "C", "ts", b.getKey(), "pid", 1, "args", Map.of("bytes", occupied)));
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("traceEvents", events);
        root.put("displayTimeUnit", "ns");
        root.put("otherData", Map.of("model", p.modelName(), "config", cfg.name(), "unit", "1 us in the viewer = 1 cycle"));
        return root;
    }
}
