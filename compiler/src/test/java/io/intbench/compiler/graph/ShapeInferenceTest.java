package io.intbench.compiler.graph;

import static io.intbench.compiler.graph.TestModels.attr;
import static io.intbench.compiler.graph.TestModels.f32;
import static io.intbench.compiler.graph.TestModels.node;
import static io.intbench.compiler.graph.TestModels.single;
import static io.intbench.compiler.graph.TestModels.typed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.isa.IntbenchException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Shape and type inference per op. Every expected shape is worked out by hand from the formula in the
 * ONNX operator spec (or ONNX Runtime's contrib-op schema), written next to the assertion.
 */
class ShapeInferenceTest {
    private static final int F = DataTypes.FLOAT, U8 = DataTypes.UINT8, I8 = DataTypes.INT8, I64 = DataTypes.INT64;

    private static Tensor i64(long... v) {
        return Tensor.ofInts(I64, new long[] {v.length}, v);
    }

    private static Tensor scalarF(float v) {
        return Tensor.ofFloats(new long[0], v);
    }

    private static Tensor zp(int type) {
        return Tensor.ofInts(type, new long[0], 0);
    }

    private static Tensor weights(long... dims) {
        return Tensor.ofFloats(dims, new float[(int) Tensor.numel(dims)]);
    }

    private static void assertInfo(Graph g, String tensor, int type, long... shape) {
        ValueInfo v = g.valueInfo(tensor);
        assertEquals(DataTypes.name(type), DataTypes.name(v.elemType()), tensor + " type");
        assertArrayEquals(shape, v.shape(), tensor + " shape, got " + v);
    }

    @Test
    void convPadsStridesDilationsGroups() {
        // floor((10 + 1 + 1 - 3) / 2) + 1 = 5
        Graph g = single(13, node("Conv", List.of("x", "w"), List.of("y"), attr("pads", 1, 1, 1, 1), attr("strides", 2, 2)),
                "x", f32(1, 3, 10, 10), "w", weights(8, 3, 3, 3));
        assertInfo(g, "y", F, 1, 8, 5, 5);
        // dilation 2 makes the 3-tap kernel span 5: 9 - 5 + 1 = 5; depthwise: group 4, W [4, 1, 3, 3]
        g = single(13, node("Conv", List.of("x", "w"), List.of("y"), attr("dilations", 2, 2), attr("group", 4L)),
                "x", f32(1, 4, 9, 9), "w", weights(4, 1, 3, 3));
        assertInfo(g, "y", F, 1, 4, 5, 5);
        // SAME_UPPER: ceil(7 / 2) = 4; VALID: (7 - 3) / 2 + 1 = 3
        g = single(13, node("Conv", List.of("x", "w"), List.of("y"), attr("auto_pad", "SAME_UPPER"), attr("strides", 2, 2)),
                "x", f32(1, 3, 7, 7), "w", weights(2, 3, 3, 3));
        assertInfo(g, "y", F, 1, 2, 4, 4);
        g = single(13, node("Conv", List.of("x", "w"), List.of("y"), attr("auto_pad", "VALID"), attr("strides", 2, 2)),
                "x", f32(1, 3, 7, 7), "w", weights(2, 3, 3, 3));
        assertInfo(g, "y", F, 1, 2, 3, 3);
    }

    @Test
    void convChannelMismatchNamesTheNode() {
        var e = assertThrows(IntbenchException.MalformedModel.class, () -> single(13,
                node("Conv", List.of("x", "w"), List.of("y")), "x", f32(1, 3, 8, 8), "w", weights(2, 4, 3, 3)));
        assertTrue(e.getMessage().contains("Conv_0") && e.getMessage().contains("[2, 4, 3, 3]"), e.getMessage());
    }

    @Test
    void quantizedConvFamilyTypes() {
        Graph g = single(13, node("QLinearConv", List.of("x", "xs", "xz", "w", "ws", "wz", "ys", "yz"), List.of("y"),
                attr("pads", 1, 1, 1, 1)), "x", typed(U8, 1, 3, 8, 8), "xs", scalarF(1), "xz", zp(U8),
                "w", Tensor.ofInts(I8, new long[] {4, 3, 3, 3}, new long[108]), "ws", scalarF(1), "wz", zp(I8),
                "ys", scalarF(1), "yz", zp(I8));
        assertInfo(g, "y", I8, 1, 4, 8, 8);
        g = single(13, node("ConvInteger", List.of("x", "w"), List.of("y")), "x", typed(U8, 1, 3, 8, 8),
                "w", Tensor.ofInts(U8, new long[] {4, 3, 3, 3}, new long[108]));
        assertInfo(g, "y", DataTypes.INT32, 1, 4, 6, 6);
    }

    @Test
    void convTranspose() {
        // 2 * (5 - 1) + output_padding 1 + kernel 3 - pads (1 + 1) = 10; channels W[1] * group = 2
        Graph g = single(13, node("ConvTranspose", List.of("x", "w"), List.of("y"), attr("strides", 2, 2),
                attr("pads", 1, 1, 1, 1), attr("output_padding", 1, 1)), "x", f32(1, 4, 5, 5), "w", weights(4, 2, 3, 3));
        assertInfo(g, "y", F, 1, 2, 10, 10);
        g = single(13, node("ConvTranspose", List.of("x", "w"), List.of("y"), attr("strides", 2, 2),
                attr("output_shape", 11, 11)), "x", f32(1, 4, 5, 5), "w", weights(4, 2, 3, 3));
        assertInfo(g, "y", F, 1, 2, 11, 11);
    }

    @Test
    void poolsWithCeilModeAndPadding() {
        // ceil((6 - 3) / 2) + 1 = 3; the last window starts at 4 < 6, so it is kept
        Graph g = single(13, node("MaxPool", List.of("x"), List.of("y", "i"), attr("kernel_shape", 3, 3),
                attr("strides", 2, 2), attr("ceil_mode", 1L)), "x", f32(1, 2, 6, 6));
        assertInfo(g, "y", F, 1, 2, 3, 3);
        assertInfo(g, "i", I64, 1, 2, 3, 3);
        // padded 5, kernel 1, stride 2: ceil(4 / 2) + 1 = 3, but the third window would start at 4, in the
        // end padding (4 >= 4 + 0), so ONNX Runtime (and PyTorch) drop it: 2
        g = single(13, node("MaxPool", List.of("x"), List.of("y"), attr("kernel_shape", 1, 1), attr("strides", 2, 2),
                attr("pads", 0, 0, 1, 1), attr("ceil_mode", 1L)), "x", f32(1, 1, 4, 4));
        assertInfo(g, "y", F, 1, 1, 2, 2);
        // (7 + 2 - 3) / 2 + 1 = 4
        g = single(13, node("AveragePool", List.of("x"), List.of("y"), attr("kernel_shape", 3, 3),
                attr("strides", 2, 2), attr("pads", 1, 1, 1, 1)), "x", f32(1, 3, 7, 7));
        assertInfo(g, "y", F, 1, 3, 4, 4);
        g = single(13, node("GlobalAveragePool", List.of("x"), List.of("y")), "x", f32(1, 16, 7, 7));
        assertInfo(g, "y", F, 1, 16, 1, 1);
    }

    @Test
    void contribPoolsHonourChannelsLast() {
        Graph g = single(13, node("com.microsoft", "QLinearAveragePool", List.of("x", "xs", "xz", "ys", "yz"),
                List.of("y"), attr("kernel_shape", 2, 2), attr("strides", 2, 2), attr("channels_last", 1L)),
                "x", typed(U8, 1, 8, 8, 3), "xs", scalarF(1), "xz", zp(U8), "ys", scalarF(1), "yz", zp(U8));
        assertInfo(g, "y", U8, 1, 4, 4, 3);
        g = single(13, node("com.microsoft", "QLinearGlobalAveragePool", List.of("x", "xs", "xz", "ys", "yz"),
                List.of("y"), attr("channels_last", 1L)),
                "x", typed(I8, 1, 7, 7, 16), "xs", scalarF(1), "xz", zp(I8), "ys", scalarF(1), "yz", zp(I8));
        assertInfo(g, "y", I8, 1, 1, 1, 16);
    }

    @Test
    void gemmAndMatMul() {
        Graph g = single(13, node("Gemm", List.of("a", "b"), List.of("y"), attr("transB", 1L)),
                "a", f32(2, 5), "b", weights(3, 5));
        assertInfo(g, "y", F, 2, 3);
        assertThrows(IntbenchException.MalformedModel.class, () -> single(13,
                node("Gemm", List.of("a", "b"), List.of("y")), "a", f32(2, 5), "b", weights(3, 5)));
        // numpy.matmul: 1-D left operand loses its prepended dim, batch dims broadcast
        g = single(13, node("MatMul", List.of("a", "b"), List.of("y")), "a", f32(5), "b", weights(5, 3));
        assertInfo(g, "y", F, 3);
        g = single(13, node("MatMul", List.of("a", "b"), List.of("y")), "a", f32(2, 1, 4, 5), "b", weights(3, 5, 6));
        assertInfo(g, "y", F, 2, 3, 4, 6);
        g = single(13, node("MatMul", List.of("a", "b"), List.of("y")), "a", f32(4, 5), "b", weights(5));
        assertInfo(g, "y", F, 4);
        g = single(13, node("MatMulInteger", List.of("a", "b"), List.of("y")), "a", typed(U8, 4, 5),
                "b", Tensor.ofInts(I8, new long[] {5, 2}, new long[10]));
        assertInfo(g, "y", DataTypes.INT32, 4, 2);
        g = single(13, node("QLinearMatMul", List.of("a", "as", "az", "b", "bs", "bz", "ys", "yz"), List.of("y")),
                "a", typed(U8, 1, 4), "as", scalarF(1), "az", zp(U8), "b", Tensor.ofInts(I8, new long[] {4, 2}, new long[8]),
                "bs", scalarF(1), "bz", zp(I8), "ys", scalarF(1), "yz", zp(I8));
        assertInfo(g, "y", I8, 1, 2);
    }

    @Test
    void qgemmOutputTypeFollowsItsOptionalInputs() {
        Object[] feeds = {"a", typed(U8, 2, 4), "as", scalarF(1), "az", zp(U8),
            "b", Tensor.ofInts(I8, new long[] {3, 4}, new long[12]), "bs", scalarF(1), "bz", zp(I8),
            "ys", scalarF(1), "yz", zp(I8)};
        Graph g = single(13, node("com.microsoft", "QGemm", List.of("a", "as", "az", "b", "bs", "bz"), List.of("y"),
                attr("transB", 1L)), feeds);
        assertInfo(g, "y", F, 2, 3);
        g = single(13, node("com.microsoft", "QGemm", List.of("a", "as", "az", "b", "bs", "bz", "", "ys", "yz"),
                List.of("y"), attr("transB", 1L)), feeds);
        assertInfo(g, "y", I8, 2, 3);
    }

    @Test
    void broadcastingElementwise() {
        Graph g = single(13, node("Add", List.of("a", "b"), List.of("y")), "a", f32(2, 1, 4), "b", f32(3, 1));
        assertInfo(g, "y", F, 2, 3, 4);
        g = single(13, node("Equal", List.of("a", "b"), List.of("y")), "a", f32(2, 1, 4), "b", f32(4));
        assertInfo(g, "y", DataTypes.BOOL, 2, 1, 4);
        g = single(13, node("Where", List.of("c", "a", "b"), List.of("y")), "c", typed(DataTypes.BOOL, 3, 1),
                "a", typed(I64, 1, 5), "b", typed(I64, 1));
        assertInfo(g, "y", I64, 3, 5);
        assertThrows(IntbenchException.MalformedModel.class, () -> single(13,
                node("Mul", List.of("a", "b"), List.of("y")), "a", f32(2, 3), "b", f32(4)));
        g = single(13, node("com.microsoft", "QLinearAdd", List.of("a", "as", "az", "b", "bs", "bz", "cs", "cz"),
                List.of("y")), "a", typed(I8, 1, 8, 4, 4), "as", scalarF(1), "az", zp(I8), "b", typed(I8, 1, 8, 1, 1),
                "bs", scalarF(1), "bz", zp(I8), "cs", scalarF(1), "cz", zp(I8));
        assertInfo(g, "y", I8, 1, 8, 4, 4);
    }

    @Test
    void layoutOps() {
        Graph g = single(13, node("Reshape", List.of("x", "s"), List.of("y")), "x", f32(2, 3, 4), "s", i64(0, -1));
        assertInfo(g, "y", F, 2, 12);
        g = single(14, node("Reshape", List.of("x", "s"), List.of("y"), attr("allowzero", 1L)), "x", f32(3, 0), "s", i64(0, 5));
        assertInfo(g, "y", F, 0, 5);
        g = single(13, node("Flatten", List.of("x"), List.of("y"), attr("axis", -1L)), "x", f32(2, 3, 4));
        assertInfo(g, "y", F, 6, 4);
        g = single(13, node("Flatten", List.of("x"), List.of("y"), attr("axis", 0L)), "x", f32(2, 3, 4));
        assertInfo(g, "y", F, 1, 24);
        g = single(13, node("Transpose", List.of("x"), List.of("y")), "x", f32(2, 3, 4));
        assertInfo(g, "y", F, 4, 3, 2);
        g = single(13, node("Transpose", List.of("x"), List.of("y"), attr("perm", 0, 2, 1)), "x", f32(2, 3, 4));
        assertInfo(g, "y", F, 2, 4, 3);
        g = single(13, node("Concat", List.of("a", "b"), List.of("y"), attr("axis", -1L)), "a", f32(1, 2, 3), "b", f32(1, 2, 5));
        assertInfo(g, "y", F, 1, 2, 8);
        // QLinearConcat: y_scale, y_zero_point, then (tensor, scale, zero point) triples
        g = single(13, node("com.microsoft", "QLinearConcat", List.of("ys", "yz", "a", "as", "az", "b", "bs", "bz"),
                List.of("y"), attr("axis", 1L)), "ys", scalarF(1), "yz", zp(U8), "a", typed(U8, 1, 2, 4),
                "as", scalarF(1), "az", zp(U8), "b", typed(U8, 1, 6, 4), "bs", scalarF(1), "bz", zp(U8));
        assertInfo(g, "y", U8, 1, 8, 4);
        g = single(13, node("Gather", List.of("x", "i"), List.of("y"), attr("axis", 1L)), "x", f32(3, 4, 5),
                "i", typed(I64, 2, 2));
        assertInfo(g, "y", F, 3, 2, 2, 5);
        g = single(13, node("Expand", List.of("x", "s"), List.of("y")), "x", f32(3, 1), "s", i64(2, 1, 4));
        assertInfo(g, "y", F, 2, 3, 4);
        g = single(13, node("Tile", List.of("x", "r"), List.of("y")), "x", f32(2, 3), "r", i64(2, 2));
        assertInfo(g, "y", F, 4, 6);
    }

    @Test
    void splitInItsThreeSpellings() {
        // opset 18 num_outputs: ceil(7 / 3) = 3 per part, the last gets what is left
        Graph g = single(18, node("Split", List.of("x"), List.of("a", "b", "c"), attr("axis", 1L), attr("num_outputs", 3L)),
                "x", f32(2, 7));
        assertInfo(g, "a", F, 2, 3);
        assertInfo(g, "c", F, 2, 1);
        g = single(13, node("Split", List.of("x", "s"), List.of("a", "b")), "x", f32(7, 2), "s", i64(2, 5));
        assertInfo(g, "b", F, 5, 2);
        g = single(11, node("Split", List.of("x"), List.of("a", "b"), attr("split", 4, 3)), "x", f32(7));
        assertInfo(g, "a", F, 4);
        g = single(11, node("Split", List.of("x"), List.of("a", "b")), "x", f32(6));
        assertInfo(g, "b", F, 3);
    }

    @Test
    void sliceClampsLikeTheSpec() {
        // axis 0: [-3, max) of 10 -> 7..10 = 3; axis 1: [0, -1) step 2 of 8 -> 0..7 -> ceil(7 / 2) = 4
        Graph g = single(13, node("Slice", List.of("x", "s", "e", "a", "p"), List.of("y")), "x", f32(10, 8),
                "s", i64(-3, 0), "e", i64(Long.MAX_VALUE, -1), "a", i64(0, 1), "p", i64(1, 2));
        assertInfo(g, "y", F, 3, 4);
        // step -2 from the last element to before the first: 9, 7, 5, 3, 1
        g = single(13, node("Slice", List.of("x", "s", "e", "a", "p"), List.of("y")), "x", f32(10, 8),
                "s", i64(-1), "e", i64(Long.MIN_VALUE), "a", i64(0), "p", i64(-2));
        assertInfo(g, "y", F, 5, 8);
    }

    @Test
    void squeezeUnsqueezePad() {
        Graph g = single(11, node("Squeeze", List.of("x"), List.of("y"), attr("axes", 0, -1)), "x", f32(1, 3, 1));
        assertInfo(g, "y", F, 3);
        g = single(13, node("Squeeze", List.of("x"), List.of("y")), "x", f32(1, 3, 1, 2));
        assertInfo(g, "y", F, 3, 2);
        g = single(13, node("Unsqueeze", List.of("x", "a"), List.of("y")), "x", f32(3, 4), "a", i64(0, -1));
        assertInfo(g, "y", F, 1, 3, 4, 1);
        g = single(13, node("Pad", List.of("x", "p"), List.of("y")), "x", f32(1, 3, 5, 5), "p", i64(0, 0, 1, 2, 0, 0, 3, 4));
        assertInfo(g, "y", F, 1, 3, 9, 11);
    }

    @Test
    void resizeAndUpsample() {
        Tensor scales = Tensor.ofFloats(new long[] {4}, 1, 1, 2, 1.5f);
        // floor(5 * 2) = 10, floor(5 * 1.5) = 7
        Graph g = single(13, node("Resize", List.of("x", "", "s"), List.of("y")), "x", f32(1, 3, 5, 5), "s", scales);
        assertInfo(g, "y", F, 1, 3, 10, 7);
        g = single(13, node("Resize", List.of("x", "", "", "z"), List.of("y")), "x", f32(1, 3, 5, 5), "z", i64(1, 3, 7, 9));
        assertInfo(g, "y", F, 1, 3, 7, 9);
        g = single(10, node("Resize", List.of("x", "s"), List.of("y")), "x", f32(1, 3, 5, 5), "s", scales);
        assertInfo(g, "y", F, 1, 3, 10, 7);
        g = single(10, node("Upsample", List.of("x", "s"), List.of("y")), "x", f32(1, 3, 5, 5), "s", scales);
        assertInfo(g, "y", F, 1, 3, 10, 7);
    }

    @Test
    void reductions() {
        Graph g = single(13, node("ReduceMean", List.of("x"), List.of("y"), attr("axes", 2, 3)), "x", f32(1, 3, 5, 5));
        assertInfo(g, "y", F, 1, 3, 1, 1);
        g = single(13, node("ReduceSum", List.of("x", "a"), List.of("y"), attr("keepdims", 0L)), "x", f32(1, 3, 5, 5), "a", i64(1));
        assertInfo(g, "y", F, 1, 5, 5);
        g = single(18, node("ReduceMax", List.of("x"), List.of("y")), "x", f32(1, 3, 5, 5));
        assertInfo(g, "y", F, 1, 1, 1, 1);
    }

    @Test
    void quantizationOpsTypes() {
        Graph g = single(13, node("QuantizeLinear", List.of("x", "s"), List.of("y")), "x", f32(1, 3), "s", scalarF(0.1f));
        assertInfo(g, "y", U8, 1, 3);
        g = single(13, node("QuantizeLinear", List.of("x", "s", "z"), List.of("y")), "x", f32(1, 3), "s", scalarF(0.1f), "z", zp(I8));
        assertInfo(g, "y", I8, 1, 3);
        g = single(21, node("QuantizeLinear", List.of("x", "s"), List.of("y"), attr("output_dtype", (long) DataTypes.INT16)),
                "x", f32(1, 3), "s", scalarF(0.1f));
        assertInfo(g, "y", DataTypes.INT16, 1, 3);
        g = single(13, node("DequantizeLinear", List.of("x", "s", "z"), List.of("y")), "x", typed(I8, 2, 3),
                "s", scalarF(0.1f), "z", zp(I8));
        assertInfo(g, "y", F, 2, 3);
        g = single(13, node("DynamicQuantizeLinear", List.of("x"), List.of("y", "s", "z")), "x", f32(2, 3));
        assertInfo(g, "y", U8, 2, 3);
        assertInfo(g, "s", F);
        assertInfo(g, "z", U8);
        g = single(13, node("com.microsoft", "QLinearSigmoid", List.of("x", "xs", "xz", "ys", "yz"), List.of("y")),
                "x", typed(I8, 2, 3), "xs", scalarF(1), "xz", zp(I8), "ys", scalarF(1), "yz", zp(I8));
        assertInfo(g, "y", I8, 2, 3);
    }

    @Test
    void elementTypeChangesAndMultiOutputs() {
        Graph g = single(13, node("Cast", List.of("x"), List.of("y"), attr("to", (long) I64)), "x", f32(2, 2));
        assertInfo(g, "y", I64, 2, 2);
        g = single(13, node("Dropout", List.of("x"), List.of("y", "m")), "x", f32(2, 2));
        assertInfo(g, "y", F, 2, 2);
        assertInfo(g, "m", DataTypes.BOOL, 2, 2);
        Tensor c = Tensor.ofFloats(new long[] {3}, 1, 1, 1);
        g = single(13, node("BatchNormalization", List.of("x", "s", "b", "m", "v"), List.of("y")), "x", f32(1, 3, 4, 4),
                "s", c, "b", c, "m", c, "v", c);
        assertInfo(g, "y", F, 1, 3, 4, 4);
        g = single(13, node("HardSwish", List.of("x"), List.of("y")), "x", f32(1, 3, 4, 4));
        assertInfo(g, "y", F, 1, 3, 4, 4);
    }

    @Test
    void unknownOpsStayUnknownWithoutFailing() {
        Graph g = single(13, node("NoSuchOp", List.of("x"), List.of("y")), "x", f32(2, 2));
        assertEquals(ValueInfo.UNKNOWN, g.valueInfo("y"));
        g = single(13, node("vendor.custom", "Relu", List.of("x"), List.of("y")), "x", f32(2, 2));
        assertNull(g.valueInfo("y").shape());
        assertEquals(1, g.nodes().size());
    }
}
