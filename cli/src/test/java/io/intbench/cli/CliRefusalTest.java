package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.sim.host.Npy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input, one case at a time: exit status 3 (invalid or unsupported input) or 2 (bad usage), one paragraph on
 * stderr naming what is wrong and where, no stack trace or Java class name, and nothing left behind: neither the
 * requested output nor a temporary file. Each case runs in a fresh folder holding only its inputs, so "nothing
 * left behind" is "the folder lists the same names afterwards".
 */
class CliRefusalTest {
    static final int INVALID = Main.EXIT_INVALID;
    static final int USAGE = Main.EXIT_USAGE;

    @TempDir
    static Path shared;
    /** LeNet compiled for the default config, copied into a case's folder where needed. */
    static Path program;

    @BeforeAll
    static void compileOnce() {
        Path model = Cli.fixture(CliHappyPathTest.MODEL, shared);
        program = shared.resolve("lenet.ibc");
        Cli.Result r = Cli.run("compile", model, "-o", program, "-q");
        assertEquals(0, r.status(), r::toString);
    }

    @TempDir
    Path dir;

    /** Runs a command in {@link #dir} and checks the refusal contract and that the folder did not change. */
    Cli.Result refused(int status, List<Object> args, String... fragments) {
        Set<String> before = Cli.listing(dir);
        Cli.Result r = Cli.run(args.toArray());
        Cli.assertRefused(r, status, fragments);
        assertEquals(before, Cli.listing(dir), () -> "files left behind\n" + r);
        return r;
    }

    Path programCopy() throws IOException {
        return Files.copy(program, dir.resolve("lenet.ibc"));
    }

    Path lenet() {
        return Cli.fixture(CliHappyPathTest.MODEL, dir);
    }

    // ------------------------------------------------------------------------------------------------ models

    @Test
    void truncatedModel() throws IOException {
        byte[] whole = Cli.fixtureBytes(CliHappyPathTest.MODEL);
        Path m = Files.write(dir.resolve("lenet-truncated.onnx"), Arrays.copyOf(whole, 1000));
        refused(INVALID, List.of("compile", m, "-o", dir.resolve("P.ibc")), "lenet-truncated.onnx", "not a valid ONNX",
                "byte offset");
        refused(INVALID, List.of("golden", m, "--report", dir.resolve("g.json")), "lenet-truncated.onnx", "not a valid ONNX");
    }

    @Test
    void textFileIsNotOnnx() throws IOException {
        Path m = Files.writeString(dir.resolve("notes.onnx"), "This is a text file, not a model.\n");
        refused(INVALID, List.of("compile", m, "-o", dir.resolve("P.ibc")), "notes.onnx", "not a valid ONNX");
    }

    @Test
    void pngImageIsNotOnnx() {
        Path m = Cli.fixture("chelsea.png", dir, "chelsea.onnx");
        refused(INVALID, List.of("compile", m, "-o", dir.resolve("P.ibc")), "chelsea.onnx", "not a valid ONNX");
    }

    @Test
    void floatOnlyModel() {
        Path m = Cli.fixture("lenet.float.onnx", dir);
        refused(INVALID, List.of("compile", m, "-o", dir.resolve("P.ibc")), "lenet.float.onnx", "float-only");
        refused(INVALID, List.of("golden", m, "--report", dir.resolve("g.json")), "lenet.float.onnx", "float-only");
    }

    @Test
    void dynamicallyQuantizedMatMulInteger() {
        Path m = Cli.fixture("test_matmulinteger.onnx", dir);
        refused(INVALID, List.of("compile", m, "-o", dir.resolve("P.ibc")), "test_matmulinteger.onnx",
                "dynamically quantized", "MatMulInteger");
    }

    @Test
    void dynamicallyQuantizedDynamicQuantizeLinear() {
        Path m = Cli.fixture("test_dynamicquantizelinear.onnx", dir);
        refused(INVALID, List.of("compile", m, "-o", dir.resolve("P.ibc")), "test_dynamicquantizelinear.onnx",
                "dynamically quantized", "DynamicQuantizeLinear");
    }

