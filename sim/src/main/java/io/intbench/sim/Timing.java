package io.intbench.sim;

import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Instruction;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.Opcode;
import io.intbench.isa.Program;
import io.intbench.isa.Unit;
import java.util.ArrayList;
import java.util.List;

/**
 * The cycle-approximate timing model, kept apart from the functional semantics. It replays the
 * instruction stream through three in-order queues (load, execute, store) that run concurrently and
 * synchronise only through dependency tokens (VTA's four token queues: load->exec, exec->load,
 * exec->store, store->exec). DMA instructions of both the load and the store queue share one DRAM
 * port. Each instruction's latency comes from {@link Costs}.
 *
 * <p>Scratchpad banks (a stated approximation): the scratchpad's banks are split between the two
 * double-buffer slots, half each (with one bank, both slots share it). The tiles of the program take
 * the slots in turn (tile {@code k}, counting every TILE, VTILE and untiled layer instruction of the
 * program in order, works in slot {@code k % 2}); a LOAD fills the slot of the tile it feeds (the next
 * one in program order: a layer's constants loaded ahead go to its first tile's slot), a STORE drains
 * the slot of the tile before it. A bank serves one unit at a time: an instruction that needs its
 * slot's banks while another unit holds them waits for them (first come in the model's issue order,
 * first served), and the wait is counted as {@code SPAD_BANK_CONFLICT_CYCLES}. Double buffering never
 * conflicts with two or more banks (a tile's loads go to the other slot than the compute they overlap);
 * what does is a layer's constants loaded ahead into a slot the previous layer is still computing in,
 * and, with one bank, every overlap of a transfer with compute. Concurrent DMAs never meet at a bank:
 * the single DRAM port serialises them.
 *
 * <p>Counters are named by unit and state, after Gemmini's: {@code DMA_PORT_WAIT_CYCLES} (a DMA
 * waiting for the shared port), {@code EXEC_TOKEN_WAIT_CYCLES} (execute waiting for a load or a
 * store), {@code SPAD_BANK_CONFLICT_CYCLES} (any unit waiting for a scratchpad bank),
 * {@code EXEC_ARRAY_BUSY_CYCLES}, {@code EXEC_VECTOR_BUSY_CYCLES}, {@code DMA_BUSY_CYCLES}.
 */
public final class Timing {
    private Timing() { }

    /** When instruction {@code pc} started and ended. */
    public record Slot(long start, long end, long tokenWait, long portWait, long bankWait) { }

    /**
     * Every instruction's {@link Slot}, kept in primitive arrays (a program has tens of thousands of
     * instructions).
     */
    public static final class Slots {
        private final boolean[] ran;
        private final long[] start;
        private final long[] end;
        private final long[] tokenWait;
        private final long[] portWait;
        private final long[] bankWait;

        Slots(int n) {
            ran = new boolean[n];
            start = new long[n];
            end = new long[n];
            tokenWait = new long[n];
            portWait = new long[n];
            bankWait = new long[n];
        }

        /** Instruction {@code pc}'s slot, or null when the program halted before it. */
        public Slot get(int pc) {
            return ran[pc] ? new Slot(start[pc], end[pc], tokenWait[pc], portWait[pc], bankWait[pc]) : null;
        }

        /** The program's length. */
        public int size() {
            return ran.length;
        }
    }

    /**
     * Everything the timing model measured.
     *
     * @param slots every instruction's slot from {@link #run}; null from {@link #summary}
     */
    public record Result(long totalCycles, Slots slots, List<SimReport.LayerStats> layers, SimReport.Counters counters) { }

    /** The {@link Unit} ordinal of each opcode, by {@link Opcode} ordinal. */
    private static final int[] UNIT_OF = new int[Opcode.values().length];
    /** The queue ({@link Unit.Queue} ordinal) of each opcode, by {@link Opcode} ordinal. */
    private static final int[] QUEUE_OF = new int[Opcode.values().length];
    private static final int LOAD = Unit.LOAD.ordinal();
    private static final int ARRAY = Unit.ARRAY.ordinal();
    private static final int VECTOR = Unit.VECTOR.ordinal();
    private static final int STORE = Unit.STORE.ordinal();
    private static final int EXEC_QUEUE = Unit.Queue.EXEC.ordinal();

