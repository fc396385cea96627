package io.intbench.cli;

import io.intbench.golden.Dataset;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.Program;
import io.intbench.isa.TensorDesc;
import io.intbench.sim.Simulator;
import io.intbench.sim.host.Images;
import io.intbench.sim.host.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * {@code --input}, {@code --seed} and the image preprocessing options: one picocli mixin shared by every command
 * that reads a model input ({@code simulate}, {@code golden}, {@code bench}), so that names, defaults and checks
 * agree everywhere.
 *
 * <p>An image goes through torchvision's classifier recipe ({@link Images}): resize, center crop, pixel scale,
 * mean/std, channel order, layout. The defaults are torchvision's common ImageNet preprocessing
 * ({@code Resize(256), CenterCrop(224), ToTensor(), Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224,
 * 0.225])}) with the crop taken from the model's input: a 224x224 input gets exactly that recipe; any other size
 * is resized directly to the input's height and width unless {@code --resize} says otherwise, because a
 * center crop of a detector's or segmenter's input would cut the photo. Option values are checked before any
 * work starts, each error naming its option; the checks that need the model's input shape run when the image
 * is read.
 */
final class InputOptions {
    /** torchvision's ImageNet statistics in R, G, B order, for pixels in [0, 1]. */
    static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    /** torchvision's short side for its 224 crop. */
    static final int IMAGENET_RESIZE = 256;
    static final int IMAGENET_CROP = 224;

    @Option(names = "--input", paramLabel = "X.npy|IMAGE",
            description = "The model's float input: .npy (C order, the ONNX input shape) or a PNG/JPEG image, preprocessed as"
                    + " --resize, --crop, --pixel-scale, --mean, --std, --channel-order and --layout say; golden also takes an .npy"
                    + " of [N, ...input shape] or a folder of images (data-set mode). Default: seeded random.")
    Path input;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of the random input (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--resize", paramLabel = "N|HxW",
            description = "Images: resize the short side to N keeping the aspect ratio, or to exactly HxW, before the"
                    + " center crop (default: 256 for a 224x224 model input, else the input's own HxW).")
    String resize;

    @Option(names = "--crop", paramLabel = "N|HxW",
            description = "Images: the center crop after the resize; it must be the model input's height and width (the default).")
    String crop;

    @Option(names = "--mean", paramLabel = "M[,M,M]",
            description = "Images: subtracted per channel after the pixel scale, in the order of --channel-order; one value"
                    + " for all channels or three (default ImageNet's 0.485,0.456,0.406 for R,G,B, times 255 with --pixel-scale 255).")
    String mean;

    @Option(names = "--std", paramLabel = "S[,S,S]",
            description = "Images: divides per channel after the mean, in the order of --channel-order; one value or three"
                    + " (default ImageNet's 0.229,0.224,0.225 for R,G,B, times 255 with --pixel-scale 255).")
    String std;

    @Option(names = "--channel-order", paramLabel = "rgb|bgr",
            description = "Images: channel order of the tensor: rgb (default) or bgr (Caffe- and OpenCV-trained models).")
    String channelOrder;

    @Option(names = "--layout", paramLabel = "nchw|nhwc",
            description = "Images: nchw or nhwc (default: from the model's input shape, [1,3,H,W] or [1,H,W,3]).")
    String layout;

    @Option(names = "--pixel-scale", paramLabel = "1|255",
            description = "Images: pixel values before mean/std in [0, 1] (1, torchvision's ToTensor, default) or [0, 255] (255).")
    String pixelScale;

    /**
     * Checks every preprocessing value given, and that they have an image to apply to: a typo or a mean meant
     * for an image but given with an .npy input fails before any compiling or simulating.
     *
     * @throws IntbenchException.InvalidInput naming the option and the value, with what it takes
     */
    void check() {
        preprocess(false);
        if (resize != null) {
            resize();
        }
        if (crop != null) {
            size("--crop", crop);
        }
        String given = resize != null ? "--resize" : crop != null ? "--crop" : mean != null ? "--mean" : std != null ? "--std"
                : channelOrder != null ? "--channel-order" : layout != null ? "--layout" : pixelScale != null ? "--pixel-scale" : null;
        if (given != null && (input == null || !(isImage(input) || Files.isDirectory(input)))) {
            throw new IntbenchException.InvalidInput(given + " preprocesses image inputs (PNG/JPEG or a folder of them), but "
                    + (input == null ? "no --input is given (the input is seeded random)" : "--input " + input + " is not an image")
                    + "; drop " + given + " or give an image");
        }
    }

