package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.onnx.OnnxFuzzTest;
import io.intbench.isa.ProgramFile;
import io.intbench.onnx.OnnxProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input through the command line, tried on purpose (issue 7): damaged models to {@code compile}, damaged
 * program files to {@code simulate}, damaged configs to {@code compile --config}, and random arguments. Every
 * case must exit 0 (the damage left a usable file; the output must then exist and, for a program, read back), or
 * 3 with the refusal contract of {@link Cli#assertRefused} and a message that names the file or a
 * node / field / offset, leaving the folder exactly as it was (no output, no temporary file). Random arguments may
 * also exit 2. Seeded and in-process; the API-level suites (OnnxFuzzTest, ProgramFuzzTest, ConfigFuzzTest) run
 * thousands of cases, this one a few hundred because every run goes through picocli and writes files.
 */
class CliFuzzTest {
    static final Duration CASE_LIMIT = Duration.ofSeconds(10);
    static final Pattern WHERE = Pattern.compile("(?i)(node|tensor|field|offset|initializer|attribute|opset|input|output"
            + "|dim|shape|ir_version|graph|type|key|line|column|value|name|clockMHz|array|scratchpad|accumulator"
            + "|vector|dram)");
    static final Map<String, Map<Integer, Integer>> COUNTS = new TreeMap<>();

    @TempDir
    static Path shared;
    static byte[] model;
    static byte[] program;
    static String config;

    @TempDir
    Path dir;

    @BeforeAll
    static void compileOnce() throws IOException {
        model = OnnxFuzzTest.builderModel(false);
        Path m = Files.write(shared.resolve("small.onnx"), model);
        Path p = shared.resolve("small.ibc");
        Cli.Result r = Cli.run("compile", m, "-o", p, "-q");
        assertEquals(0, r.status(), r::toString);
        program = Files.readAllBytes(p);
        try (var in = CliFuzzTest.class.getResourceAsStream("/configs/tiny-4x4.json")) {
            config = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @AfterAll
    static void summary() {
        int total = 0;
        for (var e : COUNTS.entrySet()) {
            int n = e.getValue().values().stream().mapToInt(Integer::intValue).sum();
            total += n;
            System.out.println("cli fuzz " + e.getKey() + ": " + n + " runs, exit status counts " + e.getValue());
        }
        System.out.println("cli fuzz total: " + total + " runs, every one exit 0, or 3 (2 for random arguments) with a message"
                + " and nothing left behind");
    }

    /**
     * Runs one command in a fresh folder holding {@code inputName} = {@code input}; checks the contract.
     * {@code out} is the output the command was asked for (relative to the folder).
     */
    static void runCase(String kind, Path caseDir, String inputName, byte[] input, String out, boolean usageAllowed,
            String... args) throws IOException {
        Files.createDirectories(caseDir);
        Files.write(caseDir.resolve(inputName), input);
        Set<String> before = Cli.listing(caseDir);
        String[] full = Arrays.stream(args).map(a -> a.replace("@DIR", caseDir.toString())).toArray(String[]::new);
        Cli.Result r = assertTimeoutPreemptively(CASE_LIMIT, () -> Cli.run(full),
                () -> kind + ": intbench " + String.join(" ", full) + " did not finish within " + CASE_LIMIT.toSeconds() + " s");
        synchronized (COUNTS) {
            COUNTS.computeIfAbsent(kind, k -> new TreeMap<>()).merge(r.status(), 1, Integer::sum);
        }
        if (r.status() == 0 && usageAllowed) {
            return; // random arguments may name any file as output, or none (configs, --help)
        }
        if (r.status() == 0) {
            Path o = caseDir.resolve(out);
            assertTrue(Files.isRegularFile(o) && Files.size(o) > 0, () -> kind + ": exit 0 without " + out + "\n" + r);
            if (out.endsWith(".ibc")) {
                ProgramFile.read(o); // what compile wrote must read back
            }
            return;
        }
        if (usageAllowed) {
            // bad usage (2) or a file named by the arguments that is missing or unreadable (3)
            Cli.assertRefused(r, r.status() == Main.EXIT_USAGE ? Main.EXIT_USAGE : Main.EXIT_INVALID);
        } else {
            Cli.assertRefused(r, Main.EXIT_INVALID);
            String err = r.err();
            assertTrue(err.contains(inputName) || WHERE.matcher(err).find(),
                    () -> kind + ": message names neither the file nor a node/field/offset\n" + r);
        }
        assertEquals(before, Cli.listing(caseDir), () -> kind + ": files left behind\n" + r);
    }

    static byte[] withCrc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b, b.length - 4, 4).putInt((int) crc.getValue());
        return b;
    }

    @Test
    void damagedModelsToCompile() throws Exception {
        Random r = new Random(7001);
        for (int i = 0; i < 120; i++) {
            byte[] b;
            String kind;
            switch (i % 3) {
                case 0 -> {
                    b = Arrays.copyOf(model, r.nextInt(model.length));
                    kind = "compile truncated .onnx";
                }
                case 1 -> {
                    b = model.clone();
                    for (int k = 1 + r.nextInt(8); k > 0; k--) {
                        int bit = r.nextInt(Math.min(b.length, 4096) * 8);
                        b[bit >>> 3] ^= (byte) (1 << (bit & 7));
                    }
                    kind = "compile bit-flipped .onnx";
                }
                default -> {
                    OnnxProto.ModelProto.Builder m = OnnxProto.ModelProto.parseFrom(model).toBuilder();
                    OnnxFuzzTest.mutate(m, r);
                    b = m.build().toByteArray();
                    kind = "compile field-mutated .onnx";
                }
            }
            runCase(kind, dir.resolve("c" + i), "m.onnx", b, "p.ibc", false, "compile", "@DIR/m.onnx", "-o", "@DIR/p.ibc", "-q");
        }
    }

    @Test
    void damagedProgramsToSimulate() throws Exception {
        Random r = new Random(7002);
        long[] wild = {0, 1, -1, 0xff, 0xffff, 0x7fffffffL, 0xffffffffL, Long.MAX_VALUE, 1L << 40};
        for (int i = 0; i < 120; i++) {
            byte[] b;
            String kind;
            switch (i % 3) {
                case 0 -> {
                    b = Arrays.copyOf(program, r.nextInt(program.length));
                    kind = "simulate truncated .ibc";
                }
                case 1 -> {
                    b = program.clone();
                    int bit = r.nextInt((b.length - 4) * 8);
                    b[bit >>> 3] ^= (byte) (1 << (bit & 7));
                    if (r.nextBoolean()) {
                        withCrc(b);
                    }
                    kind = "simulate bit-flipped .ibc";
                }
                default -> {
                    b = program.clone();
                    int width = new int[] {1, 2, 4, 8}[r.nextInt(4)];
                    int at = r.nextInt(b.length - 4 - width);
                    long v = wild[r.nextInt(wild.length)];
                    for (int k = 0; k < width; k++) {
                        b[at + k] = (byte) (v >>> (8 * (width - 1 - k)));
                    }
                    withCrc(b);
                    kind = "simulate field-rewritten .ibc (valid CRC)";
                }
            }
            runCase(kind, dir.resolve("s" + i), "p.ibc", b, "y.npy", false, "simulate", "@DIR/p.ibc", "--output", "@DIR/y.npy", "-q");
        }
    }

    @Test
    void damagedConfigsToCompile() throws Exception {
        Random r = new Random(7003);
        String[] values = {"\"16\"", "-1", "0", "1e308", "2147483648", "null", "[4]", "{}", "true", "4.5", "\"OS\"", "\"\""};
        List<String> keys = List.of("\"name\"", "\"clockMHz\"", "\"rows\"", "\"cols\"", "\"dataflow\"", "\"kib\"", "\"banks\"",
                "\"lanes\"", "\"bytesPerCycle\"", "\"latencyCycles\"");
        for (int i = 0; i < 60; i++) {
            String c;
            switch (i % 3) {
                case 0 -> c = config.substring(0, r.nextInt(config.length()));
                case 1 -> { // one value replaced
                    String key = keys.get(r.nextInt(keys.size()));
                    c = config.replaceFirst(Pattern.quote(key) + "\\s*:\\s*[^,}]+", key + ": " + values[r.nextInt(values.length)]);
                }
                default -> { // one key renamed or removed
                    String key = keys.get(r.nextInt(keys.size()));
                    c = r.nextBoolean() ? config.replace(key, "\"x" + key.substring(1))
                            : config.replaceFirst(Pattern.quote(key) + "\\s*:\\s*[^,}]+,?", "");
                }
            }
            Path caseDir = dir.resolve("k" + i);
            Files.createDirectories(caseDir);
            Files.write(caseDir.resolve("m.onnx"), model);
            runCase("compile --config damaged .json", caseDir, "cfg.json", c.getBytes(StandardCharsets.UTF_8), "p.ibc", false,
                    "compile", "@DIR/m.onnx", "--config", "@DIR/cfg.json", "-o", "@DIR/p.ibc", "-q");
        }
    }

    @Test
    void randomArguments() throws Exception {
        Random r = new Random(7004);
        String[] words = {"compile", "simulate", "disasm", "explain", "configs", "--config", "--set", "array.rows=0",
            "--bind", "x=-1", "--requant", "nope", "-o", "--output", "--input", "@DIR/m.onnx", "@DIR/missing.ibc", "",
            "--tolerance", "-5", "--seed", "abc", "--threads", "0", "@DIR/m.onnx", "--resize", "--crop", "0x9", "--mean",
            "--layout", "--pixel-scale"};
        for (int i = 0; i < 40; i++) {
            String[] args = new String[1 + r.nextInt(6)];
            for (int k = 0; k < args.length; k++) {
                args[k] = words[r.nextInt(words.length)];
            }
            // anything an output option could name is "o.out" in the case folder, so nothing else may appear
            runCase("random arguments", dir.resolve("a" + i), "m.onnx", model, "o.out", true, args);
        }
    }
}
