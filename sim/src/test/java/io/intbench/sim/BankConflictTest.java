package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Instruction;
import io.intbench.isa.Program;
import io.intbench.isa.Unit;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The scratchpad bank approximation (see {@link Timing}): with one bank, a transfer and a computation
 * never overlap in time (they serialise, and the waits are counted as SPAD_BANK_CONFLICT_CYCLES); with
 * two or more, the two double-buffer slots have their own banks, so a double-buffered layer never
 * conflicts while a transfer and a computation on the same slot still never overlap.
 */
class BankConflictTest {
    static HardwareConfig edge(int banks) {
        return HardwareConfig.preset("edge-16x16-ws").withOverrides(List.of("scratchpad.banks=" + banks, "dram.bytesPerCycle=4"));
    }

    /**
     * Every instruction's word with the double-buffer slot the class comment of {@link Timing} defines,
     * a tile being an array or vector instruction that takes time on {@code cfg}.
     */
    static int[] slottedWords(Program p, HardwareConfig cfg) {
        long[] lat = Costs.latencies(p, cfg);
        int[] word = Timing.words(p.code());
        boolean[] tile = new boolean[word.length];
        for (int pc = 0; pc < word.length; pc++) {
            tile[pc] = Timing.computes(word[pc]) && lat[pc] > 0;
        }
        Timing.spadSlots(word, word.length, tile);
        return word;
    }

    /** True when some DMA (and, if {@code sameSlot}, only on the same slot) overlaps an array or vector instruction in time. */
    static boolean overlap(Program p, HardwareConfig cfg, Timing.Result r, boolean sameSlot) {
        int[] word = slottedWords(p, cfg);
        List<Instruction> code = p.code();
        for (int a = 0; a < code.size(); a++) {
            if (!Costs.isDma(code.get(a))) {
                continue;
            }
            Timing.Slot da = r.slots().get(a);
            for (int b = 0; b < code.size(); b++) {
                Unit u = code.get(b).op().unit();
                Timing.Slot eb = r.slots().get(b);
                if ((u == Unit.ARRAY || u == Unit.VECTOR) && eb != null && eb.end() > eb.start()
                        && (!sameSlot || Timing.slot(word[a]) == Timing.slot(word[b])) && da.start() < eb.end() && eb.start() < da.end()) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void oneBankSerialisesTransfersWithComputeAndCountsTheWait() {
        Program p = TilingTest.conv(edge(1), 64, 64, 64);
        Timing.Result one = Timing.run(p, edge(1));
        Timing.Result two = Timing.run(p, edge(2));
        assertTrue(TilingTest.checkTiles(p, edge(1)) >= 4, "the layer is tiled");
        assertTrue(!overlap(p, edge(1), one, false), "with one bank no transfer overlaps a computation");
        assertTrue(one.counters().SPAD_BANK_CONFLICT_CYCLES() > 0, one.counters().toString());
        assertTrue(overlap(p, edge(2), two, false), "with two banks transfers overlap computations (double buffering)");
        assertTrue(!overlap(p, edge(2), two, true), "but never one on the same slot");
        assertEquals(0, two.counters().SPAD_BANK_CONFLICT_CYCLES(), "a double-buffered layer never waits for a bank");
        assertTrue(one.totalCycles() > two.totalCycles(), one.totalCycles() + " vs " + two.totalCycles());
        long sum = 0;
        for (int pc = 0; pc < one.slots().size(); pc++) {
            Timing.Slot s = one.slots().get(pc);
            sum += s == null ? 0 : s.bankWait();
        }
        assertEquals(sum, one.counters().SPAD_BANK_CONFLICT_CYCLES(), "the counter sums the per-instruction waits");
    }

    @Test
    void moreBanksAreNeverSlowerAndNeverAddConflicts() {
        for (String model : List.of("lenet.seed.qdq.onnx", "mobilenetv2-12-int8.onnx")) {
            Program p = PhysicsTest.file(model, HardwareConfig.preset("edge-16x16-ws"));
            long last = Long.MAX_VALUE;
            for (int banks = 1; banks <= 16; banks *= 2) {
                HardwareConfig cfg = HardwareConfig.preset("edge-16x16-ws").withOverrides(List.of("scratchpad.banks=" + banks));
                Timing.Result r = Timing.run(p, cfg);
                assertTrue(!overlap(p, cfg, r, true), model + ", " + banks + " banks: a transfer overlaps a computation on its slot");
                assertTrue(r.totalCycles() <= last, model + ", " + banks + " banks: " + r.totalCycles() + " > " + last);
                last = r.totalCycles();
            }
        }
    }
}