    /** The model's inputs: the single input from {@code --input}, or seeded random inputs for all of them. */
    Map<String, HostTensor> inputs(Program p) {
        if (input == null) {
            return Simulator.randomInputs(p, seed);
        }
        List<TensorDesc> ins = p.tensors(TensorDesc.Role.INPUT);
        if (ins.size() != 1) {
            throw new IntbenchException.InvalidInput("--input gives one tensor but the model has " + ins.size() + " inputs");
        }
        if (Files.isDirectory(input)) {
            throw new IntbenchException.InvalidInput("--input " + input + " is a folder; only golden runs a folder of images"
                    + " (data-set mode): give one .npy or image file");
        }
        TensorDesc t = ins.get(0);
        String name = name(t);
        DType want = dtype(t);
        HostTensor x = read(input, t.shape(), name);
        check(x, input.toString(), name, want, t.shape());
        Map<String, HostTensor> m = new LinkedHashMap<>();
        m.put(name, x);
        return m;
    }

    /**
     * Reads the model input {@code name} of shape {@code shape} from an .npy file or an image, preprocessed as the
     * options say.
     */
    HostTensor read(Path file, long[] shape, String name) {
        if (!Files.exists(file)) {
            throw new IntbenchException.InvalidInput("input file " + file + " does not exist");
        }
        return isImage(file) ? image(file, shape, name) : Npy.read(file);
    }

    /** An image preprocessed for the model input {@code name} of shape {@code shape}. */
    HostTensor image(Path file, long[] shape, String name) {
        boolean nhwc = nhwc(file, shape, name);
        int h = (int) shape[nhwc ? 1 : 2];
        int w = (int) shape[nhwc ? 2 : 3];
        if (h < 1 || w < 1 || h > Images.MAX_SIDE || w > Images.MAX_SIDE) {
            throw new IntbenchException.InvalidInput("the model's input '" + name + "' " + Arrays.toString(shape) + " is not an image size"
                    + " (1 to " + Images.MAX_SIDE + " pixels a side); give an .npy instead of " + file);
        }
        if (crop != null) {
            int[] c = size("--crop", crop);
            if (c[0] != h || c[1] != w) {
                throw new IntbenchException.InvalidInput("--crop " + crop + " gives a " + c[0] + "x" + c[1] + " image but the model's input '"
                        + name + "' " + Arrays.toString(shape) + " takes " + h + "x" + w + " (height x width); give --crop " + h + "x" + w
                        + " or leave it out");
            }
        }
        Images.Resize r = resize != null ? resize()
                : h == IMAGENET_CROP && w == IMAGENET_CROP ? Images.Resize.shortSide(IMAGENET_RESIZE) : Images.Resize.exact(h, w);
        if (r.shortSide() == 0 && (r.height() < h || r.width() < w)) {
            throw new IntbenchException.InvalidInput("--resize " + resize + " is smaller than the center crop " + h + "x" + w
                    + " that the model's input '" + name + "' " + Arrays.toString(shape) + " takes; resize to at least " + h + "x" + w);
        }
        Images.Preprocess pre = preprocess(nhwc);
        return Images.load(file, r, h, w, pre);
    }

    /** NHWC or NCHW for an image: --layout, or what the model's input shape allows. */
    private boolean nhwc(Path file, long[] shape, String name) {
        boolean nchwFits = shape.length == 4 && shape[0] == 1 && shape[1] == 3;
        boolean nhwcFits = shape.length == 4 && shape[0] == 1 && shape[3] == 3;
        String l = layout == null ? null : layout.toLowerCase(Locale.ROOT);
        if ("nchw".equals(l) && !nchwFits || "nhwc".equals(l) && !nhwcFits) {
            throw new IntbenchException.InvalidInput("--layout " + layout + " needs a model input of shape "
                    + ("nchw".equals(l) ? "[1, 3, H, W]" : "[1, H, W, 3]") + " but the model's input '" + name + "' is "
                    + Arrays.toString(shape) + " (image " + file + ")");
        }
        if (l == null && !nchwFits && !nhwcFits) {
            throw new IntbenchException.InvalidInput("an image input (" + file + ") needs a model input of shape [1, 3, H, W] (NCHW) or"
                    + " [1, H, W, 3] (NHWC); the model's input '" + name + "' is " + Arrays.toString(shape) + "; give an .npy instead");
        }
        return l == null ? !nchwFits : l.equals("nhwc");
    }

