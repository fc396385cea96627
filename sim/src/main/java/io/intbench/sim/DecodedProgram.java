package io.intbench.sim;

import io.intbench.isa.Instruction;
import io.intbench.isa.Opcode;
import io.intbench.isa.Program;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A program's instruction stream decoded once into flat arrays for the timing model, which reads every
 * instruction on every run (a sweep or a benchmark times one program many times; each
 * {@link Instruction} object read costs a pointer chase). Instructions with the same opcode, descriptor
 * and operands share a latency class: {@link Costs} computes one latency per class. A program's code
 * is immutable, so the decoding stays valid; the calling thread keeps its last one (the program held
 * weakly).
 */
final class DecodedProgram {
    private static final ThreadLocal<DecodedProgram> LAST = new ThreadLocal<>();

    private final WeakReference<Program> program;
    /** Per pc: {@link Timing}'s word, scratchpad slot included. */
    final int[] word;
    /** The pcs up to the first HALT (the last instruction issued) by queue: queue q's are {@code order[queueStart[q] .. queueEnd[q])}, in program order. */
    final int[] order;
    final int[] queueStart;
    final int[] queueEnd;
    /** Per pc: the bytes a LOAD or STORE moves, else 0. */
    final long[] dmaBytes;
    /** Per pc: its latency class. */
    final int[] latencyClass;
    /** One instruction of each latency class. */
    final List<Instruction> classes;
    /**
     * Per class: a layer instruction of a tiled layer (its descriptor is also named by TILE or VTILE
     * instructions), whose tiles carry the time.
     */
    final boolean[] tiledLayer;

    private DecodedProgram(Program p) {
        List<Instruction> code = p.code();
        int n = code.size();
        program = new WeakReference<>(p);
        word = new int[n];
        dmaBytes = new long[n];
        latencyClass = new int[n];
        classes = new ArrayList<>();
        boolean[] tiled = new boolean[p.descriptors().size()];
        int halt = -1;
        Map<List<Integer>, Integer> classOf = new HashMap<>();
        for (int pc = 0; pc < n; pc++) {
            Instruction i = code.get(pc);
            word[pc] = Timing.word(i);
            if (i.op() == Opcode.LOAD || i.op() == Opcode.STORE) {
                dmaBytes[pc] = i.operand(1);
            }
            if ((i.op() == Opcode.TILE || i.op() == Opcode.VTILE) && i.desc() >= 0 && i.desc() < tiled.length) {
                tiled[i.desc()] = true;
            }
            if (halt < 0 && i.op() == Opcode.HALT) {
                halt = pc;
            }
            List<Integer> key = List.of(i.op().ordinal(), i.desc(), i.a(), i.b(), i.c());
            Integer k = classOf.get(key);
            if (k == null) {
                k = classes.size();
                classOf.put(key, k);
                classes.add(i);
            }
            latencyClass[pc] = k;
        }
        int last = halt < 0 ? n - 1 : halt;
        tiledLayer = new boolean[classes.size()];
        for (int k = 0; k < classes.size(); k++) {
            Instruction i = classes.get(k);
            boolean layerOp = i.op().usesDescriptor() && i.op() != Opcode.TILE && i.op() != Opcode.VTILE;
            tiledLayer[k] = layerOp && i.desc() >= 0 && i.desc() < tiled.length && tiled[i.desc()];
        }
        // the tiles: array and vector instructions but a tiled layer's own, which costs nothing; every
        // other one takes at least a cycle on any config (CostModel's formulas on positive dimensions)
        boolean[] tile = new boolean[n];
        for (int pc = 0; pc < n; pc++) {
            tile[pc] = Timing.computes(word[pc]) && !tiledLayer[latencyClass[pc]];
        }
        Timing.spadSlots(word, n, tile);
        int[] count = new int[3];
        for (int pc = 0; pc <= last; pc++) {
            count[Timing.queue(word[pc])]++;
        }
        queueStart = new int[] {0, count[0], count[0] + count[1]};
        queueEnd = new int[] {count[0], count[0] + count[1], count[0] + count[1] + count[2]};
        order = new int[queueEnd[2]];
        int[] fill = queueStart.clone();
        for (int pc = 0; pc <= last; pc++) {
            order[fill[Timing.queue(word[pc])]++] = pc;
        }
    }

    /** The decoding of {@code p}: the calling thread's last one when it was of this program, else new. */
    static DecodedProgram of(Program p) {
        DecodedProgram d = LAST.get();
        if (d == null || d.program.get() != p) {
            d = new DecodedProgram(p);
            LAST.set(d);
        }
        return d;
    }
}
