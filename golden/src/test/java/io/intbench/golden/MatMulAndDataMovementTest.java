package io.intbench.golden;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.onnx.OnnxProto.AttributeProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden comparisons against the real ONNX Runtime for MatMul with a batched constant B, MatMul of two
 * activations (attention: B computed at run time, QDQ {@code DQ(a) x DQ(b) -> Q} which ORT fuses to
 * QLinearMatMul, and QLinearMatMul itself), 2-D, 3-D and N-D with broadcast batch dimensions, uint8 and int8;
 * and for the data-movement ops Gather (constant indices, any axis, scalar and 2-D indices) and Pad
 * (constant, edge, reflect; QDQ, and directly on the codes as in QOperator models). Every quantized tensor
 * must be bit-exact against ORT's optimised graph, with no float between layers.
 */
class MatMulAndDataMovementTest {

    record Config(String name, Function<Long, QGraph> recipe, String preset, int opset) {
        Config(String name, Function<Long, QGraph> recipe) {
            this(name, recipe, null, 13);
        }

        Config(String name, Function<Long, QGraph> recipe, String preset) {
            this(name, recipe, preset, 13);
        }

        /** The same model written with another opset (an op that exists only from that opset on). */
        Config opset(int o) {
            return new Config(name, recipe, preset, o);
        }

