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

    /** The stages the {@code onStage} callbacks count: load, prepare, match, accumulator proof, lower. */
    public static final int STAGES = 5;

    public static Result compile(Path file, HardwareConfig cfg, Options o) {
        return compile(file, cfg, o, null);
    }

    /** As {@link #compile(Path, HardwareConfig, Options)}, calling {@code onStage} (a progress bar; may be null) after each of the {@link #STAGES}. */
    public static Result compile(Path file, HardwareConfig cfg, Options o, Runnable onStage) {
        OnnxProto.ModelProto model = OnnxLoader.load(file);
        return compile(model, file.getFileName().toString(), cfg, o, onStage);
    }

    public static Result compile(OnnxProto.ModelProto model, String name, HardwareConfig cfg, Options o) {
        return compile(model, name, cfg, o, null);
    }

    /** As {@link #compile(OnnxProto.ModelProto, String, HardwareConfig, Options)}; the model is loaded already, so the first stage ends at once. */
    public static Result compile(OnnxProto.ModelProto model, String name, HardwareConfig cfg, Options o, Runnable onStage) {
        tick(onStage);
        Graph g = GraphPreparer.prepare(model, o.dimBindings());
        tick(onStage);
        QModel q = Matcher.match(g, name);
        tick(onStage);
        AccumulatorBound.check(q);
        tick(onStage);
        Program p = Lowering.lower(q, cfg, o.mode());
        tick(onStage);
        return new Result(model, g, q, p);
    }

    private static void tick(Runnable onStage) {
        if (onStage != null) {
            onStage.run();
        }
    }
}
