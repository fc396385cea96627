package io.intbench.sim.host;

import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * Turns a PNG or JPEG photo into the float32 input tensor an ImageNet classifier expects, following
 * torchvision's {@code Resize(256) -> CenterCrop(224) -> ToTensor() -> Normalize(mean, std)} on a PIL
 * image, so that a model exported from PyTorch sees the same numbers it was evaluated with.
 *
 * <p>What is implemented, step by step:
 * <ol>
 *   <li><b>Decode</b> with {@code javax.imageio} and convert to 8-bit RGB as PIL's {@code convert("RGB")}
 *       does: alpha is dropped (not composited), grayscale is replicated to three channels, 16-bit
 *       samples keep their high byte, palette images are looked up. Sample values are taken from the
 *       raster directly, not through Java's colour management, because PIL applies none either (Java
 *       would otherwise treat gray as linear and gamma-correct it). JPEG decoding uses Java's decoder,
 *       whose IDCT and chroma upsampling may differ from libjpeg's by a few levels per pixel; PNG is
 *       lossless and matches exactly.</li>
 *   <li><b>Resize</b> with Pillow's antialiased bilinear resampling ({@code Image.resize(size,
 *       BILINEAR)}, {@code libImaging/Resample.c}): a triangle filter whose support is widened by the
 *       downscale factor, so every source pixel under the output pixel's footprint contributes;
 *       weights normalised per output pixel, converted to 22-bit fixed point, horizontal pass first,
 *       each pass rounded and clamped to 8 bits as Pillow does. For PNG input the result matches
 *       Pillow 9.4 exactly (checked by {@code ImagesTest} against a Pillow-made reference).
 *       The size follows torchvision: the short side becomes {@code resizeShortSide} and the long side
 *       {@code int(resizeShortSide * long / short)} (truncated).</li>
 *   <li><b>Center crop</b> with torchvision's offsets {@code top = round((h - crop) / 2)}, using
 *       Python's round-half-to-even.</li>
 *   <li><b>Scale and normalise</b> in float32: {@code (pixel * scale - mean[c]) / std[c]}, where {@code c}
 *       is the output channel (after the optional BGR swap). torchvision divides by 255 where this
 *       multiplies by {@code 1/255f}; the results differ by at most one float32 ulp.</li>
 * </ol>
 */
public final class Images {
    private Images() {}

    /**
     * Preprocessing parameters.
     *
     * @param resizeShortSide the short side after resizing (torchvision {@code Resize(int)})
     * @param cropSize side of the square center crop; at most {@code resizeShortSide}
     * @param mean per output channel, subtracted after scaling
     * @param std per output channel, divides after subtracting the mean
     * @param bgr emit channels in B, G, R order (Caffe-style models)
     * @param nhwc emit {@code [1, H, W, 3]} instead of {@code [1, 3, H, W]}
     * @param scale multiplies the 0..255 pixel value first ({@code 1/255f} gives torchvision's [0, 1])
     */
    public record Preprocess(int resizeShortSide, int cropSize, float[] mean, float[] std, boolean bgr,
                             boolean nhwc, float scale) {
        public Preprocess {
            if (resizeShortSide < 1 || resizeShortSide > MAX_SIDE) {
                throw new IllegalArgumentException("resizeShortSide must be between 1 and " + MAX_SIDE + ", got " + resizeShortSide);
            }
            if (cropSize < 1 || cropSize > resizeShortSide) {
                throw new IllegalArgumentException("cropSize must be between 1 and resizeShortSide (" + resizeShortSide
                        + ") so the crop fits inside the resized image, got " + cropSize);
            }
            if (mean == null || mean.length != 3 || std == null || std.length != 3) {
                throw new IllegalArgumentException("mean and std need one value per RGB channel (3 each)");
            }
            for (int c = 0; c < 3; c++) {
                if (!Float.isFinite(mean[c]) || !Float.isFinite(std[c]) || std[c] <= 0) {
                    throw new IllegalArgumentException("mean must be finite and std finite and positive, got mean "
                            + Arrays.toString(mean) + ", std " + Arrays.toString(std));
                }
            }
            if (!Float.isFinite(scale) || scale <= 0) {
                throw new IllegalArgumentException("scale must be finite and positive, got " + scale);
            }
            mean = mean.clone();
            std = std.clone();
        }

        /** torchvision's ImageNet recipe: 256 short side, 224 crop, RGB in [0, 1], ImageNet mean/std, NCHW. */
        public static Preprocess imagenet() {
            return new Preprocess(256, 224, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f},
                    false, false, 1f / 255f);
        }

