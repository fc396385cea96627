package io.intbench.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Bad hardware configs, tried on purpose (issue 7): JSON mutations of the bundled presets (values of the wrong
 * type, missing and unknown keys, huge and negative numbers, deep nesting, duplicated keys), text-level damage
 * (truncation, bit flips, garbage) and random {@code --set} overrides. Every case must give a valid config or an
 * {@link IntbenchException.InvalidConfig} whose message names the source or a key, within 5 s.
 */
class ConfigFuzzTest {
    /**
     * Fixed so that the build is reproducible; change it (or delete {@code seed = SEED}) to explore new cases. Every
     * failure jqwik reports names the case's own {@code seed} argument, which replays it alone.
     */
    static final String SEED = "20261128";
    static final Duration CASE_LIMIT = Duration.ofSeconds(5);
    static final ObjectMapper JSON = new ObjectMapper();
    static final Map<String, Map<String, AtomicInteger>> COUNTS = new ConcurrentHashMap<>();
    static final List<String> PRESET_TEXT = new ArrayList<>();
    static final List<String> KEYS = HardwareConfig.keys();
    static final Pattern A_KEY = Pattern.compile("(?i)(name|clockMHz|array|rows|cols|dataflow|scratchpad|kib|banks"
            + "|accumulator|vector|lanes|dram|bytesPerCycle|latencyCycles|line|column|key|field|offset)");