    static {
        for (Opcode o : Opcode.values()) {
            UNIT_OF[o.ordinal()] = o.unit().ordinal();
            QUEUE_OF[o.ordinal()] = o.unit().queue().ordinal();
        }
    }

    // bit fields of the per-pc word the event loop reads: the dependency flags (4 bits), the unit
    // (3 bits), the queue (2 bits) and the scratchpad slot plus one (0: none)
    private static final int UNIT_SHIFT = 4;
    private static final int QUEUE_SHIFT = 7;
    private static final int SLOT_SHIFT = 9;

    /** Instruction {@code ins}'s word without its scratchpad slot. */
    static int word(Instruction ins) {
        int op = ins.op().ordinal();
        return ins.deps() | UNIT_OF[op] << UNIT_SHIFT | QUEUE_OF[op] << QUEUE_SHIFT;
    }

    /** The words of a whole program, without their scratchpad slots. */
    static int[] words(List<Instruction> code) {
        int[] w = new int[code.size()];
        for (int pc = 0; pc < w.length; pc++) {
            w[pc] = word(code.get(pc));
        }
        return w;
    }

    private static int unit(int word) {
        return (word >>> UNIT_SHIFT) & 7;
    }

    /** The scratchpad slot (0 or 1) of an instruction's word after {@link #spadSlots}, -1 for none. */
    static int slot(int word) {
        return (word >>> SLOT_SHIFT) - 1;
    }

    /** Times the program and keeps every instruction's {@link Slot} (for traces). */
    public static Result run(Program p, HardwareConfig cfg) {
        return time(p, cfg, true);
    }

    /**
     * Times the program, keeping only the per-layer figures and the counters (what a report needs): the
     * same numbers as {@link #run} without a slot record per instruction.
     */
    public static Result summary(Program p, HardwareConfig cfg) {
        return time(p, cfg, false);
    }

    private static Result time(Program p, HardwareConfig cfg, boolean keepSlots) {
        return new Replay(p, cfg, keepSlots).run();
    }

    /**
     * One replay of a program through the queues. The work of one instruction is a method of its own,
     * called once per instruction: the JIT compiles it fully within the first run, where a loop over a
     * whole program inside one large method would run on on-stack-replaced code for many runs.
     */
    private static final class Replay {
        private final Program p;
        private final HardwareConfig cfg;
        private final DecodedProgram d;
        /** Per latency class ({@link DecodedProgram#latencyClass}): its latency on this config. */
        private final long[] classLatency;
        /** Per queue q: the next of its pcs to issue is {@code d.order[head[q]]}, until {@code d.queueEnd[q]}. */
        private final int[] head;
        // token FIFOs, holding the cycle at which each token becomes available
        private final LongFifo l2e = new LongFifo();
        private final LongFifo e2l = new LongFifo();
        private final LongFifo e2s = new LongFifo();
        private final LongFifo s2e = new LongFifo();
        private final long[] queueFree = new long[3];
        private final Slots slots;
        private final Intervals port = new Intervals();
        private final boolean sharedBank;
        private final Intervals[] banks;
        // what the report sums, per layer and in all
        private final int[] pcLayer;
        private final long[] layerEnd;
        private final long[] compute;
        private final long[] memory;
        private final long[] stall;
        private final long[] rd;
        private final long[] wr;
        private long total;
        private long arrayBusy;
        private long vectorBusy;
        private long dmaBusy;
        private long dmaWait;
        private long tokenWait;
        private long bankWait;

