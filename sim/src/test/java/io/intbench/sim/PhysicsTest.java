package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.testing.ConvSpec;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Program;
import io.intbench.onnx.OnnxProto;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The timing model never contradicts physics, on real models and on a builder model with every kind of
 * tiled layer (conv, pooling, residual add, table, global average pool), over the presets: utilization
 * at most 1; no layer faster than its MACs over the PEs nor than its DRAM bytes over the bandwidth; more
 * DRAM bandwidth, a larger scratchpad or a larger array never makes a model slower; the timing-only mode
 * gives the full run's cycle counts. Expected bounds are computed here from the program and the config,
 * not taken from the simulator's report.
 */
class PhysicsTest {
    record Model(String name, Function<HardwareConfig, Program> compile) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Program file(String file, HardwareConfig cfg) {
        return Compiler.compile(TilingTest.MODELS.resolve(file), cfg, Compiler.Options.defaults()).program();
    }

    /** conv + relu, maxpool, conv, residual add, sigmoid table, global average pool: every layer kind that tiles. */
    static OnnxProto.ModelProto vectorMix() {
        QdqModelBuilder b = QdqModelBuilder.create(11);
        QdqModelBuilder.Act x = b.input("x", 0.02f, 128, 1, 3, 96, 128);
        QdqModelBuilder.Act c = b.conv(x, ConvSpec.of(8, 3, 3).pads(1, 1, 1, 1).relu(true));
        QdqModelBuilder.Act p = b.maxPool(c, 3, 2, 1);
        QdqModelBuilder.Act d = b.conv(p, ConvSpec.of(8, 3, 3).pads(1, 1, 1, 1));
        QdqModelBuilder.Act s = b.floatOp(b.add(p, d), "Sigmoid", new long[] {1, 8, 48, 64});
        b.output(b.globalAveragePool(s), "y");
        return b.build();
    }

    static List<Model> models() {
        OnnxProto.ModelProto mix = vectorMix();
        return List.of(new Model("lenet", cfg -> file("lenet.seed.qdq.onnx", cfg)),
                new Model("mobilenetv2", cfg -> file("mobilenetv2-12-int8.onnx", cfg)),
                new Model("vector-mix", cfg -> Compiler.compile(mix, "vector-mix", cfg, Compiler.Options.defaults()).program()));
    }

    static Stream<Arguments> modelsOnPresets() {
        List<Arguments> out = new ArrayList<>();
        for (Model m : models()) {
            for (String preset : HardwareConfig.presetNames()) {
                out.add(Arguments.of(m, preset));
            }
        }
        return out.stream();
    }

