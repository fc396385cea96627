package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.intbench.isa.Descriptor.EltwiseDesc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The spinning workers of {@link Parallel#forRange}: kernels from several calling threads at once (one
 * holds the workers, the others run alone), a failure in a worker's part, and thread counts changed
 * between kernels all give the sequential results or the failure, and never hang.
 */
class SpinPoolTest {
    private int threadsBefore;
    private long minWorkBefore;

    @BeforeEach
    void splitEverything() {
        threadsBefore = Parallel.threads();
        minWorkBefore = Kernels.minSliceWork;
        Kernels.minSliceWork = 1;
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(threadsBefore);
        Kernels.minSliceWork = minWorkBefore;
    }

    /** An ELTWISE of {@code rows} rows of 64 with a random table, its operands and output apart. */
    private static EltwiseDesc rows(int rows) {
        return new EltwiseDesc(1, 1, rows, 64, 0, 0, 64, 1, 0, 0, 64, 1, 0, 0);
    }

    /** Runs an ELTWISE of {@code n} rows on random memory and checks it against the sequential loop. */
    private static void eltwiseMatchesTheSequentialLoop(SplittableRandom r, int n, String what) {
        EltwiseDesc d = rows(n);
        int a = 65536;
        int b = a + n * 64;
        int out = b + n * 64;
        byte[] mem = new byte[out + n * 64];
        r.nextBytes(mem);
        byte[] want = mem.clone();
        ParallelEltwiseTest.reference(want, d, a, b, out);
        Kernels.eltwise(mem, d, a, b, out);
        assertArrayEquals(want, mem, what);
    }

    @Test
    void kernelsFromSeveralThreadsAtOnceGiveTheSequentialResults() {
        Parallel.setThreads(3);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            ExecutorService callers = Executors.newFixedThreadPool(3);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < 3; c++) {
                    long seed = c;
                    done.add(callers.submit(() -> {
                        SplittableRandom r = new SplittableRandom(seed);
                        for (int k = 0; k < 300; k++) {
                            eltwiseMatchesTheSequentialLoop(r, 1 + r.nextInt(40), "caller " + seed + ", kernel " + k);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                callers.shutdownNow();
            }
        });
    }

    @Test
    void aFailureInAWorkersPartReachesTheCallerAndThePoolGoesOn() {
        Parallel.setThreads(2);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            // the last rows' output runs past the end of memory: the second part (a worker's) fails
            int n = 8;
            EltwiseDesc d = rows(n);
            int a = 65536;
            int b = a + n * 64;
            int out = b + n * 64;
            byte[] tooShort = new byte[out + n * 64 - 10];
            assertThrows(ArrayIndexOutOfBoundsException.class, () -> Kernels.eltwise(tooShort, d, a, b, out));
            eltwiseMatchesTheSequentialLoop(new SplittableRandom(5), n, "the next kernel after a failure");
        });
    }

    @Test
    void threadCountsChangedBetweenKernels() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SplittableRandom r = new SplittableRandom(9);
            for (int k = 0; k < 200; k++) {
                Parallel.setThreads(1 + r.nextInt(4));
                eltwiseMatchesTheSequentialLoop(r, 1 + r.nextInt(30), "kernel " + k + " at " + Parallel.threads() + " threads");
            }
        });
    }
}
