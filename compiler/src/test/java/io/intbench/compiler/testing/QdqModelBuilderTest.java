package io.intbench.compiler.testing;

import io.intbench.compiler.testing.QdqModelBuilder.Act;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.onnx.OnnxProto.AttributeProto;
import io.intbench.onnx.OnnxProto.GraphProto;
import io.intbench.onnx.OnnxProto.ModelProto;
import io.intbench.onnx.OnnxProto.NodeProto;
import io.intbench.onnx.OnnxProto.TensorProto;
import io.intbench.onnx.OnnxProto.ValueInfoProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Structure of the models {@link QdqModelBuilder} writes, checked against the ONNX operator spec
 * (docs/Operators.md) and the layout of ONNX Runtime's quantize_static output. Expected shapes are worked out
 * by hand from the Conv output-size formula, not taken from the builder.
 */
class QdqModelBuilderTest {

    /** A model touching every layer kind, in the given configuration. */
    private static QdqModelBuilder fullNet(long seed, Function<QdqModelBuilder, QdqModelBuilder> cfg) {
        QdqModelBuilder b = cfg.apply(QdqModelBuilder.create(seed));
        int zp = b.activationType() == DType.UINT8 ? 128 : 0;
        Act x = b.input("input", 0.02f, zp, 1, 3, 16, 16);
        Act c1 = b.conv(x, ConvSpec.of(8, 3, 3).pads(1, 1, 1, 1).relu(true));
        Act c2 = b.conv(c1, ConvSpec.of(8, 3, 3).stride(2, 2).pads(1, 1, 1, 1).group(8).clip(0, 6));
        Act c3 = b.conv(c2, ConvSpec.of(8, 1, 1));
        Act c4 = b.conv(c2, ConvSpec.of(8, 3, 3).dilation(2, 2).pads(2, 2, 2, 2).perChannel(false));
        Act a = b.add(c3, c4);
        Act p = b.maxPool(a, 2, 2, 0);
        Act g = b.globalAveragePool(p);
        Act f = b.flatten(g);
        Act m = b.gemm(f, 12, true, true);
        Act m2 = b.gemm(m, 6, false, false);
        Act mm = b.matmul(m2, 5);
        b.output(mm, "output");
        b.outputQuantized(c1);
        return b;
    }

