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

    /** Everything the timing model measured. */
    public record Result(long totalCycles, Slot[] slots, List<SimReport.LayerStats> layers, SimReport.Counters counters) { }

    /** The queue ({@link Unit.Queue} ordinal) of each opcode, by {@link Opcode} ordinal. */
    private static final int[] QUEUE_OF = new int[Opcode.values().length];

    static {
        for (Opcode o : Opcode.values()) {
            QUEUE_OF[o.ordinal()] = o.unit().queue().ordinal();
        }
    }

    public static Result run(Program p, HardwareConfig cfg) {
        List<Instruction> code = p.code();
        int n = code.size();
        long[] latency = Costs.latencies(p, cfg);
        // the three in-order queues: queue q holds the pcs queued[q][head[q] .. tail[q])
        int[][] queued = new int[3][n];
        int[] head = new int[3];
        int[] tail = new int[3];
        // per pc, read once: the dependency flags and whether it is a DMA
        int[] deps = new int[n];
        boolean[] dma = new boolean[n];
        for (int pc = 0; pc < n; pc++) {
            Instruction ins = code.get(pc);
            int q = QUEUE_OF[ins.op().ordinal()];
            queued[q][tail[q]++] = pc;
            deps[pc] = ins.deps();
            dma[pc] = Costs.isDma(ins);
            if (ins.op() == Opcode.HALT) {
                break;
            }
        }
        // token FIFOs, holding the cycle at which each token becomes available
        LongFifo l2e = new LongFifo();
        LongFifo e2l = new LongFifo();
        LongFifo e2s = new LongFifo();
        LongFifo s2e = new LongFifo();
        long[] queueFree = new long[3];
        Slot[] slots = new Slot[n];
        Intervals port = new Intervals();
        int[] slotOf = spadSlots(code, latency);
        boolean sharedBank = cfg.scratchpad().banks() < 2;
        Intervals[] banks = sharedBank ? new Intervals[] {new Intervals()} : new Intervals[] {new Intervals(), new Intervals()};
        int remaining = tail[0] + tail[1] + tail[2];
        while (remaining > 0) {
            boolean progress = false;
            for (int q = 0; q < 3; q++) {
                LongFifo popPrev = q == 1 ? l2e : q == 2 ? e2s : null;
                LongFifo popNext = q == 0 ? e2l : q == 1 ? s2e : null;
                while (head[q] < tail[q]) {
                    int pc = queued[q][head[q]];
                    int dep = deps[pc];
                    boolean popsPrev = (dep & Instruction.POP_PREV) != 0;
                    boolean popsNext = (dep & Instruction.POP_NEXT) != 0;
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
                    long start = ready;
                    long portFree = ready;
                    Intervals bank = slotOf[pc] < 0 ? null : banks[sharedBank ? 0 : slotOf[pc]];
                    long lat = latency[pc];
                    if (dma[pc]) {
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
                    slots[pc] = new Slot(start, end, ready - queueFree[q], portFree - ready, start - portFree);
                    queueFree[q] = end;
                    if ((dep & Instruction.PUSH_PREV) != 0) {
                        (q == 1 ? e2l : s2e).add(end);
                    }
                    if ((dep & Instruction.PUSH_NEXT) != 0) {
                        (q == 0 ? l2e : e2s).add(end);
                    }
                    head[q]++;
                    remaining--;
                    progress = true;
                }
            }
            // no later instruction starts before the earliest free time of the queues still holding some
            long horizon = Long.MAX_VALUE;
            for (int q = 0; q < 3; q++) {
                if (head[q] < tail[q]) {
                    horizon = Math.min(horizon, queueFree[q]);
                }
            }
            port.forget(horizon);
            for (Intervals b : banks) {
                b.forget(horizon);
            }
            if (!progress) {
                StringBuilder heads = new StringBuilder();
                for (int q = 0; q < 3; q++) {
                    if (head[q] < tail[q]) {
                        int pc = queued[q][head[q]];
                        heads.append(" ").append(Unit.Queue.values()[q]).append(" queue waits at pc ").append(pc)
                                .append(" (").append(code.get(pc).op()).append(");");
                    }
                }
                throw new IntbenchException.SimulationTrap("deadlock: no queue can proceed, every head waits for a token that never comes:" + heads);
            }
        }
        // every push must have met its pop: a token left over means the compiler's protocol is unbalanced
        // (a later program reusing the queues would start with a stale token)
        if (!l2e.isEmpty() || !e2l.isEmpty() || !e2s.isEmpty() || !s2e.isEmpty()) {
            throw new IntbenchException.SimulationTrap("unbalanced dependency tokens at the end: load->exec " + l2e.size()
                    + ", exec->load " + e2l.size() + ", exec->store " + e2s.size() + ", store->exec " + s2e.size()
                    + " token(s) never popped");
        }
        return summarize(p, cfg, slots);
    }

    private static Result summarize(Program p, HardwareConfig cfg, Slot[] slots) {
        int nl = p.layers().size();
        long[] end = new long[nl];
        long[] compute = new long[nl];
        long[] memory = new long[nl];
        long[] stall = new long[nl];
        long[] rd = new long[nl];
        long[] wr = new long[nl];
        long total = 0;
        long arrayBusy = 0;
        long vectorBusy = 0;
        long dmaBusy = 0;
        long dmaWait = 0;
        long tokenWait = 0;
        long bankWait = 0;
        for (int pc = 0; pc < slots.length; pc++) {
            Slot s = slots[pc];
            if (s == null) {
                continue;
            }
            Instruction ins = p.code().get(pc);
            long lat = s.end() - s.start();
            total = Math.max(total, s.end());
            Unit u = ins.op().unit();
            switch (u) {
                case ARRAY -> arrayBusy += lat;
                case VECTOR -> vectorBusy += lat;
                case LOAD, STORE -> {
                    dmaBusy += lat;
                    dmaWait += s.portWait();
                }
                case CONTROL -> { }
            }
            if (u.queue() == Unit.Queue.EXEC) {
                tokenWait += s.tokenWait();
            }
            bankWait += s.bankWait();
            int l = p.pcLayer()[pc];
            if (l < 0) {
                continue;
            }
            end[l] = Math.max(end[l], s.end());
            switch (u) {
                case ARRAY, VECTOR -> compute[l] += lat;
                case LOAD -> {
                    memory[l] += lat;
                    rd[l] += ins.operand(1);
                }
                case STORE -> {
                    memory[l] += lat;
                    wr[l] += ins.operand(1);
                }
                case CONTROL -> { }
            }
            if (u.queue() == Unit.Queue.EXEC) {
                stall[l] += s.tokenWait();
            }
        }
        List<SimReport.LayerStats> layers = new ArrayList<>(nl);
        long prevEnd = 0;
        long peak = (long) cfg.array().rows() * cfg.array().cols();
        for (int l = 0; l < nl; l++) {
            Program.Layer layer = p.layers().get(l);
            long cycles = Math.max(0, end[l] - prevEnd);
            prevEnd = Math.max(prevEnd, end[l]);
            double util = cycles == 0 ? 0 : Math.min(1.0, (double) layer.macs() / ((double) cycles * peak));
            layers.add(new SimReport.LayerStats(layer.name(), layer.op(), layer.macs(), cycles, compute[l], memory[l],
                    stall[l], util, rd[l], wr[l]));
        }
        return new Result(total, slots, layers, new SimReport.Counters(arrayBusy, vectorBusy, dmaBusy, dmaWait, tokenWait,
                bankWait));
    }

    /**
     * The double-buffer slot (0 or 1) of each instruction's scratchpad accesses, -1 for none (NOP, HALT,
     * a tiled layer's own instruction, which costs nothing): see the class comment.
     */
    static int[] spadSlots(List<Instruction> code, long[] latency) {
        int n = code.size();
        int[] slot = new int[n];
        int k = -1;
        for (int pc = 0; pc < n; pc++) {
            Unit u = code.get(pc).op().unit();
            boolean work = (u == Unit.ARRAY || u == Unit.VECTOR) && latency[pc] > 0;
            if (work) {
                k++;
            }
            slot[pc] = work || u == Unit.STORE ? Math.floorMod(k, 2) : -1;
        }
        // a LOAD feeds the next tile in program order
        int next = Math.floorMod(k + 1, 2);
        for (int pc = n - 1; pc >= 0; pc--) {
            Unit u = code.get(pc).op().unit();
            if ((u == Unit.ARRAY || u == Unit.VECTOR) && latency[pc] > 0) {
                next = slot[pc];
            } else if (u == Unit.LOAD) {
                slot[pc] = next;
            }
        }
        return slot;
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
                System.arraycopy(starts, at, starts, at + 1, size - at);
                System.arraycopy(ends, at, ends, at + 1, size - at);
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
