package io.intbench.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.compiler.testing.QdqModelBuilder.Act;
import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.TensorDesc;
import io.intbench.onnx.OnnxProto.AttributeProto;
import io.intbench.sim.Simulator;
import io.intbench.sim.host.Npy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Operator coverage beyond Conv/Gemm/Add: every op compiled to integer-only code must agree with ONNX
 * Runtime's optimised graph bit for bit ({@code ort} mode, 0 differing elements over every quantized
 * tensor). Real models made by ONNX Runtime's own quantizer (nearest Resize, QLinearConcat of inputs with
 * different scales, QLinearSigmoid, QLinearMul for HardSwish, QLinearLeakyRelu, Tanh, QLinearAveragePool,
 * QLinearSoftmax), and small builder models, one op each (nearest Resize in five coordinate modes,
 * Transpose, Slice with a step, Split, AveragePool with and without pads, Softmax), int8 and uint8.
 */
class OperatorCoverageTest {

    static final long SEED = 20240601L;

    static void assertExact(String what, Golden.Result r) {
        GoldenReport.Totals t = r.report().comparison(Golden.ORT_OPTIMIZED).totals();
        System.out.printf("GOLDEN %-34s ort tensors %3d elements %9d exact %9d%n", what, t.tensors(), t.elements(), t.exact());
        for (GoldenReport.TensorComparison tc : r.report().comparison(Golden.ORT_OPTIMIZED).tensors()) {
            assertTrue(tc.note().isEmpty(), what + ": tensor " + tc.name() + " not compared: " + tc.note());
        }
        assertTrue(t.elements() > 0, what + ": nothing compared");
        assertEquals(t.elements(), t.exact(), () -> what + " must be bit-exact vs ONNX Runtime:\n" + Golden.table(r.report()));
        assertEquals(0, r.report().noFloat().floatOpsBetweenLayers(), what + ": float between layers");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tinyunet.seed.qdq", "tinyunet.u8s8pc.qdq", "tinyunet.u8s8.qop", "hardswish.u8s8.qop"})
    void realModelsAreBitExact(String name) {
        HardwareConfig cfg = HardwareConfig.defaultConfig();
        Path file = GoldenModelsTest.resource("models-ort/" + name + ".onnx");
        Compiler.Result c = Compiler.compile(file, cfg, Compiler.Options.defaults().withMode(RequantMode.ORT));
        List<TensorDesc> ins = Simulator.inputs(c.program());
        HostTensor x = Npy.read(GoldenModelsTest.resource("models-ort/" + name.substring(0, name.indexOf('.')) + ".input.npy"));
        Golden.Result r = Golden.run(c, cfg, Map.of(ins.get(0).onnxName(), x), SEED, 0, 1);
        assertExact(name, r);
    }

    record Config(String name, Function<Long, QdqModelBuilder> recipe) {
        @Override
        public String toString() {
            return name;
        }
    }

    static AttributeProto attr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
    }

    static AttributeProto attr(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name);
        if (v.length == 1 && !name.equals("perm") && !name.equals("kernel_shape") && !name.equals("strides") && !name.equals("pads")) {
            return b.setType(AttributeProto.AttributeType.INT).setI(v[0]).build();
        }
        b.setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    static QdqModelBuilder builder(long seed, DType t) {
        return QdqModelBuilder.create(seed).activationType(t);
    }

    static Act in(QdqModelBuilder b, long... shape) {
        return b.activationType() == DType.UINT8 ? b.input("input", 0.02f, 128, shape) : b.input("input", 0.02f, 0, shape);
    }

    static Config resize(String ctm, String nm, long oh, long ow, DType t) {
        return new Config("resize_" + ctm + "_" + nm + "_" + oh + "x" + ow + "_" + t, s -> {
            QdqModelBuilder b = builder(s, t);
            Act x = in(b, 1, 2, 5, 7);
            String sizes = b.int64Initializer("sizes", 1, 2, oh, ow);
            Act y = b.floatOp(x, "Resize", new long[] {1, 2, oh, ow}, List.of("", "", sizes), 1,
                    attr("mode", "nearest"), attr("coordinate_transformation_mode", ctm), attr("nearest_mode", nm));
            b.output(y, "output");
            return b;
        });
    }

