package io.intbench.golden;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.Instruction;
import io.intbench.isa.Program;
import io.intbench.isa.TensorDesc;
import io.intbench.sim.Simulator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles a model, simulates it, runs the same model and input in ONNX Runtime (with default
 * optimisations and with optimisations off) and compares every quantized tensor element by element.
 */
public final class Golden {
    public static final String ORT_OPTIMIZED = "ort-optimized";
    public static final String ORT_UNOPTIMIZED = "ort-unoptimized";
    /** Each layer run on ONNX Runtime's own (optimised) input tensors: the error a layer adds, without what it inherits. */
    public static final String ORT_PER_LAYER = "ort-optimized-per-layer";

    private Golden() { }

    /** Everything a golden run produced. */
    public record Result(Compiler.Result compiled, Simulator.Run sim, Map<String, HostTensor> ortOptimized,
                         Map<String, HostTensor> ortUnoptimized, GoldenReport report, boolean pass,
                         Map<String, HostTensor> inputs) { }

    /**
     * Default tolerance in LSB: 0 in ort mode (bit-exact end to end), 1 in fixed-point mode, judged per
     * layer on ONNX Runtime's inputs (gemmlowp's rounding differs by one step on some outputs, and that
     * difference compounds from layer to layer, so end to end it is reported but not judged).
     */
    public static int defaultTolerance(RequantMode mode) {
        return mode == RequantMode.ORT ? 0 : 1;
    }

    /**
     * @param inputs the model's inputs by ONNX input name (float for float inputs); null for the seeded random input
     */
    public static Result run(Compiler.Result c, HardwareConfig cfg, Map<String, HostTensor> inputs, long seed,
                             int toleranceLsb, int threads) {
        return run(c, cfg, inputs, seed, toleranceLsb, threads, null);
    }

    /** The steps {@code onStep} counts: simulation, ORT optimised, ORT unoptimised, per-layer run. */
    public static final int STEPS = 4;

    /**
     * As {@link #run(Compiler.Result, HardwareConfig, Map, long, int, int)}, calling {@code onStep} (a progress
     * bar; may be null) after each of the {@link #STEPS}.
     */
    public static Result run(Compiler.Result c, HardwareConfig cfg, Map<String, HostTensor> inputs, long seed,
                             int toleranceLsb, int threads, Runnable onStep) {
        Runnable tick = onStep != null ? onStep : () -> { };
        Program p = c.program();
        Map<String, HostTensor> in = inputs != null ? inputs : Simulator.randomInputs(p, seed);
        Simulator.Run sim = Simulator.run(p, cfg, in);
        tick.run();

        Map<String, HostTensor> optimized;
        Map<String, HostTensor> unoptimized;
        try (OrtReference r = OrtReference.open(c, true, threads)) {
            optimized = r.run(in);
        }
        tick.run();
        try (OrtReference r = OrtReference.open(c, false, threads)) {
            unoptimized = r.run(in);
        }
        tick.run();
        Map<String, HostTensor> perLayer = perLayer(p, in, optimized);
        tick.run();
        Map<String, String> floatInOrt = c.qmodel().floatInOrt();
        Map<String, HostTensor> simAll = new LinkedHashMap<>(sim.tensors());
        sim.outputs().forEach(simAll::putIfAbsent);
        List<GoldenReport.Comparison> comps = List.of(compare(ORT_OPTIMIZED, p, simAll, optimized, floatInOrt),
                compare(ORT_UNOPTIMIZED, p, simAll, unoptimized, floatInOrt),
                compare(ORT_PER_LAYER, p, perLayer, optimized, floatInOrt));
        GoldenReport report = new GoldenReport(p.modelName(), p.requantModeName(), toleranceLsb,
                new GoldenReport.Reference("onnxruntime", OrtRunner.version(), HostInfo.cpuModel()),
                sim.report(), comps, noFloat(p));
        boolean pass = judge(c.qmodel(), mode(p), comps.get(0), comps.get(2), toleranceLsb);
        return new Result(c, sim, optimized, unoptimized, report, pass, in);
    }

