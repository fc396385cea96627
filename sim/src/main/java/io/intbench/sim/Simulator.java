package io.intbench.sim;

import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.Program;
import io.intbench.isa.TensorDesc;
import io.intbench.sim.host.Boundary;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs a program from its file alone: the host quantizes the model's float inputs into DRAM (the
 * only floating point, before the program starts), the integer program runs, the timing model
 * replays it, and the host reads (and, for float ONNX outputs, dequantizes) the outputs.
 */
public final class Simulator {
    private Simulator() { }

    /**
     * The result of one run.
     *
     * @param tensors every host-visible quantized tensor (inputs, probes, outputs) by its ONNX name
     * @param outputs the model's outputs by ONNX output name, dequantized where the ONNX output is float
     */
    public record Run(Map<String, HostTensor> tensors, Map<String, HostTensor> outputs, SimReport report) { }

    /** Refuses a program compiled for another configuration, naming both. */
    public static void checkConfig(Program p, HardwareConfig cfg) {
        if (p.configHash() != cfg.hash()) {
            throw new IntbenchException.InvalidProgram("the program was compiled for config '" + p.configName()
                    + String.format("' (hash %016x)", p.configHash()) + " but is being simulated on config '" + cfg.name()
                    + String.format("' (hash %016x)", cfg.hash()) + "; recompile it with --config for this hardware");
        }
    }

    public static Run run(Program p, HardwareConfig cfg, Map<String, HostTensor> inputs) {
        return run(p, cfg, inputs, null);
    }

    /** The steps {@link #run(Program, HardwareConfig, Map, Runnable)} counts: one per instruction, then the timing model. */
    public static long steps(Program p) {
        return p.code().size() + 1L;
    }

