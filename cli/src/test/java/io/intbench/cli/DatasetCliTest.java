package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.intbench.golden.OrtRunner;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.sim.host.Npy;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code golden} in data-set mode through the command line: an {@code .npy} with a leading sample axis and
 * labels on LeNet, a folder of images on the bundled MobileNetV2, the refusals (exit 3), the unchanged
 * single-sample run, and the progress bar.
 */
class DatasetCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int N = 5;
    /** ImageNet class 285, "Egyptian cat" (examples/imagenet_classes.txt, 0-based): the bundled photo. */
    static final int EGYPTIAN_CAT = 285;

    @TempDir
    static Path dir;
    static Path model;
    static Path x;
    static Path y;
    static int[] ortTop1 = new int[N];
    static long[] labels = new long[N];

    /** LeNet's input shape per the fixture's PROVENANCE (1x1x28x28). */
    static final long[] INPUT = {1, 1, 28, 28};

    @BeforeAll
    static void dataset() throws Exception {
        model = Cli.fixture("lenet.u8s8pc.qdq.onnx", dir);
        SplittableRandom r = new SplittableRandom(11);
        float[] v = new float[N * 784];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 3.0 - 1.0);
        }
        HostTensor all = HostTensor.ofFloats(new long[] {N, 1, 28, 28}, v);
        x = dir.resolve("X.npy");
        Npy.write(x, all);
        // the reference: ONNX Runtime on the model as given, this test's own arg-max
        try (OrtRunner ort = OrtRunner.open(Files.readAllBytes(model), true, 1)) {
            for (int i = 0; i < N; i++) {
                float[] s = new float[784];
                System.arraycopy(v, i * 784, s, 0, 784);
                float[] out = ort.run(Map.of(ort.inputNames().get(0), HostTensor.ofFloats(INPUT, s)))
                        .get(ort.outputNames().get(0)).toFloatArray();
                int best = 0;
                for (int k = 1; k < out.length; k++) {
                    best = out[k] > out[best] ? k : best;
                }
                ortTop1[i] = best;
                // right for samples 0, 1 and 3, wrong for 2 and 4: accuracy 3/5
                labels[i] = i == 2 || i == 4 ? (best + 1) % 10 : best;
            }
        }
        y = dir.resolve("Y.npy");
        Npy.write(y, int64(labels));
    }

    static HostTensor int64(long... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long l : v) {
            b.putLong(l);
        }
        return new HostTensor(DType.INT64, new long[] {v.length}, b.array());
    }

    @Test
    void npyWithLeadingSampleAxisAndLabelsReportsEverySampleTop1AndAccuracy() throws IOException {
        Path report = dir.resolve("dataset.json");
        Cli.Result r = Cli.run("golden", model, "--input", x, "--labels", y, "--report", report);
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("5 samples"), r::toString);
        assertTrue(r.out().contains("agree on 5 of 5 samples"), r::toString);
        assertTrue(r.out().contains("simulator 0.6000, ONNX Runtime 0.6000"), r::toString);
        assertTrue(r.out().startsWith("lenet.u8s8pc.qdq.onnx: 5 samples"), r::toString);
        assertTrue(r.out().contains("PASS: 5 of 5 samples within tolerance"), r::toString);
        assertEquals("", r.err(), "no progress bar when stderr is not a terminal");

        JsonNode j = JSON.readTree(report.toFile());
        JsonNode s = j.get("summary");
        assertEquals(N, s.get("samples").asInt());
        assertEquals(N, s.get("exactSamples").asInt());
        assertEquals(1.0, s.get("top1Agreement").asDouble());
        assertEquals(0.6, s.get("accuracySim").asDouble(), 1e-12);
        assertEquals(0.6, s.get("accuracyOrt").asDouble(), 1e-12);
        assertEquals(N, j.get("samples").size());
        for (int i = 0; i < N; i++) {
            JsonNode e = j.get("samples").get(i);
            assertEquals(i, e.get("index").asInt());
            // LeNet's quantized tensors: 6070 elements per run (the fixture's measured count in README)
            assertEquals(6070, e.get("elements").asLong());
            assertEquals(e.get("elements").asLong(), e.get("exact").asLong());
            assertEquals(0, e.get("maxAbsDiffLsb").asLong());
            assertEquals(ortTop1[i], e.get("top1Ort").asInt(), "sample " + i);
            assertEquals(ortTop1[i], e.get("top1Sim").asInt(), "sample " + i);
            assertEquals(labels[i], e.get("label").asLong());
        }
        JsonNode first = j.get("first");
        assertEquals(3, first.get("comparisons").size(), "the first sample's ordinary golden report");
        assertEquals("ort-optimized", first.get("comparisons").get(0).get("reference").asText());
        assertTrue(first.get("simulation").get("totals").get("cycles").asLong() > 0);
    }

    @Test
    void theSampleAxisMayAlsoPrecedeTheWholeInputShape() {
        HostTensor all = Npy.read(x);
        Path x5 = dir.resolve("X5.npy");
        Npy.write(x5, new HostTensor(DType.FLOAT32, new long[] {N, 1, 1, 28, 28}, all.data()));
        Cli.Result r = Cli.run("golden", model, "--input", x5, "--labels", y, "-q");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("PASS: 5 of 5 samples within tolerance; 5 exact"), r::toString);
    }

    @Test
    void aFolderOfImagesRunsEachInFileNameOrderOnMobileNet(@TempDir Path imgs) throws IOException {
        Path examples = examples();
        BufferedImage cat = ImageIO.read(examples.resolve("chelsea.png").toFile());
        ImageIO.write(cat, "png", imgs.resolve("b-cat.png").toFile());
        BufferedImage grad = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        for (int yy = 0; yy < 48; yy++) {
            for (int xx = 0; xx < 64; xx++) {
                grad.setRGB(xx, yy, (xx * 4) << 16 | (yy * 5) << 8 | (xx + yy) * 2);
            }
        }
        ImageIO.write(grad, "png", imgs.resolve("a-gradient.png").toFile());
        BufferedImage noise = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        SplittableRandom r = new SplittableRandom(5);
        for (int yy = 0; yy < 40; yy++) {
            for (int xx = 0; xx < 40; xx++) {
                noise.setRGB(xx, yy, r.nextInt(1 << 24));
            }
        }
        ImageIO.write(noise, "png", imgs.resolve("c-noise.png").toFile());
        Files.writeString(imgs.resolve("README.txt"), "not an image: skipped");
        Path report = imgs.resolve("out.json");

        Cli.Result res = Cli.run("golden", examples.resolve("mobilenetv2-12-int8.onnx"), "--input", imgs, "--report", report,
                "--labels-file", examples.resolve("imagenet_classes.txt"));
        assertEquals(0, res.status(), res::toString);
        assertTrue(res.out().contains("3 samples"), res::toString);
        assertTrue(res.out().contains("agree on 3 of 3 samples"), res::toString);
        JsonNode j = JSON.readTree(report.toFile());
        assertEquals(3, j.get("summary").get("samples").asInt());
        assertEquals(3, j.get("summary").get("exactSamples").asInt());
        assertEquals(1.0, j.get("summary").get("top1Agreement").asDouble());
        String[] order = {"a-gradient.png", "b-cat.png", "c-noise.png"};
        for (int i = 0; i < 3; i++) {
            assertEquals(order[i], j.get("samples").get(i).get("source").asText());
        }
        assertEquals(EGYPTIAN_CAT, j.get("samples").get(1).get("top1Ort").asInt());
        assertTrue(j.get("samples").get(1).get("label").isNull(), "no --labels, no label");
        assertTrue(res.out().contains("285 Egyptian cat"), "class names from --labels-file\n" + res);
    }

    @Test
    void aShapeThatIsNotSamplesOfTheInputIsRefusedNamingTheFileAndBothShapes() {
        Path bad = dir.resolve("bad.npy");
        Npy.write(bad, HostTensor.ofFloats(new long[] {3, 1, 27, 28}, new float[3 * 27 * 28]));
        Cli.Result r = Cli.run("golden", model, "--input", bad);
        Cli.assertRefused(r, Main.EXIT_INVALID, "bad.npy", "[3, 1, 27, 28]", "[1, 1, 28, 28]", "leading sample axis");
    }

    @Test
    void aDataSetOfTheWrongTypeIsRefused() {
        Path ints = dir.resolve("ints.npy");
        Npy.write(ints, new HostTensor(DType.INT32, new long[] {2, 1, 28, 28}, new byte[2 * 784 * 4]));
        Cli.Result r = Cli.run("golden", model, "--input", ints);
        Cli.assertRefused(r, Main.EXIT_INVALID, "ints.npy", "int32", "float32");
    }

    @Test
    void labelsThatDoNotNumberOnePerSampleAreRefused() {
        Path y4 = dir.resolve("Y4.npy");
        Npy.write(y4, int64(1, 2, 3, 4));
        Cli.Result r = Cli.run("golden", model, "--input", x, "--labels", y4);
        Cli.assertRefused(r, Main.EXIT_INVALID, "Y4.npy", "4 labels", "5 samples");
    }

    @Test
    void labelsThatAreNotIntegersAreRefused() {
        Path yf = dir.resolve("Yf.npy");
        Npy.write(yf, HostTensor.ofFloats(new long[] {N}, new float[N]));
        Cli.Result r = Cli.run("golden", model, "--input", x, "--labels", yf);
        Cli.assertRefused(r, Main.EXIT_INVALID, "Yf.npy", "int64");
    }

    @Test
    void labelsWithoutSamplesAndAFolderWithoutImagesAreRefused(@TempDir Path empty) throws IOException {
        Cli.assertRefused(Cli.run("golden", model, "--labels", y), Main.EXIT_INVALID, "--labels", "--input");
        Files.writeString(empty.resolve("notes.txt"), "x");
        Cli.assertRefused(Cli.run("golden", model, "--input", empty), Main.EXIT_INVALID, empty.toString(), "no PNG or JPEG");
    }

    @Test
    void anInputOfExactlyTheModelsShapeIsStillTheSingleSampleRun() {
        Path one = Cli.fixture("lenet.input.npy", dir);
        Cli.Result r = Cli.run("golden", model, "--input", one);
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("ort-optimized-per-layer"), "the three-comparison table\n" + r);
        assertTrue(r.out().contains("PASS: 6070 of 6070 elements in 8 tensors"), r::toString);
        assertFalse(r.out().contains("samples"), r::toString);
    }

    @Test
    void progressDrawsABarWithCountAndTimeAndEndsTheLine() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long[] now = {0};
        Progress p = new Progress("golden", 4, new PrintStream(buf, true, StandardCharsets.UTF_8), () -> now[0]);
        now[0] = 1_000_000_000L;
        p.step();
        assertEquals("golden [#####...............] 1/4 1.0 s", p.line());
        now[0] = 3_200_000_000L;
        p.step();
        assertEquals("golden [##########..........] 2/4 3.2 s", p.line());
        p.step();
        p.step();
        p.done();
        p.done();
        String s = buf.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("\rgolden [#####"), s);
        assertTrue(s.endsWith("\rgolden [####################] 4/4 3.2 s\n"), s);
        assertEquals(1, s.chars().filter(c -> c == '\n').count(), "one final newline, even when done() runs twice");
    }

    @Test
    void progressIsSilentWhenStderrIsNotATerminal() {
        assumeTrue(System.console() == null, "the test JVM has a terminal");
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream e = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setErr(e);
            Progress p = Progress.start("golden", 3);
            p.step();
            p.done();
        } finally {
            System.setErr(old);
        }
        assertEquals(0, buf.size());
    }

    /** The project's examples/ folder: surefire runs in the cli module, so walk up until it appears. */
    static Path examples() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path e = d.resolve("examples");
            if (Files.exists(e.resolve("mobilenetv2-12-int8.onnx"))) {
                return e;
            }
        }
        throw new AssertionError("no examples/mobilenetv2-12-int8.onnx above " + Path.of("").toAbsolutePath());
    }
}
