package io.intbench.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium (Debian's {@code chromium} package) for the HTML report tests. Each run gets a fresh profile
 * folder and every background service that could reach the network is switched off, so a run is the same offline
 * and in CI; {@code --no-sandbox} because CI containers run as root, where Chromium's sandbox refuses to start.
 */
final class Chromium {
    private Chromium() { }

    static final String MISSING = "chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it),"
            + " so the headless-browser checks of the HTML report are skipped";

    /** Seconds a run may take before it is killed; a page of LeNet renders in a few seconds. */
    static final long TIMEOUT_SECONDS = 120;

    /** {@code chromium} (or {@code chromium-browser}) on the PATH, or null. */
    static Path find() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String name : List.of("chromium", "chromium-browser")) {
            for (String d : path.split(File.pathSeparator)) {
                Path p = Path.of(d, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /** The DOM after the page loaded and its scripts ran. */
    static String dumpDom(Path chromium, Path page, Path work) throws IOException, InterruptedException {
        Path out = Files.createTempFile(work, "dom", ".html");
        run(chromium, work, out, "--dump-dom", page.toUri().toString());
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    /** A 1200 x 2000 pixel screenshot of the page. */
    static void screenshot(Path chromium, Path page, Path png, Path work) throws IOException, InterruptedException {
        Path log = Files.createTempFile(work, "shot", ".log");
        run(chromium, work, log, "--screenshot=" + png.toAbsolutePath(), "--window-size=1200,2000", "--hide-scrollbars",
                page.toUri().toString());
        if (!Files.isRegularFile(png) || Files.size(png) == 0) {
            throw new AssertionError("chromium wrote no screenshot " + png + "; it said:\n" + Files.readString(log));
        }
    }

    private static void run(Path chromium, Path work, Path stdout, String... args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(work, "chromium-profile");
        Path stderr = Files.createTempFile(work, "chromium", ".err");
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            // only the browser this test started, and the helper processes it spawned
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within " + TIMEOUT_SECONDS + " s: " + String.join(" ", cmd));
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("chromium exited with " + p.exitValue() + ": " + String.join(" ", cmd) + "\n"
                    + Files.readString(stderr, StandardCharsets.UTF_8));
        }
    }
}