        /** The same model on another hardware preset (e.g. one whose small buffers force tiling). */
        Config on(String p) {
            return new Config(name + "_on_" + p, recipe, p, opset);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Output scale that spreads a K-term dot product of operands spanning their ranges over the codes. */
    static float outScale(QGraph.Q a, QGraph.Q b, long k) {
        double ra = (a.hi() - a.lo()) / 2;
        double rb = (b.hi() - b.lo()) / 2;
        return (float) (6 * Math.sqrt(k) * ra * rb / 3 / 255);
    }

    static int zpFor(DType t, int u8, int s8) {
        return t == DType.UINT8 ? u8 : s8;
    }

    /**
     * {@code A [as] x B [bs] -> [os]} with both operands graph inputs; QOperator (QLinearMatMul) or QDQ
     * ({@code DQ -> MatMul -> Q}). {@code ta}, {@code tb}: activation types of A and B (the output has A's).
     */
    static Config activations(boolean qop, DType ta, DType tb, long[] as, long[] bs, long[] os) {
        String name = (qop ? "qlinearmatmul" : "qdq_matmul") + "_act_" + ta + "x" + tb + "_" + dims(as) + "x" + dims(bs);
        return new Config(name, seed -> {
            QGraph g = new QGraph();
            QGraph.Q a = g.quantInput("A", ta, 0.011f, zpFor(ta, 121, -7), as);
            QGraph.Q b = g.quantInput("B", tb, 0.017f, zpFor(tb, 140, 9), bs);
            float sy = outScale(a, b, as[as.length - 1]);
            int zy = zpFor(ta, 131, 3);
            if (qop) {
                String ys = g.floatScalar("y_scale", sy);
                String yz = g.codes("y_zp", ta, new long[0], new int[] {zy});
                String y = "Y_q";
                g.node("QLinearMatMul", "", List.of(a.name(), a.scale(), a.zp(), b.name(), b.scale(), b.zp(), ys, yz), List.of(y));
                g.output(new QGraph.Q(y, ys, yz, sy, zy, ta, os), "Y");
            } else {
                String f = g.op("MatMul", "", List.of(g.dequantize(a), g.dequantize(b)));
                g.output(g.quantize(f, ta, sy, zy, os), "Y");
            }
            return g;
        });
    }

    /** {@code A [as] x constant B [bs] -> [os]} with a batched B (rank 3 or more). */
    static Config constantB(boolean qop, DType ta, DType tb, long[] as, long[] bs, long[] os) {
        String name = (qop ? "qlinearmatmul" : "qdq_matmul") + "_constB_" + ta + "x" + tb + "_" + dims(as) + "x" + dims(bs);
        return new Config(name, seed -> {
            QGraph g = new QGraph();
            QGraph.Q a = g.quantInput("A", ta, 0.013f, zpFor(ta, 118, -5), as);
            long n = 1;
            for (long d : bs) {
                n *= d;
            }
            QGraph.Q b = g.constQ("Bw", tb, 0.009f, zpFor(tb, 127, 0), bs, QGraph.randomCodes(new Random(seed), tb, n));
            float sy = outScale(a, b, as[as.length - 1]) / 2;
            int zy = zpFor(ta, 126, -2);
            if (qop) {
                String ys = g.floatScalar("y_scale", sy);
                String yz = g.codes("y_zp", ta, new long[0], new int[] {zy});
                g.node("QLinearMatMul", "", List.of(a.name(), a.scale(), a.zp(), b.name(), b.scale(), b.zp(), ys, yz), List.of("Y_q"));
                g.output(new QGraph.Q("Y_q", ys, yz, sy, zy, ta, os), "Y");
            } else {
                String f = g.op("MatMul", "", List.of(g.dequantize(a), g.dequantize(b)));
                g.output(g.quantize(f, ta, sy, zy, os), "Y");
            }
            return g;
        });
    }

    /**
     * Attention scores as a transformer computes them, QDQ: {@code X [1, T, D]}, {@code K^T} by a Transpose
     * of a second quantized input, {@code Q K^T -> Q}, then a second MatMul of the scores by V.
     */
    static Config attention(DType t) {
        return new Config("qdq_attention_" + t, seed -> {
            QGraph g = new QGraph();
            QGraph.Q x = g.quantInput("X", t, 0.02f, zpFor(t, 128, 0), 2, 6, 8);
            QGraph.Q k = g.quantInput("K", t, 0.015f, zpFor(t, 120, -3), 2, 6, 8);
            QGraph.Q v = g.quantInput("V", t, 0.01f, zpFor(t, 133, 4), 2, 6, 8);
            String kt = g.op("Transpose", "", List.of(g.dequantize(k)), QGraph.attrs("perm", 0, 2, 1));
            QGraph.Q ktq = g.quantize(kt, t, k.s(), k.z(), 2, 8, 6);
            float ss = outScale(x, ktq, 8);
            QGraph.Q scores = g.quantize(g.op("MatMul", "", List.of(g.dequantize(x), g.dequantize(ktq))), t, ss, zpFor(t, 128, 0), 2, 6, 6);
            float so = outScale(scores, v, 6);
            QGraph.Q out = g.quantize(g.op("MatMul", "", List.of(g.dequantize(scores), g.dequantize(v))), t, so, zpFor(t, 125, -1), 2, 6, 8);
            g.output(out, "Y");
            return g;
        });
    }

    /**
     * {@code Q(x) -> DQ -> op(consts) -> Q -> DQ}: one data-movement op in QDQ form; the output has the
     * input's parameters unless {@code requant} (then ORT keeps the float op between its DQ and Q).
     */
    static Config moveQdq(String name, DType t, boolean requant, long[] in, long[] out, String op,
                          Function<QGraph, List<String>> extra, AttributeProto... attrs) {
        return new Config("qdq_" + name + "_" + t + (requant ? "_requant" : ""), seed -> {
            QGraph g = new QGraph();
            QGraph.Q x = g.quantInput("X", t, 0.03f, zpFor(t, 117, -9), in);
            List<String> ins = new ArrayList<>();
            ins.add(g.dequantize(x));
            ins.addAll(extra.apply(g));
            String f = g.op(op, "", ins, attrs);
            g.output(requant ? g.quantize(f, t, 0.021f, zpFor(t, 140, 12), out) : g.quantize(f, t, x.s(), x.z(), out), "Y");
            return g;
        });
    }

    /** {@code Q(x) -> op(consts) -> DQ}: the op directly on the 8-bit tensor, as in QOperator models. */
    static Config moveCodes(String name, DType t, long[] in, long[] out, String op, Function<QGraph, List<String>> extra,
                            AttributeProto... attrs) {
        return new Config("codes_" + name + "_" + t, seed -> {
            QGraph g = new QGraph();
            QGraph.Q x = g.quantInput("X", t, 0.03f, zpFor(t, 117, -9), in);
            List<String> ins = new ArrayList<>();
            ins.add(x.name());
            ins.addAll(extra.apply(g));
            String y = g.op(op, "", ins, attrs);
            g.output(new QGraph.Q(y, x.scale(), x.zp(), x.s(), x.z(), t, out), "Y");
            return g;
        });
    }

    static List<Config> movement() {
        List<Config> c = new ArrayList<>();
        for (DType t : new DType[] {DType.UINT8, DType.INT8}) {
            c.add(moveQdq("gather_axis1_idx1d", t, false, s(2, 5, 3, 4), s(2, 4, 3, 4), "Gather",
                    g -> List.of(g.int64s("idx", s(4), 4, 0, -1, 2)), QGraph.attr("axis", 1)));
            c.add(moveQdq("gather_axis-1_idx2d", t, false, s(3, 6), s(3, 2, 3), "Gather",
                    g -> List.of(g.int64s("idx", s(2, 3), 5, 5, 0, -6, 2, 1)), QGraph.attr("axis", -1)));
            c.add(moveQdq("gather_axis0_scalar", t, true, s(4, 3, 5), s(3, 5), "Gather",
                    g -> List.of(g.int64s("idx", s(), 2)), QGraph.attr("axis", 0)));
            c.add(moveCodes("gather_axis2", t, s(1, 2, 6, 3), s(1, 2, 3, 3), "Gather",
                    g -> List.of(g.int64s("idx", s(3), 5, 1, 1)), QGraph.attr("axis", 2)));
            c.add(moveQdq("pad_constant_default", t, false, s(1, 2, 4, 5), s(1, 2, 7, 6), "Pad",
                    g -> List.of(g.int64s("pads", s(8), 0, 0, 1, 0, 0, 0, 2, 1))));
            c.add(moveQdq("pad_constant_value", t, false, s(1, 3, 3, 4), s(1, 3, 5, 7), "Pad",
                    g -> List.of(g.int64s("pads", s(8), 0, 0, 1, 2, 0, 0, 1, 1), g.floatScalar("pv", 0.37f))));
            c.add(moveQdq("pad_constant_value_crop", t, true, s(2, 3, 6), s(2, 4, 5), "Pad",
                    g -> List.of(g.int64s("pads", s(6), 0, 2, -2, 0, -1, 1), g.floatScalar("pv", -0.9f))));
            c.add(moveQdq("pad_edge", t, false, s(1, 2, 4, 5), s(1, 2, 7, 8), "Pad",
                    g -> List.of(g.int64s("pads", s(8), 0, 0, 2, 1, 0, 0, 1, 2)), QGraph.attr("mode", "edge")));
            c.add(moveQdq("pad_reflect", t, false, s(1, 2, 4, 5), s(1, 2, 8, 9), "Pad",
                    g -> List.of(g.int64s("pads", s(8), 0, 0, 3, 2, 0, 0, 1, 2)), QGraph.attr("mode", "reflect")));
            c.add(moveCodes("pad_constant_code", t, s(1, 2, 3, 3), s(1, 2, 5, 5), "Pad",
                    g -> List.of(g.int64s("pads", s(8), 0, 0, 1, 1, 0, 0, 1, 1), g.codes("pv", t, s(), new int[] {zpFor(t, 3, -100)}))));
        }
        return c;
    }

    /** Bilinear Resize (QDQ, same parameters: ORT drops the pair and interpolates the codes) with sizes or scales. */
    /** A linear Resize whose planes exceed half of tiny-4x4's 16 KiB scratchpad, so its VTILEs are blocks of rows. */
    static Config resizeTiled(DType t) {
        return moveQdq("resize_linear_rows", t, false, s(1, 2, 48, 64), s(1, 2, 96, 128), "Resize",
                g -> List.of("", "", g.int64s("sizes", s(4), 1, 2, 96, 128)), QGraph.attr("mode", "linear")).on("tiny-4x4");
    }

    @Test
    void aLargeLinearResizeIsTiledToFitTheScratchpad() {
        Config c = resizeTiled(DType.UINT8);
        HardwareConfig cfg = HardwareConfig.preset("tiny-4x4");
        io.intbench.isa.Program p = Compiler.compile(c.recipe().apply(1L).build(c.opset()), c.name(), cfg,
                Compiler.Options.defaults().withMode(RequantMode.ORT)).program();
        io.intbench.isa.Program.Layer resize = p.layers().stream().filter(l -> l.op().startsWith("Resize(linear)")).findFirst()
                .orElseThrow();
        assertTrue(resize.op().contains("tiles"), "the Resize layer is not tiled: " + resize.op());
    }

    static List<Config> resizeLinear() {
        List<Config> c = new ArrayList<>();
        String[] modes = {"half_pixel", "asymmetric", "pytorch_half_pixel", "align_corners"};
        for (DType t : new DType[] {DType.UINT8, DType.INT8}) {
            for (String m : modes) {
                c.add(moveQdq("resize_linear_" + m + "_up", t, false, s(1, 2, 5, 7), s(1, 2, 12, 15), "Resize",
                        g -> List.of("", "", g.int64s("sizes", s(4), 1, 2, 12, 15)),
                        QGraph.attr("mode", "linear"), QGraph.attr("coordinate_transformation_mode", m)));
                c.add(moveQdq("resize_linear_" + m + "_down", t, false, s(2, 3, 9, 8), s(2, 3, 4, 5), "Resize",
                        g -> List.of("", "", g.int64s("sizes", s(4), 2, 3, 4, 5)),
                        QGraph.attr("mode", "linear"), QGraph.attr("coordinate_transformation_mode", m)));
            }
            // scales given (not sizes): x2 as in U-Net decoders, and a non-integer factor
            c.add(moveQdq("resize_linear_scales2x", t, false, s(1, 4, 6, 6), s(1, 4, 12, 12), "Resize",
                    g -> List.of("", g.floats("scales", s(4), 1f, 1f, 2f, 2f)), QGraph.attr("mode", "linear")));
            c.add(moveQdq("resize_linear_scales1.7", t, false, s(1, 2, 7, 5), s(1, 2, 11, 8), "Resize",
                    g -> List.of("", g.floats("scales", s(4), 1f, 1f, 1.7f, 1.7f)), QGraph.attr("mode", "linear")));
            // NHWC (scales [1, h, w, 1]): ORT's NhwcUpsampleBilinear on the dequantized floats
            c.add(moveQdq("resize_linear_nhwc", t, false, s(1, 5, 7, 3), s(1, 10, 12, 3), "Resize",
                    g -> List.of("", "", g.int64s("sizes", s(4), 1, 10, 12, 3)), QGraph.attr("mode", "linear")));
            c.add(moveQdq("resize_linear_nhwc_align_corners", t, true, s(2, 6, 4, 2), s(2, 3, 9, 2), "Resize",
                    g -> List.of("", "", g.int64s("sizes", s(4), 2, 3, 9, 2)), QGraph.attr("mode", "linear"),
                    QGraph.attr("coordinate_transformation_mode", "align_corners")));
            c.add(resizeTiled(t));
            c.add(moveQdq("resize_linear_requant", t, true, s(1, 3, 6, 5), s(1, 3, 11, 9), "Resize",
                    g -> List.of("", "", g.int64s("sizes", s(4), 1, 3, 11, 9)), QGraph.attr("mode", "linear")));
            c.add(moveCodes("resize_linear_codes", t, s(1, 2, 6, 5), s(1, 2, 10, 12), "Resize",
                    g -> List.of("", "", g.int64s("sizes", s(4), 1, 2, 10, 12)), QGraph.attr("mode", "linear")));
            c.add(moveCodes("resize_linear_2d", t, s(6, 5), s(13, 9), "Resize",
                    g -> List.of("", "", g.int64s("sizes", s(2), 13, 9)), QGraph.attr("mode", "linear")));
        }
        return c;
    }

    /** Scaled dot-product attention, QDQ: {@code softmax(X Kᵀ) V} with the Softmax quantized to [0, 1). */
    static Config attentionSoftmax(DType t) {
        return new Config("qdq_attention_softmax_" + t, seed -> {
            QGraph g = new QGraph();
            QGraph.Q x = g.quantInput("X", t, 0.02f, zpFor(t, 128, 0), 1, 2, 5, 8);
            QGraph.Q k = g.quantInput("K", t, 0.015f, zpFor(t, 120, -3), 1, 2, 5, 8);
            QGraph.Q v = g.quantInput("V", t, 0.01f, zpFor(t, 133, 4), 1, 2, 5, 8);
            String kt = g.op("Transpose", "", List.of(g.dequantize(k)), QGraph.attrs("perm", 0, 1, 3, 2));
            QGraph.Q ktq = g.quantize(kt, t, k.s(), k.z(), 1, 2, 8, 5);
            QGraph.Q scores = g.quantize(g.op("MatMul", "", List.of(g.dequantize(x), g.dequantize(ktq))), t,
                    outScale(x, ktq, 8), zpFor(t, 128, 0), 1, 2, 5, 5);
            // [0, 1] as quantize_static fixes it for Softmax: scale 1/255 (1/256: softmaxSaturation)
            QGraph.Q p = g.quantize(g.op("Softmax", "", List.of(g.dequantize(scores)), QGraph.attr("axis", -1)), t,
                    1f / 255, zpFor(t, 0, -128), 1, 2, 5, 5);
            QGraph.Q out = g.quantize(g.op("MatMul", "", List.of(g.dequantize(p), g.dequantize(v))), t, v.s(), v.z(), 1, 2, 5, 8);
            g.output(out, "Y");
            return g;
        });
    }

    /**
     * Softmax quantized with scale 1/256 (not quantize_static's 1/255), where a probability of 1 is code 256 + zp: wide
     * input steps make one element dominate most rows. ORT's uint8 kernel saturates it to 255; an int8 QDQ group,
     * which ORT's x86 rewrite computes in uint8, saturates to 127 (ORT's own int8 kernel would wrap it to -128).
     */
    static Config softmaxSaturation(DType t) {
        return new Config("qdq_softmax_scale_1_256_" + t, seed -> {
            QGraph g = new QGraph();
            QGraph.Q x = g.quantInput("X", t, 0.12f, zpFor(t, 128, 0), 1, 8, 6);
            QGraph.Q p = g.quantize(g.op("Softmax", "", List.of(g.dequantize(x)), QGraph.attr("axis", -1)), t,
                    1f / 256, zpFor(t, 0, -128), 1, 8, 6);
            g.output(p, "Y");
            return g;
        });
    }

    /**
     * {@code DQ(a), DQ(b) -> Sub [-> Relu] -> Q}, which ORT never fuses: a float Sub between the Q/DQ pairs; operands of
     * different scales, a broadcast second operand, or a constant one (a per-channel mean subtracted).
     */
    static Config sub(DType t, String form) {
        return new Config("qdq_sub_" + form + "_" + t, seed -> {
            QGraph g = new QGraph();
            QGraph.Q a = g.quantInput("A", t, 0.031f, zpFor(t, 131, 3), 1, 3, 16, 16);
            QGraph.Q b = switch (form) {
                case "broadcast" -> g.quantInput("B", t, 0.017f, zpFor(t, 97, -31), 1, 3, 1, 16);
                case "constant" -> g.constQ("mean", t, 0.02f, zpFor(t, 120, -8), s(1, 3, 1, 1),
                        new int[] {zpFor(t, 200, 72), zpFor(t, 30, -98), zpFor(t, 121, -7)});
                default -> g.quantInput("B", t, 0.023f, zpFor(t, 110, -18), 1, 3, 16, 16);
            };
            String d = g.op("Sub", "", List.of(g.dequantize(a), g.dequantize(b)));
            if (form.equals("relu")) {
                d = g.op("Relu", "", List.of(d));
            }
            QGraph.Q y = g.quantize(d, t, 0.029f, form.equals("relu") ? zpFor(t, 0, -128) : zpFor(t, 125, -2), 1, 3, 16, 16);
            g.output(y, "Y");
            return g;
        });
    }

    /**
     * {@code DQ(x) -> op -> Q} for a unary op ORT computes in float between the Q/DQ pairs, on 4,096 inputs over a range
     * where the function bends, so every input code is covered: the compile-time table must reproduce ORT's float
     * function. Tanh: MLAS's approximation, which the table uses (at these scales libm's tanh gives the same table: the
     * few-ulp differences rarely reach a rounding tie; FloatGroupsTest pins the function itself). Erf: MlasComputeErf,
     * faithfully rounded. Gelu: ONNX opset 20, computed with MlasComputeErf.
     */
    static Config unaryGroup(String op, DType t, float xScale, int xZpU8, int xZpS8, float yScale, int yZpU8, int yZpS8) {
        return new Config("qdq_" + op.toLowerCase(java.util.Locale.ROOT) + "_" + t, seed -> {
            QGraph g = new QGraph();
            QGraph.Q x = g.quantInput("X", t, xScale, zpFor(t, xZpU8, xZpS8), 1, 16, 16, 16);
            QGraph.Q y = g.quantize(g.op(op, "", List.of(g.dequantize(x))), t, yScale, zpFor(t, yZpU8, yZpS8), 1, 16, 16, 16);
            g.output(y, "Y");
            return g;
        }).opset(op.equals("Gelu") ? 20 : 13);
    }

    /** SiLU as exporters write it: {@code x * Sigmoid(x)}, each op in its own QDQ group. */
    static Config silu(DType t) {
        return new Config("qdq_silu_" + t, seed -> {
            QGraph g = new QGraph();
            QGraph.Q x = g.quantInput("X", t, 0.047f, zpFor(t, 110, -18), 1, 8, 16, 16);
            QGraph.Q sg = g.quantize(g.op("Sigmoid", "", List.of(g.dequantize(x))), t, 1f / 256, zpFor(t, 0, -128), 1, 8, 16, 16);
            QGraph.Q y = g.quantize(g.op("Mul", "", List.of(g.dequantize(x), g.dequantize(sg))), t, 0.041f, zpFor(t, 8, -120),
                    1, 8, 16, 16);
            g.output(y, "Y");
            return g;
        });
    }

    static String dims(long[] s) {
        StringBuilder b = new StringBuilder();
        for (long d : s) {
            b.append(b.length() == 0 ? "" : "-").append(d);
        }
        return b.toString();
    }

    static long[] s(long... v) {
        return v;
    }

    static List<Config> configs() {
        List<Config> c = new ArrayList<>();
        for (boolean qop : new boolean[] {false, true}) {
            for (DType t : new DType[] {DType.UINT8, DType.INT8}) {
                // 2-D, 3-D batched, N-D with broadcast batch dims, 2-D A against a 3-D B
                c.add(activations(qop, t, t, s(5, 16), s(16, 7), s(5, 7)));
                c.add(activations(qop, t, t, s(2, 3, 8), s(2, 8, 5), s(2, 3, 5)));
                c.add(activations(qop, t, t, s(2, 1, 4, 6), s(3, 6, 5), s(2, 3, 4, 5)));
                c.add(activations(qop, t, t, s(4, 6), s(3, 6, 5), s(3, 4, 5)));
                if (qop && t == DType.INT8) {
                    // ORT 1.29 has no QLinearMatMul(10) kernel for int8 A with a constant B ("implemented only for
                    // tensor(uint8)"); quantize_static's QOperator default is uint8 activations anyway
                    continue;
                }
                c.add(constantB(qop, t, DType.INT8, s(2, 3, 4), s(2, 4, 3), s(2, 3, 3)));
                c.add(constantB(qop, t, t, s(3, 1, 5, 6), s(2, 6, 4), s(3, 2, 5, 4)));
            }
        }
        // mixed operand types: uint8 A with int8 B (ORT's u8s8 kernel)
        c.add(activations(true, DType.UINT8, DType.INT8, s(2, 3, 8), s(2, 8, 5), s(2, 3, 5)));
        c.add(activations(false, DType.UINT8, DType.INT8, s(3, 8), s(8, 5), s(3, 5)));
        // large enough that every slice is split into tiles on the tiny array (4 KiB accumulator)
        c.add(activations(false, DType.UINT8, DType.UINT8, s(2, 40, 64), s(2, 64, 48), s(2, 40, 48)).on("tiny-4x4"));
        c.add(constantB(true, DType.UINT8, DType.INT8, s(3, 24, 32), s(3, 32, 40), s(3, 24, 40)).on("tiny-4x4"));
        c.add(attention(DType.UINT8));
        c.add(attention(DType.INT8));
        c.add(attentionSoftmax(DType.UINT8));
        c.add(attentionSoftmax(DType.INT8));
        c.add(softmaxSaturation(DType.UINT8));
        c.add(softmaxSaturation(DType.INT8));
        for (DType t : new DType[] {DType.UINT8, DType.INT8}) {
            c.add(unaryGroup("Tanh", t, 0.023f, 127, -1, 1f / 127.5f, 128, 0));
            c.add(unaryGroup("Erf", t, 0.019f, 128, 0, 1f / 127.5f, 128, 0));
            c.add(unaryGroup("Gelu", t, 0.031f, 128, 0, 0.016f, 12, -116));
        }
        c.add(silu(DType.UINT8));
        c.add(silu(DType.INT8));
        for (DType t : new DType[] {DType.UINT8, DType.INT8}) {
            for (String form : new String[] {"plain", "broadcast", "constant", "relu"}) {
                c.add(sub(t, form));
            }
        }
        c.addAll(movement());
        c.addAll(resizeLinear());
        return c;
    }

    static Stream<Arguments> runs() {
        return configs().stream().map(c -> Arguments.of(c, 1L));
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("runs")
    void bitExactAgainstOnnxRuntime(Config c, long seed) {
        QGraph g = c.recipe().apply(seed);
        HardwareConfig cfg = c.preset() == null ? HardwareConfig.defaultConfig() : HardwareConfig.preset(c.preset());
        int opset = c.opset();
        Compiler.Result r = Compiler.compile(g.build(opset), c.name(), cfg, Compiler.Options.defaults().withMode(RequantMode.ORT));
        Golden.Result res = Golden.run(r, cfg, g.randomInputs(seed * 31 + 7), OperatorCoverageTest.SEED, 0, 1);
        OperatorCoverageTest.assertExact(c.name(), res);
        assertSpread(c.name(), res.sim().outputs().get("Y"));
        // every layer run on ORT's own inputs (teacher forcing reaches each batch slice's operands) is exact too
        GoldenReport.Totals pl = res.report().comparison(Golden.ORT_PER_LAYER).totals();
        assertEquals(pl.elements(), pl.exact(), c.name() + ": per-layer comparison\n" + Golden.table(res.report()));
    }

    /**
     * ONNX Runtime's own QDQ test graph with a linear Resize (Add, Concat, Resize by sizes, Slice; resources
     * {@code ops-fixtures/}, see PROVENANCE.md there), on seeded random inputs: every tensor bit-exact.
     */
    @Test
    void onnxRuntimeResizeTestGraphIsBitExact() {
        HardwareConfig cfg = HardwareConfig.defaultConfig();
        Compiler.Result r = Compiler.compile(GoldenModelsTest.resource("ops-fixtures/nhwc_resize_sizes_opset18.quant.onnx"), cfg,
                Compiler.Options.defaults().withMode(RequantMode.ORT));
        Golden.Result res = Golden.run(r, cfg, null, OperatorCoverageTest.SEED, 0, 1);
        OperatorCoverageTest.assertExact("nhwc_resize_sizes_opset18.quant", res);
        assertTrue(r.program().code().stream().anyMatch(i -> i.op() == io.intbench.isa.Opcode.RESIZE), "compiled to a RESIZE");
    }

    /**
     * The output must use many codes: an output scale that saturated almost everything would make the
     * comparison trivially exact.
     */
    static void assertSpread(String what, HostTensor y) {
        assertNotNull(y, what + ": no output Y");
        Set<Integer> distinct = new HashSet<>();
        int n = Math.toIntExact(y.elements());
        for (int i = 0; i < n; i++) {
            distinct.add(Float.floatToIntBits(y.getFloat(i)));
        }
        assertTrue(distinct.size() >= Math.min(8, n / 2), what + ": only " + distinct.size() + " distinct output values of " + n);
    }
}