    /** One run lists every offending node with its op type, domain and opset (STYLE.md: collect every problem). */
    @Test
    void unsupportedOpsAreAllListed() throws IOException {
        Path m = Files.write(dir.resolve("unsupported.onnx"), QdqModelBuilder.unsupportedOpModel().toByteArray());
        Cli.Result r = refused(INVALID, List.of("compile", m, "-o", dir.resolve("P.ibc")), "unsupported.onnx",
                "einsum1", "Einsum", "topk1", "TopK", "opset 13");
        String err = r.err();
        assertTrue(err.contains("ai.onnx") || err.contains("default domain") || err.contains("domain ''")
                || err.contains("domain \"\""), "names the domain of the ops\n" + r);
    }

    @Test
    void missingModelFileExitsThreeAndNamesTheFile() {
        Path m = dir.resolve("missing.onnx");
        for (List<Object> args : List.of(List.<Object>of("compile", m, "-o", dir.resolve("P.ibc")),
                List.<Object>of("golden", m, "--report", dir.resolve("g.json")))) {
            Cli.Result r = Cli.run(args.toArray());
            assertEquals(INVALID, r.status(), r::toString);
            assertTrue(r.err().contains("missing.onnx") && !r.err().contains("\tat "), r::toString);
            assertEquals(Set.of(), Cli.listing(dir));
        }
    }

    @Test
    void missingModelFile() {
        Path m = dir.resolve("missing.onnx");
        refused(INVALID, List.of("compile", m, "-o", dir.resolve("P.ibc")), "missing.onnx", "does not exist");
        refused(INVALID, List.of("golden", m, "--report", dir.resolve("g.json")), "missing.onnx", "does not exist");
    }

    // ------------------------------------------------------------------------------------------------ programs

    @Test
    void missingProgramFileExitsThreeAndNamesTheFile() {
        Path p = dir.resolve("missing.ibc");
        for (List<Object> args : List.of(List.<Object>of("disasm", p),
                List.<Object>of("simulate", p, "--report", dir.resolve("r.json"), "--output", dir.resolve("y.npy")))) {
            Cli.Result r = Cli.run(args.toArray());
            assertEquals(INVALID, r.status(), r::toString);
            assertTrue(r.err().contains("missing.ibc") && !r.err().contains("\tat "), r::toString);
            assertEquals(Set.of(), Cli.listing(dir));
        }
    }

    @Test
    void missingProgramFile() {
        Path p = dir.resolve("missing.ibc");
        refused(INVALID, List.of("disasm", p), "missing.ibc", "does not exist");
        refused(INVALID, List.of("simulate", p, "--report", dir.resolve("r.json")), "missing.ibc", "does not exist");
    }

    @Test
    void corruptProgramFile() throws IOException {
        byte[] b = Files.readAllBytes(program);
        int middle = b.length / 2;
        b[middle] ^= 0x5A;
        Path p = Files.write(dir.resolve("corrupt.ibc"), b);
        refused(INVALID, List.of("disasm", p), "corrupt.ibc", "checksum", "byte offset");
        refused(INVALID, List.of("simulate", p, "--output", dir.resolve("y.npy"), "--report", dir.resolve("r.json"),
                "--trace", dir.resolve("t.json")), "corrupt.ibc", "checksum", "byte offset");
    }

    @Test
    void modelFileGivenAsProgram() {
        Path m = lenet();
        refused(INVALID, List.of("simulate", m, "--report", dir.resolve("r.json")), "lenet.u8s8pc.qdq.onnx",
                "not an intbench program");
    }

    @Test
    void programSimulatedOnAnotherConfigNamesBoth() throws IOException {
        Path p = programCopy();
        refused(INVALID, List.of("simulate", p, "--config", "tiny-4x4", "--report", dir.resolve("r.json"),
                "--output", dir.resolve("y.npy")), "edge-16x16-ws", "tiny-4x4");
    }

