package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The preprocessing options on small PNGs whose expected tensors are worked out here by hand: the pixels are
 * chosen so that crop offsets, Pillow's bilinear weights and the normalisation can be written down, and the
 * expected values are computed in double precision from those definitions, not by the code under test.
 */
class InputOptionsTest {
    /** Float32 normalisation against the double reference: far below one pixel level (1/255/0.229 = 0.017). */
    private static final double TOL = 1e-5;
    private static final double[] MEAN = {0.485, 0.456, 0.406};
    private static final double[] STD = {0.229, 0.224, 0.225};

    @TempDir
    Path dir;

    /** Parses {@code args} into the mixin as a command would, checks it, and preprocesses {@code image} for {@code shape}. */
    static HostTensor preprocess(Path image, long[] shape, String... args) {
        InputOptions o = new InputOptions();
        String[] all = new String[args.length + 2];
        all[0] = "--input";
        all[1] = image.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        new CommandLine(o).parseArgs(all);
        o.check();
        return o.read(image, shape, "x");
    }

    /** Writes a w x h RGB PNG whose pixel (x, y) is {@code rgb[y][x]}. */
    Path png(String name, int[][][] rgb) throws IOException {
        int h = rgb.length;
        int w = rgb[0].length;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int[] p = rgb[y][x];
                img.setRGB(x, y, p[0] << 16 | p[1] << 8 | p[2]);
            }
        }
        Path f = dir.resolve(name);
        assertTrue(ImageIO.write(img, "png", f.toFile()));
        return f;
    }

    /** A 4x4 image with a different value in every pixel and channel. */
    static int[][][] distinct4x4() {
        int[][][] p = new int[4][4][3];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                p[y][x] = new int[] {16 * y + 4 * x + 1, 250 - 13 * y - 3 * x, 7 * (x + 2 * y) + 40};
            }
        }
        return p;
    }

    @Test
    void defaultsCenterCropAndNormaliseLikeTorchvision() throws IOException {
        int[][][] p = distinct4x4();
        // short side 4 = the image's: no resampling; the 2x2 center crop starts at round((4 - 2) / 2) = 1
        float[] v = preprocess(png("d.png", p), new long[] {1, 3, 2, 2}, "--resize", "4").toFloatArray();
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 2; x++) {
                    double expected = (p[1 + y][1 + x][c] / 255.0 - MEAN[c]) / STD[c];
                    assertEquals(expected, v[(c * 2 + y) * 2 + x], TOL, "channel " + c + " at " + y + "," + x);
                }
            }
        }
    }

    @Test
    void bgrNhwcAndPixelScale255WithOwnMeanAndStd() throws IOException {
        int[][][] p = distinct4x4();
        double[] mean = {100, 120, 7};   // for B, G, R: the tensor's channel order
        double[] std = {2, 4, 0.5};
        HostTensor t = preprocess(png("d.png", p), new long[] {1, 2, 2, 3}, "--resize", "4", "--crop", "2x2",
                "--channel-order", "BGR", "--layout", "nhwc", "--pixel-scale", "255", "--mean", "100, 120,7", "--std", "2,4,0.5");
        assertArrayEquals(new long[] {1, 2, 2, 3}, t.shape());
        float[] v = t.toFloatArray();
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                for (int c = 0; c < 3; c++) {
                    double expected = (p[1 + y][1 + x][2 - c] - mean[c]) / std[c];
                    assertEquals(expected, v[(y * 2 + x) * 3 + c], TOL, "channel " + c + " at " + y + "," + x);
                }
            }
        }
    }

    @Test
    void bgrWithoutMeanReordersImagenetsStatistics() throws IOException {
        int[][][] p = distinct4x4();
        float[] v = preprocess(png("d.png", p), new long[] {1, 3, 2, 2}, "--resize", "4", "--channel-order", "bgr",
                "--pixel-scale", "255").toFloatArray();
        for (int c = 0; c < 3; c++) {
            int rgb = 2 - c;
            double expected = (p[1][1][rgb] - 255 * MEAN[rgb]) / (255 * STD[rgb]);
            assertEquals(expected, v[c * 4], TOL, "channel " + c);
        }
    }

    @Test
    void oneMeanAndStdForAllChannels() throws IOException {
        int[][][] p = distinct4x4();
        float[] v = preprocess(png("d.png", p), new long[] {1, 3, 2, 2}, "--resize", "4", "--mean", "0.5", "--std", "0.25")
                .toFloatArray();
        for (int c = 0; c < 3; c++) {
            assertEquals((p[1][1][c] / 255.0 - 0.5) / 0.25, v[c * 4], TOL, "channel " + c);
        }
    }

    /**
     * A 4x2 image resized to a short side of 1 (2x1): Pillow's antialiased bilinear filter is a triangle widened by
     * the scale factor 2, which gives horizontal weights 3/7, 3/7, 1/7 for the first output pixel (inputs 0..2) and
     * 1/7, 3/7, 3/7 for the second (inputs 1..3), and vertical weights 1/2, 1/2; each pass rounds to 8 bits. The
     * pixels are chosen so that every pass lands on an integer.
     */
    @Test
    void shortSideResizeUsesPillowsBilinearWeights() throws IOException {
        int[][] base = {{7, 14, 21, 28}, {7, 0, 7, 0}};
        int[][][] p = new int[2][4][3];
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 4; x++) {
                p[y][x] = new int[] {base[y][x], 2 * base[y][x], 3 * base[y][x]};
            }
        }
        float[] v = preprocess(png("r.png", p), new long[] {1, 3, 1, 2}, "--resize", "1", "--pixel-scale", "255",
                "--mean", "0", "--std", "1").toFloatArray();
        for (int c = 0; c < 3; c++) {
            long[] row = new long[2];
            for (int y = 0; y < 2; y++) {
                int[] q = {p[y][0][c], p[y][1][c], p[y][2][c], p[y][3][c]};
                long left = Math.round((3.0 * q[0] + 3.0 * q[1] + q[2]) / 7);
                long right = Math.round((q[1] + 3.0 * q[2] + 3.0 * q[3]) / 7);
                row[0] += left;
                row[1] += right;
            }
            assertEquals(Math.round(row[0] / 2.0), v[c * 2], 0, "channel " + c + " left");
            assertEquals(Math.round(row[1] / 2.0), v[c * 2 + 1], 0, "channel " + c + " right");
        }
        // the red channel by hand: (3*7 + 3*14 + 21)/7 = 12 and (3*7 + 0 + 7)/7 = 4 average to 8; 23 and 3 to 13
        assertEquals(8f, v[0]);
        assertEquals(13f, v[1]);
    }

    /**
     * A 7x4 image kept at its size ({@code --resize 4x7}) and center-cropped to 1x2: torchvision's offsets are
     * {@code int(round((4 - 1) / 2))} = round(1.5) = 2 and {@code int(round((7 - 2) / 2))} = round(2.5) = 2, Python
     * rounding halves to even.
     */
    @Test
    void nonSquareCropUsesTorchvisionsHalfToEvenOffsets() throws IOException {
        int[][][] p = new int[4][7][3];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 7; x++) {
                p[y][x] = new int[] {10 * y + x, 100 + 10 * y + x, 200 + y + x};
            }
        }
        float[] v = preprocess(png("w.png", p), new long[] {1, 3, 1, 2}, "--resize", "4x7", "--pixel-scale", "255", "--mean", "0",
                "--std", "1").toFloatArray();
        for (int c = 0; c < 3; c++) {
            assertEquals(p[2][2][c], v[c * 2], 0, "channel " + c + " left");
            assertEquals(p[2][3][c], v[c * 2 + 1], 0, "channel " + c + " right");
        }
    }

    @Test
    void everyCommandThatReadsAnInputHasTheSameOptions() throws IOException {
        int[][][] p = distinct4x4();
        Path f = png("d.png", p);
        for (Object command : new Object[] {new SimulateCommand(), new GoldenCommand(), new BenchCommand()}) {
            CommandLine cl = new CommandLine(command);
            cl.parseArgs("model", "--input", f.toString(), "--resize", "4", "--mean", "0.5", "--std", "0.25", "--layout", "nhwc");
            InputOptions o = (InputOptions) cl.getMixins().get("in");
            o.check();
            float[] v = o.read(f, new long[] {1, 2, 2, 3}, "x").toFloatArray();
            for (int c = 0; c < 3; c++) {
                assertEquals((p[1][1][c] / 255.0 - 0.5) / 0.25, v[c], TOL, command.getClass().getSimpleName() + " channel " + c);
            }
        }
    }

    @Test
    void cropOtherThanTheModelsInputIsRefused() throws IOException {
        Path f = png("d.png", distinct4x4());
        IntbenchException e = assertThrows(IntbenchException.InvalidInput.class,
                () -> preprocess(f, new long[] {1, 3, 2, 2}, "--crop", "3"));
        assertTrue(e.getMessage().contains("--crop 3") && e.getMessage().contains("2x2"), e.getMessage());
        e = assertThrows(IntbenchException.InvalidInput.class, () -> preprocess(f, new long[] {1, 3, 2, 2}, "--resize", "1"));
        assertTrue(e.getMessage().contains("d.png") && e.getMessage().contains("smaller than the center crop 2x2"), e.getMessage());
        e = assertThrows(IntbenchException.InvalidInput.class, () -> preprocess(f, new long[] {1, 3, 2, 2}, "--resize", "1x4"));
        assertTrue(e.getMessage().contains("--resize 1x4"), e.getMessage());
    }
}