    /**
     * The verdict. ort mode must agree end to end, within {@code toleranceLsb}; fixed-point mode is judged per layer
     * (its ±1 LSB compounds through the network). Tensors of groups ONNX Runtime computes in float
     * ({@link io.intbench.compiler.qir.QModel#floatInOrt}) may differ by 1 LSB (ORT's float rounding at near-ties),
     * and every tensor downstream of one that does differ is judged on ORT's own inputs (per layer), so that an
     * inherited difference does not count against a layer that is itself exact.
     */
    static boolean judge(io.intbench.compiler.qir.QModel qm, RequantMode mode, GoldenReport.Comparison endToEnd,
                         GoldenReport.Comparison perLayer, int toleranceLsb) {
        java.util.Set<String> differing = new java.util.HashSet<>();
        for (GoldenReport.TensorComparison tc : endToEnd.tensors()) {
            if (tc.inFloatGroup() && tc.exact() != tc.elements()) {
                differing.add(tc.name());
            }
        }
        // tensors computed from a differing float-in-ORT tensor, through any chain of ops (views included)
        java.util.Set<String> inherits = new java.util.HashSet<>();
        for (io.intbench.compiler.qir.QOp op : qm.ops()) {
            for (io.intbench.compiler.qir.QTensor t : op.inputs()) {
                if (differing.contains(t.name()) || inherits.contains(t.name())) {
                    inherits.add(op.out().name());
                }
            }
        }
        Map<String, GoldenReport.TensorComparison> layer = new java.util.HashMap<>();
        for (GoldenReport.TensorComparison tc : perLayer.tensors()) {
            layer.put(tc.name(), tc);
        }
        boolean pass = !endToEnd.tensors().isEmpty();
        for (GoldenReport.TensorComparison tc : endToEnd.tensors()) {
            GoldenReport.TensorComparison judged = mode != RequantMode.ORT || inherits.contains(tc.name())
                    ? layer.getOrDefault(tc.name(), tc) : tc;
            int tolerance = tc.inFloatGroup() ? Math.max(1, toleranceLsb) : toleranceLsb;
            pass &= judged.maxAbsDiffLsb() <= tolerance;
        }
        return pass;
    }

    static RequantMode mode(Program p) {
        return p.requantMode() == RequantMode.ORT.code() ? RequantMode.ORT : RequantMode.FIXED_POINT;
    }

