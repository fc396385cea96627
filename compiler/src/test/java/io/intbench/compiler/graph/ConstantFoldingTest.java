package io.intbench.compiler.graph;

import static io.intbench.compiler.graph.TestModels.attr;
import static io.intbench.compiler.graph.TestModels.f32;
import static io.intbench.compiler.graph.TestModels.graph;
import static io.intbench.compiler.graph.TestModels.model;
import static io.intbench.compiler.graph.TestModels.node;
import static io.intbench.compiler.graph.TestModels.single;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.onnx.OnnxProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Folding of constant subgraphs; expected values are worked out by hand from the ONNX spec. */
class ConstantFoldingTest {
    private static final int I64 = DataTypes.INT64;

    private static Tensor i64(long... v) {
        return Tensor.ofInts(I64, new long[] {v.length}, v);
    }

    private static Tensor folded(int opset, OnnxProto.NodeProto node, Object... feeds) {
        Graph g = single(opset, node, feeds);
        assertTrue(g.nodes().isEmpty(), "node should have folded: " + g.nodes());
        Tensor t = g.constant(node.getOutput(0));
        assertNotNull(t);
        return t;
    }

    /** x -> Shape -> Gather(0) -> Unsqueeze -> Concat(-1) -> Reshape(x): the flatten PyTorch exports. */
    private static OnnxProto.ModelProto shapeChain(int opset) {
        Map<String, Object> feeds = new LinkedHashMap<>();
        feeds.put("x", TestModels.vi("", DataTypes.FLOAT, "N", 4, 2, 3));
        feeds.put("zero", Tensor.ofInts(I64, new long[0], 0));
        feeds.put("minus1", i64(-1));
        OnnxProto.NodeProto unsqueeze = opset < 13
                ? node("Unsqueeze", List.of("n"), List.of("n1"), attr("axes", new long[] {0}))
                : node("Unsqueeze", List.of("n", "axes"), List.of("n1"));
        if (opset >= 13) {
            feeds.put("axes", i64(0));
        }
        return model(opset, graph(feeds, List.of(
                node("Shape", List.of("x"), List.of("s")),
                node("Gather", List.of("s", "zero"), List.of("n"), attr("axis", 0L)),
                unsqueeze,
                node("Concat", List.of("n1", "minus1"), List.of("target"), attr("axis", 0L)),
                node("Reshape", List.of("x", "target"), List.of("y")))));
    }

    @Test
    void shapeArithmeticFoldsToAConstantTarget() {
        for (int opset : new int[] {11, 13}) {
            Graph g = GraphPreparer.prepare(shapeChain(opset), Map.of("N", 2L));
            assertEquals(List.of("Reshape"), g.nodes().stream().map(Node::opType).toList(), "opset " + opset);
            assertArrayEquals(new long[] {2, -1}, g.constant("target").ints());
            assertArrayEquals(new long[] {2, 24}, g.valueInfo("y").shape());
            assertEquals(null, g.producer("target"));
        }
    }

    @Test
    void constantNodesAndIntegerArithmetic() {
        Map<String, Object> feeds = new LinkedHashMap<>();
        feeds.put("w", i64(10, 20));
        Graph g = GraphPreparer.prepare(model(13, graph(feeds, List.of(
                node("Constant", List.of(), List.of("c"), attr("value_ints", 1L, 2L)),
                node("Add", List.of("c", "w"), List.of("y"))))), Map.of());
        assertTrue(g.nodes().isEmpty());
        assertArrayEquals(new long[] {11, 22}, g.constant("y").ints());
        assertTrue(g.isConstant("y"));
        // integer Div truncates toward zero as C does (ONNX Runtime's kernel): -7 / 2 = -3
        Tensor d = folded(13, node("Div", List.of("a", "b"), List.of("y")), "a", i64(-7, 7), "b", i64(2));
        assertArrayEquals(new long[] {-3, 3}, d.ints());
        Tensor f = folded(13, node("Constant", List.of(), List.of("y"), attr("value_float", 0.5f)));
        assertTrue(f.isScalar());
        assertEquals(0.5f, f.floatAt(0));
    }

