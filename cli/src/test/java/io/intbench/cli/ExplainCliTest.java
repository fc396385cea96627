package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExplainCliTest {

    @Test
    void explainsEveryGroupAndWritesTheIntegerGraph(@TempDir Path dir) throws IOException {
        Path model = Cli.fixture("lenet.u8s8pc.qdq.onnx", dir);
        Path dot = dir.resolve("lenet.dot");
        Cli.Result r = Cli.run("explain", model.toString(), "--dot", dot.toString());
        assertEquals(0, r.status(), r::toString);
        String out = r.out();
        // LeNet: two Conv, two MaxPool, one Flatten, three Gemm groups
        assertEquals(2, count(out, "becomes CONV"), out);
        assertEquals(3, count(out, "becomes MATMUL"), out);
        assertEquals(2, count(out, "becomes MAXPOOL"), out);
        assertTrue(out.contains("-> Conv -> Q") && out.contains("-> Gemm -> Q"), out);
        assertTrue(out.contains("int32 accumulator bound"), out);
        assertTrue(out.contains("between the input quantization and the output dequantization: 0"), out);
        assertTrue(out.contains("Types of the tensors between layers: uint8"), out);
        assertTrue(out.contains("ONNX Runtime: integer kernel QLinearConv") && out.contains("integer kernel QGemm"), out);
        String g = Files.readString(dot);
        assertTrue(g.startsWith("digraph") && g.contains("QLinearConv") && g.contains("->"), g);
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
