package io.intbench.sim;

/**
 * Work arrays of the kernels and of the timing model, kept per calling thread and reused from one
 * instruction (or run) to the next instead of allocated (and cleared by the JVM) each time. A user may
 * hold a slot only for the duration of one instruction (one timing run) and must write every element
 * it reads.
 */
final class Scratch {
    static final int PLANES = 0;
    static final int WIDE = 1;
    static final int COL = 2;
    /** {@link Timing}'s per-instruction words. */
    static final int TIMING_WORDS = 3;
    /** {@link Timing}'s issue order. */
    static final int TIMING_ORDER = 4;
    /** {@link Timing}'s latencies (a long slot). */
    static final int TIMING_LATENCY = 0;

    private static final ThreadLocal<int[][]> INTS = ThreadLocal.withInitial(() -> new int[5][0]);
    private static final ThreadLocal<long[][]> LONGS = ThreadLocal.withInitial(() -> new long[1][0]);

    private Scratch() { }

    /** The calling thread's int array of slot {@code slot}, at least {@code size} long; its contents are stale. */
    static int[] ints(int slot, int size) {
        int[][] s = INTS.get();
        if (s[slot].length < size) {
            s[slot] = new int[size];
        }
        return s[slot];
    }

    /** The calling thread's long array of slot {@code slot}, at least {@code size} long; its contents are stale. */
    static long[] longs(int slot, int size) {
        long[][] s = LONGS.get();
        if (s[slot].length < size) {
            s[slot] = new long[size];
        }
        return s[slot];
    }
}
