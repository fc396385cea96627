package io.intbench.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.isa.DType;
import io.intbench.isa.Descriptor;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Instruction;
import io.intbench.isa.Opcode;
import io.intbench.isa.Program;
import io.intbench.isa.TensorDesc;
import io.intbench.isa.Unit;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The program half of the no-float audit on programs compiled from the ONNX Runtime-quantized fixtures
 * (both requantization modes), on hand-made programs whose counts are worked out by hand, and on a
 * hand-made program with a float32 tensor between layers, which must be reported by name.
 */
class ProgramAuditTest {

    /**
     * Activation type of each fixture, from models-ort/PROVENANCE.md (how ONNX Runtime's quantize_static
     * was called), not from the compiler: the seed model has int8 activations, u8s8pc uint8 activations.
     */
    static final Map<String, String> ACTIVATION_TYPE = Map.of(
            "lenet.seed.qdq.onnx", "int8",
            "lenet.u8s8pc.qdq.onnx", "uint8",
            "tinyunet.seed.qdq.onnx", "int8",
            "tinyunet.u8s8pc.qdq.onnx", "uint8",
            "tinyunet.u8s8.qop.onnx", "uint8",
            "hardswish.u8s8.qop.onnx", "uint8",
            "hardswish.seed.qdq.onnx", "int8",
            "hardswish.u8s8pc.qdq.onnx", "uint8");

