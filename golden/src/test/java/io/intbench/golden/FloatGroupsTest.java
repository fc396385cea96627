package io.intbench.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.compiler.qir.QOp;
import io.intbench.compiler.quant.OrtFloat;
import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.TensorDesc;
import io.intbench.onnx.OnnxProto;
import io.intbench.sim.Simulator;
import io.intbench.sim.host.Npy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.compiler.testing.QdqModelBuilder.Act;
import java.util.function.Function;
import static io.intbench.golden.OperatorCoverageTest.attr;

/**
 * Groups ONNX Runtime leaves in float between a DequantizeLinear and a QuantizeLinear, reproduced bit for bit
 * with integer-only run-time code: the QDQ hardswish models' {@code DQ -> Tanh -> AveragePool -> Q} chain (ORT's
 * MLAS tanh as a compile-time table of float32 bits, MlasPool's summation order emulated with SoftFloat32), and
 * int8 QDQ Adds and pools that ORT's x86 int8-to-uint8 rewrite leaves unfused (FUZZ-4). The reference is always
 * the real ONNX Runtime.
 */
class FloatGroupsTest {

    /** A float model with one node {@code op} over a {@code [1, n]} float input. */
    static byte[] unaryFloatModel(String op, int n) {
        OnnxProto.TypeProto type = OnnxProto.TypeProto.newBuilder().setTensorType(OnnxProto.TypeProto.Tensor.newBuilder()
                .setElemType(DType.FLOAT32.onnxCode()).setShape(OnnxProto.TensorShapeProto.newBuilder()
                        .addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(1))
                        .addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(n)))).build();
        OnnxProto.GraphProto g = OnnxProto.GraphProto.newBuilder().setName("unary")
                .addNode(OnnxProto.NodeProto.newBuilder().setOpType(op).setName(op).addInput("x").addOutput("y"))
                .addInput(OnnxProto.ValueInfoProto.newBuilder().setName("x").setType(type))
                .addOutput(OnnxProto.ValueInfoProto.newBuilder().setName("y").setType(type)).build();
        return OnnxProto.ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).build().toByteArray();
    }

    /**
     * {@link OrtFloat#tanh} equals ONNX Runtime's float Tanh bit for bit: on the 256 dequantized codes of both
     * hardswish QDQ models' Tanh inputs (read from the compiled models), and on 20,001 points across [-10, 10]
     * (covering the clamp at ±9). libm's tanh, rounded to float32, differs on some of them (checked too, so the
     * test would notice if ORT's kernel were libm).
     */
    @Test
    void mlasTanhMatchesOrtBitForBit() {
        List<Float> xs = new ArrayList<>();
        for (String m : List.of("hardswish.seed.qdq", "hardswish.u8s8pc.qdq")) {
            Compiler.Result c = compile(GoldenModelsTest.resource("models-ort/" + m + ".onnx"));
            QOp.AvgPool ap = c.qmodel().ops().stream().filter(o -> o instanceof QOp.AvgPool).map(o -> (QOp.AvgPool) o)
                    .findFirst().orElseThrow();
            assertEquals("Tanh", ap.function(), m + ": the pooling reads Tanh of its dequantized input");
            for (int i = 0; i < 256; i++) {
                int q = ap.in().type() == DType.INT8 ? (byte) i : i;
                xs.add((float) (q - ap.in().zeroPoint()) * ap.in().scale());
            }
        }
        for (int i = -10000; i <= 10000; i++) {
            xs.add(i / 1000f);
        }
        float[] x = new float[xs.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = xs.get(i);
        }
        float[] ort;
        try (OrtRunner r = OrtRunner.open(unaryFloatModel("Tanh", x.length), true, 1)) {
            ort = r.run(Map.of("x", HostTensor.ofFloats(new long[] {1, x.length}, x))).get("y").toFloatArray();
        }
        int libmDiffers = 0;
        for (int i = 0; i < x.length; i++) {
            int expected = Float.floatToRawIntBits(ort[i]);
            assertEquals(expected, Float.floatToRawIntBits(OrtFloat.tanh(x[i])), "tanh(" + x[i] + ")");
            libmDiffers += Float.floatToRawIntBits((float) Math.tanh(x[i])) != expected ? 1 : 0;
        }
        assertTrue(libmDiffers > 0, "ORT's tanh should not be libm's (else the MLAS model is untested)");
    }

    static Compiler.Result compile(Path file) {
        return Compiler.compile(file, HardwareConfig.defaultConfig(), Compiler.Options.defaults().withMode(RequantMode.ORT));
    }

    /** The QDQ hardswish models, whose Tanh -> AveragePool ORT runs in float, agree with ORT on every element. */
    @ParameterizedTest
    @ValueSource(strings = {"hardswish.seed.qdq", "hardswish.u8s8pc.qdq"})
    void hardswishQdqIsBitExact(String name) {
        Compiler.Result c = compile(GoldenModelsTest.resource("models-ort/" + name + ".onnx"));
        List<TensorDesc> ins = Simulator.inputs(c.program());
        HostTensor x = Npy.read(GoldenModelsTest.resource("models-ort/hardswish.input.npy"));
        Golden.Result r = Golden.run(c, HardwareConfig.defaultConfig(), Map.of(ins.get(0).onnxName(), x), 1, 0, 1);
        OperatorCoverageTest.assertExact(name, r);
        assertTrue(r.report().noFloat().softFloatInstructions() > 0, "the float pooling is emulated, and counted");
    }

    /**
     * The FUZZ-4 models (fuzz/failures): int8 QDQ graphs where ORT leaves Adds and a GlobalAveragePool in float;
     * bit-exact, and the compiler's decision for each Add and pool is what ORT's optimised graph shows.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fuzz-4-int8-add-unfused", "fuzz-4b-int8-broadcast-add", "fuzz-1-int8-add", "fuzz-3-scalar-first-add"})
    void unfusedInt8GroupsAreBitExactAndPredicted(String name) {
        Compiler.Result c = compile(GoldenModelsTest.resource("fuzz/failures/" + name + ".onnx"));
        List<TensorDesc> ins = Simulator.inputs(c.program());
        HostTensor x = Npy.read(GoldenModelsTest.resource("fuzz/failures/" + name + ".input.npy"));
        OperatorCoverageTest.assertExact(name, Golden.run(c, HardwareConfig.defaultConfig(), Map.of(ins.get(0).onnxName(), x), 1, 0, 1));
        Map<String, String> ort = Explain.ortProducers(c.model());
        int checked = 0;
        for (QOp op : c.qmodel().ops()) {
            String ortOp = ort.get("node:" + op.name());
            if (op instanceof QOp.Add a) {
                assertEquals(a.kernel() == QOp.Add.Kernel.FLOAT ? "Add" : "QLinearAdd", ortOp, name + ": " + op.name());
                checked++;
            } else if (op instanceof QOp.AvgPool ap && ap.floatPool()) {
                assertTrue(ortOp.endsWith("AveragePool") && !ortOp.startsWith("QLinear"), name + ": " + op.name() + " is " + ortOp);
                checked++;
            } else if (op instanceof QOp.GlobalAvgPool) {
                assertEquals("QLinearGlobalAveragePool", ortOp, name + ": " + op.name());
                checked++;
            }
        }
        assertTrue(checked > 0, name + ": no Add or pooling checked");
    }

    record Case(String name, Function<Long, QdqModelBuilder> recipe) {
        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * An int8 model input read by two nodes stays int8 in ORT (its Q has two consumer edges), while a pooling's
     * single-consumer output becomes uint8: ORT then runs the pooling in float, each in MlasPool's kernel for
     * its geometry (the vector kernel for strides up to 2, the generic one for stride 3, the global one).
     */
    static Case int8FanOutPools(String name, int[] kernel, int[] strides, int[] pads, long h, long w) {
        return new Case(name, seed -> {
            QdqModelBuilder b = QdqModelBuilder.create(seed).activationType(DType.INT8);
            Act x = b.input("input", 0.05f, 3, 1, 5, h, w);
            long oh = (h + pads[0] + pads[2] - kernel[0]) / strides[0] + 1;
            long ow = (w + pads[1] + pads[3] - kernel[1]) / strides[1] + 1;
            b.output(b.floatOp(x, "AveragePool", new long[] {1, 5, oh, ow}, attr("kernel_shape", kernel[0], kernel[1]),
                    attr("strides", strides[0], strides[1]), attr("pads", pads[0], pads[1], pads[2], pads[3])), "pooled");
            b.output(b.globalAveragePool(x), "global");
            return b;
        });
    }

    /** ReduceMean over H and W, which ORT always runs in float (Eigen's vectorised sum), at plane sizes of every residue mod 4 and 8. */
    static Case reduceMean(String name, DType t, long h, long w) {
        return new Case(name, seed -> {
            QdqModelBuilder b = QdqModelBuilder.create(seed).activationType(t);
            Act x = t == DType.UINT8 ? b.input("input", 0.03f, 120, 1, 9, h, w) : b.input("input", 0.03f, -7, 1, 9, h, w);
            b.output(b.floatOp(x, "ReduceMean", new long[] {1, 9, 1, 1}, attr("axes", 2, 3), attr("keepdims", 1)), "output");
            return b;
        });
    }

    static List<Case> cases() {
        return List.of(
                int8FanOutPools("int8_fanout_avgpool_3x3_s2_pads", new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1, 1, 1}, 11, 13),
                int8FanOutPools("int8_fanout_avgpool_2x2_s1", new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, 6, 9),
                int8FanOutPools("int8_fanout_avgpool_3x3_s3", new int[] {3, 3}, new int[] {3, 3}, new int[] {0, 0, 0, 0}, 9, 12),
                reduceMean("reducemean_7x7_u8", DType.UINT8, 7, 7),
                reduceMean("reducemean_5x6_u8", DType.UINT8, 5, 6),
                reduceMean("reducemean_3x3_s8", DType.INT8, 3, 3),
                reduceMean("reducemean_9x13_s8", DType.INT8, 9, 13));
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> runs() {
        return cases().stream().flatMap(c -> java.util.stream.Stream.of(org.junit.jupiter.params.provider.Arguments.of(c, 1L),
                org.junit.jupiter.params.provider.Arguments.of(c, 2L), org.junit.jupiter.params.provider.Arguments.of(c, 3L)));
    }

    /** Builder models whose pooling ORT runs in float: bit-exact, and the pooling was compiled as ORT's float pooling. */
    @ParameterizedTest(name = "{0} seed {1}")
    @org.junit.jupiter.params.provider.MethodSource("runs")
    void floatPoolingIsBitExact(Case c, long seed) {
        QdqModelBuilder b = c.recipe().apply(seed);
        HardwareConfig cfg = HardwareConfig.defaultConfig();
        Compiler.Result r = Compiler.compile(b.build(), c.name(), cfg, Compiler.Options.defaults().withMode(RequantMode.ORT));
        assertTrue(r.qmodel().ops().stream().anyMatch(o -> o instanceof QOp.AvgPool ap && ap.floatPool()),
                c.name() + ": expected a float pooling");
        OperatorCoverageTest.assertExact(c.name() + " seed " + seed,
                Golden.run(r, cfg, Map.of(b.inputNames().get(0), b.randomInput(seed * 7 + 1)), 1, 0, 1));
    }

    static OnnxProto.TypeProto floatType(long... shape) {
        OnnxProto.TensorShapeProto.Builder sb = OnnxProto.TensorShapeProto.newBuilder();
        for (long d : shape) {
            sb.addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return OnnxProto.TypeProto.newBuilder().setTensorType(OnnxProto.TypeProto.Tensor.newBuilder()
                .setElemType(DType.FLOAT32.onnxCode()).setShape(sb)).build();
    }

    /** A float model with one node {@code op(x) -> y}. */
    static byte[] floatModel(String op, long[] in, long[] out, OnnxProto.AttributeProto... attrs) {
        OnnxProto.NodeProto.Builder n = OnnxProto.NodeProto.newBuilder().setOpType(op).setName(op).addInput("x").addOutput("y");
        for (OnnxProto.AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        OnnxProto.GraphProto g = OnnxProto.GraphProto.newBuilder().setName("pool").addNode(n)
                .addInput(OnnxProto.ValueInfoProto.newBuilder().setName("x").setType(floatType(in)))
                .addOutput(OnnxProto.ValueInfoProto.newBuilder().setName("y").setType(floatType(out))).build();
        return OnnxProto.ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).build().toByteArray();
    }

    /**
     * Each summation order the AVGPOOL instruction emulates equals, bit for bit, ONNX Runtime's float kernel it stands
     * for, on random floats (where the order matters): ReduceMean over H and W (Eigen's packet sum, with the plane's
     * alignment), AveragePool with strides 2 and pads (MlasPool's vector kernel), with stride 3 (its generic kernel),
     * and GlobalAveragePool (its global kernel). Each order is also shown to matter: row-major summation would have
     * differed from ORT somewhere.
     */
    @Test
    void summationOrdersMatchOrtFloatKernels() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        record Geo(String op, long c, long h, long w, int k, int stride, int pad, int order) { }
        List<Geo> geos = List.of(new Geo("ReduceMean", 64, 7, 7, 7, 1, 0, io.intbench.isa.Descriptor.SUM_EIGEN_PACKETS),
                new Geo("ReduceMean", 37, 5, 6, 0, 1, 0, io.intbench.isa.Descriptor.SUM_EIGEN_PACKETS),
                new Geo("ReduceMean", 16, 3, 3, 0, 1, 0, io.intbench.isa.Descriptor.SUM_EIGEN_PACKETS),
                new Geo("ReduceMean", 16, 9, 13, 0, 1, 0, io.intbench.isa.Descriptor.SUM_EIGEN_PACKETS),
                // pooling channel counts that are not multiples of 8: with 8 or 16 channels per block, ORT's level-3
                // NchwcTransformer would replace the float pooling by its NCHWc kernel, which is not emulated (README)
                new Geo("AveragePool", 13, 11, 13, 3, 2, 1, io.intbench.isa.Descriptor.SUM_COLUMNS_FIRST),
                new Geo("AveragePool", 11, 12, 12, 4, 1, 0, io.intbench.isa.Descriptor.SUM_COLUMNS_FIRST),
                new Geo("AveragePool", 9, 9, 12, 3, 3, 0, io.intbench.isa.Descriptor.SUM_ROW_MAJOR),
                new Geo("GlobalAveragePool", 7, 7, 9, 0, 1, 0, io.intbench.isa.Descriptor.SUM_FOUR_LANES));
        int orderMatters = 0;
        for (Geo g : geos) {
            boolean global = !g.op().equals("AveragePool");
            int kh = global ? (int) g.h() : g.k();
            int kw = global ? (int) g.w() : g.k();
            long oh = global ? 1 : (g.h() + 2L * g.pad() - kh) / g.stride() + 1;
            long ow = global ? 1 : (g.w() + 2L * g.pad() - kw) / g.stride() + 1;
            float[] x = new float[(int) (g.c() * g.h() * g.w())];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * Math.exp(3 * rnd.nextDouble()));
            }
            byte[] model = switch (g.op()) {
                case "ReduceMean" -> floatModel("ReduceMean", new long[] {1, g.c(), g.h(), g.w()}, new long[] {1, g.c(), 1, 1},
                        attr("axes", 2, 3), attr("keepdims", 1));
                case "AveragePool" -> floatModel("AveragePool", new long[] {1, g.c(), g.h(), g.w()}, new long[] {1, g.c(), oh, ow},
                        attr("kernel_shape", kh, kw), attr("strides", g.stride(), g.stride()),
                        attr("pads", g.pad(), g.pad(), g.pad(), g.pad()));
                default -> floatModel(g.op(), new long[] {1, g.c(), g.h(), g.w()}, new long[] {1, g.c(), 1, 1});
            };
            float[] ort;
            try (OrtRunner r = OrtRunner.open(model, true, 1)) {
                ort = r.run(Map.of("x", HostTensor.ofFloats(new long[] {1, g.c(), g.h(), g.w()}, x))).get("y").toFloatArray();
            }
            int hw = (int) (g.h() * g.w());
            int o = 0;
            for (int ch = 0; ch < g.c(); ch++) {
                int[] plane = new int[hw];
                for (int i = 0; i < hw; i++) {
                    plane[i] = Float.floatToRawIntBits(x[ch * hw + i]);
                }
                for (int y = 0; y < oh; y++) {
                    for (int xo = 0; xo < ow; xo++, o++) {
                        int hs = y * g.stride() - g.pad();
                        int ws = xo * g.stride() - g.pad();
                        int he = Math.min(hs + kh, (int) g.h());
                        int we = Math.min(ws + kw, (int) g.w());
                        hs = Math.max(hs, 0);
                        ws = Math.max(ws, 0);
                        int count = io.intbench.sim.SoftFloat32.fromInt((long) (he - hs) * (we - ws));
                        int mine = io.intbench.sim.SoftFloat32.div(
                                io.intbench.sim.Kernels.windowSum(g.order(), plane, (int) g.w(), hs, he, ws, we, ch * hw), count);
                        assertEquals(Float.floatToRawIntBits(ort[o]), mine, g + " channel " + ch + " output " + y + "," + xo);
                        int rowMajor = io.intbench.sim.SoftFloat32.div(io.intbench.sim.Kernels.windowSum(
                                io.intbench.isa.Descriptor.SUM_ROW_MAJOR, plane, (int) g.w(), hs, he, ws, we, ch * hw), count);
                        orderMatters += rowMajor != mine ? 1 : 0;
                    }
                }
            }
        }
        assertTrue(orderMatters > 0, "row-major summation never differed: the test would not notice a wrong order");
    }

    static OnnxProto.TensorProto scalar(String name, DType t, float v) {
        OnnxProto.TensorProto.Builder b = OnnxProto.TensorProto.newBuilder().setName(name).setDataType(t.onnxCode());
        return (t == DType.FLOAT32 ? b.addFloatData(v) : b.addInt32Data((int) v)).build();
    }

    /** {@code Q(x) -> DQ -> Tanh -> Add(., DQ) -> Q -> DQ}: a unary float op before a float Add, no Q between them. */
    static OnnxProto.ModelProto tanhAddModel(DType t) {
        boolean u8 = t == DType.UINT8;
        long[] shape = {1, 3, 16, 16};
        OnnxProto.GraphProto.Builder g = OnnxProto.GraphProto.newBuilder().setName("tanh_add")
                .addInitializer(scalar("s", DType.FLOAT32, 0.02f)).addInitializer(scalar("z", t, u8 ? 128 : 0))
                .addInitializer(scalar("s2", DType.FLOAT32, 0.03f)).addInitializer(scalar("z2", t, u8 ? 120 : -8))
                .addInput(OnnxProto.ValueInfoProto.newBuilder().setName("x").setType(floatType(shape)))
                .addOutput(OnnxProto.ValueInfoProto.newBuilder().setName("y").setType(floatType(shape)));
        String[][] nodes = {{"QuantizeLinear", "x", "s", "z", "xq"}, {"DequantizeLinear", "xq", "s", "z", "xd"},
            {"Tanh", "xd", "t"}, {"Add", "t", "xd", "a"}, {"QuantizeLinear", "a", "s2", "z2", "aq"},
            {"DequantizeLinear", "aq", "s2", "z2", "y"}};
        for (String[] n : nodes) {
            OnnxProto.NodeProto.Builder nb = OnnxProto.NodeProto.newBuilder().setOpType(n[0]).setName(n[0] + "_" + n[n.length - 1]);
            for (int i = 1; i < n.length - 1; i++) {
                nb.addInput(n[i]);
            }
            g.addNode(nb.addOutput(n[n.length - 1]));
        }
        return OnnxProto.ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).build();
    }

    /** A unary float op feeding a float Add (no Q between them) becomes one 256 x 256 table, bit-exact with ORT. */
    @ParameterizedTest
    @ValueSource(strings = {"UINT8", "INT8"})
    void unaryThenFloatAddIsBitExact(String type) {
        HardwareConfig cfg = HardwareConfig.defaultConfig();
        Compiler.Result c = Compiler.compile(tanhAddModel(DType.valueOf(type)), "tanh_add_" + type, cfg,
                Compiler.Options.defaults().withMode(RequantMode.ORT));
        QOp.Add add = c.qmodel().ops().stream().filter(o -> o instanceof QOp.Add).map(o -> (QOp.Add) o).findFirst().orElseThrow();
        assertEquals("Tanh", add.functionA());
        assertEquals(QOp.Add.Kernel.FLOAT, add.kernel());
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        float[] x = new float[768];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 5.2 - 2.6);
        }
        OperatorCoverageTest.assertExact("tanh_add_" + type,
                Golden.run(c, cfg, Map.of("x", HostTensor.ofFloats(new long[] {1, 3, 16, 16}, x)), 1, 0, 1));
    }

    /**
     * ShuffleNetV2 (ONNX Model Zoo, QDQ): its float ReduceMean (Eigen's order) and its classifier bias, a float Add
     * after the last DequantizeLinear run as a host epilogue; every quantized tensor and the 1,000 float outputs
     * after the epilogue are bit-identical to ONNX Runtime's.
     */
    @Test
    void shuffleNetIsBitExactIncludingItsFloatEpilogue() {
        Compiler.Result c = compile(GoldenModelsTest.resource("models-found/shufflenet-v2-12-qdq.onnx"));
        assertTrue(c.qmodel().ops().stream().anyMatch(o -> o instanceof QOp.AvgPool ap
                && ap.sumOrder() == io.intbench.isa.Descriptor.SUM_EIGEN_PACKETS), "ReduceMean compiled as Eigen's float sum");
        assertEquals(1000, c.qmodel().outputs().get(0).epilogueBias().length, "the Gemm bias is the host epilogue");
        Golden.Result r = Golden.run(c, HardwareConfig.defaultConfig(), null, 7, 0, 1);
        OperatorCoverageTest.assertExact("shufflenet-v2-12-qdq", r);
        GoldenReport.TensorComparison out = r.report().comparison(Golden.ORT_OPTIMIZED).tensors().stream()
                .filter(t -> t.name().equals("output")).findFirst().orElseThrow();
        assertEquals("float32", out.dtype());
        assertEquals(1000, out.exact(), "float outputs after the epilogue, bit for bit");
    }
}
