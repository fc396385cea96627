package io.intbench.sim;

/**
 * Work arrays of the kernels, kept per calling thread and reused from one instruction to the next
 * instead of allocated (and cleared by the JVM) for every layer. A kernel may use a slot only for the
 * duration of one instruction and must write every element it reads.
 */
final class Scratch extends ThreadLocal<int[][]> {
    static final int PLANES = 0;
    static final int WIDE = 1;
    static final int COL = 2;

    private static final Scratch SLOTS = new Scratch();

    private Scratch() { }

    @Override
    protected int[][] initialValue() {
        return new int[3][0];
    }

    /** The calling thread's array of slot {@code slot}, at least {@code size} long; its contents are stale. */
    static int[] ints(int slot, int size) {
        int[][] s = SLOTS.get();
        if (s[slot].length < size) {
            s[slot] = new int[size];
        }
        return s[slot];
    }
}
