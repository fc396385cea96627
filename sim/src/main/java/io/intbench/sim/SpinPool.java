package io.intbench.sim;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The workers of {@link Parallel#forRange}: threads that wait for the next kernel by spinning for a
 * while before they sleep. A kernel lasts tens to hundreds of microseconds and the next one follows at
 * once, while waking a sleeping thread costs about as much on a virtual machine (its idle virtual CPU
 * is halted and must be scheduled again): with a thread pool whose workers sleep between tasks, two
 * threads were no faster than one. A worker that has had no work for {@link #SPIN_NANOS} sleeps until
 * the next kernel wakes it.
 *
 * <p>One kernel at a time: {@link #run} returns false when another thread's kernel holds the workers,
 * and that caller runs its range by itself.
 */
final class SpinPool {
    /** How long an idle worker keeps checking for work before it sleeps. */
    static final long SPIN_NANOS = 2_000_000;

    private final Worker[] workers;
    private final AtomicInteger busy = new AtomicInteger();
    /** The current kernel; a worker runs each job it sees once. */
    private volatile Job job = new Job(0, null, 0, 0);
    private volatile boolean stopped;

    /** One kernel: its parts after the first are the workers'. */
    private record Job(long epoch, Kernels.Work body, int n, int parts, AtomicInteger pending,
                       AtomicReference<Throwable> failure) {
        Job(long epoch, Kernels.Work body, int n, int parts) {
            this(epoch, body, n, parts, new AtomicInteger(parts - 1), new AtomicReference<>());
        }
    }

    SpinPool(int size) {
        workers = new Worker[size];
        for (int i = 0; i < size; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    /** The number of workers (the calling thread makes one more). */
    int size() {
        return workers.length;
    }

    /** The first index of part {@code k} of {@code parts} over {@code [0, n)}. */
    static int bound(int n, int k, int parts) {
        return (int) ((long) n * k / parts);
    }

    /**
     * Runs {@code body} over {@code [0, n)} in {@code parts} (at most {@link #size()} + 1) contiguous parts,
     * part 0 on the calling thread, and returns true when all are done; false, having run nothing, when the
     * workers are busy with another caller's kernel.
     */
    boolean run(int n, int parts, Kernels.Work body) {
        if (!busy.compareAndSet(0, 1)) {
            return false;
        }
        try {
            Job j = new Job(job.epoch() + 1, body, n, parts);
            job = j;
            for (int w = 0; w < parts - 1; w++) {
                if (workers[w].sleeping) {
                    LockSupport.unpark(workers[w]);
                }
            }
            Throwable mine = null;
            try {
                body.slice(0, bound(n, 1, parts));
            } catch (RuntimeException | Error e) {
                mine = e;
            }
            for (int spins = 0; j.pending().get() > 0; spins++) {
                if (spins < 1 << 16) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            Throwable t = mine != null ? mine : j.failure().get();
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            return true;
        } finally {
            job = new Job(job.epoch(), null, 0, 0);             // the same epoch: no work, and no kernel held
            busy.set(0);
        }
    }

    /** Ends the workers (after their current part). */
    void stop() {
        stopped = true;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
    }

    private final class Worker extends Thread {
        private final int index;
        volatile boolean sleeping;

        Worker(int index) {
            super("intbench-sim-worker-" + index);
            this.index = index;
        }

        @Override
        public void run() {
            long seen = 0;                                      // the epoch of the pool's empty first job
            while (true) {
                Job j = job;
                if (j.epoch() == seen) {
                    if (stopped) {
                        return;                                 // a job published before stop() is still done
                    }
                    waitForWork(seen);
                    continue;
                }
                seen = j.epoch();
                if (index < j.parts()) {
                    try {
                        j.body().slice(bound(j.n(), index, j.parts()), bound(j.n(), index + 1, j.parts()));
                    } catch (Throwable t) {
                        j.failure().compareAndSet(null, t);
                    }
                    j.pending().decrementAndGet();
                }
            }
        }

        /** Spins, then yields, then sleeps until the epoch moves past {@code seen} (or the pool stops). */
        private void waitForWork(long seen) {
            long start = System.nanoTime();
            for (int spins = 0; job.epoch() == seen && !stopped; spins++) {
                if (spins < 1 << 12) {
                    Thread.onSpinWait();
                } else if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.yield();
                } else {
                    sleeping = true;
                    if (job.epoch() == seen && !stopped) {  // re-checked after announcing the sleep
                        LockSupport.park(this);
                    }
                    sleeping = false;
                    start = System.nanoTime();
                    spins = 0;
                }
            }
        }
    }
}
