package io.intbench.isa;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The parameters of the simulated accelerator: a {@code rows x cols} systolic array of int8 MACs, a
 * banked scratchpad (spad) for int8 operands, an accumulator memory (acc) for int32 partial sums, a
 * vector unit, and a DMA port to DRAM. The compiler tiles for these numbers and the simulator's timing
 * model charges cycles from them, so one immutable value is shared by both and travels inside the
 * program file (its {@link #hash()} lets the simulator refuse a program compiled for another config).
 *
 * <p>Read from JSON (see {@code configs/README.md} for the key reference). Every key is required,
 * unknown keys are rejected (a misspelt key silently falling back to a default would make a sweep
 * measure the wrong hardware), and every value is checked in a compact constructor whose message
 * states the rule and why it exists, in the manner of Gemmini's {@code require(...)} messages.
 *
 * <p>Overrides ({@link #withOverrides}) change values but keep {@link #name()}; reports should name a
 * configuration by {@code name} together with {@link #hashHex()}.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record HardwareConfig(String name, int clockMHz, Array array, Scratchpad scratchpad,
                             Accumulator accumulator, Vector vector, Dram dram) {

    /** Presets bundled in the isa jar under {@code configs/NAME.json}; the first is the default. */
    private static final List<String> PRESETS = List.of("edge-16x16-ws", "tiny-4x4", "mid-32x32-ws", "dc-128x128-ws");

    /** Report and file names are derived from the name, so it must be a safe file-name stem. */
    private static final Pattern NAME_RULE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            // "16" (a string) for an integer key is almost always a hand-editing slip; say so instead of guessing.
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** How operands move through the array (SCALE-Sim's names). */
    public enum Dataflow {
        /** Weight-stationary: a rows x cols weight tile is preloaded, activations stream through (Gemmini, TPUv1). */
        WS,
        /** Output-stationary: each PE keeps one output's accumulator while weights and activations stream past. */
        OS
    }

    /** The systolic array of processing elements (PEs), each one int8 x int8 -> int32 MAC per cycle. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Array(int rows, int cols, Dataflow dataflow) {
        public Array {
            between("array.rows", rows, 1, 1024, "it is the number of PE rows");
            between("array.cols", cols, 1, 1024, "it is the number of PE columns");
            if (dataflow == null) {
                throw new IntbenchException.InvalidConfig(
                        "array.dataflow must be WS or OS: it selects which operand stays in the PEs");
            }
        }
    }

    /** On-chip SRAM for int8 operands (ifmap and filter tiles), split into banks. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Scratchpad(int kib, int banks) {
        public Scratchpad {
            powerOfTwo("scratchpad.kib", kib, 1, 65536,
                    "a power-of-two size makes the bank and row address a shift and a mask, as in Gemmini");
            powerOfTwo("scratchpad.banks", banks, 1, 64,
                    "the bank index is taken from address bits, so the count must be a power of two");
            if (banks > kib * 1024L) {
                throw new IntbenchException.InvalidConfig("scratchpad.banks (" + banks
                        + ") must not exceed the scratchpad size in bytes (" + kib * 1024L + "): every bank needs at least one byte");
            }
        }

        public long bytes() { return kib * 1024L; }

        public long bankBytes() { return bytes() / banks; }
    }

    /** On-chip SRAM for int32 partial sums, written by the array and read by the vector unit. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Accumulator(int kib) {
        public Accumulator {
            powerOfTwo("accumulator.kib", kib, 1, 65536,
                    "a power-of-two size makes accumulator addressing a mask, as in Gemmini");
        }

        public long bytes() { return kib * 1024L; }
    }

    /** The post-processing unit: requantization, elementwise ops, tables, pooling. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Vector(int lanes) {
        public Vector {
            between("vector.lanes", lanes, 1, 1024, "it is the number of elements the vector unit handles per cycle");
        }
    }

    /** The DMA port to off-chip memory, shared by loads and stores. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Dram(int bytesPerCycle, int latencyCycles) {
        public Dram {
            between("dram.bytesPerCycle", bytesPerCycle, 1, 4096,
                    "it is the DMA bandwidth in bytes per accelerator clock cycle; zero would never finish a transfer");
            between("dram.latencyCycles", latencyCycles, 0, 1_000_000,
                    "it is the fixed cycles before a DMA transfer's first byte arrives");
        }
    }

    public HardwareConfig {
        if (name == null || !NAME_RULE.matcher(name).matches()) {
            throw new IntbenchException.InvalidConfig("name must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-',"
                    + " starting with a letter or digit: report and file names are made from it (found "
                    + (name == null ? "nothing" : "'" + name + "'") + ")");
        }
        between("clockMHz", clockMHz, 1, 10_000, "it converts cycles to seconds; no accelerator of this kind runs above 10 GHz");
        require(array, "array", "the systolic array's shape and dataflow");
        require(scratchpad, "scratchpad", "the int8 operand memory");
        require(accumulator, "accumulator", "the int32 partial-sum memory");
        require(vector, "vector", "the post-processing unit");
        require(dram, "dram", "the DMA port");
        long tile = (long) array.rows() * array.cols();
        if (scratchpad.bankBytes() < tile) {
            throw new IntbenchException.InvalidConfig("a scratchpad bank (scratchpad.kib*1024/scratchpad.banks = "
                    + scratchpad.bankBytes() + " bytes) must hold at least one array.rows x array.cols int8 tile ("
                    + tile + " bytes): otherwise the array can never be filled from one bank");
        }
        if (accumulator.bytes() < 4 * tile) {
            throw new IntbenchException.InvalidConfig("accumulator.kib*1024 (" + accumulator.bytes()
                    + " bytes) must hold at least one array.rows x array.cols int32 tile (" + 4 * tile
                    + " bytes): otherwise one pass of the array has nowhere to put its partial sums");
        }
    }

    /** Peak multiply-accumulates per cycle: one per PE. */
    public int macsPerCycle() {
        return array.rows() * array.cols();
    }

    // ---------------------------------------------------------------- loading

    /** Reads a config file; every problem is an {@link IntbenchException.InvalidConfig} naming the file. */
    public static HardwareConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IntbenchException.InvalidConfig("config file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new IntbenchException.InvalidConfig("config file " + file + " cannot be read: " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /**
     * Parses config JSON. {@code source} names where the text came from (a file name, "preset X") and
     * starts every error message.
     */
    public static HardwareConfig parse(String json, String source) {
        try {
            return MAPPER.readValue(json, HardwareConfig.class);
        } catch (JsonProcessingException e) {
            IntbenchException.InvalidConfig ic = translate(e, source);
            if (e instanceof UnrecognizedPropertyException u) {
                // Jackson detects unknown keys of records at the end of the object: point at the key itself
                String key = dotted(u.getPath());
                JsonLocation at = locateKey(json, key);
                if (at != null) {
                    return throwAt(ic, source, where(e), at);
                }
            }
            throw ic;
        }
    }

    /** The default preset, {@code edge-16x16-ws}. */
    public static HardwareConfig defaultConfig() {
        return preset(PRESETS.get(0));
    }

    /** Names of the bundled presets, default first. */
    public static List<String> presetNames() {
        return PRESETS;
    }

    /** A bundled preset by name; unknown names are an error listing the available ones. */
    public static HardwareConfig preset(String name) {
        if (!PRESETS.contains(name)) {
            throw new IntbenchException.InvalidConfig("no bundled config preset named '" + name
                    + "'; available presets: " + String.join(", ", PRESETS));
        }
        String resource = "/configs/" + name + ".json";
        try (InputStream in = HardwareConfig.class.getResourceAsStream(resource)) {
            if (in == null) {
                // A packaging fault, not a user error: the isa pom copies ../configs/*.json into the jar.
                throw new IllegalStateException("preset resource " + resource + " is missing from the isa jar");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "preset " + name + " (" + resource + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read preset resource " + resource, e);
        }
    }

    // ---------------------------------------------------------------- overrides

    /**
     * Returns a copy with dotted-path overrides applied, e.g. {@code "array.rows=32"} or
     * {@code "array.dataflow=OS"}. All overrides are applied before validation, so values that must
     * change together (array size and accumulator size) can be given in one call.
     */
    public HardwareConfig withOverrides(List<String> keyEqualsValue) {
        if (keyEqualsValue.isEmpty()) {
            return this;
        }
        ObjectNode tree = MAPPER.valueToTree(this);
        List<String> valid = leafKeys(tree, "");
        for (String kv : keyEqualsValue) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IntbenchException.InvalidConfig("override '" + kv + "' must have the form key=value, e.g. array.rows=32");
            }
            String key = kv.substring(0, eq).trim();
            String value = kv.substring(eq + 1).trim();
            if (!valid.contains(key)) {
                throw new IntbenchException.InvalidConfig("override '" + kv + "': unknown key '" + key
                        + "'; valid keys: " + String.join(", ", valid));
            }
            String[] parts = key.split("\\.");
            ObjectNode parent = tree;
            for (int i = 0; i < parts.length - 1; i++) {
                parent = (ObjectNode) parent.get(parts[i]);
            }
            String leaf = parts[parts.length - 1];
            if (parent.get(leaf).isNumber()) {
                try {
                    parent.put(leaf, Integer.parseInt(value));
                } catch (NumberFormatException e) {
                    throw new IntbenchException.InvalidConfig("override '" + kv + "': " + key
                            + " takes a whole number, found '" + value + "'", e);
                }
            } else {
                parent.put(leaf, value);
            }
        }
        String source = "overrides " + keyEqualsValue + " of " + name;
        try {
            return MAPPER.treeToValue(tree, HardwareConfig.class);
        } catch (JsonProcessingException e) {
            throw translate(e, source);
        } catch (IllegalArgumentException e) {
            throw translate(e, source);
        }
    }

    /** The dotted keys a config has, in schema order ({@code name}, {@code clockMHz}, {@code array.rows}, ...). */
    public static List<String> keys() {
        return leafKeys(MAPPER.valueToTree(defaultConfig()), "");
    }

    private static List<String> leafKeys(JsonNode node, String prefix) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String key = prefix + e.getKey();
            if (e.getValue().isObject()) {
                out.addAll(leafKeys(e.getValue(), key + "."));
            } else {
                out.add(key);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- identity

    /** The config as JSON with keys sorted at every level and no whitespace: the input of {@link #hash()}. */
    public String canonicalJson() {
        try {
            return MAPPER.writeValueAsString(sorted(MAPPER.valueToTree(this)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a validated config always serialises", e);
        }
    }

    private static JsonNode sorted(JsonNode node) {
        if (!node.isObject()) {
            return node;
        }
        TreeMap<String, JsonNode> fields = new TreeMap<>();
        node.properties().forEach(e -> fields.put(e.getKey(), sorted(e.getValue())));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        fields.forEach(out::set);
        return out;
    }

    /**
     * The first 8 bytes (big-endian) of the SHA-256 of {@link #canonicalJson()}: equal configs hash
     * equal whatever their key order or whitespace in the file, and any changed value changes it.
     */
    public long hash() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(canonicalJson().getBytes(StandardCharsets.UTF_8));
            long h = 0;
            for (int i = 0; i < 8; i++) {
                h = (h << 8) | (d[i] & 0xFF);
            }
            return h;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }

    /** {@link #hash()} as 16 lowercase hex digits, for report and file names. */
    public String hashHex() {
        return String.format("%016x", hash());
    }

    // ---------------------------------------------------------------- validation helpers

    private static void between(String key, int value, int min, int max, String reason) {
        if (value < min || value > max) {
            throw new IntbenchException.InvalidConfig(key + " must be between " + min + " and " + max + ": " + reason
                    + " (found " + value + ")");
        }
    }

    private static void powerOfTwo(String key, int value, int min, int max, String reason) {
        if (value < min || value > max || Integer.bitCount(value) != 1) {
            throw new IntbenchException.InvalidConfig(key + " must be a power of two between " + min + " and " + max
                    + ": " + reason + " (found " + value + ")");
        }
    }

    private static void require(Object part, String key, String what) {
        Objects.requireNonNull(key);
        if (part == null) {
            throw new IntbenchException.InvalidConfig(key + " is required: it describes " + what);
        }
    }

    /** Turns Jackson's exception into one message: source, line/column, dotted JSON path, and what is wrong. */
    private static IntbenchException.InvalidConfig translate(Exception e, String source) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof IntbenchException.InvalidConfig ic) {
                return new IntbenchException.InvalidConfig(source + where(e) + ": " + ic.getMessage(), e);
            }
        }
        String path = e instanceof JsonMappingException m ? dotted(m.getPath()) : "";
        String what;
        if (e instanceof UnrecognizedPropertyException u) {
            List<String> known = new ArrayList<>();
            if (u.getKnownPropertyIds() != null) {
                u.getKnownPropertyIds().forEach(k -> known.add(String.valueOf(k)));
            }
            what = "unknown key '" + path + "'; valid keys here: " + String.join(", ", known);
        } else if (e instanceof InvalidFormatException f && f.getTargetType() != null && f.getTargetType().isEnum()) {
            what = path + ": '" + f.getValue() + "' is not one of " + Arrays.toString(f.getTargetType().getEnumConstants());
        } else if (e instanceof MismatchedInputException m && m.getOriginalMessage().matches("(?s)Missing (required )?creator property '.*")) {
            // Jackson's path already ends with the missing property in current versions; older ones omit it.
            String prop = m.getOriginalMessage().replaceFirst("(?s)^Missing (required )?creator property '([^']*)'.*$", "$2");
            String key = path.equals(prop) || path.endsWith("." + prop) ? path : path.isEmpty() ? prop : path + "." + prop;
            what = "missing key '" + key + "': every key is required";
        } else if (e instanceof MismatchedInputException m && m.getOriginalMessage().startsWith("Null value for creator property")) {
            what = "key '" + path + "' must not be null: every key needs a value";
        } else if (e instanceof JsonProcessingException p) {
            what = (path.isEmpty() ? "" : path + ": ") + p.getOriginalMessage();
        } else {
            what = e.getMessage();
        }
        return new IntbenchException.InvalidConfig(source + where(e) + ": " + what, e);
    }

    private static HardwareConfig throwAt(IntbenchException.InvalidConfig ic, String source, String oldWhere, JsonLocation at) {
        String msg = ic.getMessage();
        String fixed = source + ": line " + at.getLineNr() + ", column " + at.getColumnNr()
                + msg.substring(Math.min(msg.length(), source.length() + oldWhere.length()));
        throw new IntbenchException.InvalidConfig(fixed, ic.getCause());
    }

    /** Where the field of the given dotted path starts in the JSON text, or null. */
    private static JsonLocation locateKey(String json, String dottedKey) {
        try (com.fasterxml.jackson.core.JsonParser p = MAPPER.getFactory().createParser(json)) {
            java.util.ArrayDeque<String> path = new java.util.ArrayDeque<>();
            String pending = null;
            for (com.fasterxml.jackson.core.JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case FIELD_NAME -> {
                        pending = p.currentName();
                        String full = path.isEmpty() ? pending : String.join(".", path) + "." + pending;
                        if (full.equals(dottedKey)) {
                            return p.currentTokenLocation();
                        }
                    }
                    case START_OBJECT -> {
                        if (pending != null) {
                            path.addLast(pending);
                        }
                        pending = null;
                    }
                    case END_OBJECT -> {
                        if (!path.isEmpty()) {
                            path.removeLast();
                        }
                    }
                    default -> pending = null;
                }
            }
        } catch (java.io.IOException e) {
            return null;
        }
        return null;
    }

    private static String where(Exception e) {
        if (e instanceof JsonProcessingException p) {
            JsonLocation loc = p.getLocation();
            if (loc != null && loc.getLineNr() > 0) {
                return ": line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            }
        }
        return "";
    }

    private static String dotted(List<JsonMappingException.Reference> refs) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (b.length() > 0) {
                    b.append('.');
                }
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }
}