    static Stream<Arguments> models() throws IOException, URISyntaxException {
        Path dir = Path.of(ProgramAuditTest.class.getResource("/models-ort").toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(f -> f.getFileName().toString().endsWith(".onnx")).sorted().toList();
        }
        assertTrue(files.size() >= 2, "models-ort fixtures missing in " + dir);
        return files.stream().flatMap(f -> Stream.of(Arguments.of(f, RequantMode.ORT), Arguments.of(f, RequantMode.FIXED_POINT)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("models")
    void compiledFixturesAreIntegerBetweenLayers(Path model, RequantMode mode) {
        Program p = Compiler.compile(model, HardwareConfig.defaultConfig(), Compiler.Options.defaults().withMode(mode)).program();
        ProgramAudit.Result r = ProgramAudit.audit(p);
        System.out.printf("program audit %s (%s): %d instructions %s, %d descriptor fields, %d image bytes, %d tensors; "
                        + "types %s; %d violations%n", model.getFileName(), mode, r.instructionsAudited(), r.instructionsPerUnit(),
                r.descriptorFieldsAudited(), r.imageBytesAudited(), r.tensorsAudited(), r.interLayerTensorTypes(),
                r.floatOpsBetweenLayers());

        assertEquals(List.of(), r.violations());
        assertEquals(0, r.floatOpsBetweenLayers());
        String expected = ACTIVATION_TYPE.get(model.getFileName().toString());
        assertTrue(expected != null, "add the activation type of " + model.getFileName() + " (from PROVENANCE.md) to ACTIVATION_TYPE");
        assertEquals(List.of(expected), r.interLayerTensorTypes());
        assertEquals(0, r.noFloat().floatOpsBetweenLayers());
        assertEquals(List.of(expected), r.noFloat().interLayerTensorTypes());

        assertEquals(p.code().size(), r.instructionsAudited());
        if (!model.getFileName().toString().startsWith("lenet")) {
            return;  // the counts below were worked out by hand for LeNet
        }
        // LeNet (PROVENANCE.md): two Conv and three Gemm run on the array, two MaxPool on the vector unit
        // (quantize_static folds each Relu into the Q after its Conv/Gemm, so no LUT layer); the tiles of
        // tiled layers (TILE on the array, VTILE on the vector unit) come on top
        long tiles = p.code().stream().filter(i -> i.op() == io.intbench.isa.Opcode.TILE).count();
        long vtiles = p.code().stream().filter(i -> i.op() == io.intbench.isa.Opcode.VTILE).count();
        assertEquals(5 + tiles, (long) r.instructionsPerUnit().get(Unit.ARRAY));
        assertEquals(2 + vtiles, (long) r.instructionsPerUnit().get(Unit.VECTOR));
        assertEquals(p.code().size(), r.instructionsAudited());
        assertEquals(r.instructionsAudited(), r.instructionsPerUnit().values().stream().mapToInt(Integer::intValue).sum());
        // fields per descriptor, counted by hand in Descriptor.java: ConvDesc 28, MatMulDesc 14, PoolDesc 15
        assertEquals(2 * 28 + 3 * 14 + 2 * 15, r.descriptorFieldsAudited());
        // int8 weights alone: 6*1*5*5 + 16*6*5*5 + 120*256 + 84*120 + 10*84 bytes
        assertTrue(r.imageBytesAudited() >= 150 + 2400 + 30720 + 10080 + 840, String.valueOf(r.imageBytesAudited()));
        assertEquals(p.image().length, r.imageBytesAudited());
        // the input and the outputs of 2 Conv, 2 MaxPool and 3 Gemm (Flatten shares its input's storage)
        assertEquals(1 + 7, r.tensorsAudited());
    }

    /** {@code x (uint8) -> LUT -> int8 -> LUT -> uint8}: every count worked out by hand. */
    @Test
    void countsOfAHandMadeProgram() {
        int image = 256;                                  // one 256-entry table at address 0
        int x = 256;
        int mid = 264;
        int y = 272;
        List<Instruction> code = List.of(
                Instruction.of(Opcode.LOAD, 0, x, 8, 0),
                Instruction.withDesc(Opcode.LUT, 0, 0, x, 0, mid),
                Instruction.withDesc(Opcode.LUT, 0, 1, mid, 0, y),
                Instruction.of(Opcode.STORE, 0, y, 8, 0),
                Instruction.of(Opcode.HALT, 0, 0, 0, 0));
        List<Descriptor> descs = List.of(new Descriptor.LutDesc(8, 0, 1), new Descriptor.LutDesc(8, 0, 0));
        Program p = program(code, descs, image, List.of(
                tensor("x", TensorDesc.Role.INPUT, DType.UINT8, x),
                tensor("y", TensorDesc.Role.OUTPUT, DType.UINT8, y)));

        ProgramAudit.Result r = ProgramAudit.audit(p);
        assertEquals(List.of(), r.violations());
        assertEquals(5, r.instructionsAudited());
        assertEquals(Map.of(Unit.LOAD, 1, Unit.VECTOR, 2, Unit.STORE, 1, Unit.CONTROL, 1), r.instructionsPerUnit());
        assertEquals(2 * 3, r.descriptorFieldsAudited());    // LutDesc(n, tableAddr, outSigned)
        assertEquals(256, r.imageBytesAudited());
        assertEquals(3, r.tensorsAudited());                 // x, mid, y
        assertEquals(List.of("int8", "uint8"), r.interLayerTensorTypes());   // mid is int8 (outSigned = 1)
    }

    @Test
    void aFloat32ProbeBetweenLayersIsAViolationNamingTheTensor() {
        List<Instruction> code = List.of(Instruction.withDesc(Opcode.LUT, 0, 0, 64, 0, 72), Instruction.of(Opcode.HALT, 0, 0, 0, 0));
        Program p = program(code, List.of(new Descriptor.LutDesc(8, 0, 0)), 64, List.of(
                tensor("x", TensorDesc.Role.INPUT, DType.UINT8, 64),
                tensor("conv1_dequantized", TensorDesc.Role.PROBE, DType.FLOAT32, 80),
                tensor("y", TensorDesc.Role.OUTPUT, DType.UINT8, 72)));

        ProgramAudit.Result r = ProgramAudit.audit(p);
        assertEquals(1, r.floatOpsBetweenLayers(), r.violations().toString());
        assertEquals(1, r.violations().size());
        assertTrue(r.violations().get(0).contains("'conv1_dequantized'") && r.violations().get(0).contains("float32"),
                r.violations().get(0));
        assertEquals(List.of("float32", "uint8"), r.interLayerTensorTypes());
        assertEquals(new GoldenReport.NoFloat(1, List.of("float32", "uint8")), r.noFloat());
    }

    /** A record with a float component, standing for a descriptor someone might add. */
    record ScaledLutDesc(int n, int tableAddr, float scale) { }

    @Test
    void aFloatRecordFieldIsFound() {
        assertEquals(List.of("scale: float"), ProgramAudit.nonIntComponents(ScaledLutDesc.class));
        for (Class<?> kind : Descriptor.class.getPermittedSubclasses()) {
            assertEquals(List.of(), ProgramAudit.nonIntComponents(kind), kind.getName());
        }
        assertEquals(List.of("op: " + Opcode.class.getName()), ProgramAudit.nonIntComponents(Instruction.class));
        assertTrue(Opcode.values().length > 0 && Stream.of(Opcode.values()).allMatch(ProgramAudit::integerOnly));
    }

    private static TensorDesc tensor(String name, TensorDesc.Role role, DType t, int addr) {
        return new TensorDesc(name, "", role, t, new long[] {1, 8}, addr, new float[] {0.5f}, new int[] {0}, -1);
    }

    private static Program program(List<Instruction> code, List<Descriptor> descs, int imageBytes, List<TensorDesc> tensors) {
        return new Program("test", 0, Descriptor.REQUANT_ORT, "hand-made", code, descs, 512, new byte[imageBytes], tensors,
                List.of(), new int[code.size()]);
    }
}