    static List<Config> configs() {
        return List.of(
                resize("asymmetric", "floor", 10, 14, DType.UINT8),
                resize("half_pixel", "round_prefer_floor", 12, 5, DType.INT8),
                resize("pytorch_half_pixel", "round_prefer_ceil", 9, 16, DType.UINT8),
                resize("align_corners", "round_prefer_floor", 11, 3, DType.INT8),
                resize("half_pixel_symmetric", "round_prefer_floor", 8, 9, DType.INT8),
                new Config("transpose_0231_s8", s -> {
                    QdqModelBuilder b = builder(s, DType.INT8);
                    Act x = in(b, 1, 3, 4, 5);
                    b.output(b.floatOp(x, "Transpose", new long[] {1, 4, 5, 3}, attr("perm", 0, 2, 3, 1)), "output");
                    return b;
                }),
                new Config("slice_step2_u8", s -> {
                    QdqModelBuilder b = builder(s, DType.UINT8);
                    Act x = in(b, 1, 4, 9, 9);
                    String st = b.int64Initializer("starts", 1, -8);
                    String en = b.int64Initializer("ends", 4, 9);
                    String ax = b.int64Initializer("axes", 1, 3);
                    String sp = b.int64Initializer("steps", 1, 3);
                    b.output(b.floatOp(x, "Slice", new long[] {1, 3, 9, 3}, List.of(st, en, ax, sp), 1), "output");
                    return b;
                }),
                new Config("split_first_u8", s -> {
                    QdqModelBuilder b = builder(s, DType.UINT8);
                    Act x = in(b, 1, 6, 4, 4);
                    String sp = b.int64Initializer("split", 2, 4);
                    b.output(b.floatOp(x, "Split", new long[] {1, 2, 4, 4}, List.of(sp), 2, attr("axis", 1)), "output");
                    return b;
                }),
                new Config("avgpool_3x3_s2_pads_u8", s -> {
                    QdqModelBuilder b = builder(s, DType.UINT8);
                    Act x = in(b, 1, 3, 9, 9);
                    b.output(b.floatOp(x, "AveragePool", new long[] {1, 3, 5, 5}, attr("kernel_shape", 3, 3),
                            attr("strides", 2, 2), attr("pads", 1, 1, 1, 1)), "output");
                    return b;
                }),
                new Config("avgpool_include_pad_s8", s -> {
                    QdqModelBuilder b = builder(s, DType.INT8);
                    Act x = in(b, 1, 3, 8, 8);
                    b.output(b.floatOp(x, "AveragePool", new long[] {1, 3, 8, 8}, attr("kernel_shape", 3, 3),
                            attr("pads", 1, 1, 1, 1), attr("count_include_pad", 1)), "output");
                    return b;
                }),
                new Config("softmax_last_axis_u8", s -> {
                    QdqModelBuilder b = builder(s, DType.UINT8);
                    Act x = in(b, 4, 10);
                    b.output(b.floatOp(x, "Softmax", new long[] {4, 10}, attr("axis", -1)), "output");
                    return b;
                }),
                new Config("softmax_last_axis_s8", s -> {
                    QdqModelBuilder b = builder(s, DType.INT8);
                    Act x = in(b, 2, 3, 17);
                    b.output(b.floatOp(x, "Softmax", new long[] {2, 3, 17}, attr("axis", -1)), "output");
                    return b;
                }));
    }

    static Stream<Arguments> runs() {
        return configs().stream().flatMap(c -> Stream.of(Arguments.of(c, 1L), Arguments.of(c, 2L)));
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("runs")
    void builderModelsAreBitExact(Config c, long seed) {
        QdqModelBuilder b = c.recipe().apply(seed);
        HardwareConfig cfg = HardwareConfig.defaultConfig();
        Compiler.Result r = Compiler.compile(b.build(), c.name(), cfg, Compiler.Options.defaults().withMode(RequantMode.ORT));
        Golden.Result g = Golden.run(r, cfg, Map.of(b.inputNames().get(0), b.randomInput(seed * 7 + 1)), SEED, 0, 1);
        assertExact(c.name() + " seed " + seed, g);
    }
}
