package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.intbench.golden.OrtRunner;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.Instruction;
import io.intbench.isa.Program;
import io.intbench.isa.ProgramFile;
import io.intbench.onnx.OnnxProto;
import io.intbench.sim.host.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command-line contract of DESIGN.md on LeNet (u8 activations, s8 per-channel weights, QDQ): every command
 * succeeds, writes what it promises and the JSON reports carry the documented fields with the documented types.
 */
class CliHappyPathTest {
    static final String MODEL = "lenet.u8s8pc.qdq.onnx";
    static final String INPUT = "lenet.input.npy";
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * LeNet's layers and their multiply-accumulates, worked out from the architecture in the fixture's PROVENANCE
     * (1x28x28 input, Conv 6@5x5, MaxPool 2, Conv 16@5x5, MaxPool 2, Gemm 256->120->84->10), not from intbench:
     * conv1 6*24*24 outputs * 1*5*5 = 86400; conv2 16*8*8 * 6*5*5 = 153600; gemms 256*120, 120*84, 84*10.
     */
    static final Map<String, Long> LENET_LAYER_MACS = new LinkedHashMap<>();

    static {
        LENET_LAYER_MACS.put("/f/f.0/Conv", 86400L);
        LENET_LAYER_MACS.put("/f/f.2/MaxPool", 0L);
        LENET_LAYER_MACS.put("/f/f.3/Conv", 153600L);
        LENET_LAYER_MACS.put("/f/f.5/MaxPool", 0L);
        LENET_LAYER_MACS.put("/c/c.0/Gemm", 30720L);
        LENET_LAYER_MACS.put("/c/c.2/Gemm", 10080L);
        LENET_LAYER_MACS.put("/c/c.4/Gemm", 840L);
    }

    @TempDir
    static Path shared;
    static Path model;
    static Path input;
    static Path program;

    @BeforeAll
    static void compileOnce() {
        model = Cli.fixture(MODEL, shared);
        input = Cli.fixture(INPUT, shared);
        program = shared.resolve("lenet.ibc");
        Cli.Result r = Cli.run("compile", model, "-o", program, "-q");
        assertEquals(0, r.status(), r::toString);
    }

    @Test
    void compileExitsZeroWritesAProgramAndSaysWhatItDid(@TempDir Path dir) {
        Path out = dir.resolve("P.ibc");
        Cli.Result r = Cli.run("compile", model, "-o", out);
        assertEquals(0, r.status(), r::toString);
        assertTrue(Files.isRegularFile(out), "no program written");
        assertEquals(Set.of("P.ibc"), Cli.listing(dir), "only the program, no temporary files");
        assertEquals("", r.err(), "nothing on stderr on success");
        assertTrue(r.out().contains("edge-16x16-ws"), "names the default config\n" + r);
        Program p = ProgramFile.read(out);
        assertEquals(MODEL, p.modelName());
        assertEquals("edge-16x16-ws", p.configName());
        assertEquals("ort", p.requantModeName(), "ort is the default requantization");
        assertEquals(List.copyOf(LENET_LAYER_MACS.keySet()), p.layers().stream().map(Program.Layer::name).toList());
    }

