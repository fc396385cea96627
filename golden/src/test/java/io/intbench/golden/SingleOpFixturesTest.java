package io.intbench.golden;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import io.intbench.sim.Simulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Single-node tests of the com.microsoft QOperator contrib ops (QLinearAdd, QLinearMul, QLinearAveragePool,
 * QLinearSoftmax, QGemm) with reference outputs, from onnx2c's {@code test/local_ops}
 * (resources {@code onnx2c-local-ops-qlinear/}, see PROVENANCE.md there).
 *
 * <p>Like the ONNX node tests, these feed scales, zero points and QGemm's B and C as graph inputs; they are
 * bound as initializers holding the test's own values before compiling (see
 * {@link NodeTestsThroughPipelineTest#bindStatic}), which makes them the statically quantized models
 * intbench compiles. Each case is checked twice: the simulator's output against the {@code output_0.pb}
 * reference (which onnx2c's generator computed with its own arithmetic), and against ONNX Runtime's
 * optimised graph via {@link Golden#run}. The files import only the com.microsoft domain; intbench (and the
 * ONNX checker) want a default-domain import too, so {@link #bindStatic} adds opset 13, which changes
 * nothing as no node is in the default domain.
 */
class SingleOpFixturesTest {

    static final String ROOT = "onnx2c-local-ops-qlinear/";

    static final List<String> CASES = List.of(
            "test_qlinearadd_int8",
            "test_qlinearadd_uint8",
            "test_qlinearmul_int8",
            "test_qlinearmul_uint8",
            "test_qlinearaveragepool_uint8_basic",
            "test_qlinearaveragepool_uint8_padded_exclude_pad",
            "test_qlinearaveragepool_int8_padded_include_pad",
            "test_qlinearsoftmax_int8_2d",
            "test_qlinearsoftmax_uint8_2d",
            "test_qlinearsoftmax_uint8_3d_last_axis",
            "test_qgemm_int8_bias_per_output",
            "test_qgemm_uint8_scalar_bias",
            "test_qgemm_uint8_transB_row_bias");

    /** Input slots that are quantization parameters or constant operands, per op (ORT contrib op docs). */
    static final Map<String, Set<Integer>> STATIC_SLOTS = Map.of(
            // A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point
            "QLinearAdd", Set.of(1, 2, 4, 5, 6, 7),
            "QLinearMul", Set.of(1, 2, 4, 5, 6, 7),
            // X, x_scale, x_zero_point, y_scale, y_zero_point
            "QLinearAveragePool", Set.of(1, 2, 3, 4),
            "QLinearSoftmax", Set.of(1, 2, 3, 4),
            // A, a_scale, a_zero_point, B, b_scale, b_zero_point, C, y_scale, y_zero_point
            "QGemm", Set.of(1, 2, 3, 4, 5, 6, 7, 8));

    record Case(String name, OnnxProto.ModelProto model, List<HostTensor> inputs,
                List<OnnxProto.TensorProto> inputProtos, List<HostTensor> outputs) {
        static Case load(String name) throws IOException {
            Path dir = GoldenModelsTest.resource(ROOT + name);
            Path data = dir.resolve("test_data_set_0");
            OnnxProto.ModelProto m = OnnxProto.ModelProto.parseFrom(Files.readAllBytes(dir.resolve("model.onnx")));
            List<HostTensor> in = OnnxBackendNodeTest.readNumbered(data, "input");
            List<OnnxProto.TensorProto> protos = new ArrayList<>();
            for (int i = 0; i < in.size(); i++) {
                protos.add(OnnxProto.TensorProto.parseFrom(Files.readAllBytes(data.resolve("input_" + i + ".pb"))));
            }
            List<HostTensor> out = OnnxBackendNodeTest.readNumbered(data, "output");
            assertEquals(m.getGraph().getInputCount(), in.size(), name + ": one input_N.pb per graph input");
            assertEquals(m.getGraph().getOutputCount(), out.size(), name + ": one output_N.pb per graph output");
            return new Case(name, m, in, protos, out);
        }
    }

    static final int DEFAULT_OPSET = 13;

    record Bound(OnnxProto.ModelProto model, Map<String, HostTensor> feed) { }

    /** Graph inputs in a static slot of their consumer become initializers holding the test's value. */
    static Bound bindStatic(Case c) {
        OnnxProto.GraphProto g = c.model().getGraph();
        Set<String> staticNames = new HashSet<>();
        for (OnnxProto.NodeProto n : g.getNodeList()) {
            Set<Integer> slots = STATIC_SLOTS.getOrDefault(n.getOpType(), Set.of());
            for (int i = 0; i < n.getInputCount(); i++) {
                if (slots.contains(i)) {
                    staticNames.add(n.getInput(i));
                }
            }
        }
        OnnxProto.GraphProto.Builder gb = g.toBuilder().clearInput();
        Map<String, HostTensor> feed = new LinkedHashMap<>();
        for (int i = 0; i < g.getInputCount(); i++) {
            OnnxProto.ValueInfoProto in = g.getInput(i);
            if (staticNames.contains(in.getName())) {
                gb.addInitializer(c.inputProtos().get(i).toBuilder().setName(in.getName()));
            } else {
                gb.addInput(in);
                feed.put(in.getName(), c.inputs().get(i));
            }
        }
        for (int i = 0; i < gb.getNodeCount(); i++) {
            OnnxProto.NodeProto n = gb.getNode(i);
            if (n.getOpType().equals("QLinearSoftmax") && n.getAttributeList().stream().noneMatch(a -> a.getName().equals("opset"))) {
                // ORT's schema requires 'opset' (the Softmax semantics: < 13 coerces to 2-D, >= 13 is one axis);
                // onnx2c's files omit it. Their axis is the last one, where both semantics agree.
                gb.setNode(i, n.toBuilder().addAttribute(OnnxProto.AttributeProto.newBuilder().setName("opset")
                        .setType(OnnxProto.AttributeProto.AttributeType.INT).setI(DEFAULT_OPSET)));
            }
        }
        OnnxProto.ModelProto.Builder mb = c.model().toBuilder().setGraph(gb);
        if (mb.getOpsetImportList().stream().noneMatch(o -> o.getDomain().isEmpty())) {
            // onnx2c's files import only com.microsoft; no node is in the default domain, so any default
            // opset leaves the function unchanged. 13 is the first with per-axis Q/DQ, which intbench needs.
            mb.addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(DEFAULT_OPSET));
        }
        return new Bound(mb.build(), feed);
    }

    static Compiler.Result compile(Case c, Bound b) {
        return Compiler.compile(b.model(), c.name(), HardwareConfig.defaultConfig(),
                Compiler.Options.defaults().withMode(RequantMode.ORT));
    }

    /**
     * Cases where onnx2c's reference output is not what ONNX Runtime computes, with the number of differing
     * elements (each by 1 LSB). intbench must equal ORT there (checked in {@link #simulatorAgreesWithOnnxRuntime})
     * and differ from the reference in exactly that many elements.
     * <ul>
     * <li>QLinearAveragePool (both): ORT rounds {@code avg / y_scale + y_zero_point} half to even after adding
     * the zero point (qlinear_pool.cc); the generator rounds before adding it. With an odd y_zero_point (127,
     * -3) and averages landing on .5 (e.g. window 128,127,125,124 at x_scale 0.25, zp 128, y_scale 0.2:
     * -2.5 + 127 -> 124 in ORT, round(-2.5) + 127 = 125 in the reference) the two differ by one.</li>
     * <li>QGemm int8_bias_per_output: C has shape [2] and Y is [2, 2]; by ONNX (numpy) broadcasting C is
     * added per column, as ORT does; the reference adds C[m] to row m (its outputs are reproduced exactly
     * by A·B + C[m]: e.g. Y[0,1] = 47 + 2 = 49 -> 4.9 -> 5 - 2 = 3, where ORT has 47 - 3 = 44 -> 4 - 2 = 2).</li>
     * </ul>
     */
    static final Map<String, Integer> REFERENCE_DIFFERS_FROM_ORT = Map.of(
            "test_qlinearaveragepool_uint8_basic", 1,
            "test_qlinearaveragepool_int8_padded_include_pad", 3,
            "test_qgemm_int8_bias_per_output", 2);

    /**
     * C of shape [M, 1] (one bias per row, broadcast along N): the accelerator adds one bias per output
     * channel, so the compiler refuses it with the reason (it used to read the [2, 1] values as a per-column
     * bias and got one element wrong against both ORT and the reference).
     */
    static final String ROW_BIAS = "test_qgemm_uint8_transB_row_bias";

    static Stream<String> compiled() {
        return CASES.stream().filter(n -> !n.equals(ROW_BIAS));
    }

    static Stream<String> referenceExact() {
        return compiled().filter(n -> !REFERENCE_DIFFERS_FROM_ORT.containsKey(n));
    }

    @ParameterizedTest
    @MethodSource("referenceExact")
    void simulatorReproducesTheReferenceOutput(String name) throws IOException {
        Case c = Case.load(name);
        Bound b = bindStatic(c);
        Map<String, HostTensor> got = Simulator.run(compile(c, b).program(), HardwareConfig.defaultConfig(), b.feed()).outputs();
        String o = c.model().getGraph().getOutput(0).getName();
        NodeTestsThroughPipelineTest.assertClose(name + " vs reference output_0.pb", c.outputs().get(0), got.get(o), 0);
    }

    @ParameterizedTest
    @MethodSource("compiled")
    void simulatorAgreesWithOnnxRuntime(String name) throws IOException {
        Case c = Case.load(name);
        Bound b = bindStatic(c);
        Golden.Result r = Golden.run(compile(c, b), HardwareConfig.defaultConfig(), b.feed(), 1L, 0, 1);
        String o = c.model().getGraph().getOutput(0).getName();
        HostTensor ort = r.ortOptimized().get(o);
        assertNotNull(ort, name + ": ORT returned no '" + o + "'");
        HostTensor mine = r.sim().outputs().get(o);
        NodeTestsThroughPipelineTest.assertClose(name + " vs ONNX Runtime", ort, mine, 0);
        OperatorCoverageTest.assertExact(name, r);
        // where the reference is not ORT's result, measure it: the expected number of 1-LSB differences
        HostTensor ref = c.outputs().get(0);
        int differ = 0;
        for (int k = 0; k < ref.elements(); k++) {
            int d = Math.abs(ref.getInt(k) - mine.getInt(k));
            assertTrue(d <= 1, name + ": reference and intbench differ by " + d + " at " + k);
            differ += d;
        }
        assertEquals(REFERENCE_DIFFERS_FROM_ORT.getOrDefault(name, 0), differ, name + ": elements where the reference differs");
    }

    @Test
    void perRowGemmBiasIsRefusedWithTheReason() throws IOException {
        Case c = Case.load(ROW_BIAS);
        IntbenchException.UnsupportedModel e = assertThrows(IntbenchException.UnsupportedModel.class,
                () -> compile(c, bindStatic(c)));
        assertTrue(e.getMessage().contains("[2, 1]") && e.getMessage().contains("per output channel"), e.getMessage());
    }
}