        Replay(Program p, HardwareConfig cfg, boolean keepSlots) {
            this.p = p;
            this.cfg = cfg;
            int n = p.code().size();
            d = DecodedProgram.of(p);
            classLatency = Costs.classLatencies(p, d, cfg);
            head = d.queueStart.clone();
            slots = keepSlots ? new Slots(n) : null;
            sharedBank = cfg.scratchpad().banks() < 2;
            banks = sharedBank ? new Intervals[] {new Intervals()} : new Intervals[] {new Intervals(), new Intervals()};
            pcLayer = p.pcLayer();
            int nl = p.layers().size();
            layerEnd = new long[nl];
            compute = new long[nl];
            memory = new long[nl];
            stall = new long[nl];
            rd = new long[nl];
            wr = new long[nl];
        }

        Result run() {
            int remaining = d.queueEnd[2];
            while (remaining > 0) {
                boolean progress = false;
                for (int q = 0; q < 3; q++) {
                    LongFifo popPrev = q == 1 ? l2e : q == 2 ? e2s : null;
                    LongFifo popNext = q == 0 ? e2l : q == 1 ? s2e : null;
                    while (head[q] < d.queueEnd[q]) {
                        int pc = d.order[head[q]];
                        int w = d.word[pc];
                        boolean popsPrev = (w & Instruction.POP_PREV) != 0;
                        boolean popsNext = (w & Instruction.POP_NEXT) != 0;
                        if ((popsPrev && (popPrev == null || popPrev.isEmpty())) || (popsNext && (popNext == null || popNext.isEmpty()))) {
                            break;
                        }
                        long ready = queueFree[q];
                        if (popsPrev) {
                            ready = Math.max(ready, popPrev.poll());
                        }
                        if (popsNext) {
                            ready = Math.max(ready, popNext.poll());
                        }
                        issue(q, pc, w, ready);
                        head[q]++;
                        remaining--;
                        progress = true;
                    }
                }
                // no later instruction starts before the earliest free time of the queues still holding some
                long horizon = Long.MAX_VALUE;
                for (int q = 0; q < 3; q++) {
                    if (head[q] < d.queueEnd[q]) {
                        horizon = Math.min(horizon, queueFree[q]);
                    }
                }
                port.forget(horizon);
                for (Intervals b : banks) {
                    b.forget(horizon);
                }
                if (!progress) {
                    throw deadlock();
                }
            }
            // every push must have met its pop: a token left over means the compiler's protocol is unbalanced
            // (a later program reusing the queues would start with a stale token)
            if (!l2e.isEmpty() || !e2l.isEmpty() || !e2s.isEmpty() || !s2e.isEmpty()) {
                throw new IntbenchException.SimulationTrap("unbalanced dependency tokens at the end: load->exec " + l2e.size()
                        + ", exec->load " + e2l.size() + ", exec->store " + e2s.size() + ", store->exec " + s2e.size()
                        + " token(s) never popped");
            }
            return result();
        }

