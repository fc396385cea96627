package io.intbench.compiler.onnx;

import static io.intbench.compiler.graph.TestModels.f32;
import static io.intbench.compiler.graph.TestModels.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.intbench.compiler.graph.DataTypes;
import io.intbench.compiler.graph.Graph;
import io.intbench.compiler.graph.GraphPreparer;
import io.intbench.compiler.graph.TestModels;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxLoaderTest {
    @TempDir
    Path dir;

    static Path resource(String name) {
        try {
            return Path.of(OnnxLoaderTest.class.getResource("/models/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void loadsARealModel() {
        OnnxProto.ModelProto m = OnnxLoader.load(resource("lenet.seed.qdq.onnx"));
        assertTrue(m.getIrVersion() >= 7);
        assertTrue(m.getGraph().getNodeCount() > 0);
        // models-ort README: lenet's input is 1x1x28x28
        assertEquals(List.of(1L, 1L, 28L, 28L), m.getGraph().getInput(0).getType().getTensorType().getShape().getDimList()
                .stream().map(OnnxProto.TensorShapeProto.Dimension::getDimValue).toList());
    }

    /** A file of many read chunks (the loader reads it piece by piece) loads as its bytes parse. */
    @Test
    void largeFileLoadsAsItsBytesParse() throws IOException {
        Path p = resource("mobilenetv2-12-int8.onnx");
        assertEquals(OnnxLoader.parse(Files.readAllBytes(p), "in memory"), OnnxLoader.load(p));
    }

    @Test
    void missingFileIsInvalidInputNamingTheFile() {
        Path p = dir.resolve("nope.onnx");
        var e = assertThrows(IntbenchException.InvalidInput.class, () -> OnnxLoader.load(p));
        assertTrue(e.getMessage().equals("model file " + p + " does not exist"), e.getMessage());
        var d = assertThrows(IntbenchException.InvalidInput.class, () -> OnnxLoader.load(dir));
        assertTrue(d.getMessage().contains(dir.toString()), d.getMessage());
    }

    @Test
    void truncatedModelIsMalformedWithSizeAndOffset() throws IOException {
        byte[] all = Files.readAllBytes(resource("lenet.seed.qdq.onnx"));
        Path p = dir.resolve("cut.onnx");
        Files.write(p, Arrays.copyOf(all, all.length / 2));
        var e = assertThrows(IntbenchException.MalformedModel.class, () -> OnnxLoader.load(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains(all.length / 2 + " bytes")
                && e.getMessage().contains("offset"), e.getMessage());
    }

    @Test
    void textAndImageFilesAreMalformedNamingTheFile() throws IOException {
        Path txt = dir.resolve("notes.onnx");
        Files.writeString(txt, "this is a text file, not a model\nsecond line\n");
        var e = assertThrows(IntbenchException.MalformedModel.class, () -> OnnxLoader.load(txt));
        assertTrue(e.getMessage().contains(txt.toString()), e.getMessage());
        Path png = resource("chelsea.png");
        e = assertThrows(IntbenchException.MalformedModel.class, () -> OnnxLoader.load(png));
        assertTrue(e.getMessage().contains(png.toString()), e.getMessage());
        e = assertThrows(IntbenchException.MalformedModel.class, () -> OnnxLoader.parse(new byte[0], "empty.onnx"));
        assertTrue(e.getMessage().contains("empty.onnx") && e.getMessage().contains("not an ONNX model"), e.getMessage());
    }

    private static OnnxProto.ModelProto relu(int opset) {
        return TestModels.model(opset, TestModels.graph(Map.of("x", f32(1, 4)),
                List.of(node("Relu", List.of("x"), List.of("y")))));
    }

    @Test
    void opsetOutsideTenToTwentyOneIsUnsupported() {
        for (int opset : new int[] {9, 22}) {
            byte[] bytes = relu(opset).toByteArray();
            var e = assertThrows(IntbenchException.UnsupportedModel.class, () -> OnnxLoader.parse(bytes, "m.onnx"));
            assertTrue(e.getMessage().contains("m.onnx") && e.getMessage().contains("opset " + opset), e.getMessage());
        }
        assertEquals(2, OnnxLoader.parse(relu(10).toByteArray(), "a").getOpsetImportCount());
        assertEquals(2, OnnxLoader.parse(relu(21).toByteArray(), "b").getOpsetImportCount());
        OnnxProto.ModelProto aiOnnx = relu(13).toBuilder().setOpsetImport(0,
                OnnxProto.OperatorSetIdProto.newBuilder().setDomain("ai.onnx").setVersion(8)).build();
        assertThrows(IntbenchException.UnsupportedModel.class, () -> OnnxLoader.parse(aiOnnx.toByteArray(), "c"));
        OnnxProto.ModelProto none = relu(13).toBuilder().removeOpsetImport(0).build();
        assertThrows(IntbenchException.MalformedModel.class, () -> OnnxLoader.parse(none.toByteArray(), "d"));
    }

    /** A Conv-free model y = x + w where w (float [2, 3]) lives in an external data file. */
    private OnnxProto.ModelProto externalModel(String location, long offset, long length) {
        OnnxProto.TensorProto w = OnnxProto.TensorProto.newBuilder().setName("w").setDataType(DataTypes.FLOAT)
                .addDims(2).addDims(3).setDataLocation(OnnxProto.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", location)).addExternalData(entry("offset", Long.toString(offset)))
                .addExternalData(entry("length", Long.toString(length))).build();
        Map<String, Object> feeds = new LinkedHashMap<>();
        feeds.put("x", f32(2, 3));
        OnnxProto.GraphProto g = TestModels.graph(feeds, List.of(node("Add", List.of("x", "w"), List.of("y"))))
                .toBuilder().addInitializer(w).build();
        return TestModels.model(13, g);
    }

    private static OnnxProto.StringStringEntryProto entry(String k, String v) {
        return OnnxProto.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    private Path writeExternal(String location, long offset, long length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + 24).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0x1111).putLong(0x2222); // 16 bytes of something else first, so the offset matters
        for (float f : new float[] {1, 2, 3, -4, 5.5f, 6}) {
            b.putFloat(f);
        }
        Files.write(dir.resolve("model.onnx.data"), b.array());
        Path model = dir.resolve("model.onnx");
        Files.write(model, externalModel(location, offset, length).toByteArray());
        return model;
    }

    @Test
    void externalDataIsReadRelativeToTheModel() throws IOException {
        Path model = writeExternal("model.onnx.data", 16, 24);
        OnnxProto.ModelProto m = OnnxLoader.load(model);
        OnnxProto.TensorProto w = m.getGraph().getInitializer(0);
        assertEquals(OnnxProto.TensorProto.DataLocation.DEFAULT, w.getDataLocation());
        assertEquals(24, w.getRawData().size());
        Graph g = GraphPreparer.prepare(m, Map.of());
        assertArrayEquals(new float[] {1, 2, 3, -4, 5.5f, 6}, g.constant("w").floats());
        assertArrayEquals(new long[] {2, 3}, g.valueInfo("y").shape());
    }

    @Test
    void externalDataOutsideTheFolderOrBeyondTheFileIsRefused() throws IOException {
        Path escaping = writeExternal("../model.onnx.data", 16, 24);
        var e = assertThrows(IntbenchException.MalformedModel.class, () -> OnnxLoader.load(escaping));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("../model.onnx.data"), e.getMessage());
        Path beyond = writeExternal("model.onnx.data", 24, 24);
        e = assertThrows(IntbenchException.MalformedModel.class, () -> OnnxLoader.load(beyond));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("model.onnx.data")
                && e.getMessage().contains("40 bytes"), e.getMessage());
        Path missing = writeExternal("other.bin", 0, 24);
        e = assertThrows(IntbenchException.MalformedModel.class, () -> OnnxLoader.load(missing));
        assertTrue(e.getMessage().contains("other.bin"), e.getMessage());
        byte[] bytes = externalModel("model.onnx.data", 16, 24).toByteArray();
        e = assertThrows(IntbenchException.MalformedModel.class, () -> OnnxLoader.parse(bytes, "mem"));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
    }

    @Test
    void wrongTensorByteCountNamesTheTensor() {
        OnnxProto.ModelProto m = relu(13);
        OnnxProto.TensorProto bad = OnnxProto.TensorProto.newBuilder().setName("bias").setDataType(DataTypes.INT32)
                .addDims(4).setRawData(ByteString.copyFrom(new byte[15])).build();
        OnnxProto.ModelProto withBad = m.toBuilder().setGraph(m.getGraph().toBuilder().addInitializer(bad)).build();
        var e = assertThrows(IntbenchException.MalformedModel.class, () -> GraphPreparer.prepare(withBad, Map.of()));
        assertTrue(e.getMessage().contains("'bias'") && e.getMessage().contains("15 bytes"), e.getMessage());
    }
}
