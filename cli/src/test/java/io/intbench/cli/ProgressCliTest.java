package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress bars through the command line: nothing on a stderr that is not a terminal (the test JVM's is a pipe),
 * a bar that ends its line with {@code --progress}, none with {@code --quiet} or {@code --no-progress}; and the
 * bar's own rules on an injected clock (no timing in these tests).
 */
class ProgressCliTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path program;

    @BeforeAll
    static void compileOnce() {
        model = Cli.fixture(CliHappyPathTest.MODEL, dir);
        program = dir.resolve("lenet.ibc");
        Cli.Result r = Cli.run("compile", model, "-o", program, "-q");
        assertEquals(0, r.status(), r::toString);
    }

    /** The final state of every bar in {@code err}: "what [####...] n/total". */
    private static final Pattern FINAL = Pattern.compile("\r(\\w+) \\[#{" + Progress.WIDTH + "}\\] (\\d+)/(\\d+) \\d+\\.\\d s\n");

    @Test
    void pipedStderrGetsNoProgress() {
        assumeTrue(System.console() == null, "the test JVM has a terminal");
        for (Cli.Result r : new Cli.Result[] {
            Cli.run("compile", model, "-o", dir.resolve("again.ibc")),
            Cli.run("simulate", program),
            Cli.run("golden", model),
            Cli.run("sweep", model, "--arrays", "4,8", "--bandwidths", "16")}) {
            assertEquals(0, r.status(), r::toString);
            assertEquals("", r.err(), r::toString);
            assertTrue(r.out().indexOf('\r') < 0, () -> "carriage return on stdout\n" + r);
        }
    }

    @Test
    void forcedProgressDrawsEveryBarToTheEndAndEndsTheLine() {
        Cli.Result sim = Cli.run("simulate", program, "--progress");
        assertEquals(0, sim.status(), sim::toString);
        assertBars(sim, "simulate");
        Cli.Result golden = Cli.run("golden", model, "--progress");
        assertEquals(0, golden.status(), golden::toString);
        assertBars(golden, "compile", "golden");
        Cli.Result sweep = Cli.run("sweep", model, "--arrays", "4,8", "--bandwidths", "16", "--progress");
        assertEquals(0, sweep.status(), sweep::toString);
        assertBars(sweep, "sweep");
        // the rows printed while the bar was up stay intact on stdout
        assertTrue(sweep.out().lines().anyMatch(l -> l.startsWith("4x4 ")) && sweep.out().lines().anyMatch(l -> l.startsWith("8x8 ")),
                sweep::toString);
    }

    /** Every named bar reached total/total and ended with a newline, in that order, and stderr holds nothing else. */
    private static void assertBars(Cli.Result r, String... names) {
        assertTrue(r.err().endsWith("\n"), () -> "the last bar does not end its line\n" + r);
        Matcher m = FINAL.matcher(r.err());
        int i = 0;
        int end = 0;
        while (m.find()) {
            assertTrue(i < names.length, () -> "more bars than expected\n" + r);
            assertEquals(names[i], m.group(1), r::toString);
            assertEquals(m.group(3), m.group(2), () -> "bar ended before its last step\n" + r);
            i++;
            end = m.end();
        }
        assertEquals(names.length, i, () -> "bars drawn\n" + r);
        assertEquals(r.err().length(), end, () -> "stderr goes on after the last bar\n" + r);
        assertEquals(names.length, r.err().chars().filter(c -> c == '\n').count(), () -> "one line per bar\n" + r);
    }

    @Test
    void quietAndNoProgressWinOverATerminal() {
        for (Cli.Result r : new Cli.Result[] {Cli.run("simulate", program, "--progress", "-q"), Cli.run("simulate", program, "--no-progress")}) {
            assertEquals(0, r.status(), r::toString);
            assertEquals("", r.err(), r::toString);
        }
        assertEquals(Progress.Mode.OFF, Progress.Mode.of(true, true));
        assertEquals(Progress.Mode.OFF, Progress.Mode.of(false, false));
        assertEquals(Progress.Mode.ON, Progress.Mode.of(true, false));
        assertEquals(Progress.Mode.AUTO, Progress.Mode.of(null, false));
    }

    @Test
    void aBarWithADelayStaysSilentForQuickWork() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long[] now = {0};
        Progress p = new Progress("compile", 5, new PrintStream(buf, true, StandardCharsets.UTF_8), () -> now[0], 1_000_000_000L);
        now[0] = 999_999_999L;
        for (int i = 0; i < 5; i++) {
            p.step();
        }
        p.done();
        assertEquals(0, buf.size(), "work that ended before the delay draws nothing, not even a newline");

        Progress slow = new Progress("golden", 2, new PrintStream(buf, true, StandardCharsets.UTF_8), () -> now[0], 1_000_000_000L);
        now[0] += 500_000_000L;
        slow.step();
        assertEquals(0, buf.size());
        now[0] += 600_000_000L;
        slow.step();
        slow.done();
        String last = "\rgolden [####################] 2/2 1.1 s";
        assertEquals(last + last + "\n", buf.toString(StandardCharsets.UTF_8), "drawn from the first step after the delay");
    }

    @Test
    void clearErasesTheBarForALineOfStdout() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long[] now = {0};
        Progress p = new Progress("sweep", 2, new PrintStream(buf, true, StandardCharsets.UTF_8), () -> now[0]);
        p.step();
        String bar = "sweep [##########..........] 1/2 0.0 s";
        assertEquals("\r" + bar, buf.toString(StandardCharsets.UTF_8));
        p.clear();
        assertEquals("\r" + bar + "\r" + " ".repeat(bar.length()) + "\r", buf.toString(StandardCharsets.UTF_8));
        buf.reset();
        p.step();
        p.done();
        String last = "\rsweep [####################] 2/2 0.0 s";
        assertEquals(last + last + "\n", buf.toString(StandardCharsets.UTF_8), "the last step draws, done() draws again and ends the line");
    }
}