    @Test
    void castTruncatesAndWraps() {
        Tensor t = folded(13, node("Cast", List.of("x"), List.of("y"), attr("to", (long) DataTypes.INT32)),
                "x", Tensor.ofFloats(new long[] {3}, -1.7f, 2.9f, 0.2f));
        assertArrayEquals(new long[] {-1, 2, 0}, t.ints());
        t = folded(13, node("Cast", List.of("x"), List.of("y"), attr("to", (long) DataTypes.UINT8)), "x", i64(300, -1));
        assertArrayEquals(new long[] {44, 255}, t.ints()); // 300 mod 256, -1 mod 256
        t = folded(13, node("Cast", List.of("x"), List.of("y"), attr("to", (long) DataTypes.BOOL)),
                "x", Tensor.ofFloats(new long[] {2}, 0.1f, 0));
        assertArrayEquals(new long[] {1, 0}, t.ints());
        t = folded(13, node("Cast", List.of("x"), List.of("y"), attr("to", (long) DataTypes.FLOAT)), "x", i64(3));
        assertArrayEquals(new float[] {3}, t.floats());
    }

    @Test
    void layoutOpsOnConstants() {
        Tensor x = Tensor.ofInts(I64, new long[] {2, 3}, 0, 1, 2, 3, 4, 5);
        assertArrayEquals(new long[] {0, 3, 1, 4, 2, 5},
                folded(13, node("Transpose", List.of("x"), List.of("y")), "x", x).ints());
        // Gather along axis 1 with a negative index: columns 2 and 0
        Tensor g = folded(13, node("Gather", List.of("x", "i"), List.of("y"), attr("axis", 1L)), "x", x, "i", i64(-1, 0));
        assertArrayEquals(new long[] {2, 0, 5, 3}, g.ints());
        assertArrayEquals(new long[] {2, 2}, g.dims());
        // rows from the end backwards, every second column: [[3, 5], [0, 2]]
        Tensor s = folded(13, node("Slice", List.of("x", "s", "e", "a", "p"), List.of("y")), "x", x,
                "s", i64(-1, 0), "e", i64(Long.MIN_VALUE, 3), "a", i64(0, 1), "p", i64(-1, 2));
        assertArrayEquals(new long[] {3, 5, 0, 2}, s.ints());
        Tensor c = folded(13, node("Concat", List.of("x", "x"), List.of("y"), attr("axis", 1L)), "x", x);
        assertArrayEquals(new long[] {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}, c.ints());
        Tensor f = folded(13, node("Flatten", List.of("x"), List.of("y"), attr("axis", 0L)), "x", x);
        assertArrayEquals(new long[] {1, 6}, f.dims());
        Tensor q = folded(13, node("Squeeze", List.of("x", "a"), List.of("y")),
                "x", Tensor.ofFloats(new long[] {1, 2, 1}, 4, 5), "a", i64(0));
        assertArrayEquals(new long[] {2, 1}, q.dims());
        Tensor r = folded(13, node("Reshape", List.of("x", "s"), List.of("y")), "x", x, "s", i64(3, -1));
        assertArrayEquals(new long[] {3, 2}, r.dims());
        assertArrayEquals(x.ints(), r.ints());
    }

    @Test
    void generators() {
        Tensor c = folded(13, node("ConstantOfShape", List.of("s"), List.of("y"),
                attr("value", Tensor.ofInts(I64, new long[] {1}, 7))), "s", i64(2, 2));
        assertArrayEquals(new long[] {7, 7, 7, 7}, c.ints());
        assertEquals(I64, c.elemType());
        Tensor z = folded(13, node("ConstantOfShape", List.of("s"), List.of("y")), "s", i64(3));
        assertArrayEquals(new float[] {0, 0, 0}, z.floats());
        Tensor r = folded(13, node("Range", List.of("a", "b", "d"), List.of("y")), "a", Tensor.ofInts(I64, new long[0], 0),
                "b", Tensor.ofInts(I64, new long[0], 10), "d", Tensor.ofInts(I64, new long[0], 3));
        assertArrayEquals(new long[] {0, 3, 6, 9}, r.ints()); // ceil((10 - 0) / 3) = 4 values
        Tensor rf = folded(13, node("Range", List.of("a", "b", "d"), List.of("y")), "a", Tensor.ofFloats(new long[0], 1),
                "b", Tensor.ofFloats(new long[0], 2), "d", Tensor.ofFloats(new long[0], 0.25f));
        assertArrayEquals(new float[] {1, 1.25f, 1.5f, 1.75f}, rf.floats());
    }