        /** Issues instruction {@code pc} of queue {@code q}, whose tokens are there from cycle {@code ready} on. */
        private void issue(int q, int pc, int w, long ready) {
            long start = ready;
            long portFree = ready;
            int u = unit(w);
            int slot = slot(w);
            Intervals bank = slot < 0 ? null : banks[sharedBank ? 0 : slot];
            long lat = classLatency[d.latencyClass[pc]];
            boolean dma = u == LOAD || u == STORE;
            if (dma) {
                portFree = port.firstFit(ready, lat);
                start = portFree;
                // the earliest start where both the port and the slot's banks are free
                while (bank != null) {
                    long b = bank.firstFit(start, lat);
                    long pt = port.firstFit(b, lat);
                    if (pt == b) {
                        start = b;
                        break;
                    }
                    start = pt;
                }
                port.reserveAt(start, lat);
            } else if (bank != null) {
                start = bank.firstFit(ready, lat);
            }
            if (bank != null && lat > 0) {
                bank.reserveAt(start, lat);
            }
            long end = start + lat;
            long waitedForToken = ready - queueFree[q];
            if (slots != null) {
                slots.ran[pc] = true;
                slots.start[pc] = start;
                slots.end[pc] = end;
                slots.tokenWait[pc] = waitedForToken;
                slots.portWait[pc] = portFree - ready;
                slots.bankWait[pc] = start - portFree;
            }
            total = Math.max(total, end);
            if (u == ARRAY) {
                arrayBusy += lat;
            } else if (u == VECTOR) {
                vectorBusy += lat;
            } else if (dma) {
                dmaBusy += lat;
                dmaWait += portFree - ready;
            }
            if (q == EXEC_QUEUE) {
                tokenWait += waitedForToken;
            }
            bankWait += start - portFree;
            int l = pcLayer[pc];
            if (l >= 0) {
                layerEnd[l] = Math.max(layerEnd[l], end);
                if (u == ARRAY || u == VECTOR) {
                    compute[l] += lat;
                } else if (dma) {
                    memory[l] += lat;
                    if (u == LOAD) {
                        rd[l] += d.dmaBytes[pc];
                    } else {
                        wr[l] += d.dmaBytes[pc];
                    }
                }
                if (q == EXEC_QUEUE) {
                    stall[l] += waitedForToken;
                }
            }
            queueFree[q] = end;
            if ((w & Instruction.PUSH_PREV) != 0) {
                (q == 1 ? e2l : s2e).add(end);
            }
            if ((w & Instruction.PUSH_NEXT) != 0) {
                (q == 0 ? l2e : e2s).add(end);
            }
        }

        private IntbenchException.SimulationTrap deadlock() {
            StringBuilder heads = new StringBuilder();
            for (int q = 0; q < 3; q++) {
                if (head[q] < d.queueEnd[q]) {
                    int pc = d.order[head[q]];
                    heads.append(" ").append(Unit.Queue.values()[q]).append(" queue waits at pc ").append(pc)
                            .append(" (").append(p.code().get(pc).op()).append(");");
                }
            }
            return new IntbenchException.SimulationTrap("deadlock: no queue can proceed, every head waits for a token that never comes:" + heads);
        }

        private Result result() {
            int nl = layerEnd.length;
            List<SimReport.LayerStats> layers = new ArrayList<>(nl);
            long prevEnd = 0;
            long peak = (long) cfg.array().rows() * cfg.array().cols();
            for (int l = 0; l < nl; l++) {
                Program.Layer layer = p.layers().get(l);
                long cycles = Math.max(0, layerEnd[l] - prevEnd);
                prevEnd = Math.max(prevEnd, layerEnd[l]);
                double util = cycles == 0 ? 0 : Math.min(1.0, (double) layer.macs() / ((double) cycles * peak));
                layers.add(new SimReport.LayerStats(layer.name(), layer.op(), layer.macs(), cycles, compute[l], memory[l],
                        stall[l], util, rd[l], wr[l]));
            }
            return new Result(total, slots, layers, new SimReport.Counters(arrayBusy, vectorBusy, dmaBusy, dmaWait, tokenWait,
                    bankWait));
        }
    }

    /**
     * Writes into the words of the first {@code n} instructions the double-buffer slot (0 or 1, read by
     * {@link #slot}) of their scratchpad accesses, or none (-1: NOP, HALT, a tiled layer's own
     * instruction, which costs nothing): see the class comment. {@code tile[pc]} says whether instruction
     * {@code pc} is a tile (an array or vector instruction that takes time).
     */
    static void spadSlots(int[] word, int n, boolean[] tile) {
        int k = -1;
        for (int pc = 0; pc < n; pc++) {
            int u = unit(word[pc]);
            if (tile[pc]) {
                k++;
            }
            word[pc] |= (tile[pc] || u == STORE ? (k & 1) + 1 : 0) << SLOT_SHIFT;
        }
        // a LOAD feeds the next tile in program order
        int next = (k + 1) & 1;
        for (int pc = n - 1; pc >= 0; pc--) {
            int u = unit(word[pc]);
            if (tile[pc]) {
                next = slot(word[pc]);
            } else if (u == LOAD) {
                word[pc] |= (next + 1) << SLOT_SHIFT;
            }
        }
    }

