package io.intbench.compiler;

import io.intbench.compiler.graph.Graph;
import io.intbench.compiler.graph.GraphPreparer;
import io.intbench.compiler.lower.Lowering;
import io.intbench.compiler.match.Matcher;
import io.intbench.compiler.onnx.OnnxLoader;
import io.intbench.compiler.qir.QModel;
import io.intbench.compiler.quant.AccumulatorBound;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Program;
import io.intbench.onnx.OnnxProto;
import java.nio.file.Path;
import java.util.Map;

/**
 * The compiler's stages, one job each: load (protobuf; malformed models) -> prepare (constant folding,
 * static shapes) -> match (QDQ / QOperator groups; unsupported models, every problem listed) ->
 * accumulator range proof (no Conv/MatMul int32 accumulator can overflow, {@link AccumulatorBound}) ->
 * lower (integer constants, DRAM layout, instructions for a hardware config).
 */
public final class Compiler {
    private Compiler() { }

    /** Compile options: requantization mode and bindings of symbolic input dimensions (default 1). */
    public record Options(RequantMode mode, Map<String, Long> dimBindings) {
        public static Options defaults() {
            return new Options(RequantMode.ORT, Map.of());
        }

        public Options withMode(RequantMode m) {
            return new Options(m, dimBindings);
        }
    }

    /** Every stage's result, for tools that need more than the program (golden, explain). */
    public record Result(OnnxProto.ModelProto model, Graph graph, QModel qmodel, Program program) { }

    public static Result compile(Path file, HardwareConfig cfg, Options o) {
        OnnxProto.ModelProto model = OnnxLoader.load(file);
        return compile(model, file.getFileName().toString(), cfg, o);
    }

    public static Result compile(OnnxProto.ModelProto model, String name, HardwareConfig cfg, Options o) {
        Graph g = GraphPreparer.prepare(model, o.dimBindings());
        QModel q = Matcher.match(g, name);
        AccumulatorBound.check(q);
        Program p = Lowering.lower(q, cfg, o.mode());
        return new Result(model, g, q, p);
    }
}