    static Stream<Function<QdqModelBuilder, QdqModelBuilder>> configs() {
        return Stream.of(
                b -> b,
                b -> b.activationType(DType.INT8),
                b -> b.fakeQuantWeights(true),
                b -> b.weightQuant(DType.UINT8, true, false),
                b -> b.opset(21),
                b -> b.opset(12).weightQuant(DType.INT8, false, true),
                b -> b.qoperator(),
                b -> b.qoperator().opset(12).weightQuant(DType.INT8, false, true));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void everyConfigurationIsWellFormedAndRoundTrips(Function<QdqModelBuilder, QdqModelBuilder> cfg) throws Exception {
        QdqModelBuilder b = fullNet(3, cfg);
        ModelProto m = b.build();
        OnnxModelChecks.assertWellFormed(m);
        ModelProto back = ModelProto.parseFrom(b.toBytes());
        assertEquals(m, back);
        assertTrue(back.getGraph().getNodeCount() > 10);
        // ONNX Runtime accepts an IR version no older than the one that introduced the opset.
        int opset = (int) m.getOpsetImport(0).getVersion();
        assertEquals(opset >= 21 ? 10 : opset >= 15 ? 8 : 7, m.getIrVersion());
    }

    @Test
    void tensorAndNodeNamesAreUnique() {
        GraphProto g = fullNet(1, b -> b.fakeQuantWeights(true)).build().getGraph();
        Set<String> tensors = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            assertTrue(tensors.add(t.getName()), "initializer " + t.getName());
        }
        for (ValueInfoProto v : g.getInputList()) {
            assertTrue(tensors.add(v.getName()), "input " + v.getName());
        }
        Set<String> nodes = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            assertTrue(nodes.add(n.getName()), "node " + n.getName());
            for (String o : n.getOutputList()) {
                assertTrue(tensors.add(o), "output " + o + " of " + n.getName());
            }
        }
    }

    @Test
    void checkerFindsDanglingInputsAndDuplicates() {
        ModelProto ok = fullNet(1, b -> b).build();
        GraphProto.Builder g = ok.getGraph().toBuilder();
        g.setNode(3, g.getNode(3).toBuilder().setInput(0, "no_such_tensor"));
        g.addNode(g.getNode(0));
        List<String> p = OnnxModelChecks.problems(ok.toBuilder().setGraph(g).build());
        assertTrue(p.stream().anyMatch(s -> s.contains("no_such_tensor")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("node name used twice")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("already defined")), p.toString());
    }

    /** Input H x W, spec, expected output H x W (worked out by hand). */
    static Stream<Object[]> convShapes() {
        return Stream.of(
                // floor((16 + 1 + 1 - 3) / 2) + 1 = 8
                new Object[] {16, 16, ConvSpec.of(4, 3, 3).stride(2, 2).pads(1, 1, 1, 1), 8, 8},
                // 16 - 3 + 1 = 14
                new Object[] {16, 16, ConvSpec.of(4, 3, 3), 14, 14},
                // dilation 2: effective kernel 5; 16 + 4 - 5 + 1 = 16; width 12 without pads: 12 - 5 + 1 = 8
                new Object[] {16, 12, ConvSpec.of(4, 3, 3).dilation(2, 2).pads(2, 0, 2, 0), 16, 8},
                // asymmetric pads: H 10 + 0 + 2 - 3 + 1 = 10, W 10 + 1 + 3 - 3 + 1 = 12
                new Object[] {10, 10, ConvSpec.of(4, 3, 3).pads(0, 1, 2, 3), 10, 12},
                // depthwise (group = C = 4), stride 2, pads 1: floor(17 / 2) + 1 = 9
                new Object[] {17, 17, ConvSpec.of(4, 3, 3).group(4).stride(2, 2).pads(1, 1, 1, 1), 9, 9},
                // SAME_UPPER: ceil(15 / 2) = 8, ceil(9 / 3) = 3
                new Object[] {15, 9, ConvSpec.of(4, 3, 3).stride(2, 3).autoPad("SAME_UPPER"), 8, 3},
                // VALID: floor((15 - 3) / 2) + 1 = 7
                new Object[] {15, 15, ConvSpec.of(4, 3, 3).stride(2, 2).autoPad("VALID"), 7, 7},
                // 5x1 kernel, stride (1, 2): H 12 - 5 + 1 = 8, W floor((12 - 1) / 2) + 1 = 6
                new Object[] {12, 12, ConvSpec.of(4, 5, 1).stride(1, 2), 8, 6});
    }

    @ParameterizedTest
    @MethodSource("convShapes")
    void declaredShapesFollowTheConvFormula(int h, int w, ConvSpec spec, int eh, int ew) {
        for (boolean qop : new boolean[] {false, true}) {
            QdqModelBuilder b = QdqModelBuilder.create(5);
            if (qop) {
                b.qoperator();
            }
            Act x = b.input("input", 0.02f, 128, 1, 4, h, w);
            Act y = b.conv(x, spec);
            b.output(y, "output");
            long[] expected = {1, 4, eh, ew};
            assertArrayEquals(expected, y.shape());
            GraphProto g = b.build().getGraph();
            assertArrayEquals(expected, dims(g.getOutput(0)));
            assertArrayEquals(expected, dims(valueInfo(g, "conv1_out_q")));
            NodeProto conv = node(g, "conv1");
            assertEquals(qop ? "QLinearConv" : "Conv", conv.getOpType());
            boolean auto = spec.autoPad != null;
            assertEquals(auto, attr(conv, "auto_pad") != null);
            assertEquals(!auto, attr(conv, "pads") != null, "pads and auto_pad are exclusive (ONNX spec)");
            assertEquals(4 / spec.group, initializer(g, "conv1_w").getDims(1));
        }
    }

    @Test
    void perChannelWeightsHaveOneScaleAndZeroPointPerOutputChannel() {
        QdqModelBuilder b = QdqModelBuilder.create(11);
        Act x = b.input("input", 0.025f, 128, 1, 3, 8, 8);
        b.output(b.conv(x, ConvSpec.of(6, 3, 3).perChannel(true)), "output");
        GraphProto g = b.build().getGraph();
        TensorProto ws = initializer(g, "conv1_w_scale");
        TensorProto wz = initializer(g, "conv1_w_zp");
        assertEquals(List.of(6L), ws.getDimsList());
        assertEquals(List.of(6L), wz.getDimsList());
        assertEquals(DType.INT8.onnxCode(), wz.getDataType());
        assertTrue(wz.getInt32DataList().stream().allMatch(z -> z == 0), "symmetric int8 weights have zero point 0");
        assertEquals(0L, attr(node(g, "conv1_w_dequantize"), "axis").getI());
        assertEquals(List.of("conv1_w", "conv1_w_scale", "conv1_w_zp"), node(g, "conv1_w_dequantize").getInputList());
        // Conv inputs are X, W, B in that order.
        assertEquals(List.of("input_dq", "conv1_w_dq", "conv1_b_dq"), node(g, "conv1").getInputList());

        // Bias: int32, zero point 0, scale = x_scale * w_scale[c] in float32 (ONNX QLinearConv bias rule).
        TensorProto bias = initializer(g, "conv1_b");
        assertEquals(DType.INT32.onnxCode(), bias.getDataType());
        float[] wScales = floats(ws);
        float[] bScales = floats(initializer(g, "conv1_b_scale"));
        assertEquals(6, bScales.length);
        for (int c = 0; c < 6; c++) {
            assertEquals(0.025f * wScales[c], bScales[c]);
            assertTrue(wScales[c] > 0);
        }
        assertArrayEquals(new int[6], ints(initializer(g, "conv1_b_zp")));
        for (int v : ints(bias)) {
            assertTrue(Math.abs(v) <= 4096, "bias code " + v);
        }
        assertEquals(0L, attr(node(g, "conv1_b_dequantize"), "axis").getI());
    }

    @Test
    void perTensorWeightsAndAsymmetricZeroPoints() {
        QdqModelBuilder b = QdqModelBuilder.create(12);
        Act x = b.input("input", 0.02f, 128, 1, 3, 8, 8);
        Act y = b.conv(x, ConvSpec.of(5, 3, 3).perChannel(false).weightType(DType.UINT8).symmetricWeights(false));
        b.output(y, "output");
        GraphProto g = b.build().getGraph();
        assertEquals(0, initializer(g, "conv1_w_scale").getDimsCount());
        TensorProto wz = initializer(g, "conv1_w_zp");
        assertEquals(DType.UINT8.onnxCode(), wz.getDataType());
        assertEquals(0, wz.getDimsCount());
        assertEquals(DType.UINT8.onnxCode(), initializer(g, "conv1_w").getDataType());
        assertEquals(null, attr(node(g, "conv1_w_dequantize"), "axis"));
        // quantize_static writes the per-tensor bias scale as a 1-element 1-D tensor.
        assertEquals(List.of(1L), initializer(g, "conv1_b_scale").getDimsList());
        int[] w = ints(initializer(g, "conv1_w"));
        assertTrue(Arrays.stream(w).allMatch(v -> v >= 0 && v <= 255));
        assertTrue(Arrays.stream(w).distinct().count() > 10, "weights are spread, not constant");
    }

    @Test
    void perChannelQdqNeedsOpset13() {
        QdqModelBuilder b = QdqModelBuilder.create(1).opset(12);
        Act x = b.input("input", 0.02f, 128, 1, 3, 8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.conv(x, ConvSpec.of(4, 3, 3).perChannel(true)));
        assertTrue(e.getMessage().contains("opset >= 13"), e.getMessage());
        // QLinearConv has taken a 1-D w_scale since opset 10.
        QdqModelBuilder q = QdqModelBuilder.create(1).opset(12).qoperator();
        Act qx = q.input("input", 0.02f, 128, 1, 3, 8, 8);
        q.output(q.conv(qx, ConvSpec.of(4, 3, 3).perChannel(true)), "output");
        assertEquals(List.of(4L), initializer(q.build().getGraph(), "conv1_w_scale").getDimsList());
    }

    @Test
    void fakeQuantWeightsAreFloatsThatQuantizeBackToCodes() {
        QdqModelBuilder b = QdqModelBuilder.create(13).fakeQuantWeights(true);
        Act x = b.input("input", 0.02f, 128, 1, 2, 6, 6);
        b.output(b.conv(x, ConvSpec.of(3, 3, 3)), "output");
        GraphProto g = b.build().getGraph();
        TensorProto wf = initializer(g, "conv1_w_float");
        assertEquals(DType.FLOAT32.onnxCode(), wf.getDataType());
        NodeProto q = node(g, "conv1_w_quantize");
        assertEquals("QuantizeLinear", q.getOpType());
        assertEquals(List.of("conv1_w_float", "conv1_w_scale", "conv1_w_zp"), q.getInputList());
        assertEquals(List.of("conv1_w", "conv1_w_scale", "conv1_w_zp"), node(g, "conv1_w_dequantize").getInputList());
        float[] w = floats(wf);
        float[] s = floats(initializer(g, "conv1_w_scale"));
        int per = 2 * 3 * 3;
        for (int i = 0; i < w.length; i++) {
            // QuantizeLinear: round(x / scale) + zp; the value must sit on the grid so folding is exact.
            double code = w[i] / s[i / per];
            assertEquals(Math.rint(code), code, 1e-3, "weight " + i);
            assertTrue(Math.abs(code) <= 127);
        }
        assertFalse(g.getInitializerList().stream().anyMatch(t -> t.getDataType() == DType.INT8.onnxCode()
                && t.getDimsCount() == 4), "no 8-bit weight initializer in fake-quant form");
    }

    @Test
    void qoperatorFormUsesFusedOpsWithSpecInputOrder() {
        QdqModelBuilder b = fullNet(2, QdqModelBuilder::qoperator);
        ModelProto m = b.build();
        GraphProto g = m.getGraph();
        assertEquals(List.of("input_q", "input_scale", "input_zp", "conv1_w", "conv1_w_scale", "conv1_w_zp",
                "conv1_out_scale", "conv1_out_zp", "conv1_b"), node(g, "conv1").getInputList());
        // QGemm: A, a_scale, a_zero_point, B, b_scale, b_zero_point, C, y_scale, y_zero_point (com.microsoft contrib spec);
        // Flatten runs on the 8-bit tensor and keeps the GlobalAveragePool's parameters.
        assertEquals(List.of("flatten1_out_q", "gap1_out_scale", "gap1_out_zp", "gemm1_w", "gemm1_w_scale", "gemm1_w_zp",
                "gemm1_b", "gemm1_out_scale", "gemm1_out_zp"), node(g, "gemm1").getInputList());
        assertEquals("com.microsoft", node(g, "gemm1").getDomain());
        assertEquals("QGemm", node(g, "gemm1").getOpType());
        assertEquals("QLinearAdd", node(g, "add1").getOpType());
        assertEquals("QLinearGlobalAveragePool", node(g, "gap1").getOpType());
        assertEquals("QLinearMatMul", node(g, "matmul1").getOpType());
        assertEquals("", node(g, "matmul1").getDomain());
        assertEquals("MaxPool", node(g, "maxpool1").getOpType());
        assertEquals(List.of("add1_out_q"), node(g, "maxpool1").getInputList());
        assertTrue(m.getOpsetImportList().stream().anyMatch(o -> o.getDomain().equals("com.microsoft") && o.getVersion() == 1));
        Set<String> ops = new HashSet<>();
        g.getNodeList().forEach(n -> ops.add(n.getOpType()));
        assertFalse(ops.contains("Relu") || ops.contains("Clip") || ops.contains("Conv"), ops.toString());
        assertEquals(1, g.getNodeList().stream().filter(n -> n.getOpType().equals("QuantizeLinear")).count());
        // Fused Relu: the output range starts at real 0.
        assertEquals(0, b.build().getGraph().getInitializerList().stream().filter(t -> t.getName().equals("conv1_out_zp"))
                .findFirst().orElseThrow().getInt32Data(0));
    }

    @Test
    void qoperatorReluNeedsZeroPointAtQmin() {
        QdqModelBuilder b = QdqModelBuilder.create(1).qoperator();
        Act x = b.input("input", 0.02f, 128, 1, 3, 8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.conv(x, ConvSpec.of(4, 3, 3).relu(true), 0.05f, 128));
        assertTrue(e.getMessage().contains("zero point 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.conv(x, ConvSpec.of(4, 3, 3).clip(0, 6), 0.05f, 0),
                "0.05 * 255 > 6: saturation would not be the clip");
        Act ok = b.conv(x, ConvSpec.of(4, 3, 3).clip(0, 6));
        assertEquals(6f / 255, ok.scale(), 1e-9);
        assertEquals(0, ok.zeroPoint());
    }

    @Test
    void qdqLayersLookLikeQuantizeStaticOutput() {
        QdqModelBuilder b = QdqModelBuilder.create(4);
        Act x = b.input("input", 0.02f, 128, 1, 4, 8, 8);
        Act c = b.conv(x, ConvSpec.of(4, 3, 3).pads(1, 1, 1, 1).relu(true));
        Act p = b.maxPool(c, 2, 2, 0);
        Act f = b.flatten(p);
        Act m = b.gemm(f, 10, true, 0.1f, 100, false);
        Act s = b.add(m, m);
        b.output(s, "output");
        GraphProto g = b.build().getGraph();
        // MaxPool and Flatten re-quantize with the very same scale/zero-point initializers.
        assertEquals(List.of("maxpool1_out", "conv1_out_scale", "conv1_out_zp"), node(g, "maxpool1_out_quantize").getInputList());
        assertEquals(List.of("flatten1_out", "conv1_out_scale", "conv1_out_zp"), node(g, "flatten1_out_quantize").getInputList());
        assertArrayEquals(new long[] {1, 4, 4, 4}, p.shape());
        assertArrayEquals(new long[] {1, 64}, f.shape());
        assertEquals(List.of("conv1_out"), node(g, "conv1_relu").getInputList());
        assertEquals(List.of("conv1_relu_out", "conv1_out_scale", "conv1_out_zp"), node(g, "conv1_out_quantize").getInputList());
        NodeProto gemm = node(g, "gemm1");
        assertEquals(1f, attr(gemm, "alpha").getF());
        assertEquals(1f, attr(gemm, "beta").getF());
        assertEquals(1L, attr(gemm, "transB").getI());
        assertEquals(List.of(10L, 64L), initializer(g, "gemm1_w").getDimsList());
        // One DQ per quantized tensor, shared by its consumers (Add reads gemm1's DQ twice).
        assertEquals(List.of("gemm1_out_dq", "gemm1_out_dq"), node(g, "add1").getInputList());
        assertEquals(1, g.getNodeList().stream().filter(n -> n.getOpType().equals("DequantizeLinear")
                && n.getInput(0).equals("gemm1_out_q") && !n.getOutput(0).equals("output")).count());
        assertEquals(0.1f, initializer(g, "gemm1_out_scale").getFloatData(0));
        assertEquals(100, initializer(g, "gemm1_out_zp").getInt32Data(0));
        assertEquals("output", node(g, "output_dequantize").getOutput(0));
        assertArrayEquals(new long[] {1, 10}, dims(g.getOutput(0)));
    }

    @Test
    void gemmWithoutTransBQuantizesAlongColumns() {
        QdqModelBuilder b = QdqModelBuilder.create(6);
        Act x = b.input("input", 0.02f, 128, 2, 16);
        Act y = b.gemm(x, 5, false, false);
        Act z = b.matmul(y, 3);
        b.output(z, "output");
        GraphProto g = b.build().getGraph();
        assertEquals(List.of(16L, 5L), initializer(g, "gemm1_w").getDimsList());
        assertEquals(1L, attr(node(g, "gemm1_w_dequantize"), "axis").getI());
        assertEquals(List.of(5L), initializer(g, "gemm1_w_scale").getDimsList());
        assertEquals(List.of(5L, 3L), initializer(g, "matmul1_w").getDimsList());
        assertEquals(List.of(3L), initializer(g, "matmul1_w_scale").getDimsList());
        assertArrayEquals(new long[] {2, 3}, dims(g.getOutput(0)));
    }

    @Test
    void automaticOutputParametersAreSane() {
        QdqModelBuilder b = QdqModelBuilder.create(8).activationType(DType.INT8);
        Act x = b.input("input", 0.02f, 0, 1, 3, 8, 8);
        Act r = b.conv(x, ConvSpec.of(4, 3, 3).relu(true));
        Act n = b.conv(r, ConvSpec.of(4, 3, 3));
        assertEquals(-128, r.zeroPoint(), "a Relu output range starts at real 0 (qmin)");
        assertTrue(r.scale() > 0 && n.scale() > 0);
        assertTrue(Math.abs(n.zeroPoint()) <= 1, "a signed output is centred");
        QdqModelBuilder.QParams q = QdqModelBuilder.paramsForRange(-1, 3, DType.UINT8);
        assertEquals(4f / 255, q.scale(), 1e-9);
        assertEquals(64, q.zeroPoint()); // round(0 - (-1) / (4 / 255)) = round(63.75)
    }

    @Test
    void sameSeedSameModelOtherSeedOtherWeights() {
        byte[] a = fullNet(21, b -> b).toBytes();
        assertArrayEquals(a, fullNet(21, b -> b).toBytes());
        assertFalse(Arrays.equals(a, fullNet(22, b -> b).toBytes()));
    }

    @Test
    void randomInputHasTheDeclaredShapeAndStaysInTheQuantizationRange() {
        QdqModelBuilder b = QdqModelBuilder.create(1);
        b.input("input", 0.02f, 100, 1, 3, 5, 7);
        HostTensor t = b.randomInput(9);
        assertArrayEquals(new long[] {1, 3, 5, 7}, t.shape());
        assertEquals(DType.FLOAT32, t.dtype());
        float lo = 0.02f * (0 - 100);
        float hi = 0.02f * (255 - 100);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : t.toFloatArray()) {
            assertTrue(v >= lo - 1e-5 && v <= hi + 1e-5, "value " + v);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min < 0 && max > 2, "covers the range: " + min + ".." + max);
        assertEquals(t, b.randomInput(9));
        assertNotEquals(t, b.randomInput(10));
    }

    @Test
    void refusalModelsAreWellFormedAndContainWhatTheyClaim() {
        ModelProto u = QdqModelBuilder.unsupportedOpModel();
        OnnxModelChecks.assertWellFormed(u);
        Set<String> ops = new HashSet<>();
        u.getGraph().getNodeList().forEach(n -> ops.add(n.getOpType()));
        assertTrue(ops.containsAll(Set.of("Einsum", "TopK", "Conv", "QuantizeLinear", "DequantizeLinear")), ops.toString());
        NodeProto topk = node(u.getGraph(), "topk1");
        assertEquals(2, topk.getOutputCount(), "TopK declares both its outputs");
        assertEquals("topk1_k", topk.getInput(1));

        ModelProto f = QdqModelBuilder.floatConvModel(3);
        OnnxModelChecks.assertWellFormed(f);
        assertTrue(f.getGraph().getNodeList().stream().noneMatch(n -> n.getOpType().contains("Quantize")));
        assertEquals(List.of("input", "conv1_w", "conv1_b"), node(f.getGraph(), "conv1").getInputList());

        ModelProto d = QdqModelBuilder.dynamicQuantModel(3);
        OnnxModelChecks.assertWellFormed(d);
        assertEquals(List.of("DynamicQuantizeLinear", "Mul", "MatMulInteger", "Cast", "Mul"),
                d.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
    }

    @Test
    void misuseIsRefusedWithAReason() {
        QdqModelBuilder b = QdqModelBuilder.create(1);
        Act x = b.input("input", 0.02f, 128, 1, 3, 8, 8);
        assertThrows(IllegalStateException.class, () -> b.opset(14), "configuration after the first layer");
        assertThrows(IllegalArgumentException.class, () -> b.input("input", 0.02f, 128, 1, 3));
        assertThrows(IllegalArgumentException.class, () -> b.conv(x, ConvSpec.of(4, 3, 3).group(2)), "3 channels, 2 groups");
        assertThrows(IllegalArgumentException.class, () -> b.conv(x, ConvSpec.of(4, 3, 3), 0.1f, 300));
        assertThrows(IllegalArgumentException.class,
                () -> b.conv(x, ConvSpec.of(4, 3, 3).dilation(2, 2).autoPad("SAME_UPPER")), "ORT rejects it");
        assertThrows(IllegalArgumentException.class, () -> b.conv(x, ConvSpec.of(4, 9, 9)), "no output left");
        assertThrows(IllegalStateException.class, b::build, "no output yet");
        assertThrows(IllegalStateException.class, () -> QdqModelBuilder.create(1).qoperator().fakeQuantWeights(true));
    }

    // ---------------------------------------------------------------- proto helpers

    private static NodeProto node(GraphProto g, String name) {
        return g.getNodeList().stream().filter(n -> n.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no node " + name));
    }

    private static TensorProto initializer(GraphProto g, String name) {
        return g.getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no initializer " + name));
    }

    private static ValueInfoProto valueInfo(GraphProto g, String name) {
        return g.getValueInfoList().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no value_info " + name));
    }

    private static AttributeProto attr(NodeProto n, String name) {
        return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst().orElse(null);
    }

    private static long[] dims(ValueInfoProto v) {
        return v.getType().getTensorType().getShape().getDimList().stream().mapToLong(d -> d.getDimValue()).toArray();
    }

    /** Float contents from float_data or little-endian raw_data (both encodings are legal ONNX). */
    private static float[] floats(TensorProto t) {
        if (t.getFloatDataCount() > 0) {
            float[] f = new float[t.getFloatDataCount()];
            for (int i = 0; i < f.length; i++) {
                f[i] = t.getFloatData(i);
            }
            return f;
        }
        ByteBuffer bb = ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[bb.remaining() / 4];
        bb.asFloatBuffer().get(f);
        return f;
    }

    /** Integer contents of an int8/uint8/int32 tensor from int32_data or raw_data. */
    private static int[] ints(TensorProto t) {
        if (t.getInt32DataCount() > 0) {
            return t.getInt32DataList().stream().mapToInt(Integer::intValue).toArray();
        }
        DType type = DType.fromOnnx(t.getDataType());
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        return new HostTensor(type, shape, t.getRawData().toByteArray()).toIntArray();
    }
}
