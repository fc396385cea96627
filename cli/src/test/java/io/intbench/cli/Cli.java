package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs the CLI in-process through {@link Main#execute(String...)} with System.out and System.err captured, and
 * holds the checks every refusal must pass. In-process so that the whole suite costs one JVM and one ONNX Runtime
 * load instead of one per case.
 */
final class Cli {
    private Cli() { }

    /** Exit status and everything the command printed. */
    record Result(int status, String out, String err) {
        /** The first line of stderr, for failure messages and reports. */
        String firstErrLine() {
            String e = err.strip();
            int nl = e.indexOf('\n');
            return nl < 0 ? e : e.substring(0, nl);
        }

        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }

    /** Runs {@code intbench args...}, restoring System.out and System.err afterwards even when the command throws. */
    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            status = Main.execute(args);
            o.flush();
            e.flush();
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Same as {@link #run} but converts Paths with toString, for readable call sites. */
    static Result run(Object... args) {
        String[] s = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            s[i] = args[i].toString();
        }
        return run(s);
    }

    /** Copies a test resource from {@code fixtures/} into {@code dir} and returns the copy. */
    static Path fixture(String name, Path dir) {
        return fixture(name, dir, name);
    }

    static Path fixture(String name, Path dir, String as) {
        try (InputStream in = Cli.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource fixtures/" + name);
            }
            Path p = dir.resolve(as);
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] fixtureBytes(String name) {
        try (InputStream in = Cli.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource fixtures/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The names of the entries of a folder (hidden temporary files included). */
    static Set<String> listing(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            Set<String> names = new TreeSet<>();
            s.forEach(p -> names.add(p.getFileName().toString()));
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Pattern EXCEPTION_NAME = Pattern.compile("\\b[A-Za-z_$][\\w$.]*(Exception|Error)\\b");

    /**
     * The contract of DESIGN.md for a refused input: the expected exit status, a one-paragraph message on stderr
     * that contains every fragment (case-insensitive), no stack trace and no Java exception class name.
     */
    static void assertRefused(Result r, int status, String... fragments) {
        assertEquals(status, r.status(), () -> "exit status\n" + r);
        String err = r.err().strip();
        assertFalse(err.isEmpty(), () -> "no message on stderr\n" + r);
        assertFalse(err.contains("\n\n") || err.contains("\r\n\r\n"), () -> "message is more than one paragraph\n" + r);
        assertFalse(r.err().contains("\tat "), () -> "stack trace on stderr\n" + r);
        assertFalse(r.out().contains("\tat "), () -> "stack trace on stdout\n" + r);
        Matcher m = EXCEPTION_NAME.matcher(err);
        if (m.find()) {
            fail("message names the Java class '" + m.group() + "' (only --verbose may)\n" + r);
        }
        assertTrue(err.startsWith("intbench: "), () -> "message does not say who is speaking\n" + r);
        String lower = err.toLowerCase(java.util.Locale.ROOT);
        for (String f : fragments) {
            assertTrue(lower.contains(f.toLowerCase(java.util.Locale.ROOT)), () -> "message lacks '" + f + "'\n" + r);
        }
    }
}