    /** Whether an instruction's word is of the array or the vector unit. */
    static boolean computes(int word) {
        int u = unit(word);
        return u == ARRAY || u == VECTOR;
    }

    /** The queue ({@link Unit.Queue} ordinal) of an instruction's word. */
    static int queue(int word) {
        return (word >>> QUEUE_SHIFT) & 3;
    }

    /** A FIFO of cycle numbers (a token queue), without boxing. */
    static final class LongFifo {
        private long[] items = new long[16];
        private int head;
        private int tail;

        void add(long v) {
            if (tail == items.length) {
                int live = tail - head;
                long[] next = live * 2 <= items.length ? items : new long[items.length * 2];
                System.arraycopy(items, head, next, 0, live);
                items = next;
                head = 0;
                tail = live;
            }
            items[tail++] = v;
        }

        long poll() {
            return items[head++];
        }

        boolean isEmpty() {
            return head == tail;
        }

        int size() {
            return tail - head;
        }
    }

    /**
     * A resource used by one unit at a time (the shared DRAM port, a group of scratchpad banks): its
     * busy intervals, sorted and disjoint (touching ones merged); a use takes the first gap at or after
     * its earliest start that fits it. Intervals that end before every queue's current time can no longer
     * matter (no later use starts before it) and are dropped by {@link #forget}.
     */
    static final class Intervals {
        private long[] starts = new long[64];
        private long[] ends = new long[64];
        private int head;
        private int size;

        /** Marks {@code [t, t + length)} busy; it must be free ({@link #firstFit} returned {@code t}). */
        void reserveAt(long t, long length) {
            long e = t + length;
            int at = insertionPoint(t);
            boolean joinPrev = at > head && ends[at - 1] == t;
            boolean joinNext = at < size && starts[at] == e;
            if (joinPrev && joinNext) {
                ends[at - 1] = ends[at];
                System.arraycopy(starts, at + 1, starts, at, size - at - 1);
                System.arraycopy(ends, at + 1, ends, at, size - at - 1);
                size--;
            } else if (joinPrev) {
                ends[at - 1] = e;
            } else if (joinNext) {
                starts[at] = t;
            } else {
                if (size == starts.length) {
                    grow();
                    at = insertionPoint(t);
                }
                if (at < size) {                             // the usual case appends
                    System.arraycopy(starts, at, starts, at + 1, size - at);
                    System.arraycopy(ends, at, ends, at + 1, size - at);
                }
                starts[at] = t;
                ends[at] = e;
                size++;
            }
        }

        /** Drops the intervals that end at or before {@code time}. */
        void forget(long time) {
            while (head < size && ends[head] <= time) {
                head++;
            }
        }

        private void grow() {
            int live = size - head;
            if (live * 2 <= starts.length) {          // room after dropping the forgotten ones
                System.arraycopy(starts, head, starts, 0, live);
                System.arraycopy(ends, head, ends, 0, live);
            } else {
                long[] s2 = new long[starts.length * 2];
                long[] e2 = new long[ends.length * 2];
                System.arraycopy(starts, head, s2, 0, live);
                System.arraycopy(ends, head, e2, 0, live);
                starts = s2;
                ends = e2;
            }
            head = 0;
            size = live;
        }

        /** The earliest start at or after {@code earliest} where {@code length} cycles are free. */
        long firstFit(long earliest, long length) {
            long t = earliest;
            if (size == head || ends[size - 1] <= t) {
                return t;                                    // the usual case: nothing busy from t on
            }
            // the first interval ending after t (ends are sorted since the intervals are disjoint and sorted)
            int lo = head;
            int hi = size;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (ends[mid] <= t) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            for (int at = lo; at < size; at++) {
                if (starts[at] >= t + length) {
                    break;
                }
                t = Math.max(t, ends[at]);
            }
            return t;
        }

        private int insertionPoint(long start) {
            if (size == head || starts[size - 1] < start) {
                return size;                                 // the usual case: after every interval
            }
            int lo = head;
            int hi = size;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (starts[mid] < start) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}
