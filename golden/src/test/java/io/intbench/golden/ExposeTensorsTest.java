package io.intbench.golden;

import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Exposes the QuantizeLinear outputs of the ORT-quantized LeNet fixtures and checks what ONNX
 * Runtime returns for them against hand-derived shapes and independent integer references.
 */
class ExposeTensorsTest {

    static final String SEED = "lenet.seed.qdq.onnx";     // int8 activations, per-tensor int8 weights
    static final String U8S8PC = "lenet.u8s8pc.qdq.onnx"; // uint8 activations, per-channel int8 weights

    /**
     * Shapes of LeNet's quantized tensors, derived by hand from the architecture (models-ort
     * README): 28x28 input, 5x5 conv without padding -> 24x24, 2x2 max pool -> 12x12, 5x5 conv ->
     * 8x8, pool -> 4x4, 16*4*4 = 256 flattened, Gemm 256->120->84->10.
     */
    static final Map<String, long[]> Q_SHAPES = new LinkedHashMap<>();

    static {
        Q_SHAPES.put("input_QuantizeLinear_Output", new long[] {1, 1, 28, 28});
        Q_SHAPES.put("/f/f.1/Relu_output_0_QuantizeLinear_Output", new long[] {1, 6, 24, 24});
        Q_SHAPES.put("/f/f.2/MaxPool_output_0_QuantizeLinear_Output", new long[] {1, 6, 12, 12});
        Q_SHAPES.put("/f/f.4/Relu_output_0_QuantizeLinear_Output", new long[] {1, 16, 8, 8});
        Q_SHAPES.put("/f/f.5/MaxPool_output_0_QuantizeLinear_Output", new long[] {1, 16, 4, 4});
        Q_SHAPES.put("/Flatten_output_0_QuantizeLinear_Output", new long[] {1, 256});
        Q_SHAPES.put("/c/c.1/Relu_output_0_QuantizeLinear_Output", new long[] {1, 120});
        Q_SHAPES.put("/c/c.3/Relu_output_0_QuantizeLinear_Output", new long[] {1, 84});
        Q_SHAPES.put("output_QuantizeLinear_Output", new long[] {1, 10});
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = ExposeTensorsTest.class.getResourceAsStream("/models-ort/" + name)) {
            assertTrue(in != null, "test resource models-ort/" + name + " missing");
            return in.readAllBytes();
        }
    }

    static OnnxProto.ModelProto model(String name) throws IOException {
        return OnnxProto.ModelProto.parseFrom(resource(name));
    }

    static OnnxProto.TensorProto initializer(OnnxProto.ModelProto m, String name) {
        return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no initializer " + name));
    }

    /** QuantizeLinear outputs in graph order, each typed by its zero point initializer (ONNX: y has zp's type). */
    static Map<String, DType> quantizeOutputs(OnnxProto.ModelProto m) {
        Map<String, DType> out = new LinkedHashMap<>();
        for (OnnxProto.NodeProto n : m.getGraph().getNodeList()) {
            if (n.getOpType().equals("QuantizeLinear")) {
                out.put(n.getOutput(0), DType.fromOnnx(initializer(m, n.getInput(2)).getDataType()));
            }
        }
        return out;
    }

    static HostTensor seededInput(long seed) {
        Random r = new Random(seed);
        float[] x = new float[28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return HostTensor.ofFloats(new long[] {1, 1, 28, 28}, x);
    }

    static OnnxProto.ModelProto exposeAllQ(OnnxProto.ModelProto m) {
        Map<String, DType> q = quantizeOutputs(m);
        return ExposeTensors.expose(m, new ArrayList<>(q.keySet()), q);
    }

    @Test
    void addsOutputsAfterTheOriginalOnesSkippingExistingAndRepeatedNames() throws IOException {
        OnnxProto.ModelProto m = model(SEED);
        Map<String, DType> q = quantizeOutputs(m);
        List<String> names = new ArrayList<>(q.keySet());
        names.add("output");                  // already a graph output
        names.add(names.get(0));              // repeated
        OnnxProto.ModelProto e = ExposeTensors.expose(m, names, q);
        List<String> outs = e.getGraph().getOutputList().stream().map(OnnxProto.ValueInfoProto::getName).toList();
        List<String> want = new ArrayList<>(List.of("output"));
        want.addAll(Q_SHAPES.keySet());
        assertEquals(want, outs);
        for (OnnxProto.ValueInfoProto vi : e.getGraph().getOutputList().subList(1, outs.size())) {
            assertEquals(DType.INT8.onnxCode(), vi.getType().getTensorType().getElemType(), vi.getName());
        }
        // Nothing else changed.
        assertEquals(m.getGraph().getNodeList(), e.getGraph().getNodeList());
        assertEquals(m.getGraph().getInitializerList(), e.getGraph().getInitializerList());
        assertEquals(1, m.getGraph().getOutputCount(), "the input model is not modified");
    }

    @Test
    void rejectsNamesTheGraphDoesNotProduceAndMissingTypes() throws IOException {
        OnnxProto.ModelProto m = model(SEED);
        IntbenchException.InvalidInput unknown = assertThrows(IntbenchException.InvalidInput.class,
                () -> ExposeTensors.expose(m, List.of("no_such_tensor"), Map.of("no_such_tensor", DType.INT8)));
        assertTrue(unknown.getMessage().contains("'no_such_tensor'"), unknown.getMessage());
        IntbenchException.InvalidInput untyped = assertThrows(IntbenchException.InvalidInput.class,
                () -> ExposeTensors.expose(m, List.of("input_QuantizeLinear_Output"), Map.of()));
        assertTrue(untyped.getMessage().contains("'input_QuantizeLinear_Output'"), untyped.getMessage());
        // value_info declares /f/f.1/Relu_output_0 as float: exposing it as int8 is a contradiction.
        IntbenchException.InvalidInput wrong = assertThrows(IntbenchException.InvalidInput.class,
                () -> ExposeTensors.expose(m, List.of("/f/f.1/Relu_output_0"), Map.of("/f/f.1/Relu_output_0", DType.INT8)));
        assertTrue(wrong.getMessage().contains("/f/f.1/Relu_output_0"), wrong.getMessage());
    }

    @ParameterizedTest(name = "optimized={0}")
    @ValueSource(booleans = {true, false})
    void ortReturnsEveryQuantizedTensorWithTheExpectedTypeShapeAndValues(boolean optimized) throws IOException {
        OnnxProto.ModelProto m = model(SEED);
        Map<String, DType> q = quantizeOutputs(m);
        assertEquals(Q_SHAPES.keySet(), q.keySet());
        HostTensor x = seededInput(7);
        Map<String, HostTensor> got;
        try (OrtRunner ort = OrtRunner.open(exposeAllQ(m).toByteArray(), optimized, 1)) {
            got = ort.run(Map.of("input", x));
        }
        for (Map.Entry<String, long[]> e : Q_SHAPES.entrySet()) {
            HostTensor t = got.get(e.getKey());
            assertEquals(DType.INT8, t.dtype(), e.getKey());
            assertArrayEquals(e.getValue(), t.shape(), e.getKey());
        }

        // Input quantization recomputed independently: ONNX QuantizeLinear,
        // saturate(round_half_even(x / scale) + zp), float32 division as ORT's MlasQuantizeLinear.
        float scale = TensorProtos.toHostTensor(initializer(m, "input_scale")).getFloat(0);
        int zp = TensorProtos.toHostTensor(initializer(m, "input_zero_point")).getInt(0);
        HostTensor qin = got.get("input_QuantizeLinear_Output");
        for (int i = 0; i < 28 * 28; i++) {
            int want = (int) Math.max(-128, Math.min(127, Math.rint(x.getFloat(i) / scale) + zp));
            assertEquals(want, qin.getInt(i), "quantized input element " + i);
        }

        // MaxPool 2x2/2 on integer codes with unchanged scale/zero point is exact (NUMERICS.md), so
        // each pooled tensor is the max of its source's windows: checks layout and element order.
        assertMaxPool2x2(got.get("/f/f.1/Relu_output_0_QuantizeLinear_Output"), got.get("/f/f.2/MaxPool_output_0_QuantizeLinear_Output"));
        assertMaxPool2x2(got.get("/f/f.4/Relu_output_0_QuantizeLinear_Output"), got.get("/f/f.5/MaxPool_output_0_QuantizeLinear_Output"));
        assertArrayEquals(got.get("/f/f.5/MaxPool_output_0_QuantizeLinear_Output").data(),
                got.get("/Flatten_output_0_QuantizeLinear_Output").data(), "Flatten keeps C order");

        // Relu before Q: no code below the zero point (real value < 0) survives.
        int reluZp = TensorProtos.toHostTensor(initializer(m, "/f/f.1/Relu_output_0_zero_point")).getInt(0);
        for (int v : got.get("/f/f.1/Relu_output_0_QuantizeLinear_Output").toIntArray()) {
            assertTrue(v >= reluZp, "Relu output code " + v + " below zero point " + reluZp);
        }
    }

    static void assertMaxPool2x2(HostTensor in, HostTensor out) {
        int c = (int) in.shape()[1];
        int h = (int) in.shape()[2];
        int w = (int) in.shape()[3];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h / 2; y++) {
                for (int xx = 0; xx < w / 2; xx++) {
                    int max = Integer.MIN_VALUE;
                    for (int dy = 0; dy < 2; dy++) {
                        for (int dx = 0; dx < 2; dx++) {
                            max = Math.max(max, in.getInt((ch * h + 2 * y + dy) * w + 2 * xx + dx));
                        }
                    }
                    assertEquals(max, out.getInt((ch * (h / 2) + y) * (w / 2) + xx), "pool c=" + ch + " y=" + y + " x=" + xx);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} optimized={1}")
    @org.junit.jupiter.params.provider.CsvSource({SEED + ",true", SEED + ",false", U8S8PC + ",true", U8S8PC + ",false"})
    void finalOutputIsTheSameWithAndWithoutExposedTensors(String name, boolean optimized) throws IOException {
        OnnxProto.ModelProto m = model(name);
        try (OrtRunner plain = OrtRunner.open(m.toByteArray(), optimized, 1);
             OrtRunner exposed = OrtRunner.open(exposeAllQ(m).toByteArray(), optimized, 1)) {
            assertEquals(List.of("output"), plain.outputNames());
            assertEquals(1 + Q_SHAPES.size(), exposed.outputNames().size());
            for (long seed = 1; seed <= 20; seed++) {
                Map<String, HostTensor> in = Map.of("input", seededInput(seed));
                assertEquals(plain.run(in).get("output"), exposed.run(in).get("output"), "seed " + seed);
            }
        }
    }

    /** Op types of the graph ORT runs at its default level, read back from the optimized model file. */
    static List<String> optimizedOps(OnnxProto.ModelProto m, Path dir, String file) throws IOException {
        Path out = dir.resolve(file);
        OrtRunner.writeOptimizedModel(m.toByteArray(), out);
        assertTrue(Files.size(out) > 0, "optimized model written");
        return OnnxProto.ModelProto.parseFrom(Files.readAllBytes(out)).getGraph().getNodeList().stream()
                .map(OnnxProto.NodeProto::getOpType).toList();
    }

    /**
     * With uint8 activations, exposing the QuantizeLinear outputs leaves ORT's fused graph as it is
     * (QLinearConv and QGemm, no float Conv or Gemm), as DESIGN.md requires of layer-by-layer golden;
     * only NHWC-to-NCHW Transposes are added for the exposed tensors.
     */
    @Test
    void exposingUint8QuantizedTensorsKeepsOrtFusion(@TempDir Path dir) throws IOException {
        OnnxProto.ModelProto m = model(U8S8PC);
        List<String> plain = optimizedOps(m, dir, "plain.onnx");
        List<String> exposed = optimizedOps(exposeAllQ(m), dir, "exposed.onnx");
        assertTrue(plain.contains("QLinearConv") && plain.contains("QGemm"), "ORT fuses the plain model: " + plain);
        assertFalse(plain.contains("Conv") || plain.contains("Gemm"), "no float Conv/Gemm left: " + plain);
        // ORT runs QLinearConv/MaxPool in NHWC and adds a Transpose back to NCHW for every exposed
        // tensor inside that region; layout copies, not arithmetic, so they are left out here.
        assertEquals(plain.stream().filter(op -> !op.equals("Transpose")).toList(),
                exposed.stream().filter(op -> !op.equals("Transpose")).toList(),
                "exposing Q outputs must not change the fused computation");
    }

    /**
     * A limit of exposure found with ORT 1.29 on x86-64 (AVX2 without VNNI and others): with int8
     * activations ORT first rewrites each int8 Q->DQ pair to uint8 (the QDQ s8-to-u8 transformer)
     * and only then fuses; a Q output that is also a graph output is not rewritten, so neither the
     * group producing it nor the group consuming it is fused, and ORT runs those layers as
     * {@code DQ -> float op -> Q}. Exposing through an extra Identity or DequantizeLinear consumer
     * blocks it too (tried). Layer-by-layer golden on int8-activation models therefore compares with
     * ORT's unfused path; the final output still comes from the unexposed, fused session.
     * If this test fails, ORT changed and the golden comparator can compare fused tensors directly.
     */
    @Test
    void onX86ExposingInt8QuantizedTensorsBlocksOrtFusion(@TempDir Path dir) throws IOException {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "the s8-to-u8 rewrite is x86-only");
        OnnxProto.ModelProto m = model(SEED);
        List<String> plain = optimizedOps(m, dir, "plain.onnx");
        List<String> exposed = optimizedOps(exposeAllQ(m), dir, "exposed.onnx");
        assertTrue(plain.contains("QLinearConv") && plain.contains("QGemm"), "ORT fuses the plain model: " + plain);
        assertFalse(plain.contains("Conv") || plain.contains("Gemm"), "no float Conv/Gemm left: " + plain);
        assertTrue(exposed.contains("Conv") && exposed.contains("Gemm"), "exposed model runs float Conv/Gemm: " + exposed);
        assertFalse(exposed.contains("QLinearConv") || exposed.contains("QGemm"), "nothing fused: " + exposed);
    }
}
