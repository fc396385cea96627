package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.testing.ConvSpec;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.isa.HardwareConfig;
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

    /** SCALE-Sim's WS fold runtime: folds over K (rows) and N (cols), each 2R + C + M - 2 cycles. */
    static long ws(long m, long k, long n, long r, long c) {
        return ((k + r - 1) / r) * ((n + c - 1) / c) * (2 * r + c + m - 2);
    }

    static long dmaCycles(Program p, HardwareConfig cfg) {
        long t = 0;
        for (var i : p.code()) {
            if (i.op() == io.intbench.isa.Opcode.LOAD || i.op() == io.intbench.isa.Opcode.STORE) {
                t += Costs.dma(i.operand(1), cfg);
            }
        }
        return t;
    }

    static long bytes(Program p) {
        long t = 0;
        for (var i : p.code()) {
            if (i.op() == io.intbench.isa.Opcode.LOAD || i.op() == io.intbench.isa.Opcode.STORE) {
                t += i.operand(1);
            }
        }
        return t;
    }

    @Test
    void gemmIsComputeBoundWithFastDramAndMatchesTheFormula() {
        for (String df : List.of("WS", "OS")) {
            HardwareConfig cfg = BASE.withOverrides(List.of("dram.bytesPerCycle=4096", "dram.latencyCycles=0", "array.dataflow=" + df));
            Program p = gemm(cfg, 64, 200, 48);
            long r = cfg.array().rows();
            long c = cfg.array().cols();
            long compute = df.equals("WS") ? ws(64, 200, 48, r, c)
                    : ((64 + r - 1) / r) * ((48 + c - 1) / c) * (2 * r + c + 200 - 2);  // OS: M over rows, K streamed
            SimReport rep = Simulator.timingOnly(p, cfg);
            assertEquals(compute + dmaCycles(p, cfg), rep.totals().cycles(), df);
            assertEquals(compute, rep.layers().get(0).computeBoundCycles(), df);
            assertTrue(rep.layers().get(0).computeBoundCycles() > 10 * rep.layers().get(0).memoryBoundCycles(), "compute-bound");
        }
    }

    @Test
    void convIsComputeBoundWithFastDramAndMatchesTheFormula() {
        HardwareConfig cfg = BASE.withOverrides(List.of("dram.bytesPerCycle=4096", "dram.latencyCycles=0"));
        Program p = conv(cfg);
        // K = inC * kH * kW = 24 * 9, N = 40, M = 20 * 20 output pixels
        long compute = ws(400, 216, 40, cfg.array().rows(), cfg.array().cols());
        SimReport rep = Simulator.timingOnly(p, cfg);
        assertEquals(compute, rep.layers().get(0).computeBoundCycles());
        assertEquals(compute + dmaCycles(p, cfg), rep.totals().cycles());
    }

    @Test
    void slowDramMakesTheLayerApproachBytesOverBandwidth() {
        // without tiling a single layer's transfers and compute run one after the other, so the total is
        // bytes / bandwidth plus the compute; as bandwidth falls the memory share approaches 1
        double lastShare = 0;
        for (int bw : new int[] {8, 2, 1}) {
            HardwareConfig cfg = BASE.withOverrides(List.of("dram.bytesPerCycle=" + bw, "dram.latencyCycles=0"));
            Program p = conv(cfg);
            SimReport rep = Simulator.timingOnly(p, cfg);
            long memory = dmaCycles(p, cfg);
            long cycles = rep.totals().cycles();
            assertTrue(memory >= bytes(p) / bw, "DMA cycles cover bytes / bandwidth");
            assertEquals(memory + rep.layers().get(0).computeBoundCycles(), cycles);
            double share = (double) memory / cycles;
            assertTrue(share > lastShare, bw + " B/cycle: memory share " + share + " > " + lastShare);
            lastShare = share;
        }
        assertTrue(lastShare > 0.6, "at 1 B/cycle the layer is memory-bound: " + lastShare);
    }
}
