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
}
