package io.intbench.golden;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.graph.Graph;
import io.intbench.compiler.graph.Node;
import io.intbench.compiler.onnx.OnnxLoader;
import io.intbench.compiler.qir.QModel;
import io.intbench.compiler.qir.QOp;
import io.intbench.compiler.qir.QTensor;
import io.intbench.isa.Descriptor;
import io.intbench.isa.Instruction;
import io.intbench.isa.Program;
import io.intbench.isa.TensorDesc;
import io.intbench.onnx.OnnxProto;
import io.intbench.sim.Kernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Answers "can the int8 output of one layer feed the next without float?" for one model: for every
 * quantized group, the integer op it became, its types, scales and zero points, its requantization
 * constants, and what ONNX Runtime does with the same group (an integer kernel or float); then the
 * tensors passed between layers and the count of floating-point operations between the input
 * quantization and the output dequantization.
 */
public final class Explain {
    private Explain() { }

    /** ORT's integer kernels: a tensor produced by one of these never went through float. */
    private static final Set<String> ORT_INTEGER_OPS = Set.of("QLinearConv", "QLinearMatMul", "QGemm", "QLinearAdd",
            "QLinearMul", "QLinearGlobalAveragePool", "QLinearAveragePool", "QLinearSigmoid", "QLinearLeakyRelu",
            "QLinearConcat", "QLinearSoftmax", "MaxPool", "NhwcMaxPool", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
            "Transpose", "Identity", "QLinearReduceMean", "QLinearWhere", "QLinearLookupTable");

    /** One line of the layer table. */
    public record Group(String pattern, String layer, String integerOp, String in, String out, String requant,
                        String ort) { }

    public record Result(List<Group> groups, List<String> interLayerTensors, GoldenReport.NoFloat noFloat, String dot) { }

    public static Result explain(Compiler.Result c) {
        Map<String, String> ortProducer = ortProducers(c.model());
        Program p = c.program();
        Map<String, Integer> layerIndex = new HashMap<>();
        for (int i = 0; i < p.layers().size(); i++) {
            layerIndex.putIfAbsent(p.layers().get(i).name(), i);
        }
        List<Group> groups = new ArrayList<>();
        for (QOp op : c.qmodel().ops()) {
            String pattern = pattern(c.graph(), op);
            // a layer the compiler added to an ONNX node (name#suffix, e.g. the transpose of a run-time MatMul B)
            // belongs to that node in ORT's graph
            String owner = op.name().contains("#") ? op.name().substring(0, op.name().indexOf('#')) : op.name();
            String tensor = op.out().name();
            for (QOp o : c.qmodel().ops()) {
                if (o != op && o.name().equals(owner)) {
                    tensor = o.out().name();
                }
            }
            String ort = ortFate(ortProducer, tensor, owner);
            // a move inside a float Conv chain (its input is the chain's intermediate "#q" tensor) runs on float
            // tensors in ORT, even though the same op type is an integer kernel elsewhere
            if (ort.startsWith("integer kernel ") && op.inputs().stream().anyMatch(t -> t.name().endsWith("#q"))) {
                ort = "float " + ort.substring("integer kernel ".length()) + " (inside a float Conv chain)";
            }
            String why = c.qmodel().floatInOrt().get(op.out().name());
            if (why != null) {
                ort += " (float in ORT, judged within 1 LSB: " + why + ")";
            }
            if (op instanceof QOp.Alias) {
                groups.add(new Group(pattern, op.name(), "view (no instruction)", params(op.inputs().get(0)), params(op.out()),
                        "-", ort));
                continue;
            }
            Integer li = layerIndex.get(op.name());
            String opcode = "?";
            String rq = "-";
            if (li != null) {
                for (int pc = 0; pc < p.code().size(); pc++) {
                    Instruction ins = p.code().get(pc);
                    if (p.pcLayer()[pc] == li && ins.op().usesDescriptor()) {
                        opcode = ins.op().name();
                        rq = requantSummary(p, p.descriptors().get(ins.desc()));
                    }
                }
            }
            StringBuilder ins = new StringBuilder();
            for (QTensor t : op.inputs()) {
                ins.append(ins.length() == 0 ? "" : " + ").append(params(t));
            }
            if (op instanceof QOp.Conv cv) {
                rq += "; int32 accumulator bound " + io.intbench.compiler.quant.AccumulatorBound.bound(cv) + " < 2^31";
            } else if (op instanceof QOp.MatMul mm) {
                rq += "; int32 accumulator bound " + io.intbench.compiler.quant.AccumulatorBound.bound(mm) + " < 2^31";
            }
            groups.add(new Group(pattern, op.name(), opcode, ins.toString(), params(op.out()), rq, ort));
        }
        List<String> tensors = new ArrayList<>();
        for (TensorDesc t : p.tensors()) {
            if (t.role() != TensorDesc.Role.INPUT) {
                tensors.add(t.name() + " " + t.dtype().name().toLowerCase(Locale.ROOT) + java.util.Arrays.toString(t.shape()));
            }
        }
        return new Result(groups, tensors.stream().distinct().toList(), Golden.noFloat(p), dot(c.qmodel(), p));
    }

