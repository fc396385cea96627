package io.intbench.sim.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.isa.Descriptor;
import io.intbench.isa.Instruction;
import io.intbench.isa.Requant;
import io.intbench.sim.Executor;
import io.intbench.sim.Kernels;
import io.intbench.sim.audit.fixture.FloatSneak;
import io.intbench.sim.audit.fixture.FloatZoo;
import io.intbench.sim.audit.fixture.IntegerFacade;
import io.intbench.sim.audit.fixture.MethodRefRoute;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The code half of the no-float audit (issue 3, section 3): the compiled classes of the simulator's
 * execution path ({@link Executor}, {@link Kernels}, and the Vector API tiles of intbench-simd they call), of
 * the run-time requantization arithmetic
 * ({@link Requant}) and of instruction and descriptor decoding ({@link Instruction}, {@link Descriptor}),
 * and every io.intbench method they reach, contain no floating-point JVM instruction. The fixtures in
 * {@code audit.fixture} show that the same routine does report float operations, directly, one call
 * away and behind a method reference.
 */
class NoFloatCodeAuditTest {

    @Test
    void theSimulatorsExecutionPathHasNoFloatingPoint() {
        FloatBytecodeAudit.Report r = FloatBytecodeAudit.audit(Executor.class, Kernels.class, Requant.class,
                Instruction.class, Descriptor.class);
        System.out.println(r.summary() + "\n  classes: " + r.auditedMethods().stream()
                .map(m -> m.substring(0, m.lastIndexOf('.', m.indexOf(' ')))).distinct().collect(Collectors.joining(", ")));
        assertEquals("", r.hits().stream().map(Object::toString).collect(Collectors.joining("\n")),
                "floating point on the execution path");
        assertEquals(List.of(), r.unresolved(), "calls the audit could not follow");
        // The walk went beyond the roots into what they call (names from the sources of Executor and Kernels):
        for (String reached : List.of(
                "io.intbench.isa.Program.code ()Ljava/util/List;",                        // Executor.step
                "io.intbench.isa.Descriptor$Kind.of (Lio/intbench/isa/Descriptor;)Lio/intbench/isa/Descriptor$Kind;",
                "io.intbench.isa.IntbenchException$SimulationTrap.<init> (Ljava/lang/String;)V",
                "io.intbench.isa.IntbenchException.<init> (Ljava/lang/String;)V",           // its super constructor
                "io.intbench.isa.Descriptor$ConvDesc.kH ()I",                              // Kernels.conv
                "io.intbench.isa.Requant.ortRequantize (IIIIII)I",                          // Kernels.requant
                "io.intbench.isa.Opcode.<clinit> ()V",                                      // the opcode table
                "io.intbench.sim.Executor$1.<clinit> ()V",                                  // the switch map
                "io.intbench.simd.IntGemm.tile4 ([I[II[IIIIIIII[III)V",                     // the Vector API tiles
                "io.intbench.simd.IntGemm.tile1 ([I[II[IIII[II)V",
                "io.intbench.simd.IntGemm.requantRow ([III[BIIIJIII)Z")) {
            assertTrue(r.auditedMethods().contains(reached), "the audit did not reach " + reached);
        }
        // Executor, its switch map, Kernels, Requant, Instruction, Descriptor, its Kind and six records at least
        assertTrue(r.classes() >= 13, r.summary());
        assertTrue(r.instructions() > 1000, r.summary());
    }

    @Test
    void theInjectedFloatMultiplyIsReportedWithItsLine() throws IOException {
        FloatBytecodeAudit.Report r = FloatBytecodeAudit.audit(FloatSneak.class);
        System.out.println(r.summary() + "\n  " + r.hits().stream().map(Object::toString).collect(Collectors.joining("\n  ")));
        int line = markerLine("fixture/FloatSneak.java", "FLOAT-MULTIPLY-HERE");
        String where = "io.intbench.sim.audit.fixture.FloatSneak.requantize";
        assertTrue(r.hits().contains(new FloatBytecodeAudit.Hit(where, "FMUL", line, null)), r.hits().toString());
        // (int) (acc * 0.25f): int to float, the float constant, the multiply, float to int; nothing else
        assertEquals(List.of(where + ":I2F (line " + line + ")", where + ":LDC float constant 0.25 (line " + line + ")",
                where + ":FMUL (line " + line + ")", where + ":F2I (line " + line + ")"),
                r.hits().stream().map(Object::toString).toList());
    }

    @Test
    void aFloatOneCallAwayIsReported() {
        FloatBytecodeAudit.Report r = FloatBytecodeAudit.audit(IntegerFacade.class);
        assertTrue(r.hits().stream().anyMatch(h -> h.where().equals("io.intbench.sim.audit.fixture.FloatSneak.requantize")
                && h.what().equals("FMUL") && "io.intbench.sim.audit.fixture.IntegerFacade.layer".equals(h.reachedFrom())),
                r.hits().toString());
    }

    @Test
    void aFloatBehindAMethodReferenceIsReported() {
        FloatBytecodeAudit.Report r = FloatBytecodeAudit.audit(MethodRefRoute.class);
        assertTrue(r.hits().stream().anyMatch(h -> h.where().equals("io.intbench.sim.audit.fixture.FloatSneak.requantize")
                && h.what().equals("FMUL")), r.hits().toString());
    }

    @Test
    void floatCallsConstantsFieldsAndDescriptorsAreReported() {
        FloatBytecodeAudit.Report r = FloatBytecodeAudit.audit(FloatZoo.class);
        String hits = r.hits().stream().map(Object::toString).collect(Collectors.joining("\n"));
        String zoo = "io.intbench.sim.audit.fixture.FloatZoo.";
        for (String expected : List.of(
                zoo + "rintCall:INVOKESTATIC java/lang/Math.rint(D)D",
                zoo + "rintCall:L2D",
                zoo + "floatBits:INVOKESTATIC java/lang/Float.floatToRawIntBits(F)I",
                zoo + "above:LDC double constant 0.5",
                zoo + "above:DCMPL",
                zoo + "scaled:descriptor (IF)I",
                zoo + "scaled:FLOAD 1",
                zoo + "scaled:GETSTATIC io/intbench/sim/audit/fixture/FloatZoo.gain F",
                zoo + "gain:field of type float")) {
            assertTrue(hits.contains(expected), "missing " + expected + " in\n" + hits);
        }
    }

    /** 1-based line of the fixture source line holding {@code marker}: an independent record of where the float is. */
    private static int markerLine(String file, String marker) throws IOException {
        Path src = Path.of("src/test/java/io/intbench/sim/audit").resolve(file);
        List<String> lines = Files.readAllLines(src);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(marker)) {
                return i + 1;
            }
        }
        throw new AssertionError(marker + " not found in " + src);
    }
}
