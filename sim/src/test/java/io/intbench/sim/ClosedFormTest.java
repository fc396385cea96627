package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.testing.ConvSpec;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Instruction;
import io.intbench.isa.Opcode;
import io.intbench.isa.Program;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A single GEMM and a single Conv layer against the closed forms written out here: with fast DRAM the
 * layer is compute-bound and takes exactly the array formula plus its (tiny) transfers; with slow DRAM
 * it approaches its bytes over the bandwidth.
 */
class ClosedFormTest {
    /** The default config with operand memories large enough that each layer here is one tile (untiled closed forms). */
    static final HardwareConfig BASE = HardwareConfig.defaultConfig().withOverrides(List.of("scratchpad.kib=1024",
            "accumulator.kib=1024"));

    static Program gemm(HardwareConfig cfg, int m, int k, int n) {
        QdqModelBuilder b = QdqModelBuilder.create(3);
        QdqModelBuilder.Act x = b.input("x", 0.02f, 128, m, k);
        b.output(b.gemm(x, n, true, false), "y");
        return Compiler.compile(b.build(), "gemm", cfg, Compiler.Options.defaults()).program();
    }

    static Program conv(HardwareConfig cfg) {
        QdqModelBuilder b = QdqModelBuilder.create(5);
        QdqModelBuilder.Act x = b.input("x", 0.02f, 128, 1, 24, 20, 20);
        b.output(b.conv(x, ConvSpec.of(40, 3, 3).pads(1, 1, 1, 1)), "y");
        return Compiler.compile(b.build(), "conv", cfg, Compiler.Options.defaults()).program();
    }

    /**
     * SCALE-Sim's WS fold runtime, folds over K (rows) and N (cols), each {@code 2r + c + M - 2} cycles, r x c
     * the rows and columns the fold occupies (the full array but for the last fold of a dimension), written
     * out fold by fold.
     */
    static long ws(long m, long k, long n, long r, long c) {
        return folds(m, k, n, r, c);
    }

    /** Sum over the folds of {@code 2 * usedRows + usedCols + streamed - 2}: {@code overRows} folded over r rows, n over c. */
    static long folds(long streamed, long overRows, long n, long r, long c) {
        long t = 0;
        for (long k0 = 0; k0 < overRows; k0 += r) {
            for (long n0 = 0; n0 < n; n0 += c) {
                t += 2 * Math.min(r, overRows - k0) + Math.min(c, n - n0) + streamed - 2;
            }
        }
        return t;
    }

    static long dmaCycles(Program p, HardwareConfig cfg) {
        long t = 0;
        for (var i : p.code()) {
            if (i.op() == Opcode.LOAD || i.op() == Opcode.STORE) {
                t += dma(i.operand(1), cfg);
            }
        }
        return t;
    }

    static long dma(long bytes, HardwareConfig cfg) {
        return cfg.dram().latencyCycles() + (bytes + cfg.dram().bytesPerCycle() - 1) / cfg.dram().bytesPerCycle();
    }

    static long bytes(Program p) {
        long t = 0;
        for (var i : p.code()) {
            if (i.op() == Opcode.LOAD || i.op() == Opcode.STORE) {
                t += i.operand(1);
            }
        }
        return t;
    }

    /**
     * The layer's cycles when DRAM is so fast that every transfer but the first tile's loads and the last
     * tile's store hides under the compute: those loads, the fold formula of every tile (read from the
     * program's TILE instructions: {@code channels} x {@code pixels}), the last store. An untiled layer is
     * one tile: its loads, its fold formula, its store.
     */
    static long[] pipelined(Program p, HardwareConfig cfg, long k, boolean os) {
        long r = cfg.array().rows();
        long c = cfg.array().cols();
        long before = 0;
        long compute = 0;
        long lastStore = 0;
        boolean started = false;
        for (Instruction i : p.code()) {
            switch (i.op()) {
                case LOAD -> before += started ? 0 : dma(i.operand(1), cfg);
                case STORE -> lastStore = dma(i.operand(1), cfg);
                case TILE -> {
                    started = true;
                    compute += os ? folds(k, i.operand(1), i.operand(0), r, c) : folds(i.operand(1), k, i.operand(0), r, c);
                }
                default -> { }
            }
        }
        return new long[] {before + compute + lastStore, compute};
    }

    @Test
    void gemmIsComputeBoundWithFastDramAndMatchesTheFormula() {
        for (String df : List.of("WS", "OS")) {
            HardwareConfig cfg = BASE.withOverrides(List.of("dram.bytesPerCycle=4096", "dram.latencyCycles=0", "array.dataflow=" + df));
            Program p = gemm(cfg, 64, 200, 48);
            long r = cfg.array().rows();
            long c = cfg.array().cols();
            long untiled = df.equals("WS") ? ws(64, 200, 48, r, c)
                    : folds(200, 64, 48, r, c);  // OS: M over rows, K streamed
            long[] expected = pipelined(p, cfg, 200, df.equals("OS"));
            SimReport rep = Simulator.timingOnly(p, cfg);
            assertEquals(expected[0], rep.totals().cycles(), df);
            assertEquals(expected[1], rep.layers().get(0).computeBoundCycles(), df);
            assertTrue(expected[1] >= untiled, df + ": tiles cost at least the untiled layer's " + untiled);
            assertTrue(rep.layers().get(0).computeBoundCycles() > 10 * rep.layers().get(0).memoryBoundCycles(), "compute-bound");
        }
    }

