package io.intbench.golden;

import io.intbench.compiler.Compiler;
import io.intbench.isa.HardwareConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AMD's RetinaFace (Vitis AI QDQ, int8, power-of-two scales; ../shared/models-found/amd-ryzenai-sw-retinaface/):
 * Conv -> LeakyRelu -> Q groups, Relus whose zero point is not qmin, 8-bit fake-quantized biases and detection
 * heads (Conv -> Transpose -> Reshape -> Concat -> Q) that ONNX Runtime all computes in float. The compiler must
 * predict exactly those groups (checked against ORT's optimised graph) and golden must pass. 10 to 30 s, so it
 * runs only in the {@code retinaface} Maven profile, which sets {@code intbench.retinaface} to the model's path.
 */
@EnabledIfSystemProperty(named = "intbench.retinaface", matches = ".+",
        disabledReason = "needs the RetinaFace model outside the repository: run with -Pretinaface")
class RetinaFaceGoldenTest {

    @Test
    void passesGoldenWithItsFloatGroupsPredicted() {
        Path model = Path.of(System.getProperty("intbench.retinaface"));
        assertTrue(Files.isRegularFile(model), "RetinaFace model not found at " + model);
        HardwareConfig cfg = HardwareConfig.defaultConfig();
        Compiler.Result c = Compiler.compile(model, cfg, Compiler.Options.defaults());
        assertTrue(Explain.floatInOrtDisagreements(c).isEmpty(), () -> Explain.floatInOrtDisagreements(c).toString());
        Golden.Result r = Golden.run(c, cfg, null, 0, 0, 1);
        GoldenReport.Totals t = r.report().comparison(Golden.ORT_OPTIMIZED).totals();
        System.out.printf("RETINAFACE tensors %d elements %d exact %d; float in ORT: %d tensors, %d elements, %d differ%n",
                t.tensors(), t.elements(), t.exact(), t.floatInOrtTensors(), t.floatInOrtElements(), t.floatInOrtMismatches());
        // the model's 50 activation QuantizeLinear nodes less the host-quantized input
        assertEquals(49, t.tensors());
        // every LeakyRelu group, every Relu with zero point 0 in int8, the SSH and detection-head Concats (ORT-checked above)
        assertEquals(44, t.floatInOrtTensors());
        assertTrue(t.floatInOrtMaxAbsDiffLsb() <= 1, () -> Golden.table(r.report()));
        assertTrue(r.pass(), () -> Golden.table(r.report()));
        assertEquals(0, r.report().noFloat().floatOpsBetweenLayers());
    }
}