    static Stream<Model> allModels() {
        return models().stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("modelsOnPresets")
    void noLayerBeatsItsComputeOrItsTransfers(Model m, String preset) {
        HardwareConfig cfg = HardwareConfig.preset(preset);
        Program p = m.compile().apply(cfg);
        Timing.Result r = Timing.run(p, cfg);
        long pes = (long) cfg.array().rows() * cfg.array().cols();
        long bw = cfg.dram().bytesPerCycle();
        int nl = p.layers().size();
        long[] first = new long[nl];
        long[] lastEnd = new long[nl];
        long[] bytes = new long[nl];
        java.util.Arrays.fill(first, Long.MAX_VALUE);
        long allBytes = 0;
        for (int pc = 0; pc < p.code().size(); pc++) {
            int l = p.pcLayer()[pc];
            Timing.Slot s = r.slots().get(pc);
            if (l < 0 || s == null) {
                continue;
            }
            first[l] = Math.min(first[l], s.start());
            lastEnd[l] = Math.max(lastEnd[l], s.end());
            if (Costs.isDma(p.code().get(pc))) {
                bytes[l] += p.code().get(pc).operand(1);
                allBytes += p.code().get(pc).operand(1);
            }
        }
        long macs = 0;
        for (int l = 0; l < nl; l++) {
            SimReport.LayerStats st = r.layers().get(l);
            String at = m + " on " + preset + ", layer " + st.name() + ": ";
            assertTrue(st.utilization() >= 0 && st.utilization() <= 1, at + "utilization " + st.utilization());
            assertTrue(st.cycles() * pes >= st.macs(), at + st.cycles() + " cycles < MACs / PEs = " + st.macs() + " / " + pes);
            assertTrue((lastEnd[l] - first[l]) * bw >= bytes[l], at + "its instructions span " + (lastEnd[l] - first[l])
                    + " cycles < DRAM bytes / bandwidth = " + bytes[l] + " / " + bw);
            macs += st.macs();
        }
        assertTrue(r.totalCycles() * pes >= macs, m + " on " + preset + ": total below MACs / PEs");
        assertTrue(r.totalCycles() * bw >= allBytes, m + " on " + preset + ": total below bytes / bandwidth");
        assertTrue((double) macs / ((double) r.totalCycles() * pes) <= 1.0, m + " on " + preset + ": utilization above 1");
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("modelsOnPresets")
    void moreBandwidthIsNeverSlower(Model m, String preset) {
        HardwareConfig base = HardwareConfig.preset(preset);
        Program p = m.compile().apply(base);              // the tiling does not depend on the bandwidth
        long last = Long.MAX_VALUE;
        for (int bw : new int[] {1, 2, 4, 8, 16, 32, 64, 128, 256}) {
            long t = Timing.run(p, base.withOverrides(List.of("dram.bytesPerCycle=" + bw))).totalCycles();
            assertTrue(t <= last, m + " on " + preset + " at " + bw + " B/cycle: " + t + " cycles > " + last + " at half the bandwidth");
            last = t;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allModels")
    void aLargerScratchpadIsNeverSlower(Model m) {
        for (String preset : List.of("tiny-4x4", "edge-16x16-ws")) {
            HardwareConfig base = HardwareConfig.preset(preset);
            long last = Long.MAX_VALUE;
            int from = preset.startsWith("tiny") ? 16 : 64;
            for (int kib = from; kib <= 4096; kib *= 2) {
                HardwareConfig cfg = base.withOverrides(List.of("scratchpad.kib=" + kib));
                long t = Timing.run(m.compile().apply(cfg), cfg).totalCycles();
                assertTrue(t <= last, m + " on " + preset + " with " + kib + " KiB of scratchpad: " + t + " cycles > " + last
                        + " with half of it");
                last = t;
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allModels")
    void aLargerArrayIsNeverSlower(Model m) {
        // edge preset memories, large enough for every array size's bank and accumulator rules
        HardwareConfig base = HardwareConfig.preset("edge-16x16-ws").withOverrides(List.of("accumulator.kib=256"));
        long last = Long.MAX_VALUE;
        for (int n = 4; n <= 128; n *= 2) {
            HardwareConfig cfg = base.withOverrides(List.of("array.rows=" + n, "array.cols=" + n));
            long t = Timing.run(m.compile().apply(cfg), cfg).totalCycles();
            assertTrue(t <= last, m + " on a " + n + "x" + n + " array: " + t + " cycles > " + last + " on the half-size array");
            last = t;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allModels")
    void timingOnlyEqualsTheFullRunCycleForCycle(Model m) {
        for (String preset : List.of("tiny-4x4", "edge-16x16-ws")) {
            HardwareConfig cfg = HardwareConfig.preset(preset);
            Program p = m.compile().apply(cfg);
            SimReport full = Simulator.run(p, cfg, Simulator.randomInputs(p, 5)).report();
            SimReport fast = Simulator.timingOnly(p, cfg);
            assertEquals(full.totals().cycles(), fast.totals().cycles(), m + " on " + preset);
            assertEquals(full.layers(), fast.layers(), m + " on " + preset + ": per-layer statistics");
            assertEquals(full.counters(), fast.counters(), m + " on " + preset + ": counters");
        }
    }
}
