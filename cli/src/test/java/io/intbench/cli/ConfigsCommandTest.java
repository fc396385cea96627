package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code intbench configs} against the preset files in the repository's {@code configs/} folder, read here as plain
 * JSON (not through HardwareConfig), so that the table and the JSON are checked against what the files say.
 */
class ConfigsCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Map<String, JsonNode> FILES = new TreeMap<>();

    @BeforeAll
    static void readPresetFiles() throws IOException {
        Path dir = Path.of("..", "configs");
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".json")).toList()) {
                FILES.put(p.getFileName().toString().replace(".json", ""), JSON.readTree(p.toFile()));
            }
        }
        assertEquals(4, FILES.size(), "presets in " + dir.toAbsolutePath() + ": " + FILES.keySet());
    }

    @Test
    void tableHasOneRowPerPresetWithItsKeyNumbers() {
        Cli.Result r = Cli.run("configs");
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.err());
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : r.out().split("\n")) {
            String first = line.split("\\s+")[0];
            if (FILES.containsKey(first)) {
                rows.put(first, line);
            }
        }
        assertEquals(FILES.keySet(), new java.util.TreeSet<>(rows.keySet()), r.out());
        for (Map.Entry<String, JsonNode> f : FILES.entrySet()) {
            JsonNode c = f.getValue();
            String row = rows.get(f.getKey());
            int rows_ = c.get("array").get("rows").asInt();
            int cols = c.get("array").get("cols").asInt();
            String[] cells = row.replace(" *", "").trim().split("\\s+");
            assertEquals(rows_ + "x" + cols, cells[1], row);
            assertEquals(c.get("array").get("dataflow").asText(), cells[2], row);
            assertEquals(String.valueOf(rows_ * cols), cells[3], "peak MACs/cycle = rows x cols: " + row);
            assertEquals(c.get("clockMHz").asText(), cells[4], row);
            assertTrue(row.contains("/" + c.get("scratchpad").get("banks").asInt() + " banks"), row);
            int lanes = c.get("vector").get("lanes").asInt();
            int bpc = c.get("dram").get("bytesPerCycle").asInt();
            assertTrue(row.matches(".*\\s" + lanes + "\\s+" + bpc + "\\s.*"), "lanes and DRAM bytes/cycle: " + row);
            assertTrue(row.endsWith(c.get("dram").get("latencyCycles").asInt() + " cyc"), row);
            int kib = c.get("scratchpad").get("kib").asInt();
            assertTrue(row.contains(kib % 1024 == 0 ? kib / 1024 + " MiB/" : kib + " KiB/"), row);
        }
        // the default named in configs/README.md and the README
        assertTrue(rows.get("edge-16x16-ws").startsWith("edge-16x16-ws *"), r.out());
        assertEquals(1, ExplainCliTest.count(r.out(), " * "), "exactly one default\n" + r.out());
    }

    @Test
    void jsonHoldsEveryKeyOfEveryPresetFileAndTheDerivedNumbers() throws IOException {
        Cli.Result r = Cli.run("configs", "--json");
        assertEquals(0, r.status(), r::toString);
        JsonNode all = JSON.readTree(r.out());
        assertTrue(all.isArray());
        assertEquals(FILES.size(), all.size());
        int defaults = 0;
        for (JsonNode c : all) {
            JsonNode file = FILES.get(c.get("name").asText());
            assertNotNull(file, "no file configs/" + c.get("name").asText() + ".json");
            for (String key : new String[] {"name", "clockMHz", "array", "scratchpad", "accumulator", "vector", "dram"}) {
                assertEquals(file.get(key), c.get(key), key + " of " + c.get("name"));
            }
            long rows = file.get("array").get("rows").asLong();
            long cols = file.get("array").get("cols").asLong();
            assertEquals(rows * cols, c.get("macsPerCycle").asLong());
            assertEquals(rows * cols * file.get("clockMHz").asLong() / 1e3, c.get("peakGmacPerSecond").asDouble(), 1e-9);
            assertEquals(file.get("dram").get("bytesPerCycle").asLong() * file.get("clockMHz").asLong() / 1e3,
                    c.get("dramGBPerSecond").asDouble(), 1e-9);
            assertTrue(c.get("hash").asText().matches("[0-9a-f]{16}"), c.toString());
            if (c.get("default").asBoolean()) {
                defaults++;
                assertEquals("edge-16x16-ws", c.get("name").asText());
            }
        }
        assertEquals(1, defaults);
    }

    @Test
    void helpShowsAnExample() {
        Cli.Result r = Cli.run("configs", "--help");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("intbench configs --json"), r.out());
        assertTrue(Cli.run("--help").out().contains("configs"), "listed among the commands");
    }
}
