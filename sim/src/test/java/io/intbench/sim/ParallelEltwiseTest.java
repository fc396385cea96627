package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.intbench.isa.Descriptor.EltwiseDesc;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * ELTWISE split over threads (rows of {@code d3} outputs per slice) against the sequential loop nest it
 * replaced (kept here verbatim as {@link #reference}): byte-identical at 1 to 3 threads, with broadcasting
 * (zero strides) on either operand, and with the output written over an operand, where only the
 * sequential order is the program's meaning.
 */
class ParallelEltwiseTest {

    @Property(tries = 200)
    void eltwiseIsByteIdenticalToTheSequentialLoopAtEveryThreadCount(
            @ForAll @IntRange(min = 1, max = 3) int d0, @ForAll @IntRange(min = 1, max = 40) int d1,
            @ForAll @IntRange(min = 1, max = 30) int d2, @ForAll @IntRange(min = 1, max = 700) int d3,
            @ForAll boolean broadcastA, @ForAll boolean broadcastB, @ForAll @IntRange(min = 0, max = 2) int alias,
            @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = d0 * d1 * d2 * d3;
        int table = 0;
        int a = 65536;
        int b = a + n;
        int out = alias == 1 ? a : alias == 2 ? b : b + n;      // 1, 2: written over operand a or b
        byte[] mem = new byte[b + 2 * n];
        r.nextBytes(mem);
        // a: full tensor or broadcast over d1 (stride 0); b: full or one value per d3 position
        EltwiseDesc d = new EltwiseDesc(d0, d1, d2, d3,
                d1 * d2 * d3, broadcastA ? 0 : d2 * d3, d3, 1,
                broadcastB ? 0 : d1 * d2 * d3, broadcastB ? 0 : d2 * d3, broadcastB ? 0 : d3, 1,
                table, 0);
        byte[] want = mem.clone();
        reference(want, d, a, b, out);
        int before = Parallel.threads();
        long minWork = Kernels.minSliceWork;
        Kernels.minSliceWork = 1;                   // split even these small kernels
        try {
            for (int threads = 1; threads <= 3; threads++) {
                Parallel.setThreads(threads);
                byte[] got = mem.clone();
                Kernels.eltwise(got, d, a, b, out);
                assertArrayEquals(want, got, d + " out at " + out + " with " + threads + " threads");
            }
        } finally {
            Parallel.setThreads(before);
            Kernels.minSliceWork = minWork;
        }
    }

    /** The sequential ELTWISE kernel as it was before it was split over threads. */
    static void reference(byte[] mem, EltwiseDesc d, int a, int b, int out) {
        int t = d.tableAddr();
        int o = out;
        for (int i0 = 0; i0 < d.d0(); i0++) {
            for (int i1 = 0; i1 < d.d1(); i1++) {
                for (int i2 = 0; i2 < d.d2(); i2++) {
                    int pa = a + i0 * d.aS0() + i1 * d.aS1() + i2 * d.aS2();
                    int pb = b + i0 * d.bS0() + i1 * d.bS1() + i2 * d.bS2();
                    for (int i3 = 0; i3 < d.d3(); i3++) {
                        mem[o++] = mem[t + ((mem[pa + i3 * d.aS3()] & 0xFF) << 8 | (mem[pb + i3 * d.bS3()] & 0xFF))];
                    }
                }
            }
        }
    }
}
