package io.intbench.cli;

import io.intbench.compiler.Compiler;
import io.intbench.golden.Explain;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.ProgramFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Show, for each quantized group of a model, the integer op it becomes, its types, scales,",
            "zero points and requantization constants, and whether ONNX Runtime runs it as an integer kernel;",
            "then the tensors passed between layers and the count of floating-point operations between them."},
        footer = {"", "Examples:", "  intbench explain model.onnx", "  intbench explain model.onnx --dot model.dot && dot -Tsvg model.dot > model.svg"})
final class ExplainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.onnx")
    Path model;

    @Option(names = "--dot", paramLabel = "FILE.dot", description = "Write the lowered integer graph as Graphviz DOT.")
    Path dot;

    @Mixin
    Common.ConfigOptions config = new Common.ConfigOptions();

    @Mixin
    Common.CompileOptions compile = new Common.CompileOptions();

    @Mixin
    Common.Verbose verbose = new Common.Verbose();

    @Mixin
    Common.ProgressOption progress = new Common.ProgressOption();

    @Override
    public Integer call() {
        HardwareConfig cfg = config.load(null);
        Compiler.Result c = progress.compile(model, cfg, compile.options(), false);
        Explain.Result r = Explain.explain(c);
        System.out.print(Explain.text(c, r));
        if (dot != null) {
            ProgramFile.writeAtomically(dot, r.dot().getBytes(StandardCharsets.UTF_8));
        }
        return 0;
    }
}
