package io.intbench.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar on stderr for work that takes more than a couple of seconds, e.g.
 * {@code golden [##########..........] 50/100 3.2 s}, redrawn in place with a carriage return.
 *
 * <p>It draws only when stderr is a terminal ({@code System.console() != null}, which on Java 17 means
 * stdin and stdout are not redirected either): a bar written into a log file or a pipe is noise made of
 * carriage returns, and scripts read stdout. Redraws are limited to ten a second so that many fast steps
 * cost nothing; the last step always draws.
 */
final class Progress {
    static final int WIDTH = 20;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final String what;
    private final long total;
    private final PrintStream out;
    private final LongSupplier clock;
    private final long startNanos;
    private long done;
    private long lastDraw = Long.MIN_VALUE;
    private boolean finished;

    Progress(String what, long total, PrintStream out, LongSupplier clock) {
        this.what = what;
        this.total = total;
        this.out = out;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
    }

    /** A bar for {@code total} steps of {@code what}; silent when stderr is not a terminal. */
    static Progress start(String what, long total) {
        Progress p = new Progress(what, total, System.console() != null ? System.err : null, System::nanoTime);
        p.draw(true);
        return p;
    }

    /** One step done. */
    void step() {
        done++;
        draw(done >= total);
    }

    /** Ends the bar: the last state stays on its own line. Safe to call twice (e.g. from a finally). */
    void done() {
        if (finished) {
            return;
        }
        draw(true);
        finished = true;
        if (out != null) {
            out.print('\n');
            out.flush();
        }
    }

    /** The bar as drawn now, without the carriage return. */
    String line() {
        int filled = total <= 0 ? WIDTH : (int) Math.min(WIDTH, done * WIDTH / total);
        double seconds = (clock.getAsLong() - startNanos) / 1e9;
        return String.format(Locale.ROOT, "%s [%s%s] %d/%d %.1f s", what, "#".repeat(filled), ".".repeat(WIDTH - filled),
                done, total, seconds);
    }

    private void draw(boolean force) {
        if (out == null || finished) {
            return;
        }
        long now = clock.getAsLong();
        if (!force && lastDraw != Long.MIN_VALUE && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        out.print('\r' + line());
        out.flush();
    }
}
