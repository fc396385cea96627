package io.intbench.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.intbench.compiler.Compiler;
import io.intbench.isa.HardwareConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's invariants on the small LeNet of models-ort: positive times, the ratio and throughputs
 * derived from the medians as documented, the simulator deterministic and single-threaded, the report's
 * keys. No timing thresholds: speed depends on the machine.
 */
class BenchTest {
    /**
     * LeNet's multiply-accumulates from its architecture (models-ort/PROVENANCE.md: 1x28x28 input, Conv 6@5x5,
     * MaxPool 2, Conv 16@5x5, MaxPool 2, Gemm 256->120->84->10), not from intbench:
     * 6*24*24*25 + 16*8*8*150 + 256*120 + 120*84 + 84*10.
     */
    static final long LENET_MACS = 86400 + 153600 + 30720 + 10080 + 840;

    static final List<String> REQUIRED_KEYS = List.of("ortMs", "simMs", "ratio", "timingOnlyMs", "compileMs",
            "peakHeapBytes", "simMacsPerSecond", "threads", "cpu", "simThreads");

    static Path model;
    static Bench.Result result;

    @BeforeAll
    static void runOnce() throws Exception {
        model = Path.of(BenchTest.class.getResource("/models-ort/lenet.seed.qdq.onnx").toURI());
        result = Bench.run(model, HardwareConfig.defaultConfig(), Compiler.Options.defaults(), null,
                new Bench.Options(1, 2, 1, 2, 1));
    }

    @Test
    void allTimesArePositiveAndOneSamplePerIteration() {
        Bench.Result r = result;
        assertEquals(2, r.ortSamplesMs().size());
        assertEquals(2, r.simSamplesMs().size());
        assertEquals(2, r.timingOnlySamplesMs().size());
        assertEquals(2, r.compileSamplesMs().size());
        for (List<Double> xs : List.of(r.ortSamplesMs(), r.simSamplesMs(), r.timingOnlySamplesMs(), r.compileSamplesMs())) {
            xs.forEach(x -> assertTrue(x > 0, () -> "sample " + x + " in " + xs));
        }
        assertTrue(r.ortMs() > 0);
        assertTrue(r.simMs() > 0);
        assertTrue(r.timingOnlyMs() > 0);
        assertTrue(r.compileMs() > 0);
        assertTrue(r.coldCompileMs() > 0);
    }

    @Test
    void mediansRatioAndThroughputsFollowFromTheSamples() {
        Bench.Result r = result;
        // two samples: the median is their mean
        assertEquals((r.ortSamplesMs().get(0) + r.ortSamplesMs().get(1)) / 2, r.ortMs(), 1e-12);
        assertEquals((r.simSamplesMs().get(0) + r.simSamplesMs().get(1)) / 2, r.simMs(), 1e-12);
        assertEquals((r.timingOnlySamplesMs().get(0) + r.timingOnlySamplesMs().get(1)) / 2, r.timingOnlyMs(), 1e-12);
        assertEquals(r.simMs() / r.ortMs(), r.ratio(), 1e-12 * r.ratio());
        assertEquals(r.simMs() / r.timingOnlyMs(), r.timingOnlySpeedup(), 1e-12 * r.timingOnlySpeedup());
        assertEquals(Math.min(r.ortSamplesMs().get(0), r.ortSamplesMs().get(1)), r.ortMinMs());
        assertEquals(Math.min(r.simSamplesMs().get(0), r.simSamplesMs().get(1)), r.simMinMs());
        // one thread: ORT and the simulator both run on the calling thread, whose CPU clock the JVM reads
        assertTrue(r.ortCpuMs() > 0 && r.simCpuMs() > 0, () -> r.ortCpuMs() + " " + r.simCpuMs());
        assertEquals(r.simCpuMs() / r.ortCpuMs(), r.cpuRatio(), 1e-12 * r.cpuRatio());
        assertEquals(LENET_MACS, r.macs());
        assertEquals(LENET_MACS / (r.simMs() / 1000), r.simMacsPerSecond(), 1e-9 * r.simMacsPerSecond());
        assertTrue(r.cycles() > 0);
        assertEquals(r.cycles() / (r.simMs() / 1000), r.simCyclesPerSecond(), 1e-9 * r.simCyclesPerSecond());
    }

    @Test
    void simulatorIsDeterministicSingleThreadedAndAgreesWithOrt() {
        assertTrue(result.deterministic());
        assertEquals(1, result.threads());
        assertEquals(1, result.simThreads());
        // README "Measured agreement": lenet.seed.qdq in ort mode is bit-exact with ONNX Runtime
        assertTrue(result.outputsEqualOrt());
        assertTrue(result.peakHeapBytes() > 0);
        assertFalse(result.cpu().isBlank());
        assertEquals(OrtRunner.version(), result.ortVersion());
        // the build runs the tests with the Vector API module, so the simulator ran its Vector API tiles
        assertTrue(result.simKernels().startsWith("Vector API tiles, "), result.simKernels());
        assertEquals(result.simKernels(), result.json().get("simKernels"));
    }

    @Test
    void moreOrtThreadsChangeNeitherTheSimulatorNorItsCycles() {
        Bench.Result two = Bench.run(model, HardwareConfig.defaultConfig(), Compiler.Options.defaults(), null,
                new Bench.Options(2, 1, 0, 1, 1));
        assertEquals(2, two.threads());
        assertEquals(2, two.simThreads(), "the simulator uses the threads it is given");
        assertEquals(-1, two.cpuRatio(), "the calling thread's clock does not see ORT's pool threads");
        assertEquals(result.cycles(), two.cycles());
        assertEquals(result.macs(), two.macs());
        assertTrue(two.deterministic());
        assertTrue(two.outputsEqualOrt());
    }

    @Test
    void reportHasTheRequiredKeysWithTheResultsValues(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bench.json");
        Bench.writeReport(result, f);
        JsonNode j = new ObjectMapper().readTree(f.toFile());
        for (String k : REQUIRED_KEYS) {
            assertTrue(j.has(k), () -> "report lacks '" + k + "': " + j);
        }
        assertEquals(result.ortMs(), j.get("ortMs").asDouble(), 0);
        assertEquals(result.simMs(), j.get("simMs").asDouble(), 0);
        assertEquals(result.ratio(), j.get("ratio").asDouble(), 0);
        assertEquals(result.peakHeapBytes(), j.get("peakHeapBytes").asLong());
        assertEquals(1, j.get("threads").asInt());
        assertEquals(1, j.get("simThreads").asInt());
        assertEquals(result.cpu(), j.get("cpu").asText());
        assertTrue(j.get("deterministic").asBoolean());
        assertEquals(2, j.get("samples").get("simMs").size());
        assertEquals(List.of("bench.json"), java.nio.file.Files.list(dir).map(p -> p.getFileName().toString()).toList(),
                "no temporary file left beside the report");
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, Bench.median(List.of(3.0, 1.0, 2.0)));
        assertEquals(2.5, Bench.median(List.of(4.0, 1.0, 3.0, 2.0)));
        assertEquals(7.0, Bench.median(List.of(7.0)));
    }

    @Test
    void badOptionsAreRefusedWithTheirName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Bench.Options(1, 0, 1, 1, 1));
        assertTrue(e.getMessage().contains("--iterations"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Bench.Options(0, 1, 1, 1, 1));
        assertTrue(e.getMessage().contains("--threads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Bench.Options(1, 1, -1, 1, 1));
        assertTrue(e.getMessage().contains("--warmup"), e.getMessage());
    }
}