        @Override
        public float[] mean() { return mean.clone(); }

        @Override
        public float[] std() { return std.clone(); }

        @Override
        public boolean equals(Object o) {
            return o instanceof Preprocess p && p.resizeShortSide == resizeShortSide && p.cropSize == cropSize
                    && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std) && p.bgr == bgr && p.nhwc == nhwc
                    && Float.compare(p.scale, scale) == 0;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(new Object[] {resizeShortSide, cropSize, Arrays.hashCode(mean), Arrays.hashCode(std),
                    bgr, nhwc, scale});
        }

        @Override
        public String toString() {
            return "Preprocess[resizeShortSide=" + resizeShortSide + ", cropSize=" + cropSize + ", mean="
                    + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ", bgr=" + bgr + ", nhwc=" + nhwc
                    + ", scale=" + scale + "]";
        }
    }

    /** 8-bit RGB pixels, interleaved row by row ({@code px[(y * width + x) * 3 + c]}). */
    record Rgb(int width, int height, int[] px) {}

    /**
     * How the decoded image is resized before the center crop.
     *
     * @param shortSide the short side after resizing, keeping the aspect ratio (torchvision {@code Resize(int)}),
     *                  or 0 when {@code height} and {@code width} are given
     * @param height    the exact height (torchvision {@code Resize((h, w))}), or 0 with {@code shortSide}
     * @param width     the exact width, or 0 with {@code shortSide}
     */
    public record Resize(int shortSide, int height, int width) {
        public Resize {
            boolean bySide = shortSide != 0 && height == 0 && width == 0;
            boolean exact = shortSide == 0 && height != 0 && width != 0;
            if (!bySide && !exact) {
                throw new IllegalArgumentException("give either the short side or both height and width, got " + shortSide
                        + ", " + height + "x" + width);
            }
            for (int v : new int[] {shortSide, height, width}) {
                if (v < 0 || v > MAX_SIDE) {
                    throw new IllegalArgumentException("resize sizes must be between 1 and " + MAX_SIDE + ", got " + v);
                }
            }
        }

        public static Resize shortSide(int side) {
            return new Resize(side, 0, 0);
        }

        public static Resize exact(int height, int width) {
            return new Resize(0, height, width);
        }

        /** The size after resizing an image of {@code w x h}, as {width, height}. */
        int[] apply(int w, int h) {
            if (shortSide == 0) {
                return new int[] {width, height};
            }
            // torchvision _compute_resized_output_size: the long side is truncated, not rounded.
            return w <= h ? new int[] {shortSide, (int) ((double) shortSide * h / w)}
                    : new int[] {(int) ((double) shortSide * w / h), shortSide};
        }
    }

    /** Largest side of a resize or crop, as in {@link Preprocess}. */
    public static final int MAX_SIDE = 16384;

    /** Resize the short side, center-crop, normalise: the classifier recipe. */
    public static HostTensor load(Path image, Preprocess p) {
        return load(image, Resize.shortSide(p.resizeShortSide()), p.cropSize(), p.cropSize(), p);
    }

    /**
     * Resize directly to {@code height x width} (no crop), for models whose input is not the 224 square;
     * {@code resizeShortSide} and {@code cropSize} of {@code p} are not used.
     */
    public static HostTensor load(Path image, int height, int width, Preprocess p) {
        if (height < 1 || width < 1 || height > MAX_SIDE || width > MAX_SIDE) {
            throw new IllegalArgumentException("target size must be between 1 and " + MAX_SIDE + " on each side, got "
                    + height + "x" + width);
        }
        return load(image, Resize.exact(height, width), height, width, p);
    }

    /**
     * The general recipe: {@code resize}, then a center crop of {@code cropHeight x cropWidth} (torchvision's
     * offsets), then scale, normalise and lay out as {@code p} says; {@code resizeShortSide} and {@code cropSize}
     * of {@code p} are not used.
     *
     * @throws IntbenchException.InvalidInput when the resized image is too large or smaller than the crop
     */
    public static HostTensor load(Path image, Resize resize, int cropHeight, int cropWidth, Preprocess p) {
        if (cropHeight < 1 || cropWidth < 1 || cropHeight > MAX_SIDE || cropWidth > MAX_SIDE) {
            throw new IllegalArgumentException("crop size must be between 1 and " + MAX_SIDE + " on each side, got "
                    + cropHeight + "x" + cropWidth);
        }
        Rgb rgb = decode(image);
        int[] size = resize.apply(rgb.width(), rgb.height());
        int newW = size[0];
        int newH = size[1];
        if ((long) newW * newH > MAX_PIXELS) {
            throw new IntbenchException.InvalidInput(image + ": resizing its " + rgb.width() + "x" + rgb.height()
                    + " pixels (width x height) gives " + newW + "x" + newH + ", more than the 100 megapixels accepted;"
                    + " give a smaller resize");
        }
        if (newW < cropWidth || newH < cropHeight) {
            throw new IntbenchException.InvalidInput(image + ": the resized image is " + newH + "x" + newW
                    + " (height x width), smaller than the center crop " + cropHeight + "x" + cropWidth
                    + "; resize to at least the crop size");
        }
        Rgb resized = resize(rgb, newW, newH);
        // torchvision center_crop: int(round((h - crop) / 2.0)) with Python's half-to-even round.
        int top = (int) Math.rint((newH - cropHeight) / 2.0);
        int left = (int) Math.rint((newW - cropWidth) / 2.0);
        return toTensor(resized, left, top, cropWidth, cropHeight, p);
    }

    private static HostTensor toTensor(Rgb img, int left, int top, int cw, int ch, Preprocess p) {
        float[] out = new float[3 * cw * ch];
        float[] mean = p.mean;
        float[] std = p.std;
        for (int y = 0; y < ch; y++) {
            for (int x = 0; x < cw; x++) {
                int src = ((top + y) * img.width() + left + x) * 3;
                for (int c = 0; c < 3; c++) {
                    int from = p.bgr() ? 2 - c : c;
                    float v = (img.px()[src + from] * p.scale() - mean[c]) / std[c];
                    int dst = p.nhwc() ? (y * cw + x) * 3 + c : (c * ch + y) * cw + x;
                    out[dst] = v;
                }
            }
        }
        long[] shape = p.nhwc() ? new long[] {1, ch, cw, 3} : new long[] {1, 3, ch, cw};
        return HostTensor.ofFloats(shape, out);
    }

    // ---------------------------------------------------------------- decoding

    /** Largest image, decoded or resized, in pixels: 100 megapixels (1.2 GB of int samples) is not a classifier input. */
    private static final long MAX_PIXELS = 100_000_000L;

    static Rgb decode(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IntbenchException.InvalidInput(file + ": no such image file");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            // ImageIO reports corrupt data as IIOException and sometimes as unchecked exceptions from its decoders.
            throw new IntbenchException.InvalidInput(file + ": cannot decode image: " + e.getMessage(), e);
        }
        if (img == null) {
            throw new IntbenchException.InvalidInput(file + ": not a PNG, JPEG or other image format that Java can read");
        }
        int w = img.getWidth();
        int h = img.getHeight();
        if ((long) w * h > MAX_PIXELS) {
            throw new IntbenchException.InvalidInput(file + ": image is " + w + "x" + h
                    + " pixels; more than 100 megapixels is not a classifier input");
        }
        int[] px = new int[w * h * 3];
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        int type = cm.getColorSpace().getType();
        if (cm instanceof ComponentColorModel && (type == ColorSpace.TYPE_RGB || type == ColorSpace.TYPE_GRAY)) {
            int bits = cm.getComponentSize(0);
            int shift = bits > 8 ? bits - 8 : 0;
            boolean gray = type == ColorSpace.TYPE_GRAY;
            int[] row = new int[w * r.getNumBands()];
            for (int y = 0; y < h; y++) {
                r.getPixels(0, y, w, 1, row);
                int bands = r.getNumBands();
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < 3; c++) {
                        int v = row[x * bands + (gray ? 0 : c)] >>> shift;
                        if (bits < 8) {
                            v = v * 255 / ((1 << bits) - 1);
                        }
                        px[(y * w + x) * 3 + c] = v;
                    }
                }
            }
        } else {
            // Palette and packed images: their colour model maps samples to sRGB, which is what PIL's palette holds.
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < argb.length; i++) {
                px[i * 3] = argb[i] >> 16 & 0xFF;
                px[i * 3 + 1] = argb[i] >> 8 & 0xFF;
                px[i * 3 + 2] = argb[i] & 0xFF;
            }
        }
        return new Rgb(w, h, px);
    }

    // ---------------------------------------------------------------- Pillow-compatible resampling

    /** Pillow's fixed-point precision for 8-bit images: 32 - 8 - 2 bits (Resample.c PRECISION_BITS). */
    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** Coefficients of one pass: output i reads {@code k[i].length} inputs starting at {@code first[i]}. */
    private record Coeffs(int[] first, int[][] k) {}

    /** Pillow's {@code bilinear_filter}: the triangle (tent) function of support 1. */
    private static double triangle(double x) {
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    /** Pillow's {@code precompute_coeffs} followed by {@code normalize_coeffs_8bpc}, for a box covering the input. */
    private static Coeffs coeffs(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        // Downscaling widens the filter so that it averages all covered pixels (the antialiasing).
        double filterscale = Math.max(scale, 1.0);
        double support = 1.0 * filterscale;
        int[] first = new int[outSize];
        int[][] k = new int[outSize][];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterscale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double[] w = new double[Math.max(xmax, 0)];
            double ww = 0;
            for (int x = 0; x < w.length; x++) {
                w[x] = triangle((x + xmin - center + 0.5) * ss);
                ww += w[x];
            }
            int[] ki = new int[w.length];
            for (int x = 0; x < w.length; x++) {
                double v = ww != 0.0 ? w[x] / ww : w[x];
                // C's (int) truncates toward zero, as Java's cast does.
                ki[x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            first[xx] = xmin;
            k[xx] = ki;
        }
        return new Coeffs(first, k);
    }

    private static int clip8(int in) {
        if (in >= (1 << PRECISION_BITS << 8)) {
            return 255;
        }
        if (in <= 0) {
            return 0;
        }
        return in >> PRECISION_BITS;
    }

    /** Pillow's ImagingResample for an RGB image: horizontal pass then vertical pass, 8 bits in between. */
    static Rgb resize(Rgb in, int outW, int outH) {
        if (in.width() == outW && in.height() == outH) {
            return in;
        }
        int inW = in.width();
        int inH = in.height();
        Coeffs cx = coeffs(inW, outW);
        Coeffs cy = coeffs(inH, outH);
        int[] tmp = new int[outW * inH * 3];
        for (int y = 0; y < inH; y++) {
            for (int xx = 0; xx < outW; xx++) {
                int[] k = cx.k()[xx];
                int x0 = cx.first()[xx];
                for (int c = 0; c < 3; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int x = 0; x < k.length; x++) {
                        ss += in.px()[(y * inW + x0 + x) * 3 + c] * k[x];
                    }
                    tmp[(y * outW + xx) * 3 + c] = clip8(ss);
                }
            }
        }
        int[] out = new int[outW * outH * 3];
        for (int yy = 0; yy < outH; yy++) {
            int[] k = cy.k()[yy];
            int y0 = cy.first()[yy];
            for (int x = 0; x < outW; x++) {
                for (int c = 0; c < 3; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int y = 0; y < k.length; y++) {
                        ss += tmp[((y0 + y) * outW + x) * 3 + c] * k[y];
                    }
                    out[(yy * outW + x) * 3 + c] = clip8(ss);
                }
            }
        }
        return new Rgb(outW, outH, out);
    }
}
