package io.intbench.sim;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Widened weights ({@code w - wZp} as ints, the form the kernels multiply) kept between runs of a
 * program, as ONNX Runtime prepacks a model's weights once when it creates a session. An entry is used
 * only when the DRAM bytes it was made from are still there, byte for byte (weights and zero points are
 * compared on every use, far cheaper than widening them again), so a program that rewrites its weights,
 * or another program at the same addresses, gets freshly widened ones: the cache can change speed,
 * never results. Least recently used entries go first once the widened arrays exceed an eighth of the
 * maximum heap.
 */
final class WeightCache {
    private WeightCache() { }

    /** What the widened array was made from: the weight bytes and the little-endian int32 zero points. */
    private record Key(int w, int rows, int k, int wZpAddr, boolean signed, int slackRows) { }

    private record Entry(byte[] weights, byte[] zeroPoints, int[] widened) { }

    private static final long BUDGET_INTS = Math.max(1L << 20, Runtime.getRuntime().maxMemory() / 8 / 4);

    /** In order of last use (a hit is moved to the end), so the first entry is the least recently used. */
    private static final LinkedHashMap<Key, Entry> CACHE = new LinkedHashMap<>();

    private static long cachedInts;

    /**
     * The weights of {@code rows} output channels of {@code k} bytes each at {@code w}, minus their channel's
     * zero point (int32 at {@code wZpAddr + 4 * row}), followed by {@code slackRows} rows of zeros.
     */
    static int[] widened(byte[] mem, int w, int rows, int k, int wZpAddr, boolean signed, int slackRows) {
        int wBytes = rows * k;
        Key key = new Key(w, rows, k, wZpAddr, signed, slackRows);
        synchronized (CACHE) {
            Entry e = CACHE.get(key);
            if (e != null && Arrays.equals(mem, w, w + wBytes, e.weights(), 0, wBytes)
                    && Arrays.equals(mem, wZpAddr, wZpAddr + 4 * rows, e.zeroPoints(), 0, 4 * rows)) {
                CACHE.remove(key);
                CACHE.put(key, e);
                return e.widened();
            }
        }
        int[] zp = Kernels.readInts(mem, wZpAddr, rows);
        int[] out = new int[(rows + slackRows) * k];
        for (int r = 0; r < rows; r++) {
            int z = zp[r];
            int base = r * k;
            if (signed) {
                for (int i = 0; i < k; i++) {
                    out[base + i] = mem[w + base + i] - z;
                }
            } else {
                for (int i = 0; i < k; i++) {
                    out[base + i] = (mem[w + base + i] & 0xFF) - z;
                }
            }
        }
        if (out.length <= BUDGET_INTS) {
            Entry e = new Entry(Arrays.copyOfRange(mem, w, w + wBytes), Arrays.copyOfRange(mem, wZpAddr, wZpAddr + 4 * rows), out);
            synchronized (CACHE) {
                Entry old = CACHE.remove(key);
                CACHE.put(key, e);
                cachedInts += out.length - (old == null ? 0 : old.widened().length);
                var it = CACHE.entrySet().iterator();
                while (cachedInts > BUDGET_INTS && it.hasNext()) {
                    Map.Entry<Key, Entry> eldest = it.next();
                    if (eldest.getValue() != e) {
                        cachedInts -= eldest.getValue().widened().length;
                        it.remove();
                    }
                }
            }
        }
        return out;
    }

    /** Empties the cache (tests). */
    static void clear() {
        synchronized (CACHE) {
            CACHE.clear();
            cachedInts = 0;
        }
    }
}
