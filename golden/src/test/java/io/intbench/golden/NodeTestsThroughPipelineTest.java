package io.intbench.golden;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.TensorDesc;
import io.intbench.onnx.OnnxProto;
import io.intbench.sim.Simulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ONNX backend node tests for static quantization run through intbench's own pipeline (compiler and
 * simulator, no ONNX Runtime), checked against the outputs the ONNX project's NumPy reference produced.
 *
 * <p><b>Static binding.</b> The node tests feed every operand as a graph input, scales and zero points
 * included (and QLinearConv's weights, QLinearMatMul's B): {@code input_1.pb} is {@code x_scale}, and so on.
 * A static compiler needs those at compile time; as published, the models are refused (pinned by
 * {@link #publishedModelsAreRefusedBecauseTheirScalesAreRuntimeInputs}). {@link #bindStatic} therefore turns
 * each graph input that fills a quantization-parameter or weight slot of its consumer into an initializer
 * holding the test's own value for it, which is exactly what a statically quantized model contains. The
 * data operands ({@code x}, {@code a}) stay graph inputs and are fed from their {@code input_N.pb}.
 *
 * <p><b>Opset.</b> The Q/DQ node tests are stamped opset 25; intbench accepts 10..21. QuantizeLinear and
 * DequantizeLinear with uint8/int8 codes, float32 scales, per-tensor or per-axis and no block_size,
 * output_dtype or precision attribute compute the same function in opsets 13 to 25 (later versions only
 * added types such as float8/int4/int2 and those attributes; onnx/docs/Changelog.md), so for models made
 * only of such nodes the default-domain import is lowered to 21.
 *
 * <p>The dynamically quantized tests ({@code MatMulInteger}, {@code ConvInteger}, {@code
 * DynamicQuantizeLinear}) must be refused with a message that says so.
 */
class NodeTestsThroughPipelineTest {

    /** Cases that must reproduce the reference outputs exactly (ort requantization mode). */
    static final List<String> EXACT = List.of(
            "test_quantizelinear",
            "test_quantizelinear_axis",
            "test_dequantizelinear",
            "test_dequantizelinear_axis",
            "test_qlinearconv",
            "test_qlinearmatmul_2D_uint8_float32",
            "test_qlinearmatmul_2D_int8_float32");

    /** Batched QLinearMatMul: B is [2, 4, 3], a stack of two matrices. */
    static final List<String> BATCHED = List.of(
            "test_qlinearmatmul_3D_uint8_float32",
            "test_qlinearmatmul_3D_int8_float32");

    static final List<String> DYNAMIC = List.of(
            "test_matmulinteger",
            "test_convinteger_with_padding",
            "test_dynamicquantizelinear");

    /** Input slots that are quantization parameters or weights, per op (ONNX operator docs). */
    static final Map<String, Set<Integer>> STATIC_SLOTS = Map.of(
            "QuantizeLinear", Set.of(1, 2),
            "DequantizeLinear", Set.of(1, 2),
            // x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B
            "QLinearConv", Set.of(1, 2, 3, 4, 5, 6, 7, 8),
            // a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point
            "QLinearMatMul", Set.of(1, 2, 3, 4, 5, 6, 7));

    /** One node test: its model, inputs (in graph-input order) and expected outputs (in graph-output order). */
    record Case(String name, OnnxProto.ModelProto model, List<HostTensor> inputs, List<OnnxProto.TensorProto> inputProtos,
                List<HostTensor> outputs) {
        static Case load(String name) throws IOException {
            Path dir = OnnxBackendNodeTest.caseDir(name);
            Path data = dir.resolve("test_data_set_0");
            OnnxProto.ModelProto m = OnnxProto.ModelProto.parseFrom(Files.readAllBytes(dir.resolve("model.onnx")));
            List<HostTensor> in = OnnxBackendNodeTest.readNumbered(data, "input");
            List<OnnxProto.TensorProto> protos = new java.util.ArrayList<>();
            for (int i = 0; i < in.size(); i++) {
                protos.add(OnnxProto.TensorProto.parseFrom(Files.readAllBytes(data.resolve("input_" + i + ".pb"))));
            }
            List<HostTensor> out = OnnxBackendNodeTest.readNumbered(data, "output");
            assertEquals(m.getGraph().getInputCount(), in.size(), name + ": one input_N.pb per graph input");
            assertEquals(m.getGraph().getOutputCount(), out.size(), name + ": one output_N.pb per graph output");
            return new Case(name, m, in, protos, out);
        }
    }

    /** A model made statically quantized, and the feed for the graph inputs it still has. */
    record Bound(OnnxProto.ModelProto model, Map<String, HostTensor> feed) { }

    /** See the class comment: static slots become initializers, Q/DQ-only opset > 21 becomes 21. */
    static Bound bindStatic(Case c) {
        OnnxProto.GraphProto g = c.model().getGraph();
        Set<String> staticNames = new java.util.HashSet<>();
        boolean onlyQdq = true;
        for (OnnxProto.NodeProto n : g.getNodeList()) {
            Set<Integer> slots = STATIC_SLOTS.getOrDefault(n.getOpType(), Set.of());
            for (int i = 0; i < n.getInputCount(); i++) {
                if (slots.contains(i)) {
                    staticNames.add(n.getInput(i));
                }
            }
            boolean plainQdq = (n.getOpType().equals("QuantizeLinear") || n.getOpType().equals("DequantizeLinear"))
                    && n.getAttributeList().stream().allMatch(a -> a.getName().equals("axis"));
            onlyQdq &= plainQdq;
        }
        OnnxProto.GraphProto.Builder gb = g.toBuilder().clearInput();
        Map<String, HostTensor> feed = new LinkedHashMap<>();
        for (int i = 0; i < g.getInputCount(); i++) {
            OnnxProto.ValueInfoProto in = g.getInput(i);
            if (staticNames.contains(in.getName())) {
                gb.addInitializer(c.inputProtos().get(i).toBuilder().setName(in.getName()));
            } else {
                gb.addInput(in);
                feed.put(in.getName(), c.inputs().get(i));   // ONNX backend convention: input_i feeds graph input i
            }
        }
        OnnxProto.ModelProto.Builder mb = c.model().toBuilder().setGraph(gb);
        for (int i = 0; i < mb.getOpsetImportCount(); i++) {
            OnnxProto.OperatorSetIdProto o = mb.getOpsetImport(i);
            if (o.getDomain().isEmpty() && o.getVersion() > 21) {
                assertTrue(onlyQdq, c.name() + ": opset " + o.getVersion() + " lowered only for plain Q/DQ models");
                mb.setOpsetImport(i, o.toBuilder().setVersion(21));
            }
        }
        return new Bound(mb.build(), feed);
    }

    static Stream<Arguments> exactRuns() {
        return EXACT.stream().flatMap(n -> Stream.of(Arguments.of(n, RequantMode.ORT), Arguments.of(n, RequantMode.FIXED_POINT)));
    }

    /**
     * In ort mode every output must equal the reference bit for bit. In fixed-point mode integer outputs
     * of a requantizing op (QLinearConv, QLinearMatMul) may differ by the 1-LSB rounding bound of a
     * fixed-point multiplier (NUMERICS.md); Q/DQ alone involve no requantization on the accelerator and
     * stay exact.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("exactRuns")
    void simulatorReproducesTheOnnxReference(String name, RequantMode mode) throws IOException {
        Case c = Case.load(name);
        Map<String, HostTensor> got = runPipeline(c, mode);
        int tol = mode == RequantMode.FIXED_POINT && name.startsWith("test_qlinear") ? 1 : 0;
        List<OnnxProto.ValueInfoProto> outs = c.model().getGraph().getOutputList();
        for (int i = 0; i < outs.size(); i++) {
            String o = outs.get(i).getName();
            HostTensor mine = got.get(o);
            assertNotNull(mine, name + ": simulator returned no output '" + o + "'; it returned " + got.keySet());
            assertClose(name + " " + mode + " output '" + o + "'", c.outputs().get(i), mine, tol);
        }
    }

    /** Batched QLinearMatMul (B [2, 4, 3], a stack of two matrices): one MATMUL per batch slice. */
    @ParameterizedTest
    @MethodSource("batchedNames")
    void batchedQLinearMatMulReproducesTheOnnxReference(String name) throws IOException {
        Case c = Case.load(name);
        Map<String, HostTensor> got = runPipeline(c, RequantMode.ORT);
        String o = c.model().getGraph().getOutput(0).getName();
        assertClose(name + " output '" + o + "'", c.outputs().get(0), got.get(o), 0);
    }

    static Stream<String> batchedNames() {
        return BATCHED.stream();
    }

    static Stream<String> dynamicNames() {
        return DYNAMIC.stream();
    }

    @ParameterizedTest
    @MethodSource("dynamicNames")
    void dynamicallyQuantizedModelsAreRefused(String name) throws IOException {
        Case c = Case.load(name);
        IntbenchException.UnsupportedModel e = assertThrows(IntbenchException.UnsupportedModel.class,
                () -> Compiler.compile(c.model(), name, HardwareConfig.defaultConfig(), Compiler.Options.defaults()));
        assertTrue(e.getMessage().contains("dynamically quantized"), e.getMessage());
        assertTrue(e.getMessage().contains(name), "the message names the model: " + e.getMessage());
        String op = c.model().getGraph().getNode(0).getOpType();
        assertTrue(e.getMessage().contains(op), "the message names the op " + op + ": " + e.getMessage());
    }

    /**
     * As published (scales as graph inputs, Q/DQ at opset 25) the static cases are refused, each with its
     * reason: a QLinear op's scale that is not a constant, or the opset outside 10..21.
     */
    @ParameterizedTest
    @MethodSource("publishedNames")
    void publishedModelsAreRefusedBecauseTheirScalesAreRuntimeInputs(String name) throws IOException {
        Case c = Case.load(name);
        IntbenchException.UnsupportedModel e = assertThrows(IntbenchException.UnsupportedModel.class,
                () -> Compiler.compile(c.model(), name, HardwareConfig.defaultConfig(), Compiler.Options.defaults()));
        long opset = c.model().getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty())
                .mapToLong(OnnxProto.OperatorSetIdProto::getVersion).max().orElseThrow();
        if (opset > 21) {
            assertTrue(e.getMessage().contains("opset " + opset), e.getMessage());
        } else {
            assertTrue(e.getMessage().contains("is not a constant"), e.getMessage());
        }
    }

    static Stream<String> publishedNames() {
        return Stream.concat(EXACT.stream(), BATCHED.stream());
    }

    /**
     * A per-axis QuantizeLinear at the graph boundary whose quantized result is itself the graph output:
     * the program's OUTPUT descriptor should carry the tensor's quantization (3 scales along axis 1, as
     * the INPUT descriptor of the same tensor does), so tools that read the program alone (disasm,
     * reports, a host dequantizing the output) see the right parameters.
     */
    @Test
    void perAxisQuantizedOutputCarriesItsParameters() throws IOException {
        Case c = Case.load("test_quantizelinear_axis");
        Bound b = bindStatic(c);
        Compiler.Result r = Compiler.compile(b.model(), c.name(), HardwareConfig.defaultConfig(), Compiler.Options.defaults());
        TensorDesc out = r.program().tensors(TensorDesc.Role.OUTPUT).get(0);
        assertEquals(1, out.axis(), "output axis: " + out);
        assertArrayEquals(c.inputs().get(1).toFloatArray(), out.scales(), "output scales: " + out);
        assertArrayEquals(c.inputs().get(2).toIntArray(), out.zeroPoints(), "output zero points: " + out);
    }

    /** Compile the statically bound model and simulate it: the simulator's outputs by ONNX output name. */
    static Map<String, HostTensor> runPipeline(Case c, RequantMode mode) {
        Bound b = bindStatic(c);
        HardwareConfig cfg = HardwareConfig.defaultConfig();
        Compiler.Result r = Compiler.compile(b.model(), c.name(), cfg, Compiler.Options.defaults().withMode(mode));
        return Simulator.run(r.program(), cfg, b.feed()).outputs();
    }

    /** Same type and shape; integers within {@code tol}, floats bit for bit (dequantizing small integers is exact). */
    static void assertClose(String what, HostTensor want, HostTensor got, int tol) {
        assertNotNull(got, what + ": missing");
        assertEquals(want.dtype(), got.dtype(), what + ": element type");
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        int n = Math.toIntExact(want.elements());
        int differing = 0;
        int first = -1;
        long maxDiff = 0;
        for (int k = 0; k < n; k++) {
            boolean ok;
            if (want.dtype() == DType.FLOAT32) {
                ok = Float.floatToIntBits(want.getFloat(k)) == Float.floatToIntBits(got.getFloat(k));
            } else {
                long d = Math.abs((long) want.getInt(k) - got.getInt(k));
                maxDiff = Math.max(maxDiff, d);
                ok = d <= tol;
            }
            if (!ok) {
                differing++;
                if (first < 0) {
                    first = k;
                }
            }
        }
        if (differing > 0) {
            int f = first;
            throw new AssertionError(what + ": " + differing + " of " + n + " elements differ beyond " + tol
                    + " (max " + maxDiff + "), first at index " + f + ": expected "
                    + (want.dtype() == DType.FLOAT32 ? want.getFloat(f) : want.getInt(f)) + ", got "
                    + (got.dtype() == DType.FLOAT32 ? got.getFloat(f) : got.getInt(f)));
        }
    }
}
