package io.intbench.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.TensorDesc;
import io.intbench.sim.host.Npy;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-set mode of golden on LeNet with int8 activations (so the int8 tensors go through the one-tensor ORT
 * sub-models, opened once for all samples): five seeded random samples written as one {@code .npy} with a
 * leading sample axis, split, run, and checked against ONNX Runtime run by this test on its own.
 */
class DatasetTest {
    static final int N = 5;
    static final HardwareConfig CFG = HardwareConfig.defaultConfig();

    static Path model;
    static Compiler.Result compiled;
    static TensorDesc input;
    @TempDir
    static Path dir;

    @BeforeAll
    static void compile() throws URISyntaxException {
        model = Path.of(DatasetTest.class.getResource("/models-ort/lenet.seed.qdq.onnx").toURI());
        compiled = Compiler.compile(model, CFG, new Compiler.Options(RequantMode.ORT, Map.of()));
        input = compiled.program().tensors(TensorDesc.Role.INPUT).get(0);
    }

    /** N seeded random samples over a range a bit wider than the input's quantization range (so some clamp). */
    static HostTensor randomDataset(long[] shape, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int per = Math.toIntExact(HostTensor.elementCount(shape));
        float[] v = new float[N * per];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 4.0 - 1.5);
        }
        long[] xs = new long[shape.length + 1];
        xs[0] = N;
        System.arraycopy(shape, 0, xs, 1, shape.length);
        return HostTensor.ofFloats(xs, v);
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static HostTensor int64(long... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return new HostTensor(DType.INT64, new long[] {v.length}, b.array());
    }

    static Dataset.Samples samplesOf(List<HostTensor> xs, String name) {
        return new Dataset.Samples() {
            @Override
            public int size() {
                return xs.size();
            }

            @Override
            public Map<String, HostTensor> get(int i) {
                return Map.of(name, xs.get(i));
            }

            @Override
            public String source(int i) {
                return "X.npy[" + i + "]";
            }
        };
    }

    @Test
    void everySampleAgreesExactlyAndTop1AndAccuracyMatchOrtRunIndependently() throws Exception {
        long[] shape = input.shape();
        assertArrayEquals(new long[] {1, 1, 28, 28}, shape, "LeNet's input per PROVENANCE.md");
        Path xFile = dir.resolve("X.npy");
        Npy.write(xFile, randomDataset(shape, 42));
        List<HostTensor> xs = Dataset.split(Npy.read(xFile), shape, xFile.toString());
        assertEquals(N, xs.size());

        // the reference: ONNX Runtime on the unmodified model, one session, the test's own arg-max
        int[] ortTop1 = new int[N];
        try (OrtRunner ort = OrtRunner.open(Files.readAllBytes(model), true, 1)) {
            String in = ort.inputNames().get(0);
            String out = ort.outputNames().get(0);
            for (int i = 0; i < N; i++) {
                ortTop1[i] = argmax(ort.run(Map.of(in, xs.get(i))).get(out).toFloatArray());
            }
        }
        // labels: right for samples 0, 2 and 4, wrong (next class) for 1 and 3 -> both accuracies 3/5
        long[] labels = new long[N];
        for (int i = 0; i < N; i++) {
            labels[i] = i % 2 == 0 ? ortTop1[i] : (ortTop1[i] + 1) % 10;
        }
        Path yFile = dir.resolve("Y.npy");
        Npy.write(yFile, int64(labels));
        long[] y = Dataset.labels(Npy.read(yFile), yFile.toString());
        assertArrayEquals(labels, y);

        int[] ticks = {0};
        Dataset.Result r = Dataset.run(compiled, CFG, samplesOf(xs, input.onnxName()), y, 0, 1, () -> ticks[0]++);

        assertEquals(N, ticks[0], "one progress step per sample");
        assertTrue(r.pass());
        assertEquals(N, r.samples().size());
        for (int i = 0; i < N; i++) {
            Dataset.Sample s = r.samples().get(i);
            assertEquals(i, s.index());
            assertEquals("X.npy[" + i + "]", s.source());
            // LeNet: 6070 quantized elements per run (README's measured table, from the network's layer sizes)
            assertEquals(6070, s.elements(), "sample " + i);
            assertEquals(s.elements(), s.exact(), "sample " + i);
            assertEquals(0, s.maxAbsDiffLsb());
            assertNull(s.perLayerMaxAbsDiffLsb(), "ort mode is judged end to end");
            assertTrue(s.withinTolerance());
            assertEquals(ortTop1[i], s.top1Ort(), "ORT's arg-max of sample " + i);
            assertEquals(ortTop1[i], s.top1Sim(), "simulator's arg-max of sample " + i);
            assertEquals(labels[i], s.label());
        }
        Dataset.Summary sum = r.summary();
        assertEquals(N, sum.samples());
        assertEquals(N, sum.exactSamples());
        assertEquals(N, sum.passSamples());
        assertEquals(1.0, sum.top1Agreement());
        assertEquals(3.0 / 5, sum.accuracySim(), 1e-12);
        assertEquals(3.0 / 5, sum.accuracyOrt(), 1e-12);

        // the first sample carries the ordinary golden report with all three comparisons
        Dataset.Report rep = r.report();
        assertEquals(3, rep.first().comparisons().size());
        assertEquals(N, rep.samples().size());
        assertEquals("lenet.seed.qdq.onnx", rep.model());
    }

    @Test
    void withoutLabelsThereIsNoAccuracyAndNoLabel() {
        long[] shape = input.shape();
        List<HostTensor> xs = Dataset.split(randomDataset(shape, 7), shape, "X.npy");
        Dataset.Result r = Dataset.run(compiled, CFG, samplesOf(xs.subList(0, 2), input.onnxName()), null, 0, 1, null);
        assertEquals(2, r.samples().size());
        assertNull(r.summary().accuracySim());
        assertNull(r.samples().get(1).label());
        assertTrue(r.pass());
    }

    @Test
    void fixedPointModeIsJudgedLayerByLayerForEverySample() {
        Compiler.Result fp = Compiler.compile(model, CFG, new Compiler.Options(RequantMode.FIXED_POINT, Map.of()));
        long[] shape = input.shape();
        List<HostTensor> xs = Dataset.split(randomDataset(shape, 3), shape, "X.npy").subList(0, 3);
        Dataset.Result r = Dataset.run(fp, CFG, samplesOf(xs, input.onnxName()), null, 1, 1, null);
        for (Dataset.Sample s : r.samples()) {
            assertNotNull(s.perLayerMaxAbsDiffLsb(), "sample " + s.index());
            // gemmlowp's rounding differs from ORT's by at most one step per layer (NUMERICS.md)
            assertTrue(s.perLayerMaxAbsDiffLsb() <= 1, "sample " + s.index() + ": " + s);
            assertTrue(s.withinTolerance());
        }
        assertTrue(r.pass());
    }

    @Test
    void splitAcceptsBothLeadingAxisFormsAndKeepsTheData() {
        long[] shape = {1, 1, 28, 28};
        HostTensor x = randomDataset(shape, 5);                       // [5, 1, 1, 28, 28]
        HostTensor squeezed = new HostTensor(x.dtype(), new long[] {5, 1, 28, 28}, x.data());
        List<HostTensor> a = Dataset.split(x, shape, "a.npy");
        List<HostTensor> b = Dataset.split(squeezed, shape, "b.npy");
        assertEquals(5, a.size());
        assertEquals(a, b);
        float[] all = x.toFloatArray();
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(shape, a.get(i).shape());
            assertEquals(all[i * 784 + 17], a.get(i).toFloatArray()[17]);
        }
        HostTensor one = HostTensor.ofFloats(shape, new float[784]);
        assertEquals(List.of(one), Dataset.split(one, shape, "one.npy"), "exactly the input shape is one sample");
    }

    @Test
    void splitRefusesAShapeThatIsNotSamplesOfTheInputNamingFileAndBothShapes() {
        long[] shape = {1, 1, 28, 28};
        for (long[] bad : new long[][] {{5, 1, 27, 28}, {5, 784}, {5, 2, 1, 28, 28}, {28, 28}}) {
            HostTensor x = HostTensor.ofFloats(bad, new float[Math.toIntExact(HostTensor.elementCount(bad))]);
            IntbenchException.InvalidInput e = assertThrows(IntbenchException.InvalidInput.class, () -> Dataset.split(x, shape, "X.npy"));
            assertTrue(e.getMessage().contains("X.npy"), e.getMessage());
            assertTrue(e.getMessage().contains(java.util.Arrays.toString(bad)), e.getMessage());
            assertTrue(e.getMessage().contains("[1, 1, 28, 28]"), e.getMessage());
        }
    }

    @Test
    void labelsAreInt64ClassIndicesOnePerSample() {
        assertArrayEquals(new long[] {3, 1L << 40, -1}, Dataset.labels(int64(3, 1L << 40, -1), "y.npy"));
        assertArrayEquals(new long[] {7, 9}, Dataset.labels(HostTensor.ofInts(DType.INT32, new long[] {2, 1}, new int[] {7, 9}), "y.npy"));
        IntbenchException e = assertThrows(IntbenchException.InvalidInput.class,
                () -> Dataset.labels(HostTensor.ofFloats(new long[] {2}, new float[2]), "y.npy"));
        assertTrue(e.getMessage().contains("y.npy") && e.getMessage().contains("int64"), e.getMessage());
        e = assertThrows(IntbenchException.InvalidInput.class,
                () -> Dataset.labels(HostTensor.ofInts(DType.INT32, new long[] {2, 2}, new int[4]), "y.npy"));
        assertTrue(e.getMessage().contains("[2, 2]"), e.getMessage());
    }

    @Test
    void runRefusesLabelsThatDoNotNumberOnePerSample() {
        List<HostTensor> xs = new ArrayList<>(Dataset.split(randomDataset(input.shape(), 1), input.shape(), "X.npy"));
        IntbenchException e = assertThrows(IntbenchException.InvalidInput.class,
                () -> Dataset.run(compiled, CFG, samplesOf(xs, input.onnxName()), new long[] {1, 2, 3}, 0, 1, null));
        assertTrue(e.getMessage().contains("3") && e.getMessage().contains("5 samples"), e.getMessage());
    }

    @Test
    void argmaxOfCodesAndOfFloatsAgreeAndTiesTakeTheFirst() {
        assertEquals(2, Dataset.argmax(HostTensor.ofInts(DType.UINT8, new long[] {4}, new int[] {1, 5, 9, 9})));
        assertEquals(1, Dataset.argmax(HostTensor.ofFloats(new long[] {3}, new float[] {-2f, -0.5f, -1f})));
    }
}