    // ------------------------------------------------------------------------------------------------ inputs

    /** A version 1.0 .npy file written byte by byte, so the header can say what Npy.write would never write. */
    static byte[] npy(String descr, boolean fortran, long[] shape, byte[] data) {
        StringBuilder s = new StringBuilder("(");
        for (long d : shape) {
            s.append(d).append(", ");
        }
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': "
                + s.toString().replaceAll(", $", shape.length == 1 ? "," : "") + "), }";
        int unpadded = 10 + dict.length() + 1;
        int padded = (unpadded + 63) / 64 * 64;
        String header = dict + " ".repeat(padded - unpadded) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length() & 0xFF);
        out.write(header.length() >>> 8);
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }

    /** Runs both commands that take --input, on the program and on the model. */
    void refusedAsInput(Path x, String... fragments) throws IOException {
        Path p = programCopy();
        Path m = lenet();
        refused(INVALID, List.of("simulate", p, "--input", x, "--output", dir.resolve("y.npy"), "--report",
                dir.resolve("r.json")), fragments);
        refused(INVALID, List.of("golden", m, "--input", x, "--report", dir.resolve("g.json")), fragments);
    }

    @Test
    void npyOfWrongShape() throws IOException {
        Path x = dir.resolve("x-27.npy");
        Npy.write(x, HostTensor.ofFloats(new long[] {1, 1, 28, 27}, new float[28 * 27]));
        refusedAsInput(x, "input", "[1, 1, 28, 27]", "[1, 1, 28, 28]");
    }

    @Test
    void npyOfWrongDtype() throws IOException {
        Path x = dir.resolve("x-int32.npy");
        Npy.write(x, HostTensor.ofInts(DType.INT32, new long[] {1, 1, 28, 28}, new int[28 * 28]));
        refusedAsInput(x, "int32", "float32");
    }

    @Test
    void npyInFortranOrder() throws IOException {
        Path x = Files.write(dir.resolve("x-fortran.npy"), npy("<f4", true, new long[] {1, 1, 28, 28}, new byte[4 * 28 * 28]));
        refusedAsInput(x, "x-fortran.npy", "Fortran");
    }

    @Test
    void npyBigEndian() throws IOException {
        Path x = Files.write(dir.resolve("x-be.npy"), npy(">f4", false, new long[] {1, 1, 28, 28}, new byte[4 * 28 * 28]));
        refusedAsInput(x, "x-be.npy", ">f4");
    }

    @Test
    void npyTruncatedData() throws IOException {
        Path x = Files.write(dir.resolve("x-short.npy"), npy("<f4", false, new long[] {1, 1, 28, 28}, new byte[100]));
        refusedAsInput(x, "x-short.npy");
    }

    @Test
    void inputThatIsNotNpy() throws IOException {
        Path x = Files.writeString(dir.resolve("x.npy"), "0.1 0.2 0.3\n");
        refusedAsInput(x, "x.npy", "not a .npy file");
    }

    @Test
    void missingInputFile() throws IOException {
        refusedAsInput(dir.resolve("nothere.npy"), "nothere.npy", "does not exist");
    }

    /** A 4x4 RGB PNG in {@link #dir}. */
    Path png() throws IOException {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB);
        Path f = dir.resolve("photo.png");
        javax.imageio.ImageIO.write(img, "png", f.toFile());
        return f;
    }

    /** Runs simulate and golden on LeNet with {@code --input x} and the options {@code extra}. */
    void refusedWithOptions(Path x, List<String> extra, String... fragments) throws IOException {
        Path p = Files.exists(dir.resolve("lenet.ibc")) ? dir.resolve("lenet.ibc") : programCopy();
        Path m = lenet();
        List<Object> sim = new java.util.ArrayList<>(List.of("simulate", p, "--input", x, "--report", dir.resolve("r.json")));
        sim.addAll(extra);
        refused(INVALID, sim, fragments);
        List<Object> golden = new java.util.ArrayList<>(List.of("golden", m, "--input", x, "--report", dir.resolve("g.json")));
        golden.addAll(extra);
        refused(INVALID, golden, fragments);
    }

    @Test
    void badPreprocessingValues() throws IOException {
        Path x = png();
        refusedWithOptions(x, List.of("--resize", "abc"), "--resize", "'abc'", "HxW");
        refusedWithOptions(x, List.of("--resize", "0"), "--resize", "between 1 and 16384");
        refusedWithOptions(x, List.of("--crop", "224x224x3"), "--crop", "224x224x3");
        refusedWithOptions(x, List.of("--mean", "0.5,0.4"), "--mean", "0.5,0.4", "three");
        refusedWithOptions(x, List.of("--mean", "a,b,c"), "--mean", "'a'", "not a number");
        refusedWithOptions(x, List.of("--std", "0.2,0,0.2"), "--std", "positive");
        refusedWithOptions(x, List.of("--std", "Infinity"), "--std", "finite");
        refusedWithOptions(x, List.of("--channel-order", "rbg"), "--channel-order", "rgb or bgr", "'rbg'");
        refusedWithOptions(x, List.of("--layout", "nwhc"), "--layout", "nchw or nhwc", "'nwhc'");
        refusedWithOptions(x, List.of("--pixel-scale", "2"), "--pixel-scale", "1", "255", "'2'");
    }

    @Test
    void preprocessingWithoutAnImage() throws IOException {
        Path npy = Cli.fixture("lenet.input.npy", dir);
        refusedWithOptions(npy, List.of("--mean", "0.5"), "--mean", "image", "lenet.input.npy", "is not an image");
        refused(INVALID, List.of("simulate", dir.resolve("lenet.ibc"), "--resize", "256"), "--resize", "no --input", "random");
        refused(INVALID, List.of("simulate", dir.resolve("lenet.ibc"), "--input", dir), dir.toString(), "folder", "only golden");
    }

    @Test
    void imageForAModelWithoutThreeChannels() throws IOException {
        // LeNet takes [1, 1, 28, 28]: an RGB image fits neither layout
        refusedWithOptions(png(), List.of(), "photo.png", "[1, 3, H, W]", "[1, H, W, 3]", "[1, 1, 28, 28]");
        refusedWithOptions(png(), List.of("--layout", "nhwc"), "--layout nhwc", "[1, H, W, 3]", "[1, 1, 28, 28]");
    }

    // ------------------------------------------------------------------------------------------------ configs

    @Test
    void unknownConfigKeyViaSet() throws IOException {
        Path m = lenet();
        refused(INVALID, List.of("compile", m, "--set", "array.bogus=3", "-o", dir.resolve("P.ibc")), "array.bogus",
                "unknown key", "array.rows");
        Path p = programCopy();
        refused(INVALID, List.of("simulate", p, "--set", "array.bogus=3", "--report", dir.resolve("r.json")),
                "array.bogus", "unknown key");
    }

    /** A config file with an unknown key, the key on line 3. */
    Path configWithUnknownKey() throws IOException {
        return Files.writeString(dir.resolve("bad.json"), String.join("\n",
                "{",
                "  \"name\": \"bad\",",
                "  \"bogus\": 1,",
                "  \"clockMHz\": 1000,",
                "  \"array\": { \"rows\": 4, \"cols\": 4, \"dataflow\": \"WS\" },",
                "  \"scratchpad\": { \"kib\": 16, \"banks\": 4 },",
                "  \"accumulator\": { \"kib\": 4 },",
                "  \"vector\": { \"lanes\": 4 },",
                "  \"dram\": { \"bytesPerCycle\": 4, \"latencyCycles\": 50 }",
                "}", ""));
    }

    @Test
    void unknownConfigKeyInFile() throws IOException {
        Path c = configWithUnknownKey();
        Path m = lenet();
        refused(INVALID, List.of("compile", m, "--config", c, "-o", dir.resolve("P.ibc")), "bad.json", "unknown key",
                "bogus");
        refused(INVALID, List.of("golden", m, "--config", c, "--report", dir.resolve("g.json")), "bad.json", "bogus");
    }

    @Test
    void unknownConfigKeyInFileNamesItsLine() throws IOException {
        Path c = configWithUnknownKey();
        refused(INVALID, List.of("compile", lenet(), "--config", c, "-o", dir.resolve("P.ibc")), "bad.json", "line 3",
                "bogus");
    }

    @Test
    void configRuleViolation() throws IOException {
        Path m = lenet();
        refused(INVALID, List.of("compile", m, "--set", "array.rows=0", "-o", dir.resolve("P.ibc")), "array.rows",
                "found 0");
        Path p = programCopy();
        refused(INVALID, List.of("simulate", p, "--set", "array.rows=0", "--report", dir.resolve("r.json")), "array.rows",
                "found 0");
    }

    @Test
    void missingConfigFileAndUnknownPreset() throws IOException {
        Path m = lenet();
        refused(INVALID, List.of("compile", m, "--config", dir.resolve("nope.json"), "-o", dir.resolve("P.ibc")),
                "nope.json", "does not exist");
        refused(INVALID, List.of("compile", m, "--config", "no-such-preset", "-o", dir.resolve("P.ibc")),
                "no-such-preset", "edge-16x16-ws", "tiny-4x4");
    }

    // ------------------------------------------------------------------------------------------------ usage

    @Test
    void unknownRequantMode() throws IOException {
        Path m = lenet();
        refused(USAGE, List.of("compile", m, "--requant", "float", "-o", dir.resolve("P.ibc")), "float", "ort",
                "fixed-point");
        refused(USAGE, List.of("golden", m, "--requant", "float", "--report", dir.resolve("g.json")), "float", "ort",
                "fixed-point");
    }

    @Test
    void unknownOption() throws IOException {
        Path m = lenet();
        refused(USAGE, List.of("compile", m, "--frobnicate", "-o", dir.resolve("P.ibc")), "--frobnicate", "--help");
        refused(USAGE, List.of("simulate", programCopy(), "--frobnicate"), "--frobnicate");
    }

    @Test
    void missingRequiredOutputOption() {
        refused(USAGE, List.of("compile", lenet()), "--output");
    }

    @Test
    void unknownSubcommand() {
        refused(USAGE, List.of("explode", lenet()), "explode");
    }

    @Test
    void nonNumericOptionValue() throws IOException {
        refused(USAGE, List.of("simulate", programCopy(), "--seed", "abc"), "--seed", "abc");
    }

    // ------------------------------------------------------------------------------------------------ output paths

    @Test
    void outputIntoMissingFolder() {
        Path out = dir.resolve("no-such-dir").resolve("P.ibc");
        refused(INVALID, List.of("compile", lenet(), "-o", out), "no-such-dir", "does not exist");
    }

    @Test
    void outputIntoMissingFolderExitsThreeAndLeavesNothing() {
        Path out = dir.resolve("no-such-dir").resolve("P.ibc");
        Path m = lenet();
        Set<String> before = new TreeSet<>(Cli.listing(dir));
        Cli.Result r = Cli.run("compile", m, "-o", out);
        assertEquals(INVALID, r.status(), r::toString);
        assertTrue(r.err().contains("P.ibc") && !r.err().contains("\tat "), r::toString);
        assertEquals(before, Cli.listing(dir));
    }

    // ------------------------------------------------------------------------------------------------ --verbose

    @Test
    void verboseAddsTheStackTrace() throws IOException {
        Path m = Files.writeString(dir.resolve("notes.onnx"), "not a model");
        Cli.Result r = Cli.run("compile", m, "-o", dir.resolve("P.ibc"), "--verbose");
        assertEquals(INVALID, r.status(), r::toString);
        assertTrue(r.err().startsWith("intbench: "), r::toString);
        assertTrue(r.err().contains("\tat "), "--verbose prints the stack trace\n" + r);
        assertFalse(Files.exists(dir.resolve("P.ibc")));
    }
}
