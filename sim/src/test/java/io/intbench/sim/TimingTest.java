package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.testing.ConvSpec;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.isa.Descriptor;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Instruction;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.Opcode;
import io.intbench.isa.Program;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimingTest {
    static final HardwareConfig CFG = HardwareConfig.defaultConfig();

    static Program twoConvs(HardwareConfig cfg) {
        QdqModelBuilder b = QdqModelBuilder.create(7);
        QdqModelBuilder.Act x = b.input("x", 0.02f, 128, 1, 8, 16, 16);
        QdqModelBuilder.Act y = b.conv(x, ConvSpec.of(16, 3, 3).pads(1, 1, 1, 1).relu(true));
        QdqModelBuilder.Act z = b.conv(y, ConvSpec.of(32, 3, 3).pads(1, 1, 1, 1));
        b.output(z, "out");
        return Compiler.compile(b.build(), "two-convs", cfg, Compiler.Options.defaults()).program();
    }

    @Test
    void singleLayerIsTheSumOfItsSerialSteps() {
        // one LUT layer by hand: load constants, load input, lut, store: each waits for the one before
        Descriptor.LutDesc lut = new Descriptor.LutDesc(1000, 0, 0);
        List<Instruction> code = List.of(
                Instruction.of(Opcode.LOAD, 0, 0, 256, 0),
                Instruction.of(Opcode.LOAD, Instruction.PUSH_NEXT, 256, 1000, 0),
                Instruction.withDesc(Opcode.LUT, Instruction.POP_PREV | Instruction.PUSH_NEXT, 0, 256, 0, 1280),
                Instruction.of(Opcode.STORE, Instruction.POP_PREV, 1280, 1000, 0),
                Instruction.of(Opcode.HALT, 0, 0, 0, 0));
        Program p = new Program(CFG.name(), CFG.hash(), 0, "hand", code, List.of(lut), 2304, new byte[256], List.of(),
                List.of(new Program.Layer("l", "Requantize", "", 0)), new int[] {0, 0, 0, 0, -1});
        long lat = CFG.dram().latencyCycles();
        long bw = CFG.dram().bytesPerCycle();
        long lanes = CFG.vector().lanes();
        long expected = (lat + (256 + bw - 1) / bw) + (lat + (1000 + bw - 1) / bw)
                + ((1000 + lanes - 1) / lanes + Costs.VECTOR_PIPELINE) + (lat + (1000 + bw - 1) / bw);
        Timing.Result r = Timing.run(p, CFG);
        assertEquals(expected, r.totalCycles());
        assertEquals(expected, r.layers().get(0).cycles());
    }

    @Test
    void weightLoadsOfTheNextLayerOverlapTheCurrentCompute() {
        Program p = twoConvs(CFG);
        Timing.Result r = Timing.run(p, CFG);
        long serial = 0;
        for (int pc = 0; pc < p.code().size(); pc++) {
            serial += r.slots().get(pc).end() - r.slots().get(pc).start();
        }
        assertTrue(r.totalCycles() < serial, "overlap: " + r.totalCycles() + " < " + serial);
        // the second layer's constant load starts before the first layer's compute ends
        int firstConv = -1;
        int secondConstLoad = -1;
        for (int pc = 0; pc < p.code().size(); pc++) {
            if (p.code().get(pc).op() == Opcode.CONV && firstConv < 0) {
                firstConv = pc;
            }
            if (p.code().get(pc).op() == Opcode.LOAD && p.pcLayer()[pc] == 1 && secondConstLoad < 0) {
                secondConstLoad = pc;
            }
        }
        assertTrue(r.slots().get(secondConstLoad).start() < r.slots().get(firstConv).end());
    }

    @Test
    void physicsHoldsOnEveryLayer() {
        for (String preset : List.of("tiny-4x4", "edge-16x16-ws")) {
            HardwareConfig cfg = HardwareConfig.preset(preset);
            Program p = twoConvs(cfg);
            Timing.Result r = Timing.run(p, cfg);
            long pes = (long) cfg.array().rows() * cfg.array().cols();
            long sum = 0;
            for (SimReport.LayerStats l : r.layers()) {
                assertTrue(l.utilization() >= 0 && l.utilization() <= 1, l.toString());
                assertTrue(l.cycles() >= (l.macs() + pes - 1) / pes, "a layer never beats MACs/PEs: " + l);
                sum += l.cycles();
            }
            assertEquals(r.totalCycles(), sum, "layer cycles add up to the total");
            long bytes = r.layers().stream().mapToLong(l -> l.dramReadBytes() + l.dramWriteBytes()).sum();
            assertTrue(r.totalCycles() >= bytes / cfg.dram().bytesPerCycle(), "one DRAM port: never faster than bytes / bandwidth");
        }
    }

    @Test
    void moreBandwidthNeverMakesItSlower() {
        Program p = twoConvs(CFG);
        long last = Long.MAX_VALUE;
        for (int bw : new int[] {1, 2, 4, 8, 16, 32, 64}) {
            HardwareConfig cfg = CFG.withOverrides(List.of("dram.bytesPerCycle=" + bw));
            long t = Timing.run(p, cfg).totalCycles();
            assertTrue(t <= last, bw + " B/cycle: " + t + " > " + last);
            last = t;
        }
    }

    @Test
    void theSummaryIsTheSlotsSummed() {
        // the report's figures, summed here in program order from the per-instruction slots, must be what
        // the one-pass summary (the timing-only mode and every full run) adds up as it issues
        for (HardwareConfig cfg : List.of(CFG, BankConflictTest.edge(1), BankConflictTest.edge(2),
                CFG.withOverrides(List.of("dram.bytesPerCycle=2")))) {
            Program p = twoConvs(cfg);
            Timing.Result full = Timing.run(p, cfg);
            Timing.Result sum = Timing.summary(p, cfg);
            int nl = p.layers().size();
            long[] end = new long[nl];
            long[] compute = new long[nl];
            long[] memory = new long[nl];
            long[] bytesIn = new long[nl];
            long[] bytesOut = new long[nl];
            long total = 0;
            long array = 0;
            long dma = 0;
            long portWait = 0;
            long bankWait = 0;
            for (int pc = 0; pc < p.code().size(); pc++) {
                Timing.Slot s = full.slots().get(pc);
                if (s == null) {
                    continue;
                }
                Instruction ins = p.code().get(pc);
                long lat = s.end() - s.start();
                total = Math.max(total, s.end());
                bankWait += s.bankWait();
                boolean isDma = ins.op() == Opcode.LOAD || ins.op() == Opcode.STORE;
                if (ins.op().unit() == io.intbench.isa.Unit.ARRAY) {
                    array += lat;
                }
                if (isDma) {
                    dma += lat;
                    portWait += s.portWait();
                }
                int l = p.pcLayer()[pc];
                if (l >= 0) {
                    end[l] = Math.max(end[l], s.end());
                    if (isDma) {
                        memory[l] += lat;
                        (ins.op() == Opcode.LOAD ? bytesIn : bytesOut)[l] += ins.operand(1);
                    } else if (ins.op().unit() != io.intbench.isa.Unit.CONTROL) {
                        compute[l] += lat;
                    }
                }
            }
            assertEquals(total, sum.totalCycles(), cfg.name());
            assertEquals(full.totalCycles(), sum.totalCycles());
            assertEquals(full.layers(), sum.layers());
            assertEquals(full.counters(), sum.counters());
            assertEquals(null, sum.slots(), "the summary keeps no slots");
            assertEquals(array, sum.counters().EXEC_ARRAY_BUSY_CYCLES());
            assertEquals(dma, sum.counters().DMA_BUSY_CYCLES());
            assertEquals(portWait, sum.counters().DMA_PORT_WAIT_CYCLES());
            assertEquals(bankWait, sum.counters().SPAD_BANK_CONFLICT_CYCLES());
            long prevEnd = 0;
            for (int l = 0; l < nl; l++) {
                SimReport.LayerStats ls = sum.layers().get(l);
                assertEquals(Math.max(0, end[l] - prevEnd), ls.cycles(), ls.name());
                prevEnd = Math.max(prevEnd, end[l]);
                assertEquals(compute[l], ls.computeBoundCycles(), ls.name());
                assertEquals(memory[l], ls.memoryBoundCycles(), ls.name());
                assertEquals(bytesIn[l], ls.dramReadBytes(), ls.name());
                assertEquals(bytesOut[l], ls.dramWriteBytes(), ls.name());
            }
        }
    }

    @Test
    void theDecodingKeptPerThreadFollowsTheProgram() throws Exception {
        // the timing model keeps the calling thread's last decoded program: alternating programs must each
        // be timed as a fresh thread (no decoding kept) times them
        Program a = twoConvs(CFG);
        Program b = TilingTest.conv(BankConflictTest.edge(2), 32, 16, 48);
        Program c = twoConvs(CFG);                       // equal to a, another object
        for (Program p : List.of(a, b, a, c, b)) {
            HardwareConfig cfg = p == b ? BankConflictTest.edge(2) : CFG;
            Timing.Result here = Timing.summary(p, cfg);
            Timing.Result there = freshThread(p, cfg);
            assertEquals(there.totalCycles(), here.totalCycles());
            assertEquals(there.layers(), here.layers());
            assertEquals(there.counters(), here.counters());
        }
    }

    private static Timing.Result freshThread(Program p, HardwareConfig cfg) throws Exception {
        Timing.Result[] out = new Timing.Result[1];
        Thread t = new Thread(() -> out[0] = Timing.summary(p, cfg));
        t.start();
        t.join();
        return out[0];
    }

    @Test
    void theTilesDecodedOncePerProgramAreTheInstructionsThatTakeTime() {
        // the decoded program assigns double-buffer slots to the array and vector instructions but a tiled
        // layer's own; on every preset exactly those must take time, so the slots are the ones computed from
        // each config's latencies
        for (String preset : HardwareConfig.presetNames()) {
            HardwareConfig cfg = HardwareConfig.preset(preset);
            for (Program p : List.of(twoConvs(cfg), TilingTest.conv(cfg, 48, 20, 40))) {
                int[] word = BankConflictTest.slottedWords(p, cfg);
                int[] decoded = DecodedProgram.of(p).word;
                for (int pc = 0; pc < word.length; pc++) {
                    assertEquals(word[pc], decoded[pc], preset + " pc " + pc + " " + p.code().get(pc));
                }
            }
        }
    }

    @Test
    void aTokenThatNeverComesIsADeadlockNamingTheQueues() {
        Descriptor.LutDesc lut = new Descriptor.LutDesc(16, 0, 0);
        List<Instruction> code = List.of(
                Instruction.withDesc(Opcode.LUT, Instruction.POP_PREV, 0, 256, 0, 300),
                Instruction.of(Opcode.HALT, 0, 0, 0, 0));
        Program p = new Program(CFG.name(), CFG.hash(), 0, "hand", code, List.of(lut), 512, new byte[256], List.of(),
                List.of(), new int[] {-1, -1});
        IntbenchException.SimulationTrap e = assertThrows(IntbenchException.SimulationTrap.class, () -> Timing.run(p, CFG));
        assertTrue(e.getMessage().contains("deadlock") && e.getMessage().contains("EXEC queue waits at pc 0"), e.getMessage());
    }
}