    /** {@code DQ(x), DQ(w), DQ(b) -> Conv -> Relu -> Q}, from the ONNX nodes the op covers. */
    static String pattern(Graph g, QOp op) {
        Map<String, Node> byName = new HashMap<>();
        for (Node n : g.nodes()) {
            byName.put(n.name(), n);
        }
        List<String> chain = new ArrayList<>();
        Node main = null;
        for (String name : op.nodes()) {
            Node n = byName.get(name);
            if (n == null) {
                continue;
            }
            chain.add(short_(n.opType()));
            if (main == null && !n.opType().equals("QuantizeLinear") && !n.opType().equals("DequantizeLinear")) {
                main = n;
            }
        }
        if (main == null || main.opType().startsWith("QLinear") || main.opType().equals("QGemm")) {
            return String.join(" -> ", chain);
        }
        List<String> ins = new ArrayList<>();
        for (String in : main.inputs()) {
            if (in.isEmpty()) {
                continue;
            }
            Node p = g.producer(in);
            ins.add(p != null && p.opType().equals("DequantizeLinear") ? "DQ(" + p.input(0) + ")" : in);
        }
        return String.join(", ", ins) + " -> " + String.join(" -> ", chain);
    }

    private static String short_(String op) {
        return switch (op) {
            case "QuantizeLinear" -> "Q";
            case "DequantizeLinear" -> "DQ";
            default -> op;
        };
    }

    static String params(QTensor t) {
        return String.format(Locale.ROOT, "%s %s s=%.6g zp=%d", t.name(), t.type().name().toLowerCase(Locale.ROOT), t.scale(),
                t.zeroPoint());
    }

    /** Requantization constants of a layer, read back from the program's DRAM image (per-channel ranges summarised). */
    static String requantSummary(Program p, Descriptor d) {
        int addr;
        int n;
        int mode;
        if (d instanceof Descriptor.ConvDesc cd) {
            addr = cd.requantAddr();
            n = cd.outC();
            mode = cd.requantMode();
        } else if (d instanceof Descriptor.MatMulDesc md) {
            addr = md.requantAddr();
            n = md.n();
            mode = md.requantMode();
        } else if (d instanceof Descriptor.GapDesc gd) {
            addr = gd.requantAddr();
            n = 1;
            mode = gd.requantMode();
        } else if (d instanceof Descriptor.LutDesc) {
            return "256-entry table";
        } else if (d instanceof Descriptor.EltwiseDesc) {
            return "256x256 table";
        } else if (d instanceof Descriptor.ResizeDesc rd) {
            return rd.dequantize() == 1
                    ? "ORT's float32 bilinear emulated with integers (dequantize table, its weights and order, QuantizeLinear)"
                    : "bilinear on the codes, ORT's float32 weights and order emulated with integers, truncated";
        } else if (d instanceof Descriptor.AvgPoolDesc ap) {
            String order = switch (ap.sumOrder()) {
                case Descriptor.SUM_COLUMNS_FIRST -> "MlasPool's vector-kernel order (window columns first)";
                case Descriptor.SUM_FOUR_LANES -> "MlasPool's global-kernel order (four interleaved partial sums)";
                case Descriptor.SUM_EIGEN_PACKETS -> "Eigen's packet order (ReduceMean)";
                default -> "row-major order";
            };
            return "float32 steps emulated with integers (SoftFloat32): a table of 256 float32 values, sum in " + order
                    + ", / count, / y_scale, " + (ap.quantizeLinear() == 1 ? "round, + zp (QuantizeLinear)" : "+ zp, round");
        } else {
            return "exact on codes";
        }
        String summary = requantRange(p, addr, n, mode);
        if (d instanceof Descriptor.ConvDesc cd && cd.negRequant() == 1) {
            summary += "; negative accumulators (fused LeakyRelu): " + requantRange(p, addr + 8 * n, n, mode);
        }
        return summary;
    }

