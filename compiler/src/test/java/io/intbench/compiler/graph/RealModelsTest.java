package io.intbench.compiler.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
        Map<String, long[]> declared = declaredShapes(m);
        int checked = 0;
        List<String> unknown = new ArrayList<>();
        for (var e : declared.entrySet()) {
            ValueInfo vi = g.valueInfo(e.getKey());
            if (vi.shape() == null) {
                unknown.add(e.getKey());
                continue;
            }
            assertArrayEquals(e.getValue(), vi.shape(), name + ": tensor " + e.getKey());
            checked++;
        }
        System.out.println(name + ": " + g.nodes().size() + " nodes, " + checked + " declared shapes checked, unknown " + unknown);
        for (Node n : g.nodes()) {
            for (String o : n.outputs()) {
                if (!o.isEmpty() && (g.valueInfo(o).shape() == null || g.valueInfo(o).elemType() == 0)) {
                    System.out.println("  unresolved " + n + " -> " + o + " " + g.valueInfo(o));
                }
            }
        }
        for (String o : g.outputs()) {
            assertNotNull(g.valueInfo(o).shape(), name + ": output " + o);
        }
    }
}
