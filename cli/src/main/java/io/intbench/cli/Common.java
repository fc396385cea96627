package io.intbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.ProgramFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options and helpers shared by the commands, so that names and meanings agree everywhere. */
final class Common {
    private Common() { }

    /** --verbose, shared by every command; {@link Main} reads it to decide whether errors show a stack trace. */
    static final class Verbose {
        @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors.")
        boolean on;
    }

    /** --progress / --no-progress, shared by every command that can take more than a couple of seconds. */
    static final class ProgressOption {
        @Option(names = "--progress", negatable = true,
                description = "Progress bars on stderr: --progress always, --no-progress never (default: when stderr is a terminal, never with --quiet).")
        Boolean on;

        /** A bar for {@code total} steps of {@code what}, silent under --quiet ({@code quiet}) or --no-progress. */
        Progress start(String what, long total, boolean quiet) {
            return Progress.start(what, total, Progress.Mode.of(on, quiet));
        }

        /** Compiles with a bar over the compiler's stages. */
        Compiler.Result compile(Path model, HardwareConfig cfg, Compiler.Options o, boolean quiet) {
            Progress bar = start("compile", Compiler.STAGES, quiet);
            try {
                return Compiler.compile(model, cfg, o, bar::step);
            } finally {
                bar.done();
            }
        }
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
}
