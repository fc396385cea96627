package io.intbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.ProgramFile;
import io.intbench.sim.host.Images;
import io.intbench.sim.host.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options and helpers shared by the commands, so that names and meanings agree everywhere. */
final class Common {
    private Common() { }

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
}