    /**
     * Runs the program instruction by instruction, and before each compute instruction overwrites its
     * input tensors with ONNX Runtime's values (teacher forcing), so every layer starts from the
     * reference and its output shows only the difference it adds itself.
     */
    static Map<String, HostTensor> perLayer(Program p, Map<String, HostTensor> inputs, Map<String, HostTensor> ort) {
        byte[] dram = Simulator.prepare(p, inputs);
        java.util.TreeMap<Integer, TensorDesc> byAddr = new java.util.TreeMap<>();
        for (TensorDesc t : p.tensors()) {
            if (t.role() != TensorDesc.Role.INPUT && ort.containsKey(t.name())) {
                byAddr.putIfAbsent(t.addr(), t);
            }
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (int pc = 0; pc < p.code().size(); pc++) {
            Instruction i = p.code().get(pc);
            io.intbench.isa.Unit u = i.op().unit();
            if (u == io.intbench.isa.Unit.ARRAY || u == io.intbench.isa.Unit.VECTOR) {
                // operands may point inside a tensor (one batch slice of a MATMUL): force the tensor holding them
                for (int addr : i.op() == io.intbench.isa.Opcode.ELTWISE || i.op() == io.intbench.isa.Opcode.MATMUL
                        ? new int[] {i.a(), i.b()} : new int[] {i.a()}) {
                    TensorDesc t = containing(byAddr, addr);
                    if (t != null) {
                        byte[] ref = ort.get(t.name()).data();
                        System.arraycopy(ref, 0, dram, t.addr(), ref.length);
                    }
                }
            }
            if (!io.intbench.sim.Executor.step(p, dram, pc)) {
                break;
            }
            if (u == io.intbench.isa.Unit.ARRAY || u == io.intbench.isa.Unit.VECTOR) {
                // read the result now: a later layer's teacher forcing overwrites it with ONNX Runtime's value
                // (a tensor written by several instructions is read again after each; the last read is complete)
                for (TensorDesc t : p.tensors()) {
                    if (i.c() >= t.addr() && i.c() < t.addr() + Math.max(1, t.elements()) && t.role() != TensorDesc.Role.INPUT) {
                        out.put(t.name(), Simulator.read(dram, t));
                    }
                }
            }
        }
        // views (Reshape, Flatten, Cast) are never computed: they read as the storage they share
        for (TensorDesc t : p.tensors()) {
            out.putIfAbsent(t.name(), Simulator.read(dram, t));
        }
        return out;
    }

    /** The tensor whose storage holds byte {@code addr}, or null. */
    private static TensorDesc containing(java.util.TreeMap<Integer, TensorDesc> byAddr, int addr) {
        Map.Entry<Integer, TensorDesc> e = byAddr.floorEntry(addr);
        return e != null && addr < e.getKey() + Math.max(1, e.getValue().elements()) ? e.getValue() : null;
    }

    static GoldenReport.Comparison compare(String reference, Program p, Map<String, HostTensor> sim, Map<String, HostTensor> ort,
                                           Map<String, String> floatInOrt) {
        List<GoldenReport.TensorComparison> list = new ArrayList<>();
        long elements = 0;
        long exact = 0;
        long maxDiff = 0;
        long fTensors = 0;
        long fElements = 0;
        long fMismatches = 0;
        long fMax = 0;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (TensorDesc t : p.tensors()) {
            if (t.role() == TensorDesc.Role.INPUT || !seen.add(t.name())) {
                continue;
            }
            HostTensor mine = sim.get(t.name());
            HostTensor ref = ort.get(t.name());
            GoldenReport.TensorComparison tc = compareTensor(t.name(), mine, ref);
            String reason = floatInOrt.get(t.name());
            if (reason != null) {
                tc = tc.floatInOrt(reason);
                fTensors++;
                fElements += tc.elements();
                fMismatches += tc.mismatches();
                fMax = Math.max(fMax, tc.maxAbsDiffLsb());
            }
            list.add(tc);
            elements += tc.elements();
            exact += tc.exact();
            maxDiff = Math.max(maxDiff, tc.maxAbsDiffLsb());
        }
        // a float output with a host epilogue (DQ + bias) is compared as float32, where the maps hold it
        for (TensorDesc t : p.tensors(TensorDesc.Role.OUTPUT)) {
            if (t.epilogueBias().length > 0 && sim.containsKey(t.onnxName()) && seen.add(t.onnxName())) {
                GoldenReport.TensorComparison tc = compareFloat(t.onnxName(), sim.get(t.onnxName()), ort.get(t.onnxName()),
                        t.scales());
                list.add(tc);
                elements += tc.elements();
                exact += tc.exact();
                maxDiff = Math.max(maxDiff, tc.maxAbsDiffLsb());
            }
        }
        return new GoldenReport.Comparison(reference, new GoldenReport.Totals(list.size(), elements, exact, maxDiff,
                elements - exact, GoldenReport.rate(elements - exact, elements), fTensors, fElements, fMismatches,
                GoldenReport.rate(fMismatches, fElements), fMax), list);
    }

    static GoldenReport.TensorComparison compareTensor(String name, HostTensor mine, HostTensor ref) {
        if (ref == null) {
            return new GoldenReport.TensorComparison(name, mine.dtype().name().toLowerCase(), mine.elements(), 0,
                    Long.MAX_VALUE, 0, "ONNX Runtime did not return this tensor");
        }
        if (ref.dtype() != mine.dtype() || ref.elements() != mine.elements()) {
            return new GoldenReport.TensorComparison(name, mine.dtype().name().toLowerCase(), mine.elements(), 0,
                    Long.MAX_VALUE, 0, "ONNX Runtime returned " + ref.dtype() + java.util.Arrays.toString(ref.shape())
                    + ", the simulator " + mine.dtype() + java.util.Arrays.toString(mine.shape()));
        }
        int n = Math.toIntExact(mine.elements());
        long exact = 0;
        long maxDiff = 0;
        long first = -1;
        for (int i = 0; i < n; i++) {
            long d = Math.abs((long) mine.getInt(i) - ref.getInt(i));
            if (d == 0) {
                exact++;
            } else if (first < 0) {
                first = i;
            }
            maxDiff = Math.max(maxDiff, d);
        }
        return new GoldenReport.TensorComparison(name, mine.dtype().name().toLowerCase(), n, exact, maxDiff, first, "");
    }

    /**
     * A float output after a host epilogue (DequantizeLinear, then + bias): exact means bit-identical; a difference
     * is counted in steps of the output's quantization scale, rounded up (so any difference counts at least 1 LSB).
     */
    static GoldenReport.TensorComparison compareFloat(String name, HostTensor mine, HostTensor ref, float[] scales) {
        if (ref == null || ref.dtype() != DType.FLOAT32 || ref.elements() != mine.elements()) {
            return compareTensor(name, mine, ref);
        }
        float step = scales[0];
        for (float sc : scales) {
            step = Math.min(step, sc);
        }
        int n = Math.toIntExact(mine.elements());
        long exact = 0;
        long maxDiff = 0;
        long first = -1;
        for (int i = 0; i < n; i++) {
            float a = mine.getFloat(i);
            float b = ref.getFloat(i);
            if (Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b)) {
                exact++;
                continue;
            }
            if (first < 0) {
                first = i;
            }
            maxDiff = Math.max(maxDiff, Math.max(1, (long) Math.ceil(Math.abs((double) a - b) / step)));
        }
        return new GoldenReport.TensorComparison(name, "float32", n, exact, maxDiff, first, "");
    }

