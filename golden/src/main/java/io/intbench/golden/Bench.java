package io.intbench.golden;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.intbench.compiler.Compiler;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.Program;
import io.intbench.isa.ProgramFile;
import io.intbench.sim.SimReport;
import io.intbench.sim.Simulator;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The simulator speed benchmark (issue 6): in one process and for the same input, after warm-up, times
 * ONNX Runtime running the model, the simulator's full run (functional and timing, {@link Simulator#run})
 * and the timing model alone ({@link Simulator#timingOnly}), and the compiler; reports medians, their
 * ratio (simulator / ORT), simulated MACs and cycles per host second and peak heap.
 *
 * <p>Why medians of interleaved iterations: the machines this runs on are shared, and a neighbour's
 * burst lands on whichever measurement runs at that moment; interleaving ORT, simulator and timing-only
 * in each iteration spreads such bursts over all three, and the median drops the outliers.
 *
 * <p>{@code threads} sets both ONNX Runtime's intra-op threads and the simulator's (it splits output
 * channels over a fixed partition, so results are identical at every thread count);
 * {@link Result#simThreads()} says how many the simulator used. Every iteration's simulated tensors
 * and cycle count are compared with the first's, so the benchmark also checks that the simulator is
 * deterministic.
 */
public final class Bench {
    private Bench() { }

    /**
     * How to measure.
     *
     * @param threads    ONNX Runtime intra-op threads and simulator threads
     * @param iterations timed iterations of each of ORT, full simulation and timing-only (median reported)
     * @param warmup     untimed iterations of each (and compiles) first, so the JIT has compiled the hot code
     * @param compiles   timed compiles after warm-up (median reported), besides the first (cold) one
     * @param seed       seed of the random input used when no input is given
     */
    public record Options(int threads, int iterations, int warmup, int compiles, long seed) {
        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
            }
            if (iterations < 1) {
                throw new IllegalArgumentException("--iterations must be >= 1, got " + iterations);
            }
            if (warmup < 0) {
                throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
            }
            if (compiles < 1) {
                throw new IllegalArgumentException("--compiles must be >= 1, got " + compiles);
            }
        }

        /** One thread, 5 iterations, 2 warm-up rounds, 3 timed compiles, seed 1. */
        public static Options defaults() {
            return new Options(1, 5, 2, 3, 1);
        }
    }

    /**
     * The figures of one benchmark run. Times are host wall-clock milliseconds.
     *
     * @param ortMs               median time of one ONNX Runtime inference (default optimisations)
     * @param simMs               median time of one full simulation (quantize input, integer program, timing model, read outputs)
     * @param ratio               {@code simMs / ortMs}: below 1 the simulator is faster than ORT
     * @param timingOnlyMs        median time of the timing model alone
     * @param timingOnlySpeedup   {@code simMs / timingOnlyMs}
     * @param ortMinMs            the fastest ORT iteration (on a shared machine, the least disturbed one)
     * @param simMinMs            the fastest full simulation
     * @param ortCpuMs            median CPU time of one ORT inference on the calling thread, where ORT does all
     *                            its work with one intra-op thread; -1 with more threads or without a thread clock
     * @param simCpuMs            median CPU time of one full simulation (the simulator runs on the calling
     *                            thread; GC threads not counted); -1 as above
     * @param cpuRatio            {@code simCpuMs / ortCpuMs}: the ratio by CPU time, which other processes on
     *                            a loaded machine disturb much less than wall-clock time; -1 as above
     * @param macs                multiply-accumulates of the program (from the timing model's layer table)
     * @param cycles              simulated cycles of one inference
     * @param simMacsPerSecond    {@code macs / (simMs / 1000)}: simulated MACs per host second
     * @param simCyclesPerSecond  {@code cycles / (simMs / 1000)}: simulated cycles per host second
     * @param compileMs           median compile time (ONNX file to program) after warm-up
     * @param coldCompileMs       the first compile in this process (JIT cold)
     * @param peakHeapBytes       sum of the peak usages of the heap memory pools during the timed ORT and
     *                            simulation iterations (peaks reset after warm-up and a GC; pools peak at
     *                            different moments, so this is an upper bound of the peak heap)
     * @param deterministic       every iteration's simulated tensors and cycle count equal the first's, and
     *                            timing-only's cycle count equals the full run's
     * @param outputsEqualOrt     the simulator's model outputs equal ONNX Runtime's bit for bit (expected in
     *                            {@code ort} requantization mode; informative only)
     * @param threads             ONNX Runtime intra-op threads
     * @param simThreads          threads the simulator used
     * @param simKernels          which kernels the simulator ran ({@link io.intbench.sim.Simd#describe()}): the
     *                            Vector API tiles or the scalar loops
     */
    public record Result(String model, String config, String requant, int threads, int simThreads, int iterations, int warmup,
                         double ortMs, double simMs, double ratio, double timingOnlyMs, double timingOnlySpeedup,
                         double ortMinMs, double simMinMs, double ortCpuMs, double simCpuMs, double cpuRatio,
                         long macs, long cycles, double simMacsPerSecond, double simCyclesPerSecond,
                         double compileMs, double coldCompileMs, long peakHeapBytes, long maxHeapBytes,
                         boolean deterministic, boolean outputsEqualOrt,
                         String cpu, String jvm, String ortVersion, String simKernels,
                         List<Double> ortSamplesMs, List<Double> simSamplesMs, List<Double> timingOnlySamplesMs,
                         List<Double> compileSamplesMs) {

        /** The report as an ordered map (the keys of {@code --report}). */
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", model);
            m.put("config", config);
            m.put("requant", requant);
            m.put("cpu", cpu);
            m.put("jvm", jvm);
            m.put("simKernels", simKernels);
            m.put("ortVersion", ortVersion);
            m.put("threads", threads);
            m.put("simThreads", simThreads);
            m.put("iterations", iterations);
            m.put("warmup", warmup);
            m.put("ortMs", ortMs);
            m.put("simMs", simMs);
            m.put("ratio", ratio);
            m.put("timingOnlyMs", timingOnlyMs);
            m.put("timingOnlySpeedup", timingOnlySpeedup);
            m.put("ortMinMs", ortMinMs);
            m.put("simMinMs", simMinMs);
            m.put("ortCpuMs", ortCpuMs);
            m.put("simCpuMs", simCpuMs);
            m.put("cpuRatio", cpuRatio);
            m.put("macs", macs);
            m.put("cycles", cycles);
            m.put("simMacsPerSecond", simMacsPerSecond);
            m.put("simCyclesPerSecond", simCyclesPerSecond);
            m.put("compileMs", compileMs);
            m.put("coldCompileMs", coldCompileMs);
            m.put("peakHeapBytes", peakHeapBytes);
            m.put("maxHeapBytes", maxHeapBytes);
            m.put("deterministic", deterministic);
            m.put("outputsEqualOrt", outputsEqualOrt);
            Map<String, Object> samples = new LinkedHashMap<>();
            samples.put("ortMs", ortSamplesMs);
            samples.put("simMs", simSamplesMs);
            samples.put("timingOnlyMs", timingOnlySamplesMs);
            samples.put("compileMs", compileSamplesMs);
            m.put("samples", samples);
            return m;
        }

        /** The figures as text for the terminal. */
        public String text() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("model %s on %s, requant %s; %,d MACs, %,d cycles per inference%n", model, config, requant, macs, cycles));
            sb.append(String.format("host: %s; Java %s; ONNX Runtime %s%n", cpu, jvm, ortVersion));
            sb.append(String.format("simulator kernels: %s%n", simKernels));
            sb.append(String.format("threads: ONNX Runtime %d, simulator %d; %d warm-up + %d timed iterations (medians)%n",
                    threads, simThreads, warmup, iterations));
            sb.append(String.format("  %-34s %12.3f ms   (fastest %.3f ms; CPU %s)%n", "ONNX Runtime (default opts)", ortMs, ortMinMs, cpu(ortCpuMs)));
            sb.append(String.format("  %-34s %12.3f ms   (fastest %.3f ms; CPU %s)%n", "simulator (functional + timing)", simMs, simMinMs, cpu(simCpuMs)));
            sb.append(String.format("  %-34s %12.3f   (simulator / ORT; by CPU time %s)%n", "ratio", ratio,
                    cpuRatio < 0 ? "n/a" : String.format("%.3f", cpuRatio)));
            sb.append(String.format("  %-34s %12.3f ms   (%.1fx faster than the full run)%n", "timing only", timingOnlyMs, timingOnlySpeedup));
            sb.append(String.format("  %-34s %12.4g%n", "simulated MACs per host second", simMacsPerSecond));
            sb.append(String.format("  %-34s %12.4g%n", "simulated cycles per host second", simCyclesPerSecond));
            sb.append(String.format("  %-34s %12.3f ms   (first, cold: %.3f ms)%n", "compile", compileMs, coldCompileMs));
            sb.append(String.format("  %-34s %12.1f MiB  (max heap %.0f MiB)%n", "peak heap", peakHeapBytes / 1048576.0,
                    maxHeapBytes / 1048576.0));
            sb.append(String.format("determinism: %s%n", deterministic
                    ? "the simulated tensors and cycle counts of all " + (iterations + warmup) + " runs are identical"
                    : "DIFFERENT simulated results between runs"));
            sb.append(String.format("outputs vs ONNX Runtime: %s%n", outputsEqualOrt ? "identical" : "different (expected only in fixed-point mode)"));
            return sb.toString();
        }

        private static String cpu(double ms) {
            return ms < 0 ? "n/a" : String.format("%.3f ms", ms);
        }
    }

    /**
     * Runs the benchmark.
     *
     * @param model  the ONNX file
     * @param cfg    the hardware config
     * @param co     compiler options
     * @param inputs the model's inputs for a compiled program (by ONNX input name, float for float inputs),
     *               or null for the seeded random input
     * @param o      how to measure
     */
    public static Result run(Path model, HardwareConfig cfg, Compiler.Options co,
                             Function<Program, Map<String, HostTensor>> inputs, Options o) {
        return run(model, cfg, co, inputs, o, null);
    }

    /** The steps {@code onStep} counts: the first compile, the warm-up and timed compiles, the warm-up and timed iterations. */
    public static int steps(Options o) {
        return 1 + o.warmup() + o.compiles() + o.warmup() + o.iterations();
    }

    /**
     * As {@link #run(Path, HardwareConfig, Compiler.Options, Function, Options)}, calling {@code onStep} (a progress
     * bar; may be null) after each of the {@link #steps} steps, outside the timed regions.
     */
    public static Result run(Path model, HardwareConfig cfg, Compiler.Options co,
                             Function<Program, Map<String, HostTensor>> inputs, Options o, Runnable onStep) {
        // the simulator splits output channels over the same number of threads as ONNX Runtime uses
        int before = io.intbench.sim.Parallel.threads();
        io.intbench.sim.Parallel.setThreads(o.threads());
        try {
            return measure(model, cfg, co, inputs, o, onStep != null ? onStep : () -> { });
        } finally {
            io.intbench.sim.Parallel.setThreads(before);
        }
    }

    private static Result measure(Path model, HardwareConfig cfg, Compiler.Options co,
                                  Function<Program, Map<String, HostTensor>> inputs, Options o, Runnable tick) {
        // the first compile in the process: what a user waits for after JVM start
        long t0 = System.nanoTime();
        Compiler.Result compiled = Compiler.compile(model, cfg, co);
        double coldCompileMs = ms(t0);
        tick.run();
        Program p = compiled.program();
        Map<String, HostTensor> in = inputs != null ? inputs.apply(p) : Simulator.randomInputs(p, o.seed());
        byte[] modelBytes = compiled.model().toByteArray();   // external data already inlined by the loader

        for (int i = 0; i < o.warmup(); i++) {
            Compiler.compile(model, cfg, co);
            tick.run();
        }
        List<Double> compileSamples = new ArrayList<>();
        for (int i = 0; i < o.compiles(); i++) {
            long c0 = System.nanoTime();
            Compiler.compile(model, cfg, co);
            compileSamples.add(ms(c0));
            tick.run();
        }

        List<Double> ortSamples = new ArrayList<>();
        List<Double> simSamples = new ArrayList<>();
        List<Double> timingSamples = new ArrayList<>();
        List<Double> ortCpu = new ArrayList<>();
        List<Double> simCpu = new ArrayList<>();
        Simulator.Run first = null;
        boolean deterministic = true;
        Map<String, HostTensor> ortOut = null;
        long peakHeap;
        try (OrtRunner ort = OrtRunner.open(modelBytes, true, o.threads())) {
            long simWarmupNanos = 0;
            for (int i = 0; i < o.warmup(); i++) {
                ortOut = ort.run(in);
                long w = System.nanoTime();
                Simulator.Run r = Simulator.run(p, cfg, in);
                simWarmupNanos += System.nanoTime() - w;
                if (first == null) {
                    first = r;
                } else {
                    deterministic &= same(first, r);
                }
                tick.run();
            }
            // the timing model alone is warmed up as long as the full run was (at least as many runs): its
            // runs are tens of times shorter, and the JIT compiles code by how often it ran
            long w0 = System.nanoTime();
            for (int i = 0; i < o.warmup() || (System.nanoTime() - w0 < simWarmupNanos && i < 100_000); i++) {
                deterministic &= Simulator.timingOnly(p, cfg).totals().cycles() == first.report().totals().cycles();
            }
            // the retained state (program, model, first run) stays; warm-up and compile garbage goes
            System.gc();
            List<MemoryPoolMXBean> heap = heapPools();
            heap.forEach(MemoryPoolMXBean::resetPeakUsage);
            // ORT's timed runs first, then the simulator's: with two or more threads ORT's pool threads spin
            // for a while after each run, and interleaved they would take the simulator's cores
            for (int i = 0; i < o.iterations(); i++) {
                long ac = threadCpuNanos();
                long a = System.nanoTime();
                ortOut = ort.run(in);
                ortSamples.add(ms(a));
                ortCpu.add((threadCpuNanos() - ac) / 1e6);
            }
            for (int i = 0; i < o.iterations(); i++) {
                long bc = threadCpuNanos();
                long b = System.nanoTime();
                Simulator.Run r = Simulator.run(p, cfg, in);
                simSamples.add(ms(b));
                simCpu.add((threadCpuNanos() - bc) / 1e6);
                if (first == null) {
                    first = r;
                } else {
                    deterministic &= same(first, r);
                }
                tick.run();
            }
            // the timing model alone, run after run as a sweep over configurations runs it
            for (int i = 0; i < o.iterations(); i++) {
                long c = System.nanoTime();
                SimReport t = Simulator.timingOnly(p, cfg);
                timingSamples.add(ms(c));
                deterministic &= t.totals().cycles() == first.report().totals().cycles();
            }
            peakHeap = heap.stream().mapToLong(m -> m.getPeakUsage().getUsed()).sum();
        }

        double ortMs = median(ortSamples);
        double simMs = median(simSamples);
        double timingMs = median(timingSamples);
        // with more than one intra-op thread ORT works on its own pool's threads too, which the calling
        // thread's clock does not see: no CPU-time figures then
        boolean cpuKnown = threadCpuNanos() >= 0 && o.threads() == 1;
        double ortCpuMs = median(ortCpu);
        double simCpuMs = median(simCpu);
        SimReport.Totals tot = first.report().totals();
        long maxHeap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();
        return new Result(p.modelName(), cfg.name(), p.requantModeName(), o.threads(), o.threads(),
                o.iterations(), o.warmup(),
                ortMs, simMs, simMs / ortMs, timingMs, simMs / timingMs,
                min(ortSamples), min(simSamples), cpuKnown ? ortCpuMs : -1, cpuKnown ? simCpuMs : -1,
                cpuKnown && ortCpuMs > 0 ? simCpuMs / ortCpuMs : -1,
                tot.macs(), tot.cycles(), tot.macs() / (simMs / 1e3), tot.cycles() / (simMs / 1e3),
                median(compileSamples), coldCompileMs, peakHeap, maxHeap,
                deterministic, equalOutputs(first.outputs(), ortOut),
                HostInfo.cpuModel(), HostInfo.javaVersion(), OrtRunner.version(), io.intbench.sim.Simd.describe(),
                List.copyOf(ortSamples), List.copyOf(simSamples), List.copyOf(timingSamples), List.copyOf(compileSamples));
    }

    /** Writes {@link Result#json()} to {@code file} atomically (temporary file, then rename). */
    public static void writeReport(Result r, Path file) {
        try {
            ProgramFile.writeAtomically(file, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(r.json()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not serialise the benchmark report", e);
        }
    }

    /** The median; the mean of the two middle values for an even count. */
    static double median(List<Double> xs) {
        if (xs.isEmpty()) {
            throw new IllegalArgumentException("median of no samples");
        }
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    /**
     * CPU time of the calling thread in ns, or -1 where the JVM cannot tell. The simulator runs on the
     * calling thread, and so does ONNX Runtime with one intra-op thread (no thread pool), so for those this
     * is their whole CPU time, which neighbours on a loaded machine disturb far less than wall-clock time.
     */
    private static long threadCpuNanos() {
        ThreadMXBean t = ManagementFactory.getThreadMXBean();
        return t.isCurrentThreadCpuTimeSupported() ? t.getCurrentThreadCpuTime() : -1;
    }

    private static double ms(long t0) {
        // a clock that did not advance (coarse timers) would make ratios infinite: count at least 1 ns
        return Math.max(1, System.nanoTime() - t0) / 1e6;
    }

    private static List<MemoryPoolMXBean> heapPools() {
        List<MemoryPoolMXBean> out = new ArrayList<>();
        for (MemoryPoolMXBean m : ManagementFactory.getMemoryPoolMXBeans()) {
            if (m.getType() == MemoryType.HEAP && m.isValid()) {
                out.add(m);
            }
        }
        if (out.isEmpty()) {
            throw new IntbenchException("the JVM reports no heap memory pools; cannot measure peak heap");
        }
        return out;
    }

    /** Same cycle count and the same bytes in every host-visible tensor. */
    static boolean same(Simulator.Run a, Simulator.Run b) {
        if (a.report().totals().cycles() != b.report().totals().cycles() || !a.tensors().keySet().equals(b.tensors().keySet())) {
            return false;
        }
        for (Map.Entry<String, HostTensor> e : a.tensors().entrySet()) {
            HostTensor x = e.getValue();
            HostTensor y = b.tensors().get(e.getKey());
            if (x.dtype() != y.dtype() || !Arrays.equals(x.shape(), y.shape()) || !Arrays.equals(x.data(), y.data())) {
                return false;
            }
        }
        return true;
    }

    /** Every simulator output that ORT also returns has the same type, shape and bytes (and there is at least one). */
    static boolean equalOutputs(Map<String, HostTensor> sim, Map<String, HostTensor> ort) {
        int compared = 0;
        for (Map.Entry<String, HostTensor> e : sim.entrySet()) {
            HostTensor y = ort.get(e.getKey());
            if (y == null) {
                continue;
            }
            HostTensor x = e.getValue();
            if (x.dtype() != y.dtype() || !Arrays.equals(x.shape(), y.shape()) || !Arrays.equals(x.data(), y.data())) {
                return false;
            }
            compared++;
        }
        return compared > 0;
    }
}
