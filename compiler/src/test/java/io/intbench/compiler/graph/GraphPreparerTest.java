package io.intbench.compiler.graph;

import static io.intbench.compiler.graph.TestModels.attr;
import static io.intbench.compiler.graph.TestModels.f32;
import static io.intbench.compiler.graph.TestModels.graph;
import static io.intbench.compiler.graph.TestModels.model;
import static io.intbench.compiler.graph.TestModels.node;
import static io.intbench.compiler.graph.TestModels.vi;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Graph building: names, order, sources, bindings, declared shapes, errors. */
class GraphPreparerTest {
    private static Map<String, Object> feeds(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void nodesGetUniqueNamesNormalisedDomainsAndTheirOpset() {
        OnnxProto.NodeProto named = node("Relu", List.of("x"), List.of("a")).toBuilder().setName("Relu_1").build();
        OnnxProto.NodeProto aiOnnx = node("ai.onnx", "Relu", List.of("a"), List.of("b"));
        OnnxProto.NodeProto dup = node("Relu", List.of("b"), List.of("y")).toBuilder().setName("Relu_1").build();
        Graph g = GraphPreparer.prepare(model(13, graph(feeds("x", f32(2)), List.of(named, aiOnnx, dup))), Map.of());
        List<String> names = g.nodes().stream().map(Node::name).toList();
        assertEquals("Relu_1", names.get(0));
        assertEquals(3, names.stream().distinct().count(), names.toString());
        assertTrue(names.stream().allMatch(n -> n.startsWith("Relu_")), names.toString());
        assertEquals("", g.nodes().get(1).domain());
        assertEquals(13, g.nodes().get(1).opset());
        assertEquals(Map.of("", 13L, "com.microsoft", 1L), g.opsets());
    }

    @Test
    void nodeAccessors() {
        OnnxProto.NodeProto p = node("com.microsoft", "QGemm", List.of("a", "", "c", "", ""), List.of("y"),
                attr("alpha", 0.5f), attr("transB", 1L), attr("perm", 1, 0), attr("mode", "x"));
        Node n = new Node(p, "q", 0, 1);
        assertEquals(3, n.inputCount());
        assertEquals("", n.input(1));
        assertEquals("", n.input(9));
        assertEquals("com.microsoft", n.domain());
        assertEquals(0.5f, n.attrFloat("alpha", 1));
        assertEquals(1, n.attrInt("transB", 0));
        assertEquals(7, n.attrInt("transA", 7));
        assertArrayEquals(new long[] {1, 0}, n.attrInts("perm", null));
        assertEquals("x", n.attrString("mode", ""));
        assertNull(n.attrTensor("value"));
        var e = assertThrows(IntbenchException.MalformedModel.class, () -> n.attrInt("alpha", 0));
        assertTrue(e.getMessage().contains("'q'") && e.getMessage().contains("alpha"), e.getMessage());
    }

    @Test
    void nodesAreSortedTopologically() {
        Graph g = GraphPreparer.prepare(model(13, graph(feeds("x", f32(2)), List.of(
                node("Neg", List.of("b"), List.of("y")),
                node("Relu", List.of("a"), List.of("b")),
                node("Abs", List.of("x"), List.of("a")))).toBuilder().clearOutput().addOutput(vi("y")).build()), Map.of());
        assertEquals(List.of("Abs", "Relu", "Neg"), g.nodes().stream().map(Node::opType).toList());
        assertSame(g.nodes().get(1), g.producer("b"));
        assertEquals(List.of(g.nodes().get(2)), g.consumers("b"));
        assertNull(g.producer("x"));
        assertEquals(List.of("x"), g.inputs());
        assertEquals(List.of("y"), g.outputs());
    }

    @Test
    void missingSourceAndCyclesAreMalformed() {
        var e = assertThrows(IntbenchException.MalformedModel.class, () -> GraphPreparer.prepare(model(13,
                graph(feeds("x", f32(2)), List.of(node("Add", List.of("x", "ghost"), List.of("y"))))), Map.of()));
        assertTrue(e.getMessage().contains("Add_0") && e.getMessage().contains("'ghost'"), e.getMessage());
        e = assertThrows(IntbenchException.MalformedModel.class, () -> GraphPreparer.prepare(model(13,
                graph(feeds("x", f32(2)), List.of(node("Add", List.of("x", "b"), List.of("a")),
                        node("Relu", List.of("a"), List.of("b")), node("Neg", List.of("b"), List.of("y"))))), Map.of()));
        assertTrue(e.getMessage().contains("cycle") && e.getMessage().contains("Add_0"), e.getMessage());
    }

    @Test
    void symbolicInputDimsBindByNameOrToOne() {
        OnnxProto.ModelProto m = model(13, graph(feeds("x", vi("", DataTypes.FLOAT, "N", 3, "H", 8)),
                List.of(node("Relu", List.of("x"), List.of("y")))));
        assertArrayEquals(new long[] {4, 3, 1, 8}, GraphPreparer.prepare(m, Map.of("N", 4L)).valueInfo("y").shape());
        assertArrayEquals(new long[] {1, 3, 1, 8}, GraphPreparer.prepare(m, Map.of()).valueInfo("y").shape());
        assertThrows(IntbenchException.InvalidInput.class, () -> GraphPreparer.prepare(m, Map.of("N", 0L)));
    }

    @Test
    void declaredShapesAreHintsButContradictionsFail() {
        OnnxProto.GraphProto base = graph(feeds("x", f32(1, 4)), List.of(
                node("Relu", List.of("x"), List.of("a")), node("Mystery", List.of("a"), List.of("y"))));
        // an op inference does not know takes the declared shape
        OnnxProto.GraphProto hinted = base.toBuilder().setOutput(0, vi("y", DataTypes.FLOAT, "N", 7)).build();
        Graph g = GraphPreparer.prepare(model(13, hinted), Map.of("N", 2L));
        assertArrayEquals(new long[] {2, 7}, g.valueInfo("y").shape());
        // a symbolic dim nothing binds leaves the hint unusable, not wrong
        g = GraphPreparer.prepare(model(13, base.toBuilder().setOutput(0, vi("y", DataTypes.FLOAT, "K", 7)).build()), Map.of());
        assertNull(g.valueInfo("y").shape());
        OnnxProto.GraphProto wrong = base.toBuilder().addValueInfo(vi("a", DataTypes.FLOAT, 1, 5)).build();
        var e = assertThrows(IntbenchException.MalformedModel.class, () -> GraphPreparer.prepare(model(13, wrong), Map.of()));
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("[1, 4]") && e.getMessage().contains("[1, 5]"),
                e.getMessage());
        OnnxProto.GraphProto wrongType = base.toBuilder().addValueInfo(vi("a", DataTypes.INT8, 1, 4)).build();
        e = assertThrows(IntbenchException.MalformedModel.class, () -> GraphPreparer.prepare(model(13, wrongType), Map.of()));
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("int8"), e.getMessage());
    }

    @Test
    void initializersAreConstantsNotInputs() {
        OnnxProto.GraphProto g0 = graph(feeds("x", f32(2), "w", Tensor.ofFloats(new long[] {2}, 1, 2)),
                List.of(node("Add", List.of("x", "w"), List.of("y"))));
        // old exporters also list initializers among the graph inputs
        OnnxProto.GraphProto listed = g0.toBuilder().addInput(vi("w", DataTypes.FLOAT, 2)).build();
        Graph g = GraphPreparer.prepare(model(13, listed), Map.of());
        assertEquals(List.of("x"), g.inputs());
        assertTrue(g.isConstant("w"));
        assertArrayEquals(new float[] {1, 2}, g.constant("w").floats());
        assertEquals(new ValueInfo(DataTypes.FLOAT, new long[] {2}), g.valueInfo("w"));
        assertEquals(ValueInfo.UNKNOWN, g.valueInfo("no such tensor"));
    }

    @Test
    void unsupportedOpsetIsRejectedForInMemoryModelsToo() {
        OnnxProto.ModelProto m = model(22, graph(feeds("x", f32(2)), List.of(node("Relu", List.of("x"), List.of("y")))));
        assertThrows(IntbenchException.UnsupportedModel.class, () -> GraphPreparer.prepare(m, Map.of()));
    }
}
