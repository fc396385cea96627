package io.intbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.golden.Dataset;
import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.ProgramFile;
import io.intbench.isa.TensorDesc;
import io.intbench.sim.host.Images;
import io.intbench.sim.host.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** Options and helpers shared by the commands, so that names and meanings agree everywhere. */
final class Common {
    private Common() { }

    /** --verbose, shared by every command; {@link Main} reads it to decide whether errors show a stack trace. */
    static final class Verbose {
        @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors.")
        boolean on;
    }

    /** --config and --set. */
    static final class ConfigOptions {
        @Option(names = "--config", paramLabel = "CONFIG.json",
                description = "Hardware config file or preset name (default: the edge-16x16-ws preset).")
        String config;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "Override a config value by dotted path, e.g. --set array.rows=32 (repeatable).")
        List<String> overrides = new ArrayList<>();

        HardwareConfig load(String fallbackPreset) {
            HardwareConfig cfg;
            if (config == null) {
                cfg = fallbackPreset == null ? HardwareConfig.defaultConfig() : HardwareConfig.preset(fallbackPreset);
            } else if (Files.exists(Path.of(config))) {
                cfg = HardwareConfig.load(Path.of(config));
            } else if (!config.endsWith(".json")) {
                cfg = HardwareConfig.preset(config);
            } else {
                throw new IntbenchException.InvalidConfig("config file " + config + " does not exist");
            }
            return overrides.isEmpty() ? cfg : cfg.withOverrides(overrides);
        }
    }

    /** --requant and --bind. */
    static final class CompileOptions {
        @Option(names = "--requant", paramLabel = "MODE", defaultValue = "ort",
                description = "Requantization: 'ort' (bit-exact emulation of ONNX Runtime, default) or 'fixed-point' (gemmlowp/TFLite).")
        String requant;

        @Option(names = "--bind", paramLabel = "DIM=N",
                description = "Bind a symbolic input dimension, e.g. --bind batch_size=1 (unbound ones are 1).")
        Map<String, Long> bindings = new LinkedHashMap<>();

        Compiler.Options options() {
            return new Compiler.Options(RequantMode.parse(requant), bindings);
        }
    }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Writes JSON atomically (temporary file, then rename). */
    static void writeJson(Path file, Object value) {
        try {
            ProgramFile.writeAtomically(file, JSON.writeValueAsBytes(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /**
     * Reads the model input from an .npy file or an image (ImageNet preprocessing resized to the input's
     * height and width) for the single model input {@code name} of shape {@code shape}.
     */
    static HostTensor readInput(Path file, long[] shape) {
        if (!Files.exists(file)) {
            throw new IntbenchException.InvalidInput("input file " + file + " does not exist");
        }
        if (isImage(file)) {
            if (shape.length != 4 || shape[1] != 3) {
                throw new IntbenchException.InvalidInput("an image input needs a model input of shape [1,3,H,W]; this model's input is "
                        + java.util.Arrays.toString(shape));
            }
            Images.Preprocess pre = Images.Preprocess.imagenet();
            // the torchvision recipe (short side 256, centre crop 224) where the model takes 224x224, else a direct resize
            return shape[2] == pre.cropSize() && shape[3] == pre.cropSize()
                    ? Images.load(file, pre) : Images.load(file, (int) shape[2], (int) shape[3], pre);
        }
        return Npy.read(file);
    }

    /**
     * The samples of data-set mode for the model input {@code t}, or null when {@code input} is a single
     * sample of the input's shape and {@code force} is false (the ordinary single-sample run). A folder
     * gives its PNG/JPEG images in file-name order, each preprocessed as {@link #readInput} does; a
     * {@code .npy} gives the slices along its leading sample axis ({@link Dataset#split}).
     *
     * @throws IntbenchException.InvalidInput naming the file and both shapes when the array's shape is not
     *         N samples of the input's shape, or its type not the input's
     */
    static Dataset.Samples samples(Path input, TensorDesc t, boolean force) {
        String name = t.floatBoundary() ? t.onnxName() : t.name();
        DType want = t.floatBoundary() ? DType.FLOAT32 : t.dtype();
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
                    HostTensor x = readInput(images.get(i), shape);
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
        HostTensor x = readInput(input, shape);
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

    private static void check(HostTensor x, String file, String name, DType want, long[] shape) {
        if (!Arrays.equals(x.shape(), shape) || x.dtype() != want) {
            throw new IntbenchException.InvalidInput(file + " gives " + x.dtype().name().toLowerCase(Locale.ROOT) + Arrays.toString(x.shape())
                    + " but the model's input '" + name + "' is " + want.name().toLowerCase(Locale.ROOT) + Arrays.toString(shape));
        }
    }
}
