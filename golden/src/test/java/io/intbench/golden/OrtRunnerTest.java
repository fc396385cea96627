package io.intbench.golden;

import ai.onnxruntime.OrtEnvironment;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OrtRunnerTest {

    /** A hand-built model: one Identity per element type, so values must come back unchanged. */
    static byte[] identityModel(Map<String, Integer> inputs) {
        OnnxProto.GraphProto.Builder g = OnnxProto.GraphProto.newBuilder().setName("identities");
        for (Map.Entry<String, Integer> e : inputs.entrySet()) {
            String in = e.getKey();
            String out = in + "_out";
            OnnxProto.TypeProto type = OnnxProto.TypeProto.newBuilder()
                    .setTensorType(OnnxProto.TypeProto.Tensor.newBuilder().setElemType(e.getValue())).build();
            g.addInput(OnnxProto.ValueInfoProto.newBuilder().setName(in).setType(type));
            g.addOutput(OnnxProto.ValueInfoProto.newBuilder().setName(out).setType(type));
            g.addNode(OnnxProto.NodeProto.newBuilder().setOpType("Identity").setName("id_" + in).addInput(in).addOutput(out));
        }
        return OnnxProto.ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(g).build().toByteArray();
    }

    @Test
    void everyHostTypeRoundTripsThroughOrtWithItsShapeAndByteOrder() {
        Map<String, Integer> types = new LinkedHashMap<>();
        for (DType d : DType.values()) {
            types.put("t_" + d.name().toLowerCase(), d.onnxCode());
        }
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("t_float32", HostTensor.ofFloats(new long[] {2, 3}, new float[] {0f, -1.5f, 3.25e-8f, Float.MAX_VALUE, -0f, 1e30f}));
        in.put("t_uint8", HostTensor.ofInts(DType.UINT8, new long[] {4}, new int[] {0, 1, 128, 255}));
        in.put("t_int8", HostTensor.ofInts(DType.INT8, new long[] {1, 4}, new int[] {-128, -1, 0, 127}));
        in.put("t_int32", HostTensor.ofInts(DType.INT32, new long[] {3}, new int[] {Integer.MIN_VALUE, -258, Integer.MAX_VALUE}));
        in.put("t_int64", HostTensor.ofInts(DType.INT64, new long[] {}, new int[] {-123456789}));  // a scalar
        try (OrtRunner ort = OrtRunner.open(identityModel(types), true, 1)) {
            assertEquals(List.copyOf(types.keySet()), ort.inputNames());
            assertTrue(ort.inputShapes().isEmpty(), "no input declares a shape: " + ort.inputShapes().keySet());
            assertEquals(DType.INT64, ort.inputTypes().get("t_int64"));
            assertEquals(types.keySet().stream().map(n -> n + "_out").toList(), ort.outputNames());
            Map<String, HostTensor> out = ort.run(in);
            assertEquals(ort.outputNames(), List.copyOf(out.keySet()), "declaration order");
            for (String name : in.keySet()) {
                assertEquals(in.get(name), out.get(name + "_out"), name);
            }
            assertEquals(-123456789, out.get("t_int64_out").getInt(0));
            assertEquals(-258, out.get("t_int32_out").getInt(1));
        }
    }

    @Test
    void reportsTheInputsOfAQLinearConvModelAsDeclared() throws IOException {
        Path dir = OnnxBackendNodeTest.caseDir("test_qlinearconv");
        byte[] bytes = Files.readAllBytes(dir.resolve("model.onnx"));
        OnnxProto.GraphProto graph = OnnxProto.ModelProto.parseFrom(bytes).getGraph();
        try (OrtRunner ort = OrtRunner.open(bytes, false, 1)) {
            assertEquals(graph.getInputList().stream().map(OnnxProto.ValueInfoProto::getName).toList(), ort.inputNames());
            assertEquals(List.of("y"), ort.outputNames());
            for (OnnxProto.ValueInfoProto vi : graph.getInputList()) {
                assertEquals(DType.fromOnnx(vi.getType().getTensorType().getElemType()), ort.inputTypes().get(vi.getName()), vi.getName());
                long[] dims = vi.getType().getTensorType().getShape().getDimList().stream()
                        .mapToLong(OnnxProto.TensorShapeProto.Dimension::getDimValue).toArray();
                assertArrayEquals(dims, ort.inputShapes().get(vi.getName()), vi.getName());
            }
            assertArrayEquals(new long[] {1, 1, 7, 7}, ort.inputShapes().get("x"));
            assertEquals(DType.UINT8, ort.inputTypes().get("x"));
            assertEquals(DType.FLOAT32, ort.inputTypes().get("x_scale"));
        }
    }

    @Test
    void checksInputsBeforeRunningAndNamesTheOneAtFault() throws IOException {
        byte[] lenet = ExposeTensorsTest.resource(ExposeTensorsTest.SEED);
        try (OrtRunner ort = OrtRunner.open(lenet, true, 1)) {
            assertEquals(List.of("input"), ort.inputNames());
            assertEquals(DType.FLOAT32, ort.inputTypes().get("input"));
            HostTensor good = ExposeTensorsTest.seededInput(3);

            var missing = assertThrows(IntbenchException.InvalidInput.class, () -> ort.run(Map.of()));
            assertTrue(missing.getMessage().contains("'input'"), missing.getMessage());
            var unknown = assertThrows(IntbenchException.InvalidInput.class, () -> ort.run(Map.of("input", good, "extra", good)));
            assertTrue(unknown.getMessage().contains("'extra'"), unknown.getMessage());
            var type = assertThrows(IntbenchException.InvalidInput.class,
                    () -> ort.run(Map.of("input", HostTensor.ofInts(DType.UINT8, new long[] {1, 1, 28, 28}, new int[784]))));
            assertTrue(type.getMessage().contains("FLOAT32") && type.getMessage().contains("UINT8"), type.getMessage());
            var shape = assertThrows(IntbenchException.InvalidInput.class,
                    () -> ort.run(Map.of("input", HostTensor.ofFloats(new long[] {1, 28, 28}, new float[784]))));
            assertTrue(shape.getMessage().contains("[1, 1, 28, 28]") && shape.getMessage().contains("[1, 28, 28]"), shape.getMessage());

            // The runner still works after refusing bad inputs.
            assertEquals(1, ort.run(Map.of("input", good)).size());
        }
    }

    @Test
    void moreIntraOpThreadsGiveTheSameResult() throws IOException {
        byte[] lenet = ExposeTensorsTest.resource(ExposeTensorsTest.U8S8PC);
        Map<String, HostTensor> in = Map.of("input", ExposeTensorsTest.seededInput(11));
        try (OrtRunner one = OrtRunner.open(lenet, true, 1); OrtRunner two = OrtRunner.open(lenet, true, 2)) {
            assertEquals(one.run(in), two.run(in));
        }
    }

    @Test
    void refusedModelsBecomeUnsupportedModelWithOrtsReason() throws IOException {
        var garbage = assertThrows(IntbenchException.UnsupportedModel.class,
                () -> OrtRunner.open(new byte[] {1, 2, 3, 4, 5}, true, 1));
        assertTrue(garbage.getMessage().startsWith("ONNX Runtime could not load the model: "), garbage.getMessage());
        assertTrue(garbage.getMessage().length() > "ONNX Runtime could not load the model: ".length(), "ORT's reason kept");

        // Well-formed, but an op ORT does not know.
        OnnxProto.ModelProto identity = OnnxProto.ModelProto.parseFrom(identityModel(Map.of("x", 1)));
        byte[] unknownOp = identity.toBuilder().setGraph(identity.getGraph().toBuilder()
                        .setNode(0, OnnxProto.NodeProto.newBuilder().setOpType("NoSuchOp").addInput("x").addOutput("x_out")))
                .build().toByteArray();
        var op = assertThrows(IntbenchException.UnsupportedModel.class, () -> OrtRunner.open(unknownOp, true, 1));
        assertTrue(op.getMessage().contains("NoSuchOp"), op.getMessage());

        // ORT loads a float16 model, but float16 is no host type: refused when the runner is built.
        var f16 = assertThrows(IntbenchException.UnsupportedModel.class,
                () -> OrtRunner.open(identityModel(Map.of("h", OnnxProto.TensorProto.DataType.FLOAT16_VALUE)), true, 1));
        assertTrue(f16.getMessage().contains("'h'") && f16.getMessage().contains("FLOAT16"), f16.getMessage());

        assertThrows(IntbenchException.InvalidConfig.class, () -> OrtRunner.open(identityModel(Map.of("x", 1)), true, 0));
    }

    @Test
    void versionIsTheNativeLibrarysAndMatchesTheJavaBinding() {
        String v = OrtRunner.version();
        assertTrue(v.matches("\\d+\\.\\d+\\.\\d+.*"), v);
        String jar = OrtEnvironment.class.getPackage().getImplementationVersion();
        if (jar != null) {
            assertEquals(jar, v, "native library and Java binding from the same ONNX Runtime release");
        }
    }
}
