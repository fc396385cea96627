package io.intbench.cli;

import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Program;
import io.intbench.isa.ProgramFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "compile", mixinStandardHelpOptions = true,
        description = "Compile a statically quantized ONNX model (QDQ or QOperator) to an integer-only program.",
        footer = {"", "Example:", "  intbench compile model.onnx --config configs/edge-16x16-ws.json -o model.ibc"})
final class CompileCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The quantized ONNX model.")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "PROGRAM.ibc", description = "Program file to write.")
    Path output;

    @Mixin
    Common.ConfigOptions config = new Common.ConfigOptions();

    @Mixin
    Common.CompileOptions compile = new Common.CompileOptions();

    @Mixin
    Common.Verbose verbose = new Common.Verbose();

    @Mixin
    Common.ProgressOption progress = new Common.ProgressOption();

    @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
    boolean quiet;

    @Override
    public Integer call() {
        HardwareConfig cfg = config.load(null);
        long t0 = System.nanoTime();
        Program p = progress.compile(model, cfg, compile.options(), quiet).program();
        ProgramFile.write(p, output);
        if (!quiet) {
            System.out.printf("compiled %s for %s (%s requantization) in %.0f ms: %d layers, %d instructions, %d bytes of constants -> %s%n",
                    model.getFileName(), cfg.name(), p.requantModeName(), (System.nanoTime() - t0) / 1e6, p.layers().size(),
                    p.code().size(), p.image().length, output);
        }
        return 0;
    }
}