    private static String requantRange(Program p, int addr, int n, int mode) {
        int[] rq = Kernels.readInts(p.image(), addr, 2 * n);
        int aMin = Integer.MAX_VALUE;
        int aMax = Integer.MIN_VALUE;
        int bMin = Integer.MAX_VALUE;
        int bMax = Integer.MIN_VALUE;
        double vMin = Double.MAX_VALUE;
        double vMax = 0;
        for (int c = 0; c < n; c++) {
            int a = rq[2 * c];
            int b = rq[2 * c + 1];
            aMin = Math.min(aMin, a);
            aMax = Math.max(aMax, a);
            bMin = Math.min(bMin, b);
            bMax = Math.max(bMax, b);
            // the multiplier's value, for the reader only: m * 2^e (ort) or M0 * 2^(shift - 31) (fixed-point)
            double v = mode == Descriptor.REQUANT_ORT ? Math.scalb((double) a, b) : Math.scalb((double) a, b - 31);
            vMin = Math.min(vMin, v);
            vMax = Math.max(vMax, v);
        }
        String what = mode == Descriptor.REQUANT_ORT ? "m" : "M0";
        String sh = mode == Descriptor.REQUANT_ORT ? "e" : "shift";
        String range = n == 1 ? String.format(Locale.ROOT, "%s=%d %s=%d", what, aMin, sh, bMin)
                : String.format(Locale.ROOT, "%d channels: %s %d..%d, %s %d..%d", n, what, aMin, aMax, sh, bMin, bMax);
        return String.format(Locale.ROOT, "%s (M %.4g..%.4g)", range, vMin, vMax);
    }

