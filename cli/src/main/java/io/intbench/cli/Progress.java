package io.intbench.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar on stderr for work that takes more than a couple of seconds, e.g.
 * {@code golden [##########..........] 50/100 3.2 s}, redrawn in place with a carriage return.
 *
 * <p>By default ({@link Mode#AUTO}) it draws only when stderr is a terminal ({@code System.console() != null},
 * which on Java 17 means stdin and stdout are not redirected either): a bar written into a log file or a pipe
 * is noise made of carriage returns, and scripts read stdout. It then appears only once the work has run for
 * {@link #AUTO_DELAY_NANOS}, so that quick runs print no bar at all. {@code --progress} forces it from the
 * first step (even into a pipe), {@code --no-progress} and {@code --quiet} turn it off. Redraws are limited to
 * ten a second so that many fast steps cost nothing; the last step always draws.
 */
final class Progress {
    static final int WIDTH = 20;
    private static final long REDRAW_NANOS = 100_000_000L;
    /** Work shorter than this draws no bar in {@link Mode#AUTO}. */
    static final long AUTO_DELAY_NANOS = 1_000_000_000L;

    /** Whether bars are drawn. */
    enum Mode {
        /** On stderr when it is a terminal, after {@link #AUTO_DELAY_NANOS}. */
        AUTO,
        /** Always, from the start (--progress). */
        ON,
        /** Never (--no-progress, --quiet). */
        OFF;

        /** --progress / --no-progress (null when neither was given) and --quiet, which wins. */
        static Mode of(Boolean option, boolean quiet) {
            return quiet ? OFF : option == null ? AUTO : option ? ON : OFF;
        }
    }

    private final String what;
    private final long total;
    private final PrintStream out;
    private final LongSupplier clock;
    private final long startNanos;
    private final long delayNanos;
    private long done;
    private long lastDraw = Long.MIN_VALUE;
    private boolean drawn;
    private int drawnLength;
    private boolean finished;

    Progress(String what, long total, PrintStream out, LongSupplier clock) {
        this(what, total, out, clock, 0);
    }

    /** A bar that draws nothing before {@code delayNanos} have passed on {@code clock}; {@code out} null draws nothing. */
    Progress(String what, long total, PrintStream out, LongSupplier clock, long delayNanos) {
        this.what = what;
        this.total = total;
        this.out = out;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.delayNanos = delayNanos;
    }

    /** A bar for {@code total} steps of {@code what}; silent when stderr is not a terminal. */
    static Progress start(String what, long total) {
        return start(what, total, Mode.AUTO);
    }

    /** A bar for {@code total} steps of {@code what}, drawn as {@code mode} says. */
    static Progress start(String what, long total, Mode mode) {
        PrintStream err = switch (mode) {
            case AUTO -> System.console() != null ? System.err : null;
            case ON -> System.err;
            case OFF -> null;
        };
        Progress p = new Progress(what, total, err, System::nanoTime, mode == Mode.AUTO ? AUTO_DELAY_NANOS : 0);
        p.draw(true);
        return p;
    }

    /** One step done. */
    void step() {
        done++;
        draw(done >= total);
    }

    /**
     * Ends the bar: the last state stays on its own line (when a bar was drawn at all). Safe to call twice (e.g.
     * from a finally).
     */
    void done() {
        if (finished) {
            return;
        }
        draw(true);
        finished = true;
        if (drawn) {
            out.print('\n');
            out.flush();
        }
    }

    /** Erases the bar from its line, so that a line of stdout can be printed on the same terminal; the next step redraws it. */
    void clear() {
        if (drawn && !finished) {
            out.print('\r' + " ".repeat(drawnLength) + '\r');
            out.flush();
            lastDraw = Long.MIN_VALUE;
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
        if (now - startNanos < delayNanos || !force && lastDraw != Long.MIN_VALUE && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        drawn = true;
        String l = line();
        drawnLength = l.length();
        out.print('\r' + l);
        out.flush();
    }
}