    @Test
    void compileHonoursConfigPresetAndRequantMode(@TempDir Path dir) {
        Path out = dir.resolve("tiny.ibc");
        Cli.Result r = Cli.run("compile", model, "--config", "tiny-4x4", "--requant", "fixed-point", "-o", out, "-q");
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.out(), "--quiet prints nothing");
        Program p = ProgramFile.read(out);
        assertEquals("tiny-4x4", p.configName());
        assertEquals("fixed-point", p.requantModeName());
    }

    /** Every instruction of the program appears with its pc and opcode, and every ONNX main node names a layer. */
    @Test
    void disasmPrintsEveryInstructionAndTheLayerNames() throws IOException {
        Cli.Result r = Cli.run("disasm", program);
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.err());
        Program p = ProgramFile.read(program);
        Map<Integer, String> printed = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^\\s+(\\d+)\\s+([a-z]+)\\b").matcher(r.out());
        while (m.find()) {
            printed.put(Integer.parseInt(m.group(1)), m.group(2));
        }
        assertEquals(p.code().size(), printed.size(), "one line per instruction\n" + r.out());
        for (int pc = 0; pc < p.code().size(); pc++) {
            Instruction ins = p.code().get(pc);
            assertEquals(ins.op().name().toLowerCase(Locale.ROOT), printed.get(pc), "opcode at pc " + pc);
        }
        Set<String> ops = new HashSet<>(printed.values());
        assertTrue(ops.containsAll(Set.of("load", "conv", "maxpool", "matmul", "store", "halt")),
                "LeNet needs loads, convolutions, pooling, matrix products, stores and a halt: " + ops);
        // the layer names come from the ONNX file itself, not from the program
        OnnxProto.ModelProto onnx = OnnxProto.ModelProto.parseFrom(Files.readAllBytes(model));
        List<String> mainNodes = onnx.getGraph().getNodeList().stream()
                .filter(n -> Set.of("Conv", "MaxPool", "Gemm").contains(n.getOpType())).map(OnnxProto.NodeProto::getName).toList();
        assertEquals(List.copyOf(LENET_LAYER_MACS.keySet()), mainNodes, "fixture has the expected layers");
        for (String n : mainNodes) {
            assertTrue(r.out().contains(n), "disasm lacks layer " + n);
        }
    }

    @Test
    void simulateWritesOutputReportAndTraceWithTheDocumentedFields(@TempDir Path dir) throws IOException {
        Path y = dir.resolve("y.npy");
        Path report = dir.resolve("r.json");
        Path trace = dir.resolve("t.json");
        Cli.Result r = Cli.run("simulate", program, "--input", input, "--output", y, "--report", report, "--trace", trace);
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.err());
        assertEquals(Set.of("y.npy", "r.json", "t.json"), Cli.listing(dir), "exactly the requested files");
        assertTrue(r.out().contains("cycles"), r::toString);

        HostTensor out = Npy.read(y);
        assertEquals(DType.FLOAT32, out.dtype(), "the ONNX output is float, so the output is dequantized float32");
        assertEquals(List.of(1L, 10L), List.of(out.shape()[0], out.shape()[1]));
        assertEquals(2, out.shape().length);

        JsonNode rep = JSON.readTree(report.toFile());
        checkSimulationReport(rep, ProgramFile.read(program).code().size());
        assertEquals(MODEL, rep.get("model").asText());
        assertEquals("edge-16x16-ws", rep.get("config").asText());

        JsonNode t = JSON.readTree(trace.toFile());
        JsonNode events = t.get("traceEvents");
        assertTrue(events.isArray() && events.size() > 0, "trace has events");
        java.util.Set<String> tracks = new java.util.HashSet<>();
        java.util.Set<String> counters = new java.util.HashSet<>();
        long lastOccupancy = -1;
        int slices = 0;
        for (JsonNode e : events) {
            String ph = e.get("ph").asText();
            assertTrue(Set.of("X", "M", "C").contains(ph), "complete, metadata and counter events only: " + e);
            if (ph.equals("C")) {
                counters.add(e.get("name").asText());
                if (e.get("name").asText().equals("scratchpad bytes")) {
                    lastOccupancy = e.get("args").get("bytes").asLong();
                    assertTrue(lastOccupancy >= 0, e::toString);
                }
            }
            if (ph.equals("X")) {
                slices++;
                assertTrue(e.get("ts").isIntegralNumber() && e.get("dur").asLong() >= 0, e::toString);
                assertTrue(e.hasNonNull("name") && e.hasNonNull("tid"), e::toString);
            } else if (ph.equals("M")) {
                tracks.add(e.get("args").get("name").asText());
            }
        }
        assertEquals(ProgramFile.read(program).code().size(), slices, "one slice per instruction");
        assertTrue(tracks.containsAll(Set.of("LOAD", "ARRAY", "VECTOR", "STORE")), "one track per unit: " + tracks);
        assertEquals(Set.of("DRAM bytes/cycle", "scratchpad bytes"), counters);
        assertEquals(0, lastOccupancy, "every byte loaded or written on chip is released by the end");
    }

    @Test
    void simulateWithoutInputUsesASeededRandomInputDeterministically(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        Path c = dir.resolve("c.npy");
        assertEquals(0, Cli.run("simulate", program, "--output", a, "-q").status());
        assertEquals(0, Cli.run("simulate", program, "--output", b, "-q").status());
        assertEquals(0, Cli.run("simulate", program, "--output", c, "--seed", "2", "-q").status());
        assertEquals(Npy.read(a), Npy.read(b), "same seed, same output");
        assertFalse(Npy.read(a).equals(Npy.read(c)), "another seed gives another input, so another output");
    }

    /** The simulate report of DESIGN.md (extra fields are welcome there, so only the documented ones are required). */
    static void checkSimulationReport(JsonNode rep, int instructions) {
        requireText(rep, "model");
        requireText(rep, "config");
        JsonNode totals = rep.get("totals");
        assertTrue(totals != null && totals.isObject(), "totals object");
        for (String k : List.of("cycles", "macs", "dramReadBytes", "dramWriteBytes", "instructions")) {
            requireInt(totals, k);
        }
        requireNumber(totals, "utilization");
        assertEquals(instructions, totals.get("instructions").asInt(), "totals.instructions counts the program");
        long macSum = LENET_LAYER_MACS.values().stream().mapToLong(Long::longValue).sum();
        assertEquals(macSum, totals.get("macs").asLong(), "LeNet's MACs from its architecture");
        double u = totals.get("utilization").asDouble();
        assertTrue(u > 0 && u <= 1, "utilization in (0,1]: " + u);

        JsonNode layers = rep.get("layers");
        assertTrue(layers != null && layers.isArray(), "layers array");
        List<String> names = new ArrayList<>();
        long cycles = 0;
        for (JsonNode l : layers) {
            requireText(l, "name");
            requireText(l, "op");
            for (String k : List.of("macs", "cycles", "computeBoundCycles", "memoryBoundCycles", "stallCycles",
                    "dramReadBytes", "dramWriteBytes")) {
                requireInt(l, k);
                assertTrue(l.get(k).asLong() >= 0, k + " >= 0 in " + l);
            }
            requireNumber(l, "utilization");
            String name = l.get("name").asText();
            names.add(name);
            assertEquals(LENET_LAYER_MACS.get(name), l.get("macs").asLong(), "MACs of " + name);
            assertTrue(l.get("cycles").asLong() > 0, "a layer takes time: " + l);
            cycles += l.get("cycles").asLong();
        }
        assertEquals(List.copyOf(LENET_LAYER_MACS.keySet()), names, "one report layer per LeNet layer, in order");
        assertTrue(totals.get("cycles").asLong() > 0 && totals.get("cycles").asLong() <= cycles,
                "total cycles positive and at most the sum of the layers' (layers may overlap)");
    }

    static void requireText(JsonNode o, String k) {
        assertTrue(o.has(k) && o.get(k).isTextual(), () -> "'" + k + "' must be a string in " + o);
    }

    static void requireInt(JsonNode o, String k) {
        assertTrue(o.has(k) && o.get(k).isIntegralNumber(), () -> "'" + k + "' must be an integer in " + o);
    }

    static void requireNumber(JsonNode o, String k) {
        assertTrue(o.has(k) && o.get(k).isNumber(), () -> "'" + k + "' must be a number in " + o);
    }

    @Test
    void goldenReportHasTheDocumentedFieldsAndLenetIsBitExact(@TempDir Path dir) throws IOException {
        Path g = dir.resolve("g.json");
        Cli.Result r = Cli.run("golden", model, "--input", input, "--report", g);
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("PASS"), r::toString);
        assertEquals(Set.of("g.json"), Cli.listing(dir));
        JsonNode rep = JSON.readTree(g.toFile());
        assertEquals("ort", rep.get("requant").asText());
        JsonNode ref = rep.get("reference");
        assertEquals("onnxruntime", ref.get("runtime").asText());
        assertEquals(OrtRunner.version(), ref.get("version").asText());
        requireText(ref, "cpu");
        checkSimulationReport(rep.get("simulation"), ProgramFile.read(program).code().size());

        JsonNode comps = rep.get("comparisons");
        assertTrue(comps.isArray());
        Set<String> refs = new HashSet<>();
        for (JsonNode c : comps) {
            refs.add(c.get("reference").asText());
            JsonNode t = c.get("totals");
            for (String k : List.of("tensors", "elements", "exact", "maxAbsDiffLsb")) {
                requireInt(t, k);
            }
            JsonNode tensors = c.get("tensors");
            assertTrue(tensors.isArray() && tensors.size() == t.get("tensors").asInt(), "one entry per compared tensor");
            long elements = 0;
            for (JsonNode tn : tensors) {
                requireText(tn, "name");
                for (String k : List.of("elements", "exact", "maxAbsDiffLsb")) {
                    requireInt(tn, k);
                }
                elements += tn.get("elements").asLong();
            }
            assertEquals(t.get("elements").asLong(), elements, "totals.elements sums the tensors");
            // at least the output of every LeNet layer: 6*24*24 + 6*12*12 + 16*8*8 + 16*4*4 + 120 + 84 + 10 = 5814
            assertTrue(t.get("tensors").asInt() >= LENET_LAYER_MACS.size() && elements >= 5814,
                    "every layer output is compared: " + t);
            assertEquals(0, t.get("maxAbsDiffLsb").asLong(), "ort mode is bit-exact on LeNet: " + c);
            assertEquals(t.get("elements").asLong(), t.get("exact").asLong());
        }
        assertEquals(Set.of("ort-optimized", "ort-unoptimized", "ort-optimized-per-layer"), refs);

        JsonNode nf = rep.get("noFloat");
        requireInt(nf, "floatOpsBetweenLayers");
        assertEquals(0, nf.get("floatOpsBetweenLayers").asLong());
        JsonNode types = nf.get("interLayerTensorTypes");
        assertTrue(types.isArray() && types.size() > 0);
        for (Iterator<JsonNode> it = types.elements(); it.hasNext(); ) {
            String ty = it.next().asText();
            assertTrue(Set.of("uint8", "int8").contains(ty), "integer tensors between layers: " + ty);
        }
    }

    @Test
    void goldenRunsInFixedPointModeWithinItsOneLsbTolerance(@TempDir Path dir) throws IOException {
        Path g = dir.resolve("g.json");
        Cli.Result r = Cli.run("golden", model, "--requant", "fixed-point", "--report", g);
        assertEquals(0, r.status(), r::toString);
        JsonNode rep = JSON.readTree(g.toFile());
        assertEquals("fixed-point", rep.get("requant").asText());
        for (JsonNode c : rep.get("comparisons")) {
            assertTrue(c.get("totals").get("maxAbsDiffLsb").asLong() <= 1, c::toString);
        }
    }

    /** Exit status 1 is the golden verdict, and it must agree with the report it writes. */
    @Test
    void goldenExitStatusFollowsTheToleranceVerdict(@TempDir Path dir) throws IOException {
        Path g = dir.resolve("g.json");
        Cli.Result r = Cli.run("golden", model, "--requant", "fixed-point", "--tolerance", "0", "--report", g, "-q");
        JsonNode rep = JSON.readTree(g.toFile());
        long maxDiff = rep.get("comparisons").get(0).get("totals").get("maxAbsDiffLsb").asLong();
        assertEquals(maxDiff > 0 ? Main.EXIT_MISMATCH : 0, r.status(), r::toString);
        assertTrue(r.out().contains(maxDiff > 0 ? "FAIL" : "PASS"), r::toString);
    }

    @Test
    void versionNamesIntbenchOnnxRuntimeAndJava() {
        Cli.Result r = Cli.run("--version");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().matches("(?s).*intbench \\S+.*"), r::toString);
        assertTrue(r.out().contains("ONNX Runtime " + OrtRunner.version()), r::toString);
        assertTrue(r.out().contains("Java " + System.getProperty("java.version")), r::toString);
    }

    @Test
    void noArgumentsPrintsUsageWithTheSubcommands() {
        Cli.Result r = Cli.run(new String[0]);
        assertEquals(0, r.status(), r::toString);
        for (String c : List.of("Usage: intbench", "compile", "disasm", "simulate", "golden", "Exit status")) {
            assertTrue(r.out().contains(c), c + "\n" + r);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"compile", "disasm", "simulate", "golden"})
    void everySubcommandHasHelpWithAnExample(String cmd) {
        for (String[] args : List.of(new String[] {cmd, "--help"}, new String[] {"help", cmd})) {
            Cli.Result r = Cli.run(args);
            assertEquals(0, r.status(), r::toString);
            assertTrue(r.out().contains("Usage: intbench " + cmd), r::toString);
            assertTrue(r.out().contains("Example"), "help shows an example\n" + r);
            assertTrue(r.out().contains("  intbench " + cmd), "the example uses the subcommand\n" + r);
        }
    }
}