    @Test
    void quantizeLinearOfAConstantRoundsLikeOnnxRuntime() {
        // ties go to even; saturation at the int8 range
        Tensor q = folded(13, node("QuantizeLinear", List.of("x", "s", "z"), List.of("y")),
                "x", Tensor.ofFloats(new long[] {8}, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300, -300, 0.49f),
                "s", Tensor.ofFloats(new long[0], 1), "z", Tensor.ofInts(DataTypes.INT8, new long[0], 0));
        assertArrayEquals(new long[] {0, 2, 2, 0, -2, 127, -128, 0}, q.ints());
        assertEquals(DataTypes.INT8, q.elemType());
        // x / scale is a float32 division, rounded once to float before the tie-to-even rounding.
        // 60.55f / 0.7f is exactly 86.50000038..., which float32 division rounds to 86.5 -> 86 (even);
        // -1.225f / 0.05f is exactly -24.50000011..., float32 -24.5 -> -24. (Exact quotients from rational
        // arithmetic on the float bit patterns 0x42723333 / 0x3F333333 and 0xBF9CCCCD / 0x3D4CCCCD.)
        q = folded(13, node("QuantizeLinear", List.of("x", "s", "z"), List.of("y")),
                "x", Tensor.ofFloats(new long[] {1}, Float.intBitsToFloat(0x42723333)),
                "s", Tensor.ofFloats(new long[0], Float.intBitsToFloat(0x3F333333)), "z", Tensor.ofInts(DataTypes.INT8, new long[0], 0));
        assertEquals(86, q.intAt(0));
        q = folded(13, node("QuantizeLinear", List.of("x", "s", "z"), List.of("y")),
                "x", Tensor.ofFloats(new long[] {1}, Float.intBitsToFloat(0xBF9CCCCD)),
                "s", Tensor.ofFloats(new long[0], Float.intBitsToFloat(0x3D4CCCCD)), "z", Tensor.ofInts(DataTypes.INT8, new long[0], 0));
        assertEquals(-24, q.intAt(0));
        // no zero point: uint8 with zero point 0, so negatives saturate to 0
        q = folded(13, node("QuantizeLinear", List.of("x", "s"), List.of("y")),
                "x", Tensor.ofFloats(new long[] {3}, -3, 2, 1000), "s", Tensor.ofFloats(new long[0], 2));
        assertArrayEquals(new long[] {0, 1, 255}, q.ints());
        assertEquals(DataTypes.UINT8, q.elemType());
        // per-axis along axis 0: row 0 scale 1 zp 0, row 1 scale 0.5 zp 10
        q = folded(13, node("QuantizeLinear", List.of("x", "s", "z"), List.of("y"), attr("axis", 0L)),
                "x", Tensor.ofFloats(new long[] {2, 2}, 1, -2, 1, -2), "s", Tensor.ofFloats(new long[] {2}, 1, 0.5f),
                "z", Tensor.ofInts(DataTypes.UINT8, new long[] {2}, 0, 10));
        assertArrayEquals(new long[] {1, 0, 12, 6}, q.ints());
    }

    @Test
    void fakeQuantWeightsBecomeDqOfAConstantAndDqIsNeverFolded() {
        Map<String, Object> feeds = new LinkedHashMap<>();
        feeds.put("x", f32(1, 2));
        feeds.put("s", Tensor.ofFloats(new long[0], 0.5f));
        feeds.put("z", Tensor.ofInts(DataTypes.INT8, new long[0], 0));
        Graph g = GraphPreparer.prepare(model(13, graph(feeds, List.of(
                node("Constant", List.of(), List.of("wf"), attr("value", Tensor.ofFloats(new long[] {2, 2}, 1, -1, 0.25f, 2))),
                node("QuantizeLinear", List.of("wf", "s", "z"), List.of("wq")),
                node("DequantizeLinear", List.of("wq", "s", "z"), List.of("w")),
                node("MatMul", List.of("x", "w"), List.of("y"))))), Map.of());
        assertEquals(List.of("DequantizeLinear", "MatMul"), g.nodes().stream().map(Node::opType).toList());
        Tensor wq = g.constant("wq");
        assertEquals(DataTypes.INT8, wq.elemType());
        assertArrayEquals(new long[] {2, -2, 0, 4}, wq.ints()); // 0.25 / 0.5 = 0.5 -> 0 (even)
        assertNull(g.constant("w"));
        assertArrayEquals(new long[] {1, 2}, g.valueInfo("y").shape());
    }

    @Test
    void deadNodesAreRemoved() {
        Map<String, Object> feeds = new LinkedHashMap<>();
        feeds.put("x", f32(2));
        Graph g = GraphPreparer.prepare(model(13, graph(feeds, List.of(
                node("Relu", List.of("x"), List.of("unused")),
                node("Sigmoid", List.of("unused"), List.of("unused2")),
                node("Neg", List.of("x"), List.of("y"))))), Map.of());
        assertEquals(List.of("Neg"), g.nodes().stream().map(Node::opType).toList());
        assertTrue(g.consumers("x").size() == 1 && g.consumers("x").get(0).opType().equals("Neg"));
    }
}
