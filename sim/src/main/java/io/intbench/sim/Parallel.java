package io.intbench.sim;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;

/**
 * The simulator's worker threads: runs a kernel's independent slices (disjoint output channels) on
 * workers that spin between kernels ({@link SpinPool}). The partition of the work depends only on the slice count and the thread count, and
 * every slice writes only its own outputs with integer arithmetic, so the results are bit-identical at
 * every thread count (integer addition is exact and order-free modulo 2^32).
 *
 * <p>The work is a sealed class ({@link Kernels.Work}), not a functional interface, so that the
 * no-float bytecode audit can resolve every call it makes.
 *
 * <p>The thread count is {@link #threads()}: {@link #setThreads} if called, else the system property
 * {@code intbench.sim.threads}, else 1.
 */
public final class Parallel {
    private Parallel() { }

    private static volatile int threads = Math.max(1, Integer.getInteger("intbench.sim.threads", 1));
    private static SpinPool pool;

    /** Sets the number of threads kernels may use (1: everything on the calling thread). */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("simulator threads must be >= 1, got " + n);
        }
        threads = n;
    }

    /** The number of threads kernels use. */
    public static int threads() {
        return threads;
    }

    /** Daemon threads named {@code name}: they never keep the JVM alive. */
    private static ThreadFactory daemons(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private static synchronized SpinPool pool(int size) {
        if (pool == null || pool.size() != size) {
            if (pool != null) {
                pool.stop();
            }
            pool = new SpinPool(size);
        }
        return pool;
    }

    private static ExecutorService timingThread;

    /**
     * With two or more threads: starts the timing model of {@code p} on a thread of its own, so it runs
     * while the calling thread executes the program (timing depends only on the program and the config,
     * never on data), and returns its future; with one thread: null (the caller runs it itself).
     */
    static Future<Timing.Result> timingInBackground(io.intbench.isa.Program p, io.intbench.isa.HardwareConfig cfg) {
        if (threads < 2) {
            return null;
        }
        ExecutorService ex;
        synchronized (Parallel.class) {
            if (timingThread == null) {
                timingThread = Executors.newSingleThreadExecutor(daemons("intbench-sim-timing"));
            }
            ex = timingThread;
        }
        return ex.submit(() -> Timing.summary(p, cfg));
    }

    /** The result of {@link #timingInBackground}, rethrowing what the timing model threw. */
    static Timing.Result await(Future<Timing.Result> f) {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException re ? re : new IllegalStateException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the timing model", e);
        }
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into {@code min(threads, n / minChunk)} contiguous
     * parts of (nearly) equal size ({@link SpinPool#bound}); the calling thread runs the first part.
     * Returns when all are done. When another thread's kernel holds the workers, the calling thread runs
     * the whole range itself (the same results: the parts are disjoint).
     */
    static void forRange(int n, int minChunk, Kernels.Work body) {
        int parts = Math.min(threads, Math.max(1, n / Math.max(1, minChunk)));
        if (parts <= 1 || !pool(threads - 1).run(n, parts, body)) {
            body.slice(0, n);
        }
    }
}