    /**
     * Op types in ONNX Runtime's optimised graph, by the tensors they produce and by node name
     * (prefixed with {@code "node:"}); ORT keeps a fused node's name, with a {@code _token_N} suffix,
     * while its x86 int8-to-uint8 rewrite renames the tensors.
     */
    static Map<String, String> ortProducers(OnnxProto.ModelProto model) {
        Map<String, String> out = new HashMap<>();
        Path tmp = null;
        try {
            tmp = Files.createTempFile("intbench-ort-optimized", ".onnx");
            OrtRunner.writeOptimizedModel(model.toByteArray(), tmp);
            OnnxProto.ModelProto opt = OnnxLoader.parse(Files.readAllBytes(tmp), "ORT's optimised model");
            for (OnnxProto.NodeProto n : opt.getGraph().getNodeList()) {
                for (String o : n.getOutputList()) {
                    out.put(o, n.getOpType());
                }
                out.put("node:" + n.getName().replaceFirst("_token_\\d+$", ""), n.getOpType());
            }
        } catch (IOException | RuntimeException e) {
            out.put("", "unavailable: " + e.getMessage());
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless
                }
            }
        }
        return out;
    }

    /**
     * Checks the compiler's prediction of the groups ONNX Runtime computes in float ({@code QModel.floatInOrt})
     * against ORT's own optimised graph: every Conv/MatMul/Gemm group the compiler marks must be left unfused by ORT,
     * every other one fused into an integer kernel. Returns the disagreements (empty when the prediction holds);
     * groups ORT's graph does not show under a known name are not judged.
     */
    public static List<Disagreement> floatInOrtDisagreements(Compiler.Result c) {
        Map<String, String> ortProducer = ortProducers(c.model());
        if (ortProducer.containsKey("")) {
            throw new IllegalStateException("ORT's optimised graph is " + ortProducer.get(""));
        }
        List<Disagreement> out = new ArrayList<>();
        for (QOp op : c.qmodel().ops()) {
            if (!(op instanceof QOp.Conv || op instanceof QOp.MatMul)) {
                continue;
            }
            String fate = ortFate(ortProducer, op.out().name(), op.name());
            if (fate.startsWith("not in ORT")) {
                continue;
            }
            boolean integer = fate.startsWith("integer kernel");
            boolean predictedFloat = c.qmodel().floatInOrt().containsKey(op.out().name());
            if (integer == predictedFloat) {
                out.add(new Disagreement(op.name(), op.out().name(), fate, predictedFloat,
                        c.qmodel().floatInOrt().getOrDefault(op.out().name(), "")));
            }
        }
        return out;
    }

    /** A group whose fate in ORT the compiler predicted wrongly: {@code predictedFloat} but ORT fused it, or the reverse. */
    public record Disagreement(String layer, String tensor, String ort, boolean predictedFloat, String reason) {
        @Override
        public String toString() {
            return layer + " -> " + tensor + ": ORT runs " + ort + ", the compiler predicted "
                    + (predictedFloat ? "float (" + reason + ")" : "an integer kernel");
        }
    }

    static String ortFate(Map<String, String> ortProducer, String tensor, String node) {
        String op = ortProducer.get(tensor);
        if (op == null || op.equals("QuantizeLinear")) {
            String byName = ortProducer.get("node:" + node);
            op = byName != null ? byName : op;
        }
        if (op == null) {
            return "not in ORT's optimised graph (renamed or fused away)";
        }
        if (ORT_INTEGER_OPS.contains(op)) {
            return "integer kernel " + op;
        }
        if (op.equals("QuantizeLinear")) {
            return "float op, then QuantizeLinear";
        }
        return op;
    }

    /** The lowered integer graph in Graphviz DOT: one box per layer, one edge per tensor with its type and parameters. */
    static String dot(QModel m, Program p) {
        StringBuilder sb = new StringBuilder("digraph intbench {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n");
        Map<String, String> producer = new LinkedHashMap<>();
        int i = 0;
        for (QModel.Input in : m.inputs()) {
            String id = "in" + i++;
            sb.append(String.format("  %s [shape=ellipse, label=\"%s\\nhost: QuantizeLinear\"];%n", id, esc(in.onnxName())));
            producer.put(in.q().name(), id);
        }
        int k = 0;
        for (QOp op : m.ops()) {
            String id = "op" + k++;
            sb.append(String.format("  %s [label=\"%s\\n%s\"];%n", id, esc(op.kind()), esc(op.name())));
            for (QTensor t : op.inputs()) {
                String from = producer.get(t.name());
                if (from == null) {
                    from = "c" + k;
                    sb.append(String.format("  %s [shape=note, label=\"constant %s\"];%n", from, esc(t.name())));
                }
                sb.append(String.format("  %s -> %s [label=\"%s\"];%n", from, id, esc(edge(t))));
            }
            producer.put(op.out().name(), id);
        }
        int o = 0;
        for (QModel.Output out : m.outputs()) {
            String id = "out" + o++;
            sb.append(String.format("  %s [shape=ellipse, label=\"%s\\nhost: %s\"];%n", id, esc(out.onnxName()),
                    out.floatOutput() ? "DequantizeLinear" : "integer output"));
            String from = producer.get(out.q().name());
            if (from != null) {
                sb.append(String.format("  %s -> %s [label=\"%s\"];%n", from, id, esc(edge(out.q()))));
            }
        }
        return sb.append("}\n").toString();
    }

    private static String edge(QTensor t) {
        return t.name() + "\\n" + t.type().name().toLowerCase(Locale.ROOT) + java.util.Arrays.toString(t.shape())
                + String.format(Locale.ROOT, " s=%.4g zp=%d", t.scale(), t.zeroPoint());
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** The whole explanation as text. */
    public static String text(Compiler.Result c, Result r) {
        StringBuilder sb = new StringBuilder();
        QModel m = c.qmodel();
        sb.append("Model ").append(c.program().modelName()).append(", requantization ").append(c.program().requantModeName())
                .append(", config ").append(c.program().configName()).append("\n\n");
        for (QModel.Input in : m.inputs()) {
            sb.append("input  ").append(in.onnxName()).append(in.floatInput() ? " (float) -> host QuantizeLinear -> " : " (integer) = ")
                    .append(params(in.q())).append('\n');
        }
        sb.append('\n');
        int i = 1;
        for (Group gr : r.groups()) {
            sb.append(String.format(Locale.ROOT, "%3d. %s%n     becomes %s (%s)%n     in:  %s%n     out: %s%n     requant: %s%n     ONNX Runtime: %s%n",
                    i++, gr.pattern(), gr.integerOp(), gr.layer(), gr.in(), gr.out(), gr.requant(), gr.ort()));
        }
        sb.append('\n');
        for (QModel.Output out : m.outputs()) {
            String host = out.epilogueBias().length > 0
                    ? " (float) <- host epilogue: DequantizeLinear, then + a float bias of " + out.epilogueBias().length
                            + " values (the model's float Add after its last DequantizeLinear, as ONNX Runtime runs it) <- "
                    : " (float) <- host DequantizeLinear <- ";
            sb.append("output ").append(out.onnxName()).append(out.floatOutput() ? host : " (integer) = ")
                    .append(params(out.q())).append('\n');
        }
        sb.append("\nTensors passed between layers (").append(r.interLayerTensors().size()).append("):\n");
        for (String t : r.interLayerTensors()) {
            sb.append("  ").append(t).append('\n');
        }
        sb.append(String.format("%nFloating-point operations between the input quantization and the output dequantization: %d%n",
                r.noFloat().floatOpsBetweenLayers()));
        sb.append("Types of the tensors between layers: ").append(String.join(", ", r.noFloat().interLayerTensorTypes())).append('\n');
        long fused = r.groups().stream().filter(gr -> gr.ort().startsWith("integer kernel")).count();
        sb.append(String.format("ONNX Runtime runs %d of these %d groups as integer kernels too.%n", fused, r.groups().size()));
        return sb.toString();
    }
}