    @Test
    void convIsComputeBoundWithFastDramAndMatchesTheFormula() {
        HardwareConfig cfg = BASE.withOverrides(List.of("dram.bytesPerCycle=4096", "dram.latencyCycles=0"));
        Program p = conv(cfg);
        // K = inC * kH * kW = 24 * 9, N = 40, M = 20 * 20 output pixels
        long untiled = ws(400, 216, 40, cfg.array().rows(), cfg.array().cols());
        long[] expected = pipelined(p, cfg, 216, false);
        SimReport rep = Simulator.timingOnly(p, cfg);
        assertEquals(expected[1], rep.layers().get(0).computeBoundCycles());
        assertEquals(expected[0], rep.totals().cycles());
        assertTrue(expected[1] >= untiled, "tiles cost at least the untiled layer's " + untiled);
    }

    @Test
    void theUntiledConvMatchesTheFormulaPlusItsTransfers() {
        // a layer too small to gain from tiling (its transfers are one or two cycles each at this bandwidth
        // and latency 0 but its tiles would each pay fill and drain): loads, the fold formula, the store
        HardwareConfig cfg = BASE.withOverrides(List.of("dram.bytesPerCycle=4096", "dram.latencyCycles=0"));
        QdqModelBuilder b = QdqModelBuilder.create(5);
        QdqModelBuilder.Act x = b.input("x", 0.02f, 128, 1, 16, 4, 4);
        b.output(b.conv(x, ConvSpec.of(16, 1, 1)), "y");
        Program p = Compiler.compile(b.build(), "conv1x1", cfg, Compiler.Options.defaults()).program();
        long compute = ws(16, 16, 16, cfg.array().rows(), cfg.array().cols());
        SimReport rep = Simulator.timingOnly(p, cfg);
        assertEquals(compute, rep.layers().get(0).computeBoundCycles());
        assertEquals(compute + dmaCycles(p, cfg), rep.totals().cycles());
    }

    @Test
    void slowDramMakesTheLayerApproachBytesOverBandwidth() {
        // as bandwidth falls the transfers dominate: the layer never beats bytes / bandwidth and its memory
        // share grows towards 1 (tiles overlap the compute with the transfers)
        double lastShare = 0;
        for (int bw : new int[] {8, 2, 1}) {
            HardwareConfig cfg = BASE.withOverrides(List.of("dram.bytesPerCycle=" + bw, "dram.latencyCycles=0"));
            Program p = conv(cfg);
            SimReport rep = Simulator.timingOnly(p, cfg);
            long memory = dmaCycles(p, cfg);
            long cycles = rep.totals().cycles();
            assertTrue(memory >= bytes(p) / bw, "DMA cycles cover bytes / bandwidth");
            assertTrue(cycles >= memory, bw + " B/cycle: one DRAM port, " + cycles + " >= " + memory);
            double share = (double) memory / cycles;
            assertTrue(share > lastShare, bw + " B/cycle: memory share " + share + " > " + lastShare);
            lastShare = share;
        }
        assertTrue(lastShare > 0.6, "at 1 B/cycle the layer is memory-bound: " + lastShare);
    }

    @Test
    void depthwiseGroupsShareAFoldOnALargeArray() {
        // 12 depthwise 3x3 groups (K = 9, N = 1) on a 32x32 array: floor(32 / 9) = 3 groups per fold on
        // disjoint rows and columns, so each tile of g groups costs its folds of 3 (and the rest)
        HardwareConfig cfg = BASE.withOverrides(List.of("array.rows=32", "array.cols=32", "dram.bytesPerCycle=4096",
                "dram.latencyCycles=0"));
        QdqModelBuilder b = QdqModelBuilder.create(5);
        QdqModelBuilder.Act x = b.input("x", 0.02f, 128, 1, 12, 20, 20);
        b.output(b.conv(x, ConvSpec.of(12, 3, 3).group(12).pads(1, 1, 1, 1)), "y");
        Program p = Compiler.compile(b.build(), "dw", cfg, Compiler.Options.defaults()).program();
        long packed = 0;
        long oneByOne = 0;
        int tiles = 0;
        for (Instruction i : p.code()) {
            if (i.op() == Opcode.TILE) {
                tiles++;
                for (long g0 = 0; g0 < i.operand(0); g0 += 3) {
                    long g = Math.min(3, i.operand(0) - g0);
                    packed += folds(i.operand(1), 9 * g, g, 32, 32);
                }
                oneByOne += i.operand(0) * folds(i.operand(1), 9, 1, 32, 32);
            }
        }
        long untiled = 4 * folds(400, 27, 3, 32, 32);
        SimReport rep = Simulator.timingOnly(p, cfg);
        long compute = tiles == 0 ? untiled : packed;
        assertEquals(compute, rep.layers().get(0).computeBoundCycles());
        assertTrue(tiles == 0 || 2 * packed < oneByOne, "packing 3 groups per fold more than halves the array time: "
                + packed + " vs " + oneByOne);
    }
}