    /**
     * Scale, mean, std, channel order and layout from the options; the resize and crop fields of the result are
     * placeholders that {@link Images#load(Path, Images.Resize, int, int, Images.Preprocess)} does not read.
     */
    private Images.Preprocess preprocess(boolean nhwc) {
        boolean bgr = false;
        if (channelOrder != null) {
            String c = channelOrder.toLowerCase(Locale.ROOT);
            if (!c.equals("rgb") && !c.equals("bgr")) {
                throw new IntbenchException.InvalidInput("--channel-order takes rgb or bgr, got '" + channelOrder + "'");
            }
            bgr = c.equals("bgr");
        }
        if (layout != null && !layout.equalsIgnoreCase("nchw") && !layout.equalsIgnoreCase("nhwc")) {
            throw new IntbenchException.InvalidInput("--layout takes nchw or nhwc, got '" + layout + "'");
        }
        float range = 1f;
        if (pixelScale != null) {
            if (!pixelScale.equals("1") && !pixelScale.equals("255")) {
                throw new IntbenchException.InvalidInput("--pixel-scale takes 1 (pixels in [0, 1], as torchvision's ToTensor) or 255"
                        + " (pixels in [0, 255]), got '" + pixelScale + "'");
            }
            range = pixelScale.equals("255") ? 255f : 1f;
        }
        float[] m = mean != null ? channels("--mean", mean, false) : defaults(IMAGENET_MEAN, bgr, range);
        float[] s = std != null ? channels("--std", std, true) : defaults(IMAGENET_STD, bgr, range);
        return new Images.Preprocess(Images.MAX_SIDE, Images.MAX_SIDE, m, s, bgr, nhwc, range == 1f ? 1f / 255f : 1f);
    }

    /** ImageNet's statistics in the tensor's channel order and pixel range, so that the default normalisation never changes. */
    private static float[] defaults(float[] rgb, boolean bgr, float range) {
        float[] v = new float[3];
        for (int c = 0; c < 3; c++) {
            v[c] = rgb[bgr ? 2 - c : c] * range;
        }
        return v;
    }

    private static float[] channels(String option, String value, boolean positive) {
        String[] parts = value.split(",", -1);
        if (parts.length != 1 && parts.length != 3) {
            throw new IntbenchException.InvalidInput(option + " takes one value for every channel or three comma-separated values,"
                    + " one per channel; got '" + value + "' (" + parts.length + " values)");
        }
        float[] v = new float[3];
        for (int c = 0; c < 3; c++) {
            String p = parts[parts.length == 1 ? 0 : c].strip();
            try {
                v[c] = Float.parseFloat(p);
            } catch (NumberFormatException e) {
                throw new IntbenchException.InvalidInput(option + " takes numbers such as 0.485,0.456,0.406; '" + p + "' in '" + value
                        + "' is not a number", e);
            }
            if (!Float.isFinite(v[c]) || positive && v[c] <= 0) {
                throw new IntbenchException.InvalidInput(option + " values must be finite" + (positive ? " and positive (it divides)" : "")
                        + "; got " + p + " in '" + value + "'");
            }
        }
        return v;
    }

    private Images.Resize resize() {
        if (resize.toLowerCase(Locale.ROOT).contains("x")) {
            int[] s = size("--resize", resize);
            return Images.Resize.exact(s[0], s[1]);
        }
        return Images.Resize.shortSide(size("--resize", resize)[0]);
    }

