package io.intbench.cli;

import io.intbench.isa.Disassembler;
import io.intbench.isa.ProgramFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "disasm", mixinStandardHelpOptions = true,
        description = "Print a program readably: tensors, layer descriptors and instructions with their ONNX nodes.",
        footer = {"", "Example:", "  intbench disasm model.ibc | less"})
final class DisasmCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PROGRAM.ibc")
    Path program;

    @Mixin
    Common.Verbose verbose = new Common.Verbose();

    @Override
    public Integer call() {
        System.out.print(Disassembler.disassemble(ProgramFile.read(program)));
        return 0;
    }
}
