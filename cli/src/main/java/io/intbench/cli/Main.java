package io.intbench.cli;

import io.intbench.isa.IntbenchException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code intbench} command. Exit status: 0 success, 1 golden mismatch, 2 bad usage, 3 invalid or unsupported input. */
@Command(name = "intbench", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Compile statically quantized ONNX models to integer-only accelerator programs, simulate them"
                + " cycle-approximately and compare every quantized tensor with ONNX Runtime.",
        subcommands = {CompileCommand.class, DisasmCommand.class, SimulateCommand.class, GoldenCommand.class, ExplainCommand.class, SweepCommand.class, BenchCommand.class, ConfigsCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Exit status: 0 success, 1 golden mismatch, 2 bad usage, 3 invalid or unsupported input.",
            "Examples:", "  intbench golden                          run the bundled MobileNetV2 example",
            "  intbench compile model.onnx -o model.ibc", "  intbench simulate model.ibc --report report.json"})
public final class Main implements Runnable {
    public static final int EXIT_MISMATCH = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_INVALID = 3;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit status (used by tests). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(e -> e instanceof IntbenchException ? EXIT_INVALID : EXIT_USAGE);
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("intbench: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, line, parse) -> {
            boolean verbose = parse.originalArgs().contains("--verbose") || parse.originalArgs().contains("-v");
            PrintWriter err = line.getErr();
            if (ex instanceof IntbenchException) {
                err.println("intbench: " + ex.getMessage());
                if (verbose) {
                    ex.printStackTrace(err);
                }
                err.flush();
                return EXIT_INVALID;
            }
            if (ex instanceof IllegalArgumentException) {
                err.println("intbench: " + ex.getMessage());
                if (verbose) {
                    ex.printStackTrace(err);
                }
                err.flush();
                return EXIT_USAGE;
            }
            err.println("intbench: internal error: " + ex + (verbose ? "" : " (run with --verbose for the stack trace)"));
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return 4;
        });
        return cl.execute(args);
    }

    /** intbench, ONNX Runtime and Java versions. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"intbench " + (v == null ? "dev" : v),
                "ONNX Runtime " + io.intbench.golden.OrtRunner.version(),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
