package io.intbench.sim.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code *.ref.npy} references were made by Pillow 9.4 (resources/images/make_refs.py) doing what
 * torchvision does to a PIL image, so they are independent of the code under test.
 */
class ImagesTest {
    private static final double[] MEAN = {0.485, 0.456, 0.406};
    private static final double[] STD = {0.229, 0.224, 0.225};
    /** Far below one pixel level after normalisation (1/255/0.229 = 0.017), so pixel-exact agreement is required. */
    private static final double TOL = 1e-5;

    /** No scaling or normalisation: the tensor holds the 0..255 pixel values themselves. */
    private static final Images.Preprocess RAW =
            new Images.Preprocess(1, 1, new float[] {0, 0, 0}, new float[] {1, 1, 1}, false, false, 1f);

    static Path resource(String name) {
        try {
            return Path.of(ImagesTest.class.getResource("/images/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A Pillow reference as int[h][w][3]. */
    private static int[][][] ref(String name) {
        HostTensor t = Npy.read(resource(name));
        int h = (int) t.shape()[0];
        int w = (int) t.shape()[1];
        assertEquals(3, t.shape()[2]);
        int[] v = t.toIntArray();
        int[][][] out = new int[h][w][3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    out[y][x][c] = v[(y * w + x) * 3 + c];
                }
            }
        }
        return out;
    }

    private static void assertNchwMatches(int[][][] ref, HostTensor t, boolean normalised) {
        int h = ref.length;
        int w = ref[0].length;
        assertArrayEquals(new long[] {1, 3, h, w}, t.shape());
        float[] v = t.toFloatArray();
        int bad = 0;
        double maxDiff = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double expected = normalised ? (ref[y][x][c] / 255.0 - MEAN[c]) / STD[c] : ref[y][x][c];
                    double d = Math.abs(v[(c * h + y) * w + x] - expected);
                    maxDiff = Math.max(maxDiff, d);
                    if (d > TOL) {
                        bad++;
                    }
                }
            }
        }
        assertEquals(0, bad, bad + " of " + v.length + " values differ from Pillow's, max difference " + maxDiff);
    }

    @Test
    void chelseaImagenetMatchesPillowPipeline() {
        HostTensor t = Images.load(resource("chelsea.png"), Images.Preprocess.imagenet());
        assertArrayEquals(new long[] {1, 3, 224, 224}, t.shape());
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            int c = i / (224 * 224);
            assertTrue(v[i] >= (0 - MEAN[c]) / STD[c] - 1e-6 && v[i] <= (1 - MEAN[c]) / STD[c] + 1e-6, "value " + i);
        }
        assertNchwMatches(ref("chelsea.imagenet.ref.npy"), t, true);
    }

    @Test
    void nhwcAndBgrLayouts() {
        Images.Preprocess p = Images.Preprocess.imagenet();
        float[] nchw = Images.load(resource("chelsea.png"), p).toFloatArray();
        Images.Preprocess swapped = new Images.Preprocess(256, 224, new float[] {0.406f, 0.456f, 0.485f},
                new float[] {0.225f, 0.224f, 0.229f}, true, true, 1f / 255f);
        HostTensor t = Images.load(resource("chelsea.png"), swapped);
        assertArrayEquals(new long[] {1, 224, 224, 3}, t.shape());
        float[] nhwc = t.toFloatArray();
        int n = 224 * 224;
        for (int y = 0; y < 224; y++) {
            for (int x = 0; x < 224; x++) {
                for (int c = 0; c < 3; c++) {
                    // BGR channel c is RGB channel 2 - c, with its own mean and std given in BGR order.
                    assertEquals(nchw[(2 - c) * n + y * 224 + x], nhwc[(y * 224 + x) * 3 + c], 0f);
                }
            }
        }
    }

    @Test
    void directResizeToNonSquareSize() {
        HostTensor t = Images.load(resource("chelsea.png"), 48, 64, Images.Preprocess.imagenet());
        assertNchwMatches(ref("chelsea.48x64.ref.npy"), t, true);
    }

    @Test
    void upsamplingAndUnevenDownsamplingMatchPillow() {
        assertNchwMatches(ref("tiny-rgb.7x9.ref.npy"), Images.load(resource("tiny-rgb.png"), 7, 9, RAW), false);
        assertNchwMatches(ref("tiny-rgb.2x3.ref.npy"), Images.load(resource("tiny-rgb.png"), 2, 3, RAW), false);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gray", "la", "rgba", "palette"})
    void modesConvertLikePillow(String mode) {
        // Same size as the file (4 wide, 3 high), so only decoding and conversion to RGB are exercised.
        assertNchwMatches(ref("tiny-" + mode + ".ref.npy"), Images.load(resource("tiny-" + mode + ".png"), 3, 4, RAW), false);
    }

    private static Path constantImage(Path dir, String format, int w, int h, int r, int g, int b) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        Path f = dir.resolve("const." + format);
        assertTrue(ImageIO.write(img, format, f.toFile()));
        return f;
    }

    @Test
    void constantColourGivesTheNormalisedValueEverywhere(@TempDir Path dir) throws IOException {
        int[] rgb = {200, 17, 255};
        Path f = constantImage(dir, "png", 333, 517, rgb[0], rgb[1], rgb[2]);
        float[] v = Images.load(f, Images.Preprocess.imagenet()).toFloatArray();
        for (int i = 0; i < v.length; i++) {
            int c = i / (224 * 224);
            assertEquals((rgb[c] / 255.0 - MEAN[c]) / STD[c], v[i], 1e-6, "element " + i);
        }
    }

    @Test
    void jpegDecodes(@TempDir Path dir) throws IOException {
        // JPEG is lossy, so allow two levels of decoder rounding on a flat colour.
        Path f = constantImage(dir, "jpg", 300, 260, 128, 64, 32);
        HostTensor t = Images.load(f, 260, 300, RAW);
        assertArrayEquals(new long[] {1, 3, 260, 300}, t.shape());
        float[] v = t.toFloatArray();
        int[] rgb = {128, 64, 32};
        for (int i = 0; i < v.length; i++) {
            assertEquals(rgb[i / (260 * 300)], v[i], 2.0, "element " + i);
        }
    }

    /** A 7 wide x 5 high image whose pixel at (x, y) is (10x, 10y, 7). */
    private static Path coordinateImage(Path dir) throws IOException {
        BufferedImage img = new BufferedImage(7, 5, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 7; x++) {
                img.setRGB(x, y, (10 * x) << 16 | (10 * y) << 8 | 7);
            }
        }
        Path f = dir.resolve("coords.png");
        ImageIO.write(img, "png", f.toFile());
        return f;
    }

    @Test
    void centerCropOffsetsRoundHalfToEvenLikeTorchvision(@TempDir Path dir) throws IOException {
        Path f = coordinateImage(dir);
        // Short side 5 is kept, long side int(5*7/5) = 7: no resampling, only the crop moves pixels.
        // crop 2: top = round(1.5) = 2, left = round(2.5) = 2 (Python rounds halves to even).
        HostTensor t = Images.load(f, new Images.Preprocess(5, 2, new float[3], new float[] {1, 1, 1}, false, false, 1f));
        assertArrayEquals(new long[] {1, 3, 2, 2}, t.shape());
        assertArrayEquals(new float[] {20, 30, 20, 30, /* G = 10y */ 20, 20, 30, 30, /* B */ 7, 7, 7, 7}, t.toFloatArray());
        // crop 3: top = round(1.0) = 1, left = round(2.0) = 2.
        t = Images.load(f, new Images.Preprocess(5, 3, new float[3], new float[] {1, 1, 1}, false, false, 1f));
        float[] v = t.toFloatArray();
        assertEquals(20, v[0]);
        assertEquals(10, v[9]);
        // crop 4: top = round(0.5) = 0, left = round(1.5) = 2.
        t = Images.load(f, new Images.Preprocess(5, 4, new float[3], new float[] {1, 1, 1}, false, false, 1f));
        v = t.toFloatArray();
        assertEquals(20, v[0]);
        assertEquals(0, v[16]);
    }

    @Test
    void unreadableFilesAreInvalidInputNamingTheFile(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.png");
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "not an image at all");
        Path truncated = dir.resolve("cut.png");
        byte[] png = Files.readAllBytes(resource("chelsea.png"));
        Files.write(truncated, Arrays.copyOf(png, 1000));
        for (Path f : new Path[] {missing, text, truncated, dir}) {
            var e = assertThrows(IntbenchException.InvalidInput.class, () -> Images.load(f, Images.Preprocess.imagenet()));
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    @Test
    void preprocessIsValidatedAndImmutable() {
        assertThrows(IllegalArgumentException.class,
                () -> new Images.Preprocess(200, 224, new float[3], new float[] {1, 1, 1}, false, false, 1f));
        assertThrows(IllegalArgumentException.class,
                () -> new Images.Preprocess(256, 224, new float[3], new float[] {1, 0, 1}, false, false, 1f));
        assertThrows(IllegalArgumentException.class,
                () -> new Images.Preprocess(256, 224, new float[2], new float[] {1, 1, 1}, false, false, 1f));
        Images.Preprocess p = Images.Preprocess.imagenet();
        p.mean()[0] = 99f;
        assertEquals(0.485f, p.mean()[0]);
        assertEquals(Images.Preprocess.imagenet(), p);
    }
}
