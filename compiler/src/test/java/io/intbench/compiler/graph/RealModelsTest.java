package io.intbench.compiler.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.onnx.OnnxLoader;
import io.intbench.onnx.OnnxProto;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Loads and prepares the real quantized models of src/test/resources/models (see PROVENANCE.md there).
 * The independent reference for inferred shapes is what the models themselves declare (value_info
 * written by the exporter or ORT's shape inference, graph outputs): the graph is prepared from a copy
 * with those declarations removed, so inference cannot have copied them.
 */
class RealModelsTest {
    static Path model(String name) {
        try {
            return Path.of(RealModelsTest.class.getResource("/models/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The model without value_info and without output shapes: nothing for inference to lean on. */
    static OnnxProto.ModelProto withoutHints(OnnxProto.ModelProto m) {
        OnnxProto.GraphProto.Builder g = m.getGraph().toBuilder().clearValueInfo();
        for (int i = 0; i < g.getOutputCount(); i++) {
            g.setOutput(i, OnnxProto.ValueInfoProto.newBuilder().setName(g.getOutput(i).getName()));
        }
        return m.toBuilder().setGraph(g).build();
    }

    /** Declared static shapes (symbolic dims read as 1, the default binding) of value_info and outputs. */
    static Map<String, long[]> declaredShapes(OnnxProto.ModelProto m) {
        Map<String, long[]> r = new java.util.LinkedHashMap<>();
        List<OnnxProto.ValueInfoProto> all = new ArrayList<>(m.getGraph().getValueInfoList());
        all.addAll(m.getGraph().getOutputList());
        for (OnnxProto.ValueInfoProto v : all) {
            OnnxProto.TypeProto.Tensor t = v.getType().getTensorType();
            if (!t.hasShape()) {
                continue;
            }
            long[] s = t.getShape().getDimList().stream()
                    .mapToLong(d -> d.hasDimValue() ? d.getDimValue() : d.getDimParam().equals("batch_size") ? 1 : -1).toArray();
            if (java.util.Arrays.stream(s).allMatch(x -> x >= 0)) {
                r.put(v.getName(), s);
            }
        }
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"lenet.seed.qdq.onnx", "lenet.u8s8.qop.onnx", "mobilenetv2-12-int8.onnx",
        "conv_qdq_s8s8_perchannel.onnx", "RetinaFace_int.onnx", "yunetn_320_qdq_int8.onnx"})
    void inferredShapesMatchWhatTheModelDeclares(String name) {
        OnnxProto.ModelProto m = OnnxLoader.load(model(name));
        Graph g = GraphPreparer.prepare(withoutHints(m), Map.of());
        int checked = 0;
        for (var e : declaredShapes(m).entrySet()) {
            ValueInfo vi = g.valueInfo(e.getKey());
            if (vi.shape() != null) { // value_info of tensors the quantizer renamed away has no tensor left
                assertArrayEquals(e.getValue(), vi.shape(), name + ": tensor " + e.getKey());
                checked++;
            }
        }
        assertTrue(checked >= m.getGraph().getOutputCount(), name + ": only " + checked + " shapes checked");
        for (String o : g.outputs()) {
            assertArrayEquals(declaredShapes(m).get(o), g.valueInfo(o).shape(), name + ": output " + o);
        }
        List<String> unresolved = new ArrayList<>();
        for (Node n : g.nodes()) {
            for (String o : n.outputs()) {
                ValueInfo vi = g.valueInfo(o);
                if (!o.isEmpty() && (vi.shape() == null || vi.elemType() == 0)) {
                    unresolved.add(n + " -> " + o);
                }
            }
        }
        assertEquals(List.of(), unresolved, name + ": every tensor of these models has a static type and shape");
        // preparing with the declarations present must agree (they are consistent hints)
        assertEquals(g.nodes().size(), GraphPreparer.prepare(m, Map.of()).nodes().size());
    }

    @Test
    void yunetDeclaresMostIntermediateShapes() {
        OnnxProto.ModelProto m = OnnxLoader.load(model("yunetn_320_qdq_int8.onnx"));
        Graph g = GraphPreparer.prepare(withoutHints(m), Map.of());
        long known = declaredShapes(m).keySet().stream().filter(t -> g.valueInfo(t).shape() != null).count();
        assertTrue(known >= 90, "declared shapes compared: " + known);
    }

    @Test
    void mobilenetShapeSubgraphFoldsIntoAConstantReshapeTarget() {
        Graph g = GraphPreparer.prepare(withoutHints(OnnxLoader.load(model("mobilenetv2-12-int8.onnx"))), Map.of());
        assertTrue(g.nodes().stream().noneMatch(n -> List.of("Shape", "Gather", "Unsqueeze", "Concat").contains(n.opType())),
                "shape arithmetic left: " + g.nodes().stream().map(Node::opType).distinct().toList());
        Node reshape = g.nodes().stream().filter(n -> n.opType().equals("Reshape")).findFirst().orElseThrow();
        assertTrue(g.isConstant(reshape.input(1)));
        assertArrayEquals(new long[] {1, 1280}, g.valueInfo(reshape.output(0)).shape());
        assertEquals(DataTypes.UINT8, g.valueInfo(reshape.output(0)).elemType());
        // MobileNetV2 (Sandler et al. 2018, table 2): a stride-2 3x3 conv to 32 channels on 224x224 first,
        // 1280 channels at 7x7 before the pool, 52 convolutions in all
        List<Node> convs = g.nodes().stream().filter(n -> n.opType().equals("QLinearConv")).toList();
        assertEquals(52, convs.size());
        assertArrayEquals(new long[] {1, 32, 112, 112}, g.valueInfo(convs.get(0).output(0)).shape());
        Node last = g.producer(g.nodes().stream().filter(n -> n.opType().equals("QLinearGlobalAveragePool"))
                .findFirst().orElseThrow().input(0));
        assertArrayEquals(new long[] {1, 1280, 7, 7}, g.valueInfo(last.output(0)).shape());
        assertEquals(DataTypes.UINT8, g.valueInfo(convs.get(0).output(0)).elemType());
    }

    @Test
    void retinafaceFakeQuantWeightsFoldToIntegerConstants() {
        Graph g = GraphPreparer.prepare(OnnxLoader.load(model("RetinaFace_int.onnx")), Map.of());
        List<Node> qs = g.nodes().stream().filter(n -> n.opType().equals("QuantizeLinear")).toList();
        assertTrue(qs.stream().noneMatch(q -> g.isConstant(q.input(0))), "Q of a constant left");
        assertTrue(g.nodes().stream().noneMatch(n -> n.opType().equals("Shape") || n.opType().equals("Constant")));
        // the weights now reach the convolutions as DQ(int8 constant)
        long dqOfConst = g.nodes().stream().filter(n -> n.opType().equals("DequantizeLinear") && g.isConstant(n.input(0))
                && g.constant(n.input(0)).elemType() == DataTypes.INT8).count();
        assertEquals(112, dqOfConst); // PROVENANCE.md: 112 float-constant -> Q -> DQ weight/bias paths
    }

    @Test
    void perChannelConvWithABoundBatch() {
        OnnxProto.ModelProto m = OnnxLoader.load(model("conv_qdq_s8s8_perchannel.onnx"));
        Graph g = GraphPreparer.prepare(m, Map.of("batch_size", 2L));
        assertArrayEquals(new long[] {2, 32, 26, 26}, g.valueInfo(g.outputs().get(0)).shape());
        Node conv = g.nodes().stream().filter(n -> n.opType().equals("Conv")).findFirst().orElseThrow();
        Node dqw = g.producer(conv.input(1));
        assertEquals("DequantizeLinear", dqw.opType());
        Tensor w = g.constant(dqw.input(0));
        assertEquals(DataTypes.INT8, w.elemType());
        assertEquals(32, w.dims()[0]);
        assertEquals(32, g.constant(dqw.input(1)).size()); // per-channel scales
    }
}
