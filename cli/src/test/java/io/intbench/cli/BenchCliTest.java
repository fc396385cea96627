package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code intbench bench}: exits 0, prints the figures and writes the JSON report with the keys issue 6 requires. */
class BenchCliTest {
    static final List<String> REQUIRED_KEYS = List.of("ortMs", "simMs", "ratio", "timingOnlyMs", "compileMs",
            "peakHeapBytes", "simMacsPerSecond", "threads", "cpu", "simThreads");

    @Test
    void benchExitsZeroPrintsTheFiguresAndWritesTheReport(@TempDir Path dir) throws Exception {
        Path model = Cli.fixture("lenet.u8s8pc.qdq.onnx", dir);
        Path input = Cli.fixture("lenet.input.npy", dir);
        Path report = dir.resolve("bench.json");
        Cli.Result r = Cli.run("bench", model, "--input", input, "--iterations", "2", "--warmup", "1", "--compiles", "1",
                "--threads", "2", "--report", report);
        assertEquals(0, r.status(), r::toString);
        for (String s : List.of("ONNX Runtime", "simulator", "ratio", "timing only", "compile", "peak heap", "determinism")) {
            assertTrue(r.out().contains(s), () -> "output lacks '" + s + "'\n" + r);
        }
        JsonNode j = new ObjectMapper().readTree(report.toFile());
        for (String k : REQUIRED_KEYS) {
            assertTrue(j.has(k), () -> "report lacks '" + k + "': " + j);
        }
        assertEquals(2, j.get("threads").asInt());
        assertEquals(2, j.get("simThreads").asInt(), "the simulator runs on the threads it is given");
        assertTrue(j.get("deterministic").asBoolean());
        assertEquals(j.get("simMs").asDouble() / j.get("ortMs").asDouble(), j.get("ratio").asDouble(), 1e-9 * j.get("ratio").asDouble());
        // the CLI's fixture is bit-exact with ONNX Runtime (README, "Measured agreement")
        assertTrue(j.get("outputsEqualOrt").asBoolean());
        assertEquals(List.of("bench.json", "lenet.input.npy", "lenet.u8s8pc.qdq.onnx"), List.copyOf(Cli.listing(dir)));
    }

    @Test
    void zeroIterationsIsABadUsage(@TempDir Path dir) {
        Path model = Cli.fixture("lenet.u8s8pc.qdq.onnx", dir);
        Cli.assertRefused(Cli.run("bench", model, "--iterations", "0"), Main.EXIT_USAGE, "--iterations", ">= 1");
    }

    @Test
    void aMissingModelIsAnInvalidInput(@TempDir Path dir) {
        Cli.Result r = Cli.run("bench", dir.resolve("nope.onnx"));
        assertEquals(Main.EXIT_INVALID, r.status(), r::toString);
        assertTrue(r.err().contains("nope.onnx"), r::toString);
    }
}