    /** {@code N} or {@code HxW}, each side between 1 and {@link Images#MAX_SIDE}, as {height, width}. */
    private static int[] size(String option, String value) {
        String[] parts = value.toLowerCase(Locale.ROOT).split("x", -1);
        if (parts.length > 2) {
            throw new IntbenchException.InvalidInput(option + " takes N or HxW (height x width), e.g. 224 or 224x320; got '" + value + "'");
        }
        int[] s = new int[2];
        for (int i = 0; i < 2; i++) {
            String p = parts[Math.min(i, parts.length - 1)].strip();
            long n;
            try {
                n = Long.parseLong(p);
            } catch (NumberFormatException e) {
                throw new IntbenchException.InvalidInput(option + " takes N or HxW (height x width), e.g. 224 or 224x320; got '"
                        + value + "'", e);
            }
            if (n < 1 || n > Images.MAX_SIDE) {
                throw new IntbenchException.InvalidInput(option + " sizes must be between 1 and " + Images.MAX_SIDE + " pixels; got '"
                        + value + "'");
            }
            s[i] = (int) n;
        }
        return s;
    }

    /**
     * The samples of data-set mode for the model input {@code t}, or null when {@code --input} is a single sample
     * of the input's shape and {@code force} is false (the ordinary single-sample run). A folder gives its PNG/JPEG
     * images in file-name order, each preprocessed as {@link #image} does; a {@code .npy} gives the slices along
     * its leading sample axis ({@link Dataset#split}).
     *
     * @throws IntbenchException.InvalidInput naming the file and both shapes when the array's shape is not
     *         N samples of the input's shape, or its type not the input's
     */
    Dataset.Samples samples(TensorDesc t, boolean force) {
        String name = name(t);
        DType want = dtype(t);
        long[] shape = t.shape();
        if (Files.isDirectory(input)) {
            List<Path> images;
            try (Stream<Path> s = Files.list(input)) {
                images = s.filter(f -> Files.isRegularFile(f) && isImage(f))
                        .sorted(Comparator.comparing(f -> f.getFileName().toString())).toList();
            } catch (IOException e) {
                throw new IntbenchException.InvalidInput("cannot list the input folder " + input + ": " + e.getMessage(), e);
            }
            if (images.isEmpty()) {
                throw new IntbenchException.InvalidInput("the input folder " + input + " holds no PNG or JPEG images (*.png, *.jpg, *.jpeg)");
            }
            return new Dataset.Samples() {
                @Override
                public int size() {
                    return images.size();
                }

                @Override
                public Map<String, HostTensor> get(int i) {
                    HostTensor x = read(images.get(i), shape, name);
                    check(x, images.get(i).toString(), name, want, shape);
                    return Map.of(name, x);
                }

                @Override
                public String source(int i) {
                    return images.get(i).getFileName().toString();
                }
            };
        }
        if (isImage(input) && !force) {
            return null;
        }
        HostTensor x = read(input, shape, name);
        if (Arrays.equals(x.shape(), shape) && !force) {
            return null;
        }
        if (x.dtype() != want) {
            throw new IntbenchException.InvalidInput(input + " holds " + x.dtype().name().toLowerCase(Locale.ROOT)
                    + Arrays.toString(x.shape()) + " but the model's input '" + name + "' is " + want.name().toLowerCase(Locale.ROOT)
                    + Arrays.toString(shape));
        }
        List<HostTensor> split = Dataset.split(x, shape, input.toString());
        String file = input.getFileName().toString();
        return new Dataset.Samples() {
            @Override
            public int size() {
                return split.size();
            }

            @Override
            public Map<String, HostTensor> get(int i) {
                return Map.of(name, split.get(i));
            }

            @Override
            public String source(int i) {
                return isImage(input) ? file : file + "[" + i + "]";
            }
        };
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /** The name the host gives the input: the ONNX name of a float input, else the quantized tensor's. */
    private static String name(TensorDesc t) {
        return t.floatBoundary() ? t.onnxName() : t.name();
    }

    private static DType dtype(TensorDesc t) {
        return t.floatBoundary() ? DType.FLOAT32 : t.dtype();
    }

    private static void check(HostTensor x, String file, String name, DType want, long[] shape) {
        if (!Arrays.equals(x.shape(), shape) || x.dtype() != want) {
            throw new IntbenchException.InvalidInput(file + " holds " + x.dtype().name().toLowerCase(Locale.ROOT) + Arrays.toString(x.shape())
                    + " but the model's input '" + name + "' is " + want.name().toLowerCase(Locale.ROOT) + Arrays.toString(shape));
        }
    }
}