    static {
        for (String p : HardwareConfig.presetNames()) {
            try (InputStream in = HardwareConfig.class.getResourceAsStream("/configs/" + p + ".json")) {
                PRESET_TEXT.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static String check(String kind, String json) {
        String source = kind + ".json";
        String outcome = assertTimeoutPreemptively(CASE_LIMIT, () -> {
            try {
                HardwareConfig c = HardwareConfig.parse(json, source);
                // an accepted config is a valid one: its canonical form parses back to the same config
                assertEquals(c, HardwareConfig.parse(c.canonicalJson(), source));
                return "accepted";
            } catch (IntbenchException.InvalidConfig e) {
                String msg = e.getMessage();
                assertTrue(msg != null && (msg.contains(source) || A_KEY.matcher(msg).find()), () -> kind + ": " + msg);
                return "refused InvalidConfig";
            } catch (OutOfMemoryError e) {
                return fail(kind + " ran out of memory", e);
            } catch (RuntimeException | StackOverflowError e) {
                return fail(kind + " ended in an uncaught " + e + " for " + json, e);
            }
        }, () -> kind + " did not finish within " + CASE_LIMIT.toSeconds() + " s");
        ProgramFuzzTest.count(COUNTS, kind, outcome);
        return outcome;
    }

    @AfterContainer
    static void summary() {
        ProgramFuzzTest.print("config", COUNTS);
    }

    static JsonNode wildValue(Random r) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (r.nextInt(16)) {
            case 0 -> f.textNode("16");
            case 1 -> f.numberNode(16.5);
            case 2 -> f.booleanNode(true);
            case 3 -> f.nullNode();
            case 4 -> f.arrayNode().add(16);
            case 5 -> f.objectNode().put("rows", 4);
            case 6 -> f.numberNode(new java.math.BigInteger("123456789012345678901234567890"));
            case 7 -> f.numberNode(1e308);
            case 8 -> f.numberNode(-1);
            case 9 -> f.numberNode(0);
            case 10 -> f.numberNode(Integer.MAX_VALUE);
            case 11 -> f.numberNode(1L << 31);
            case 12 -> f.textNode("");
            case 13 -> f.textNode("OS");
            case 14 -> f.numberNode(r.nextInt(1 << 12));
            default -> f.textNode("\u0000\uffff" + r.nextInt());
        };
    }

    /** Applies one random mutation at a random place in the tree. */
    static void mutate(ObjectNode root, Random r) {
        List<ObjectNode> objects = new ArrayList<>();
        objects.add(root);
        root.properties().forEach(e -> {
            if (e.getValue().isObject()) {
                objects.add((ObjectNode) e.getValue());
            }
        });
        ObjectNode o = objects.get(r.nextInt(objects.size()));
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        String key = names.isEmpty() ? "x" : names.get(r.nextInt(names.size()));
        switch (r.nextInt(5)) {
            case 0 -> o.remove(key);
            case 1 -> o.set(key, wildValue(r));
            case 2 -> o.set(r.nextBoolean() ? "unknownKey" : key.toUpperCase(), wildValue(r));
            case 3 -> { // nest the value one level deeper
                ObjectNode inner = JsonNodeFactory.instance.objectNode();
                inner.set(key, o.get(key));
                o.set(key, inner);
            }
            default -> o.removeAll();
        }
    }

    @Property(tries = 1500, seed = SEED)
    void treeMutated(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        ObjectNode root = (ObjectNode) JSON.readTree(PRESET_TEXT.get(r.nextInt(PRESET_TEXT.size())));
        for (int k = 1 + (r.nextInt(3) == 0 ? r.nextInt(3) : 0); k > 0; k--) {
            mutate(root, r);
        }
        check("tree-mutated", JSON.writeValueAsString(root));
    }

    @Property(tries = 500, seed = SEED)
    void textDamaged(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] b = PRESET_TEXT.get(r.nextInt(PRESET_TEXT.size())).getBytes(StandardCharsets.UTF_8);
        String kind;
        switch (r.nextInt(4)) {
            case 0 -> {
                b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
                kind = "truncated";
            }
            case 1 -> {
                for (int k = 1 + r.nextInt(3); k > 0; k--) {
                    int bit = r.nextInt(b.length * 8);
                    b[bit >>> 3] ^= (byte) (1 << (bit & 7));
                }
                kind = "bit-flipped";
            }
            case 2 -> {
                b = new byte[r.nextInt(200)];
                r.nextBytes(b);
                kind = "garbage";
            }
            default -> { // a duplicated key, as when two configs are pasted into one
                String s = new String(b, StandardCharsets.UTF_8).replaceFirst("\"clockMHz\"", "\"clockMHz\": 5, \"clockMHz\"");
                b = s.getBytes(StandardCharsets.UTF_8);
                kind = "duplicate-key";
            }
        }
        check(kind, new String(b, StandardCharsets.UTF_8));
    }

    /** Deep nesting must end in a refusal, not a StackOverflowError. */
    @Property(tries = 20, seed = SEED)
    void deeplyNested(@ForAll long seed) {
        Random r = new Random(seed);
        int depth = 100 + r.nextInt(200_000);
        String open = r.nextBoolean() ? "[" : "{\"a\":";
        String close = open.equals("[") ? "]" : "}";
        String s = "{\"name\": " + open.repeat(depth) + "1" + close.repeat(depth) + "}";
        check("deeply-nested", s);
    }

    @Property(tries = 500, seed = SEED)
    void overridesFuzzed(@ForAll long seed) {
        Random r = new Random(seed);
        List<String> sets = new ArrayList<>();
        for (int k = 1 + r.nextInt(3); k > 0; k--) {
            String key = r.nextInt(8) == 0 ? "array.nope" : KEYS.get(r.nextInt(KEYS.size()));
            String value = switch (r.nextInt(8)) {
                case 0 -> "-1";
                case 1 -> "99999999999";
                case 2 -> "1e3";
                case 3 -> "";
                case 4 -> "OS";
                case 5 -> "x=y";
                default -> Integer.toString(1 << r.nextInt(12));
            };
            sets.add(r.nextInt(20) == 0 ? key : key + "=" + value);
        }
        String outcome = assertTimeoutPreemptively(CASE_LIMIT, () -> {
            try {
                HardwareConfig c = HardwareConfig.defaultConfig().withOverrides(sets);
                assertEquals(c, HardwareConfig.parse(c.canonicalJson(), "overrides"));
                return "accepted";
            } catch (IntbenchException.InvalidConfig e) {
                assertTrue(e.getMessage() != null && A_KEY.matcher(e.getMessage()).find(), e::getMessage);
                return "refused InvalidConfig";
            } catch (RuntimeException | StackOverflowError e) {
                return fail("overrides " + sets + " ended in an uncaught " + e, e);
            }
        });
        ProgramFuzzTest.count(COUNTS, "overrides", outcome);
    }
}