    /**
     * As {@link #run(Program, HardwareConfig, Map)}, calling {@code onStep} (a progress bar; may be null) after
     * each instruction and after the timing model: {@link #steps} calls (an early HALT counts the instructions
     * it skips).
     */
    public static Run run(Program p, HardwareConfig cfg, Map<String, HostTensor> inputs, Runnable onStep) {
        checkConfig(p, cfg);
        byte[] dram = writeInputs(p, inputs, reusedDram(p));
        long t0 = System.nanoTime();
        java.util.concurrent.Future<Timing.Result> background = onStep == null ? Parallel.timingInBackground(p, cfg) : null;
        if (onStep == null) {
            Executor.run(p, dram);
        } else {
            boolean more = true;
            for (int pc = 0; pc < p.code().size(); pc++) {
                more = more && Executor.step(p, dram, pc);
                onStep.run();
            }
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        Timing.Result timing = background != null ? Parallel.await(background) : Timing.summary(p, cfg);
        if (onStep != null) {
            onStep.run();
        }
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (TensorDesc t : p.tensors()) {
            tensors.putIfAbsent(t.name(), read(dram, t));
        }
        Map<String, HostTensor> outputs = new LinkedHashMap<>();
        for (TensorDesc t : p.tensors(TensorDesc.Role.OUTPUT)) {
            HostTensor q = read(dram, t);
            if (t.floatBoundary()) {
                HostTensor f = Boundary.dequantize(q, t.scales(), t.zeroPoints(), t.axis());
                outputs.put(t.onnxName(), t.epilogueBias().length == 0 ? f : Boundary.addBias(f, t.epilogueBias()));
            } else {
                outputs.put(t.name(), q);
            }
        }
        return new Run(tensors, outputs, report(p, cfg, timing, ms));
    }

    /**
     * The timing model alone, without the arithmetic (VTA's SkipExec), for fast sweeps. Cycle counts
     * equal a full run's: timing depends only on the program and the config, never on data.
     */
    public static SimReport timingOnly(Program p, HardwareConfig cfg) {
        checkConfig(p, cfg);
        long t0 = System.nanoTime();
        Timing.Result timing = Timing.summary(p, cfg);
        return report(p, cfg, timing, (System.nanoTime() - t0) / 1e6);
    }

    /** Fresh DRAM with the host's (quantized) inputs written in. */
    public static byte[] prepare(Program p, Map<String, HostTensor> inputs) {
        return writeInputs(p, inputs, Executor.newDram(p));
    }

    /**
     * The calling thread's DRAM array of the last {@link #run}, when it has this program's size, made fresh
     * again (the constants image copied in, the rest zeroed: the same bytes as a new array), else a new
     * one. {@link #run} hands no reference to it out (its tensors are copies), so reusing it is safe, and
     * it keeps a run from taking megabytes of fresh memory each time: on a virtual machine whose untouched
     * pages cost a fault each, that halved the speed of repeated runs.
     */
    private static byte[] reusedDram(Program p) {
        byte[] dram = LAST_DRAM.get();
        if (dram == null || dram.length != p.dramSize()) {
            dram = Executor.newDram(p);
            LAST_DRAM.set(dram);
            return dram;
        }
        byte[] image = p.image();
        System.arraycopy(image, 0, dram, 0, image.length);
        Arrays.fill(dram, image.length, dram.length, (byte) 0);
        return dram;
    }

    private static final ThreadLocal<byte[]> LAST_DRAM = new ThreadLocal<>();

    private static byte[] writeInputs(Program p, Map<String, HostTensor> inputs, byte[] dram) {
        for (TensorDesc t : p.tensors(TensorDesc.Role.INPUT)) {
            String key = t.floatBoundary() ? t.onnxName() : t.name();
            HostTensor given = inputs.get(key);
            if (given == null) {
                throw new IntbenchException.InvalidInput("no value for model input '" + key + "'; inputs given: " + inputs.keySet());
            }
            writeInput(dram, t, key, given);
        }
        return dram;
    }

    static SimReport report(Program p, HardwareConfig cfg, Timing.Result timing, double ms) {
        long macs = 0;
        long rd = 0;
        long wr = 0;
        for (SimReport.LayerStats l : timing.layers()) {
            macs += l.macs();
            rd += l.dramReadBytes();
            wr += l.dramWriteBytes();
        }
        double util = timing.totalCycles() == 0 ? 0
                : (double) macs / ((double) timing.totalCycles() * cfg.array().rows() * cfg.array().cols());
        long bound = 0;
        for (SimReport.LayerStats l : timing.layers()) {
            bound += Math.max(l.computeBoundCycles(), l.memoryBoundCycles());
        }
        double ratio = bound == 0 ? 0 : (double) timing.totalCycles() / bound;
        return new SimReport(p.modelName(), cfg.name(), p.requantModeName(),
                new SimReport.Totals(timing.totalCycles(), macs, util, rd, wr, p.code().size(), ms, bound, ratio),
                timing.layers(), timing.counters());
    }

    private static void writeInput(byte[] dram, TensorDesc t, String key, HostTensor given) {
        if (!Arrays.equals(given.shape(), t.shape())) {
            throw new IntbenchException.InvalidInput("input '" + key + "' has shape " + Arrays.toString(given.shape())
                    + " but the model expects " + Arrays.toString(t.shape()));
        }
        HostTensor q;
        if (t.floatBoundary()) {
            if (given.dtype() != DType.FLOAT32) {
                throw new IntbenchException.InvalidInput("input '" + key + "' has type " + given.dtype()
                        + " but the model's input is float32");
            }
            q = Boundary.quantize(given, t.scales(), t.zeroPoints(), t.axis(), t.dtype());
        } else {
            if (given.dtype() != t.dtype()) {
                throw new IntbenchException.InvalidInput("input '" + key + "' has type " + given.dtype()
                        + " but the model's input is " + t.dtype());
            }
            q = given;
        }
        System.arraycopy(q.data(), 0, dram, t.addr(), q.data().length);
    }

    public static HostTensor read(byte[] dram, TensorDesc t) {
        byte[] b = Arrays.copyOfRange(dram, t.addr(), (int) (t.addr() + t.bytes()));
        return new HostTensor(t.dtype(), t.shape().clone(), b);
    }

    /**
     * A deterministic pseudo-random input for every model input: float inputs uniform over the real
     * range their quantization can represent, integer inputs uniform over their codes.
     */
    public static Map<String, HostTensor> randomInputs(Program p, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (TensorDesc t : p.tensors(TensorDesc.Role.INPUT)) {
            int n = Math.toIntExact(t.elements());
            if (t.floatBoundary()) {
                float[] v = new float[n];
                float lo = t.scales()[0] * (t.dtype().qmin() - t.zeroPoints()[0]);
                float hi = t.scales()[0] * (t.dtype().qmax() - t.zeroPoints()[0]);
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (lo + (hi - lo) * r.nextDouble());
                }
                out.put(t.onnxName(), HostTensor.ofFloats(t.shape(), v));
            } else {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) {
                    v[i] = t.dtype().qmin() + r.nextInt(t.dtype().qmax() - t.dtype().qmin() + 1);
                }
                out.put(t.name(), HostTensor.ofInts(t.dtype(), t.shape(), v));
            }
        }
        return out;
    }

    /** The model's input names and shapes, for messages. */
    public static List<TensorDesc> inputs(Program p) {
        return p.tensors(TensorDesc.Role.INPUT);
    }
}
