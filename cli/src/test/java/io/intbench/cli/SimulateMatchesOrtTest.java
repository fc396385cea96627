package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.golden.OrtRunner;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.sim.host.Npy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code intbench simulate --output} writes is ONNX Runtime's answer: the program file alone, run on the
 * simulator, gives LeNet's output identical to the original ONNX model in ORT (0 LSB, so bit-identical floats, since
 * both dequantize the same uint8 with the same scale and zero point).
 */
class SimulateMatchesOrtTest {

    @Test
    void simulatedLenetOutputEqualsOnnxRuntimeWithinZeroLsb(@TempDir Path dir) {
        Path model = Cli.fixture(CliHappyPathTest.MODEL, dir);
        Path input = Cli.fixture(CliHappyPathTest.INPUT, dir);
        Path program = dir.resolve("lenet.ibc");
        Path y = dir.resolve("y.npy");
        assertEquals(0, Cli.run("compile", model, "-o", program, "-q").status());
        Cli.Result r = Cli.run("simulate", program, "--input", input, "--output", y, "-q");
        assertEquals(0, r.status(), r::toString);
        HostTensor mine = Npy.read(y);

        HostTensor x = Npy.read(input);
        HostTensor ref;
        try (OrtRunner ort = OrtRunner.open(Cli.fixtureBytes(CliHappyPathTest.MODEL), true, 1)) {
            assertEquals(1, ort.inputNames().size());
            Map<String, HostTensor> outs = ort.run(Map.of(ort.inputNames().get(0), x));
            assertEquals(1, outs.size(), "LeNet has one output");
            ref = outs.values().iterator().next();
        }
        assertEquals(DType.FLOAT32, ref.dtype());
        assertEquals(List.of(1L, 10L), List.of(ref.shape()[0], ref.shape()[1]));
        assertArrayEquals(ref.shape(), mine.shape());
        assertEquals(ref.dtype(), mine.dtype());
        float[] a = mine.toFloatArray();
        float[] b = ref.toFloatArray();
        int differing = 0;
        int first = -1;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                differing++;
                first = first < 0 ? i : first;
            }
        }
        int firstDiff = first;
        // guard against a vacuous pass (both sides constant, e.g. an all-zero input path)
        assertTrue(java.util.stream.IntStream.range(0, b.length).mapToObj(i -> b[i]).distinct().count() > 1,
                "ORT's output varies across classes: " + java.util.Arrays.toString(b));
        assertEquals(0, differing, () -> "elements differ from ONNX Runtime; first at index " + firstDiff + ": simulator "
                + a[firstDiff] + " vs ORT " + b[firstDiff]);
    }
}
