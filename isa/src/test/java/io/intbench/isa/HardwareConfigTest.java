package io.intbench.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HardwareConfigTest {

    /** The default preset written out by hand, in a different key order and layout from the file. */
    private static final String EDGE = """
            {"dram": {"latencyCycles": 100, "bytesPerCycle": 16},
             "name": "edge-16x16-ws", "clockMHz": 1000,
             "array": {"dataflow": "WS", "cols": 16, "rows": 16},
             "scratchpad": {"banks": 4, "kib": 256}, "accumulator": {"kib": 64}, "vector": {"lanes": 16}}
            """;

    private static String withValue(String json, String from, String to) {
        assertTrue(json.contains(from), "test setup: " + from);
        return json.replace(from, to);
    }

    private static IntbenchException.InvalidConfig invalid(String json) {
        return assertThrows(IntbenchException.InvalidConfig.class, () -> HardwareConfig.parse(json, "test.json"));
    }

    @Test
    void defaultPresetHasTheDocumentedNumbers() {
        HardwareConfig c = HardwareConfig.defaultConfig();
        assertEquals("edge-16x16-ws", c.name());
        assertEquals(1000, c.clockMHz());
        assertEquals(new HardwareConfig.Array(16, 16, HardwareConfig.Dataflow.WS), c.array());
        assertEquals(256 * 1024, c.scratchpad().bytes());
        assertEquals(4, c.scratchpad().banks());
        assertEquals(64, c.accumulator().kib());
        assertEquals(16, c.vector().lanes());
        assertEquals(new HardwareConfig.Dram(16, 100), c.dram());
        assertEquals(256, c.macsPerCycle());
        assertEquals(HardwareConfig.parse(EDGE, "inline"), c);
    }

    @Test
    void tinyPresetHasTheDocumentedNumbers() {
        HardwareConfig c = HardwareConfig.preset("tiny-4x4");
        assertEquals(new HardwareConfig.Array(4, 4, HardwareConfig.Dataflow.WS), c.array());
        assertEquals(16, c.scratchpad().kib());
        assertEquals(4, c.accumulator().kib());
        assertEquals(4, c.vector().lanes());
        assertEquals(new HardwareConfig.Dram(4, 50), c.dram());
        assertEquals(16, c.macsPerCycle());
    }

    @Test
    void everyFileInConfigsIsABundledPresetNamedAfterItsFile() throws IOException {
        // Surefire runs in the module folder, so the repository's configs/ is one level up.
        Path dir = Path.of("..", "configs");
        TreeSet<String> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - 5)).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(files, new TreeSet<>(HardwareConfig.presetNames()));
        for (String n : files) {
            assertEquals(n, HardwareConfig.preset(n).name());
            assertEquals(HardwareConfig.preset(n), HardwareConfig.load(dir.resolve(n + ".json")));
        }
    }

    @Test
    void unknownPresetListsTheAvailableOnes() {
        var e = assertThrows(IntbenchException.InvalidConfig.class, () -> HardwareConfig.preset("huge"));
        assertTrue(e.getMessage().contains("'huge'"), e.getMessage());
        assertTrue(e.getMessage().contains("edge-16x16-ws, tiny-4x4"), e.getMessage());
    }

    @Test
    void unknownKeyIsRejectedWithItsPathAndPosition() {
        var e = invalid(withValue(EDGE, "\"cols\": 16", "\"cols\": 16, \"colums\": 16"));
        assertTrue(e.getMessage().startsWith("test.json: line 3"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown key 'array.colums'"), e.getMessage());
        assertTrue(e.getMessage().contains("rows") && e.getMessage().contains("dataflow"), e.getMessage());

        var top = invalid(withValue(EDGE, "\"clockMHz\": 1000", "\"clockMHz\": 1000, \"clock\": 5"));
        assertTrue(top.getMessage().contains("unknown key 'clock'"), top.getMessage());
    }

    @Test
    void missingKeyIsNamed() {
        var e = invalid(withValue(EDGE, "\"banks\": 4, ", ""));
        assertTrue(e.getMessage().contains("missing key 'scratchpad.banks'"), e.getMessage());
        var top = invalid(withValue(EDGE, "\"vector\": {\"lanes\": 16}", "\"vector\": null"));
        assertTrue(top.getMessage().contains("key 'vector' must not be null"), top.getMessage());
    }

    @Test
    void badDataflowListsTheChoices() {
        var e = invalid(withValue(EDGE, "\"WS\"", "\"IS\""));
        assertTrue(e.getMessage().contains("array.dataflow: 'IS' is not one of [WS, OS]"), e.getMessage());
    }

    @Test
    void stringsAndFractionsAreNotNumbers() {
        assertTrue(invalid(withValue(EDGE, "\"rows\": 16", "\"rows\": \"16\"")).getMessage().contains("array.rows"));
        assertTrue(invalid(withValue(EDGE, "\"rows\": 16", "\"rows\": 16.5")).getMessage().contains("array.rows"));
    }

    @Test
    void syntaxErrorGivesLineAndColumn() {
        var e = invalid("{\n  \"name\": \"x\",,\n}");
        assertTrue(e.getMessage().matches("(?s)test\\.json: line 2, column \\d+: .*"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"rows\": 16|\"rows\": 0|array.rows must be between 1 and 1024: it is the number of PE rows (found 0)",
        "\"cols\": 16|\"cols\": 2048|array.cols must be between 1 and 1024: it is the number of PE columns (found 2048)",
        "\"kib\": 256|\"kib\": 300|scratchpad.kib must be a power of two between 1 and 65536",
        "\"banks\": 4|\"banks\": 3|scratchpad.banks must be a power of two between 1 and 64",
        "\"kib\": 64|\"kib\": 0|accumulator.kib must be a power of two between 1 and 65536",
        "\"lanes\": 16|\"lanes\": 0|vector.lanes must be between 1 and 1024",
        "\"bytesPerCycle\": 16|\"bytesPerCycle\": 0|dram.bytesPerCycle must be between 1 and 4096",
        "\"latencyCycles\": 100|\"latencyCycles\": -1|dram.latencyCycles must be between 0 and 1000000",
        "\"clockMHz\": 1000|\"clockMHz\": 0|clockMHz must be between 1 and 10000",
        "\"name\": \"edge-16x16-ws\"|\"name\": \"Edge 16\"|name must be 1 to 64 characters",
    })
    void eachRuleGivesItsMessage(String from, String to, String expected) {
        String json = withValue(EDGE, from, to);
        var e = invalid(json);
        assertTrue(e.getMessage().startsWith("test.json"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void scratchpadBankMustHoldOneTile() {
        // 256 KiB in 4 banks holds a 16x16 int8 tile easily; 1 KiB in 8 banks is 128 B per bank, half a tile.
        String json = withValue(withValue(EDGE, "\"kib\": 256", "\"kib\": 1"), "\"banks\": 4", "\"banks\": 8");
        var e = invalid(json);
        assertTrue(e.getMessage().contains("a scratchpad bank (scratchpad.kib*1024/scratchpad.banks = 128 bytes) must hold"
                + " at least one array.rows x array.cols int8 tile (256 bytes)"), e.getMessage());
        // Exactly one tile per bank (1 KiB / 4 banks = 256 B) is allowed: the boundary is inclusive.
        HardwareConfig.parse(withValue(EDGE, "\"kib\": 256", "\"kib\": 1"), "test.json");
    }

    @Test
    void accumulatorMustHoldOneInt32Tile() {
        // 16x16 int32 = 1 KiB: 1 KiB is allowed, a 32x16 array (2 KiB) with a 1 KiB accumulator is not.
        HardwareConfig.parse(withValue(EDGE, "\"kib\": 64", "\"kib\": 1"), "test.json");
        String json = withValue(withValue(EDGE, "\"kib\": 64", "\"kib\": 1"), "\"rows\": 16", "\"rows\": 32");
        var e = invalid(json);
        assertTrue(e.getMessage().contains("accumulator.kib*1024 (1024 bytes) must hold at least one array.rows x"
                + " array.cols int32 tile (2048 bytes)"), e.getMessage());
    }

    @Test
    void loadNamesTheMissingFile(@TempDir Path dir) {
        Path f = dir.resolve("nope.json");
        var e = assertThrows(IntbenchException.InvalidConfig.class, () -> HardwareConfig.load(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void loadNamesTheFileInValidationErrors(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, withValue(EDGE, "\"lanes\": 16", "\"lanes\": 5000"));
        var e = assertThrows(IntbenchException.InvalidConfig.class, () -> HardwareConfig.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("vector.lanes must be between 1 and 1024"), e.getMessage());
    }

    @Test
    void overridesByDottedPath() {
        HardwareConfig base = HardwareConfig.defaultConfig();
        HardwareConfig c = base.withOverrides(List.of("array.rows=32", "array.dataflow=OS", "dram.latencyCycles=7"));
        assertEquals(new HardwareConfig.Array(32, 16, HardwareConfig.Dataflow.OS), c.array());
        assertEquals(7, c.dram().latencyCycles());
        assertEquals(base.scratchpad(), c.scratchpad());
        assertEquals(512, c.macsPerCycle());
        assertEquals(base, base.withOverrides(List.of()));
        // The original is untouched (immutability).
        assertEquals(16, base.array().rows());
    }

    @Test
    void overridesAreValidated() {
        HardwareConfig base = HardwareConfig.defaultConfig();
        var unknown = assertThrows(IntbenchException.InvalidConfig.class, () -> base.withOverrides(List.of("array.row=32")));
        assertTrue(unknown.getMessage().contains("unknown key 'array.row'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("array.rows, array.cols, array.dataflow"), unknown.getMessage());
        var object = assertThrows(IntbenchException.InvalidConfig.class, () -> base.withOverrides(List.of("array=3")));
        assertTrue(object.getMessage().contains("unknown key 'array'"), object.getMessage());
        var range = assertThrows(IntbenchException.InvalidConfig.class, () -> base.withOverrides(List.of("array.rows=0")));
        assertTrue(range.getMessage().contains("array.rows must be between 1 and 1024: it is the number of PE rows"),
                range.getMessage());
        assertTrue(range.getMessage().contains("array.rows=0"), range.getMessage());
        var text = assertThrows(IntbenchException.InvalidConfig.class, () -> base.withOverrides(List.of("vector.lanes=many")));
        assertTrue(text.getMessage().contains("whole number, found 'many'"), text.getMessage());
        var flow = assertThrows(IntbenchException.InvalidConfig.class, () -> base.withOverrides(List.of("array.dataflow=XS")));
        assertTrue(flow.getMessage().contains("'XS' is not one of [WS, OS]"), flow.getMessage());
        var form = assertThrows(IntbenchException.InvalidConfig.class, () -> base.withOverrides(List.of("array.rows")));
        assertTrue(form.getMessage().contains("key=value"), form.getMessage());
    }

    @Test
    void keysAreTheDocumentedSchema() {
        assertEquals(List.of("name", "clockMHz", "array.rows", "array.cols", "array.dataflow", "scratchpad.kib",
                "scratchpad.banks", "accumulator.kib", "vector.lanes", "dram.bytesPerCycle", "dram.latencyCycles"),
                HardwareConfig.keys());
    }

    @Test
    void canonicalJsonIsSortedAndCompact() {
        assertEquals("{\"accumulator\":{\"kib\":64},\"array\":{\"cols\":16,\"dataflow\":\"WS\",\"rows\":16},"
                        + "\"clockMHz\":1000,\"dram\":{\"bytesPerCycle\":16,\"latencyCycles\":100},\"name\":\"edge-16x16-ws\","
                        + "\"scratchpad\":{\"banks\":4,\"kib\":256},\"vector\":{\"lanes\":16}}",
                HardwareConfig.defaultConfig().canonicalJson());
    }

    @Test
    void hashIsStableAndSensitive() throws Exception {
        HardwareConfig a = HardwareConfig.defaultConfig();
        HardwareConfig b = HardwareConfig.parse(EDGE, "inline");
        assertEquals(a.hash(), b.hash());
        // Independent reference: SHA-256 of the canonical text computed here, first 8 bytes big-endian.
        byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                .digest(a.canonicalJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(java.nio.ByteBuffer.wrap(d).getLong(), a.hash());
        assertEquals(16, a.hashHex().length());
        assertNotEquals(a.hash(), a.withOverrides(List.of("dram.latencyCycles=101")).hash());
        assertNotEquals(a.hash(), a.withOverrides(List.of("array.dataflow=OS")).hash());
        assertNotEquals(a.hash(), HardwareConfig.preset("tiny-4x4").hash());
        assertFalse(a.canonicalJson().contains(" "));
    }
}