    /** The no-float audit of a compiled program, from {@link ProgramAudit}: never hard-coded. */
    static GoldenReport.NoFloat noFloat(Program p) {
        return ProgramAudit.audit(p).noFloat();
    }

    /** A short text table of the comparisons. */
    public static String table(GoldenReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-24s %8s %12s %12s %10s%n", "reference", "tensors", "elements", "exact", "max diff"));
        for (GoldenReport.Comparison c : r.comparisons()) {
            GoldenReport.Totals t = c.totals();
            sb.append(String.format("%-24s %8d %12d %12d %10s%n", c.reference(), t.tensors(), t.elements(), t.exact(),
                    t.maxAbsDiffLsb() == Long.MAX_VALUE ? "n/a" : t.maxAbsDiffLsb() + " LSB"));
        }
        GoldenReport.Comparison opt = r.comparisons().get(0);
        GoldenReport.Totals ot = opt.totals();
        if (ot.floatInOrtTensors() > 0) {
            sb.append(String.format(java.util.Locale.ROOT, "float in ORT (judged within 1 LSB, vs %s): %d tensors, %d elements,"
                    + " %d differ (rate %.3g), max %d LSB; the other %d tensors must agree exactly%n", opt.reference(),
                    ot.floatInOrtTensors(), ot.floatInOrtElements(), ot.floatInOrtMismatches(), ot.floatInOrtMismatchRate(),
                    ot.floatInOrtMaxAbsDiffLsb(), ot.tensors() - ot.floatInOrtTensors()));
        }
        int shown = 0;
        for (GoldenReport.TensorComparison tc : opt.tensors()) {
            if (tc.exact() != tc.elements() && shown++ < 10) {
                sb.append(String.format(java.util.Locale.ROOT, "  differs vs %s: %s: %d of %d elements (rate %.3g), max %s LSB,"
                                + " first at index %d%s %s%n", opt.reference(), tc.name(), tc.mismatches(), tc.elements(),
                        tc.mismatchRate(), tc.maxAbsDiffLsb() == Long.MAX_VALUE ? "n/a" : String.valueOf(tc.maxAbsDiffLsb()),
                        tc.firstDiffIndex(), tc.inFloatGroup() ? " [float in ORT: " + tc.floatInOrt() + "]" : "", tc.note()));
            }
        }
        return sb.toString();
    }
}
