package io.intbench.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.intbench.compiler.Compiler;
import io.intbench.compiler.testing.ConvSpec;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Bad ONNX input, tried on purpose (issue 7, "Bad input, tried on purpose"): thousands of truncated,
 * bit-flipped and field-mutated models fed through the whole front end ({@link OnnxLoader#parse},
 * {@link io.intbench.compiler.graph.GraphPreparer#prepare} and the rest of {@link Compiler#compile}).
 *
 * <p>Every case must either compile (a flipped bit in a weight is still a model) or end in an
 * {@link IntbenchException} whose message names the file, or a node / field / tensor / byte offset. Anything else
 * fails the test: another exception type, a hang (each case has 5 s), an {@link OutOfMemoryError} (absurd
 * sizes declared in a header must be refused before allocating; {@link #declaredHugeSizesAreRefusedBeforeAllocating}
 * declares 2^40 elements). A one-line summary per kind of mutation is printed at the end.
 *
 * <p>Public so that the CLI suite (through the compiler test-jar) can reuse {@link #mutate} and {@link #builderModel}.
 */
public class OnnxFuzzTest {
    /**
     * Fixed so that the build is reproducible; change it (or delete {@code seed = SEED}) to explore new cases. Every
     * failure jqwik reports names the case's own {@code seed} argument, which replays it alone.
     */
    static final String SEED = "20261128";
    static final Duration CASE_LIMIT = Duration.ofSeconds(5);
    /** Words that say where in a model the fault is. */
    static final Pattern WHERE = Pattern.compile("(?i)(node|tensor|field|offset|initializer|attribute|opset|input|output"
            + "|dim|shape|ir_version|graph|data_type|elem_type|domain|scale|zero point|zero_point|type|value)");


    static final HardwareConfig CFG = HardwareConfig.defaultConfig();
    static final Map<String, byte[]> SOURCES = new TreeMap<>();
    static final Map<String, Map<String, AtomicInteger>> COUNTS = new ConcurrentHashMap<>();

    static {
        for (String name : List.of("conv_qdq_s8s8_perchannel.onnx", "lenet.u8s8.qop.onnx", "lenet.seed.qdq.onnx")) {
            SOURCES.put(name, resource(name));
        }
        SOURCES.put("builder-qdq.onnx", builderModel(false));
        SOURCES.put("builder-qop.onnx", builderModel(true));
    }

    static byte[] resource(String name) {
        try (InputStream in = OnnxFuzzTest.class.getResourceAsStream("/models/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource models/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A small in-memory model covering Conv, MaxPool, Add, GlobalAveragePool, Flatten and Gemm. */
    public static byte[] builderModel(boolean qop) {
        QdqModelBuilder b = QdqModelBuilder.create(7);
        if (qop) {
            b.qoperator();
        }
        QdqModelBuilder.Act x = b.input("input", 0.02f, 128, 1, 3, 8, 8);
        QdqModelBuilder.Act c1 = b.conv(x, ConvSpec.of(4, 3, 3).pads(1, 1, 1, 1).relu(true));
        QdqModelBuilder.Act c2 = b.conv(c1, ConvSpec.of(4, 1, 1));
        QdqModelBuilder.Act s = b.add(c1, c2);
        QdqModelBuilder.Act p = b.maxPool(s, 2, 2, 0);
        QdqModelBuilder.Act g = b.globalAveragePool(p);
        b.output(b.gemm(b.flatten(g), 3, true, false), "output");
        return b.toBytes();
    }

    static List<String> sourceNames() {
        return List.copyOf(SOURCES.keySet());
    }

    // ------------------------------------------------------------------------------------------ the oracle

    /**
     * Runs one case through the front end and checks the contract; returns "accepted" or the refusing exception's
     * simple class name, for the summary.
     */
    static String check(String kind, byte[] bytes, String name) {
        return check(kind, bytes, name, "");
    }

    /** As above; {@code detail} (the mutations applied) goes into failure messages only. */
    static String check(String kind, byte[] bytes, String name, String detail) {
        String outcome = assertTimeoutPreemptively(CASE_LIMIT, () -> {
            try {
                OnnxProto.ModelProto m = OnnxLoader.parse(bytes, name);
                Compiler.compile(m, name, CFG, Compiler.Options.defaults());
                return "accepted";
            } catch (IntbenchException e) {
                String msg = e.getMessage();
                assertTrue(msg != null && !msg.isBlank(), "empty message for " + kind + " of " + name);
                assertTrue(msg.contains(name) || WHERE.matcher(msg).find(),
                        () -> kind + " of " + name + ": message names neither the file nor a node/field/offset: " + msg);
                return "refused " + e.getClass().getSimpleName();
            } catch (OutOfMemoryError e) {
                return fail(kind + " of " + name + " ran out of memory", e);
            } catch (RuntimeException | StackOverflowError e) {
                return fail(kind + " " + detail + " of " + name + " ended in an uncaught " + e, e);
            }
        }, () -> kind + " of " + name + " did not finish within " + CASE_LIMIT.toSeconds() + " s");
        COUNTS.computeIfAbsent(kind, k -> new ConcurrentHashMap<>()).computeIfAbsent(outcome, k -> new AtomicInteger())
                .incrementAndGet();
        return outcome;
    }

    @AfterContainer
    static void summary() {
        int total = 0;
        for (var e : new TreeMap<>(COUNTS).entrySet()) {
            int n = e.getValue().values().stream().mapToInt(AtomicInteger::get).sum();
            total += n;
            System.out.println("onnx fuzz " + e.getKey() + ": " + n + " cases, " + new TreeMap<>(e.getValue()));
        }
        System.out.println("onnx fuzz total: " + total + " cases, every one accepted or refused with an IntbenchException");
    }

    static String pick(Random r) {
        List<String> names = sourceNames();
        // the large LeNets compile slower; let the small models take most cases
        int i = r.nextInt(10);
        String n = i < 4 ? "conv_qdq_s8s8_perchannel.onnx" : i < 6 ? "builder-qdq.onnx" : i < 8 ? "builder-qop.onnx"
                : names.get(r.nextInt(names.size()));
        return n;
    }

    // ------------------------------------------------------------------------------------------ byte level

    @Property(tries = 500, seed = SEED)
    void truncated(@ForAll long seed) {
        Random r = new Random(seed);
        String src = pick(r);
        byte[] b = SOURCES.get(src);
        int cut = r.nextBoolean() ? r.nextInt(Math.min(b.length, 64)) : r.nextInt(b.length);
        String outcome = check("truncated", Arrays.copyOf(b, cut), "cut-" + src);
        // a protobuf cut short is a valid message only by accident; an empty graph must never compile
        if (cut < 16) {
            assertFalse(outcome.equals("accepted"), "a model cut to " + cut + " bytes compiled");
        }
    }

    @Property(tries = 700, seed = SEED)
    void bitFlipped(@ForAll long seed) {
        Random r = new Random(seed);
        String src = pick(r);
        byte[] b = SOURCES.get(src).clone();
        int flips = 1 + r.nextInt(r.nextBoolean() ? 2 : 16);
        // half the flips land in the first 512 bytes, where the graph structure (not weights) usually lives
        for (int k = 0; k < flips; k++) {
            int i = r.nextBoolean() ? r.nextInt(Math.min(512, b.length)) : r.nextInt(b.length);
            b[i] ^= (byte) (1 << r.nextInt(8));
        }
        check("bit-flipped", b, "flip-" + src);
    }

    @Property(tries = 300, seed = SEED)
    void spliced(@ForAll long seed) {
        Random r = new Random(seed);
        String src = pick(r);
        byte[] b = SOURCES.get(src);
        int at = r.nextInt(b.length);
        byte[] out;
        switch (r.nextInt(4)) {
            case 0 -> { // overwrite a run with random bytes
                out = b.clone();
                for (int i = at; i < Math.min(b.length, at + 1 + r.nextInt(32)); i++) {
                    out[i] = (byte) r.nextInt(256);
                }
            }
            case 1 -> { // delete a run
                int n = Math.min(b.length - at, 1 + r.nextInt(32));
                out = new byte[b.length - n];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + n, out, at, b.length - at - n);
            }
            case 2 -> { // insert random bytes
                int n = 1 + r.nextInt(32);
                out = new byte[b.length + n];
                System.arraycopy(b, 0, out, 0, at);
                for (int i = 0; i < n; i++) {
                    out[at + i] = (byte) r.nextInt(256);
                }
                System.arraycopy(b, at, out, at + n, b.length - at);
            }
            default -> { // a varint with the continuation bit set forever, or 0xFF garbage
                out = b.clone();
                Arrays.fill(out, at, Math.min(b.length, at + 1 + r.nextInt(16)), (byte) 0xFF);
            }
        }
        check("spliced", out, "splice-" + src);
    }

    // ------------------------------------------------------------------------------------------ field level

    static final String[] OPS = {"Conv", "QLinearConv", "QuantizeLinear", "DequantizeLinear", "Gemm", "Add", "Relu",
        "MaxPool", "Reshape", "Flatten", "Clip", "Softmax", "Loop", "If", "Scan", "", "NoSuchOp", "MatMulInteger"};

    @Property(tries = 1200, seed = SEED)
    void fieldMutated(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        String src = pick(r);
        OnnxProto.ModelProto.Builder m = OnnxProto.ModelProto.parseFrom(SOURCES.get(src)).toBuilder();
        int n = 1 + (r.nextInt(4) == 0 ? r.nextInt(4) : 0);
        StringBuilder what = new StringBuilder();
        for (int k = 0; k < n; k++) {
            what.append(mutate(m, r)).append(' ');
        }
        check("field-mutated", m.build().toByteArray(), "mut-" + src, what.toString().trim());
    }

    static long wild(Random r) {
        long[] v = {-1, 0, -7, 1L << 40, 1L << 31, Integer.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 3, 1L << 20};
        return v[r.nextInt(v.length)];
    }

    /** Applies one random mutation to a parsed model; returns its name. */
    public static String mutate(OnnxProto.ModelProto.Builder m, Random r) {
        OnnxProto.GraphProto.Builder g = m.getGraphBuilder();
        int choice = r.nextInt(16);
        switch (choice) {
            case 0: { // initializer dim negative, zero or huge
                if (g.getInitializerCount() == 0) return "none";
                OnnxProto.TensorProto.Builder t = g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
                if (t.getDimsCount() == 0) {
                    t.addDims(wild(r));
                } else {
                    t.setDims(r.nextInt(t.getDimsCount()), wild(r));
                }
                return "init-dim";
            }
            case 1: { // initializer data_type unknown or another known one
                if (g.getInitializerCount() == 0) return "none";
                g.getInitializerBuilder(r.nextInt(g.getInitializerCount())).setDataType(r.nextInt(40) - 5);
                return "init-dtype";
            }
            case 2: { // raw_data length wrong
                if (g.getInitializerCount() == 0) return "none";
                OnnxProto.TensorProto.Builder t = g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
                ByteString raw = t.getRawData();
                int d = r.nextInt(9) - 4;
                if (d == 0) d = 1;
                t.setRawData(d < 0 ? raw.substring(0, Math.max(0, raw.size() + d)) : raw.concat(ByteString.copyFrom(new byte[d])));
                return "raw-length";
            }
            case 3: { // attribute type wrong or value wild
                OnnxProto.NodeProto.Builder node = randomNode(g, r);
                if (node == null || node.getAttributeCount() == 0) return "none";
                OnnxProto.AttributeProto.Builder a = node.getAttributeBuilder(r.nextInt(node.getAttributeCount()));
                switch (r.nextInt(4)) {
                    case 0 -> a.setType(OnnxProto.AttributeProto.AttributeType.values()[r.nextInt(OnnxProto.AttributeProto.AttributeType.values().length)]);
                    case 1 -> a.clearInts().addInts(wild(r)).addInts(wild(r));
                    case 2 -> a.setI(wild(r));
                    default -> a.setType(OnnxProto.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8("x"));
                }
                return "attribute";
            }
            case 4: { // dangling node input
                OnnxProto.NodeProto.Builder node = randomNode(g, r);
                if (node == null) return "none";
                if (node.getInputCount() == 0 || r.nextInt(4) == 0) {
                    node.addInput("dangling_" + r.nextInt(100));
                } else {
                    node.setInput(r.nextInt(node.getInputCount()), "dangling_" + r.nextInt(100));
                }
                return "dangling-input";
            }
            case 5: { // opset out of range
                long[] v = {-1, 0, 1, 9, 22, 100, Long.MAX_VALUE, Integer.MIN_VALUE};
                if (m.getOpsetImportCount() == 0) return "none";
                m.getOpsetImportBuilder(r.nextInt(m.getOpsetImportCount())).setVersion(v[r.nextInt(v.length)]);
                return "opset";
            }
            case 6: { // graph input dims wild (a 2^40 element input must be refused, not allocated)
                if (g.getInputCount() == 0) return "none";
                var shape = g.getInputBuilder(r.nextInt(g.getInputCount())).getTypeBuilder().getTensorTypeBuilder()
                        .getShapeBuilder();
                if (shape.getDimCount() == 0) {
                    shape.addDimBuilder().setDimValue(wild(r));
                } else {
                    shape.getDimBuilder(r.nextInt(shape.getDimCount())).setDimValue(wild(r));
                }
                return "input-dim";
            }
            case 7: { // input elem_type unknown
                if (g.getInputCount() == 0) return "none";
                g.getInputBuilder(r.nextInt(g.getInputCount())).getTypeBuilder().getTensorTypeBuilder()
                        .setElemType(r.nextInt(40) - 5);
                return "input-dtype";
            }
            case 8: { // remove an initializer
                if (g.getInitializerCount() == 0) return "none";
                g.removeInitializer(r.nextInt(g.getInitializerCount()));
                return "drop-initializer";
            }
            case 9: { // remove a node
                if (g.getNodeCount() == 0) return "none";
                g.removeNode(r.nextInt(g.getNodeCount()));
                return "drop-node";
            }
            case 10: { // op_type changed
                OnnxProto.NodeProto.Builder node = randomNode(g, r);
                if (node == null) return "none";
                node.setOpType(OPS[r.nextInt(OPS.length)]);
                return "op-type";
            }
            case 11: { // wild ir_version
                m.setIrVersion(wild(r));
                return "ir-version";
            }
            case 12: { // node domain changed, or outputs duplicated/removed
                OnnxProto.NodeProto.Builder node = randomNode(g, r);
                if (node == null) return "none";
                switch (r.nextInt(3)) {
                    case 0 -> node.setDomain(r.nextBoolean() ? "com.microsoft" : "ai.unknown");
                    case 1 -> node.clearOutput();
                    default -> node.addOutput(node.getOutputCount() > 0 ? node.getOutput(0) : "o");
                }
                return "node-domain-output";
            }
            case 13: { // scale / zero point values wild: zero, negative, NaN, infinity, out of range
                if (g.getInitializerCount() == 0) return "none";
                OnnxProto.TensorProto.Builder t = g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
                byte[] raw = t.getRawData().toByteArray();
                if (raw.length == 0) {
                    if (t.getFloatDataCount() > 0) t.setFloatData(0, new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY, 1e-45f}[r.nextInt(5)]);
                    else if (t.getInt32DataCount() > 0) t.setInt32Data(0, (int) wild(r));
                    else if (t.getInt64DataCount() > 0) t.setInt64Data(0, wild(r));
                    return "values";
                }
                int v = new int[] {0, 0x80000000, 0x7fc00000, 0x7f800000, 0xbf800000, 0x00000001, 0xFFFFFFFF}[r.nextInt(7)];
                for (int i = 0; i + 4 <= Math.min(raw.length, 8); i += 4) {
                    raw[i] = (byte) v; raw[i + 1] = (byte) (v >> 8); raw[i + 2] = (byte) (v >> 16); raw[i + 3] = (byte) (v >> 24);
                }
                if (raw.length < 4) raw[0] = (byte) r.nextInt(256);
                t.setRawData(ByteString.copyFrom(raw));
                return "values";
            }
            case 14: { // initializer name collides with or shadows another tensor
                if (g.getInitializerCount() < 2) return "none";
                g.getInitializerBuilder(0).setName(g.getInitializer(1).getName());
                return "duplicate-name";
            }
            default: { // graph output renamed / cleared
                if (g.getOutputCount() == 0) return "none";
                if (r.nextBoolean()) {
                    g.getOutputBuilder(0).setName("nowhere");
                } else {
                    g.clearOutput();
                }
                return "graph-output";
            }
        }
    }

    static OnnxProto.NodeProto.Builder randomNode(OnnxProto.GraphProto.Builder g, Random r) {
        return g.getNodeCount() == 0 ? null : g.getNodeBuilder(r.nextInt(g.getNodeCount()));
    }

    // ------------------------------------------------------------------------------------------ absurd sizes

    /**
     * Headers that declare 2^40 elements (an initializer with no data behind it, a graph input, a Reshape target)
     * must be refused from the header alone: allocating them would need a terabyte.
     */
    @Property(tries = 30, seed = SEED)
    void declaredHugeSizesAreRefusedBeforeAllocating(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        String src = pick(r);
        OnnxProto.ModelProto.Builder m = OnnxProto.ModelProto.parseFrom(SOURCES.get(src)).toBuilder();
        OnnxProto.GraphProto.Builder g = m.getGraphBuilder();
        switch (r.nextInt(3)) {
            case 0 -> { // an initializer declaring 2^40 elements with its few real bytes
                OnnxProto.TensorProto.Builder t = g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
                t.clearDims().addDims(1L << 20).addDims(1L << 20);
            }
            case 1 -> { // a graph input of 2^40 elements
                var shape = g.getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
                shape.clearDim();
                shape.addDimBuilder().setDimValue(1);
                shape.addDimBuilder().setDimValue(3);
                shape.addDimBuilder().setDimValue(1L << 19);
                shape.addDimBuilder().setDimValue(1L << 21);
            }
            default -> { // an extra initializer of 2^40 int8 elements
                g.addInitializer(OnnxProto.TensorProto.newBuilder().setName("huge").setDataType(3)
                        .addDims(1L << 40).setRawData(ByteString.copyFrom(new byte[16])));
                if (g.getNodeCount() > 0) {
                    g.getNodeBuilder(0).addInput("huge");
                }
            }
        }
        String outcome = check("declared-2^40", m.build().toByteArray(), "huge-" + src);
        assertTrue(outcome.startsWith("refused"), "a model declaring 2^40 elements was " + outcome);
    }

    /** Regression: an empty (zero-sized) convolution input reached lowering and failed there with a bare exception. */
    @org.junit.jupiter.api.Test
    void emptyConvolutionInputIsRefusedNamingTheNode() throws Exception {
        for (String src : List.of("conv_qdq_s8s8_perchannel.onnx", "builder-qdq.onnx", "builder-qop.onnx")) {
            OnnxProto.ModelProto.Builder m = OnnxProto.ModelProto.parseFrom(SOURCES.get(src)).toBuilder();
            m.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder()
                    .getDimBuilder(2).setDimValue(0);
            byte[] bytes = m.build().toByteArray();
            IntbenchException e = org.junit.jupiter.api.Assertions.assertThrows(IntbenchException.class,
                    () -> Compiler.compile(OnnxLoader.parse(bytes, src), src, CFG, Compiler.Options.defaults()));
            assertTrue(e.getMessage().contains("node") || e.getMessage().contains("input"), e.getMessage());
        }
    }

    /** Regression: a Conv with dilations or strides of 0 reached lowering (or divided by zero) instead of being refused. */
    @org.junit.jupiter.api.Test
    void zeroStrideOrDilationIsRefusedNamingTheNode() throws Exception {
        for (String attr : List.of("dilations", "strides")) {
            OnnxProto.ModelProto.Builder m = OnnxProto.ModelProto.parseFrom(SOURCES.get("builder-qdq.onnx")).toBuilder();
            OnnxProto.NodeProto.Builder conv = m.getGraphBuilder().getNodeBuilderList().stream()
                    .filter(n -> n.getOpType().equals("Conv")).findFirst().orElseThrow();
            for (int i = conv.getAttributeCount() - 1; i >= 0; i--) {
                if (conv.getAttribute(i).getName().equals(attr)) {
                    conv.removeAttribute(i);
                }
            }
            conv.addAttribute(QdqModelBuilder.attrInts(attr, 0, 0));
            byte[] bytes = m.build().toByteArray();
            IntbenchException e = org.junit.jupiter.api.Assertions.assertThrows(IntbenchException.class,
                    () -> Compiler.compile(OnnxLoader.parse(bytes, "z.onnx"), "z.onnx", CFG, Compiler.Options.defaults()));
            assertTrue(e.getMessage().contains("node") && e.getMessage().contains(attr), e.getMessage());
        }
    }

    /** Regression: a graph input dim of 2^32 was narrowed to int 0 by lowering instead of being refused. */
    @org.junit.jupiter.api.Test
    void inputDimBeyondIntIsRefusedNamingTheInput() throws Exception {
        OnnxProto.ModelProto.Builder m = OnnxProto.ModelProto.parseFrom(SOURCES.get("conv_qdq_s8s8_perchannel.onnx")).toBuilder();
        var in = m.getGraphBuilder().getInputBuilder(0);
        in.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0).setDimValue(1L << 32);
        byte[] bytes = m.build().toByteArray();
        IntbenchException.UnsupportedModel e = org.junit.jupiter.api.Assertions.assertThrows(IntbenchException.UnsupportedModel.class,
                () -> Compiler.compile(OnnxLoader.parse(bytes, "big.onnx"), "big.onnx", CFG, Compiler.Options.defaults()));
        assertTrue(e.getMessage().contains("graph input '" + in.getName() + "'"), e.getMessage());
    }
}
