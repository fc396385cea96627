package io.intbench.compiler.match;

import io.intbench.compiler.graph.Graph;
import io.intbench.compiler.graph.Node;
import io.intbench.compiler.graph.Tensor;
import io.intbench.compiler.graph.ValueInfo;
import io.intbench.compiler.qir.QModel;
import io.intbench.compiler.qir.QOp;
import io.intbench.compiler.qir.QTensor;
import io.intbench.compiler.quant.Multipliers;
import io.intbench.compiler.quant.OrtFloat;
import io.intbench.compiler.quant.Tables;
import io.intbench.isa.DType;
import io.intbench.isa.IntbenchException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recognises the quantized ops of a prepared graph, in QDQ format (a float op between
 * DequantizeLinear and QuantizeLinear nodes) and in QOperator format (QLinearConv, QGemm, ...), and
 * turns them into {@link QOp}s on integer tensors. Selection (which nodes form a group) is kept apart
 * from building the op; every problem is collected before failing.
 */
public final class Matcher {
    private final Graph g;
    private final String modelName;
    private final Problems problems = new Problems();
    /** Quantized tensors by name, with the parameters their producer gave them. */
    private final Map<String, QTensor> native_ = new LinkedHashMap<>();
    private final List<QOp> ops = new ArrayList<>();
    private final List<QModel.Input> inputs = new ArrayList<>();
    private final Set<Node> covered = new HashSet<>();
    private final List<String> probes = new ArrayList<>();
    /** Nodes a selector already reported, so the final sweep does not list them twice. */
    private final Set<Node> reported = new HashSet<>();
    /** Quantized tensors whose group ONNX Runtime computes in float, with the reason (see {@link QModel#floatInOrt}). */
    private final Map<String, String> floatInOrt = new LinkedHashMap<>();

    private Matcher(Graph g, String modelName) {
        this.g = g;
        this.modelName = modelName;
    }

    public static QModel match(Graph g, String modelName) {
        return new Matcher(g, modelName).run();
    }

    private static final Set<String> QOPERATOR_OPS = Set.of("QLinearConv", "QLinearMatMul", "QGemm", "QLinearAdd",
            "QLinearGlobalAveragePool", "QLinearMul", "QLinearConcat", "QLinearSigmoid", "QLinearLeakyRelu",
            "QLinearAveragePool", "QLinearSoftmax");
    private static final Set<String> VIEW_OPS = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze");
    /** Ops that only move elements: a gather on codes. */
    private static final Set<String> MOVE_OPS = Set.of("Transpose", "Slice", "Split", "Resize", "Gather", "Pad");

    private QModel run() {
        refuseIfNotStaticallyQuantized();
        // integer graph inputs are quantized tensors from the start; their parameters come from a consumer
        for (String in : g.inputs()) {
            DType t = DType.fromOnnx(g.valueInfo(in).elemType());
            if (t != null && t.isQuant8()) {
                native_.put(in, null);
            }
        }
        for (Node n : g.nodes()) {
            try {
                visit(n);
            } catch (Unsupported u) {
                problems.add(n, u.getMessage());
                reported.add(n);
                Node p = n.opType().equals("QuantizeLinear") ? g.producer(n.input(0)) : null;
                if (p != null) {
                    reported.add(p);  // the float op the QuantizeLinear ends: already explained
                }
            }
        }
        List<QModel.Output> outputs = new ArrayList<>();
        for (String o : g.outputs()) {
            try {
                outputs.add(output(o));
            } catch (Unsupported u) {
                if (!reported.contains(g.producer(o))) {
                    problems.add("graph output '" + o + "': " + u.getMessage());
                }
            }
        }
        for (Node n : g.nodes()) {
            if (!covered.contains(n) && !isBoundaryNode(n) && !reported.contains(n)) {
                problems.add(n, whyUncovered(n));
            }
        }
        problems.throwIfAny(modelName);
        return new QModel(modelName, inputs, ops, outputs, probes, Map.copyOf(floatInOrt));
    }

    private void refuseIfNotStaticallyQuantized() {
        List<String> dynamic = new ArrayList<>();
        boolean anyQuant = false;
        for (Node n : g.nodes()) {
            switch (n.opType()) {
                case "DynamicQuantizeLinear", "ConvInteger", "MatMulInteger", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM" ->
                        dynamic.add("'" + n.name() + "' (" + n.opType() + ")");
                case "QuantizeLinear", "DequantizeLinear" -> anyQuant = true;
                default -> anyQuant |= QOPERATOR_OPS.contains(n.opType());
            }
        }
        if (!dynamic.isEmpty()) {
            throw new IntbenchException.UnsupportedModel(modelName + " is dynamically quantized: " + String.join(", ", dynamic)
                    + " quantize activations with scales computed from the data at run time (or consume such tensors), so the scale ratios are not"
                    + " known at compile time and requantization needs floating point between layers. Quantize the model"
                    + " statically (onnxruntime.quantization.quantize_static with calibration data) to run it integer-only.");
        }
        if (!anyQuant) {
            throw new IntbenchException.UnsupportedModel(modelName + " is a float-only model: it has no QuantizeLinear,"
                    + " DequantizeLinear or QLinear* nodes, so every layer computes in floating point. Quantize it statically"
                    + " (onnxruntime.quantization.quantize_static, QDQ or QOperator format) to run it integer-only.");
        }
    }

    private boolean isBoundaryNode(Node n) {
        // DequantizeLinear nodes are absorbed by their consumers or by a graph output
        return n.opType().equals("DequantizeLinear");
    }

    private String whyUncovered(Node n) {
        if (QOPERATOR_OPS.contains(n.opType())) {
            return "this quantized op is not supported yet";
        }
        return "computes in float and is not part of a DequantizeLinear -> op -> QuantizeLinear group intbench supports;"
                + " its result would need floating point between layers";
    }

    /** Thrown by a selector that recognises the group but cannot support it. */
    private static final class Unsupported extends RuntimeException {
        Unsupported(String m) {
            super(m);
        }
    }

    // ----- dispatch -------------------------------------------------------------------------------

    private void visit(Node n) {
        String op = n.opType();
        if (op.equals("QuantizeLinear")) {
            quantizeLinear(n);
        } else if (op.equals("QLinearConv")) {
            qlinearConv(n);
        } else if (op.equals("QLinearMatMul")) {
            qlinearMatMul(n);
        } else if (op.equals("QGemm")) {
            qgemm(n);
        } else if (op.equals("QLinearAdd")) {
            qlinearAdd(n);
        } else if (op.equals("QLinearGlobalAveragePool")) {
            qlinearGap(n);
        } else if (op.equals("QLinearMul")) {
            qlinearMul(n);
        } else if (op.equals("QLinearConcat")) {
            qlinearConcat(n);
        } else if (op.equals("QLinearSigmoid") || op.equals("QLinearLeakyRelu")) {
            qlinearLookup(n);
        } else if (op.equals("QLinearAveragePool")) {
            qlinearAvgPool(n);
        } else if (op.equals("QLinearSoftmax")) {
            qlinearSoftmax(n);
        } else if (MOVE_OPS.contains(op) && isQuantInput(n.input(0)) && native_.get(n.input(0)) != null) {
            // Transpose / Slice / Split / nearest Resize directly on codes (QOperator format): exact
            QTensor in = nativeView(n.input(0));
            for (int i = 0; i < n.outputs().size(); i++) {
                String o = n.outputs().get(i);
                if (o.isEmpty()) {
                    continue;
                }
                QTensor out = define(o, in.type(), in.scale(), in.zeroPoint());
                ops.add(gatherOp(n, i, in, out, List.of(n.name())));
            }
            covered.add(n);
        } else if (op.equals("MaxPool") && isQuantInput(n.input(0))) {
            // MaxPool directly on integer codes (QOperator format)
            QTensor in = nativeView(n.input(0));
            QTensor out = define(n.outputs().get(0), in.type(), in.scale(), in.zeroPoint());
            ops.add(maxPool(n, in, out, List.of(n.name())));
            covered.add(n);
        } else if (op.equals("Cast") && isQuantInput(n.input(0)) && native_.get(n.input(0)) != null
                && DType.fromOnnx((int) n.attrInt("to", 0)) == native_.get(n.input(0)).type()) {
            // a Cast of a quantized tensor to its own type (PyTorch's exporter writes them): a view
            QTensor in = nativeView(n.input(0));
            ops.add(new QOp.Alias(n.name(), List.of(n.name()), in, define(n.outputs().get(0), in.type(), in.scale(), in.zeroPoint())));
            covered.add(n);
        } else if (VIEW_OPS.contains(op) && isQuantInput(n.input(0))) {
            QTensor in = nativeView(n.input(0));
            QTensor out = define(n.outputs().get(0), in.type(), in.scale(), in.zeroPoint());
            ops.add(new QOp.Alias(n.name(), List.of(n.name()), in, out));
            covered.add(n);
        }
        // float ops are covered when the QuantizeLinear that ends their group is visited
    }

    // ----- QDQ groups -----------------------------------------------------------------------------

    /** Q(x) where x is a float graph input: the host quantizes the model input. Otherwise the end of a QDQ group. */
    private void quantizeLinear(Node q) {
        String x = q.input(0);
        Node p = g.producer(x);
        covered.add(q);
        if (p == null) {
            if (!g.inputs().contains(x)) {
                throw new Unsupported("quantizes '" + x + "', which is neither a graph input nor computed by a node");
            }
            QuantParams qp = quantParams(q, 1, 2, "y");
            QTensor y = define(q.outputs().get(0), qp.type, qp.axis < 0 ? qp.scales[0] : 1f, qp.axis < 0 ? qp.zps[0] : 0);
            inputs.add(new QModel.Input(x, true, y, qp.scales, qp.zps, qp.axis));
            return;
        }
        QuantParams qp = quantParams(q, 1, 2, "y");
        if (qp.axis >= 0) {
            throw new Unsupported("per-axis quantization of an activation is not supported (only weights may be per-channel)");
        }
        DType t = qp.type;
        List<String> nodes = new ArrayList<>();
        int lo = t.qmin();
        int hi = t.qmax();
        String kept = null;  // the first activation ONNX Runtime cannot absorb into the QuantizeLinear
        // [Relu | Clip]* fused into the op before Q: Q is monotonic, so Q(clip(v, a, b)) = clamp(Q(v), Q(a), Q(b))
        while ((p.opType().equals("Relu") || p.opType().equals("Clip")) && singleUse(x)) {
            int[] r = clampRange(p, qp.scales[0], qp.zps[0], t);
            lo = Math.max(lo, r[0]);
            hi = Math.min(hi, r[1]);
            if (kept == null) {
                kept = OrtFusion.whyActivationKept(p, clipBounds(p), qp.scales[0], qp.zps[0], t);
            }
            nodes.add(p.name());
            covered.add(p);
            x = p.input(0);
            p = g.producer(x);
            if (p == null) {
                throw new Unsupported("Relu/Clip on a float graph input");
            }
        }
        if (lo > hi) {
            lo = hi;
        }
        // DQ(x), DQ(w), DQ(b)? -> Conv -> LeakyRelu -> Q: two multipliers, alpha * M for negative accumulators
        float slope = 1f;
        if (p.opType().equals("LeakyRelu") && singleUse(x) && g.producer(p.input(0)) != null
                && g.producer(p.input(0)).opType().equals("Conv") && singleUse(p.input(0))) {
            slope = p.attrFloat("alpha", 0.01f);
            kept = OrtFusion.LEAKY_RELU;
            nodes.add(p.name());
            covered.add(p);
            x = p.input(0);
            p = g.producer(x);
        }
        if (isFloatChain(p)) {
            // Q(Concat | Transpose | Reshape of float Conv outputs): ORT runs those Convs in float
            QTensor out = define(q.outputs().get(0), t, qp.scales[0], qp.zps[0]);
            floatInOrt.put(out.name(), floatChain(x, out, lo, hi, new ArrayList<>(List.of(q.name()))));
            return;
        }
        if (kept == null && Set.of("Conv", "Gemm").contains(p.opType())) {
            kept = whyBiasUnfused(p);
        }
        if (kept == null && Set.of("Conv", "Gemm", "MatMul").contains(p.opType())) {
            kept = whyTypesUnfused(p, q);
        }
        if (kept != null && Set.of("Conv", "Gemm", "MatMul").contains(p.opType())) {
            floatInOrt.put(q.outputs().get(0), kept + OrtFusion.floatGroup(p.opType()));
        }
        nodes.add(0, p.name());
        nodes.add(q.name());
        if (!p.opType().equals("DequantizeLinear") && !singleUse(x)) {
            throw new Unsupported("the float output '" + x + "' of '" + p.name() + "' (" + p.opType()
                    + ") has consumers besides this QuantizeLinear, so part of it would stay in float");
        }
        String outName = q.outputs().get(0);
        Node op = p;
        switch (p.opType()) {
            // DQ(x) -> [Relu|Clip] -> Q : requantization (or a free view when the parameters agree)
            case "DequantizeLinear" -> {
                QTensor in = activation(p);
                QTensor out = define(outName, t, qp.scales[0], qp.zps[0]);
                boolean clamps = lo > t.qmin() || hi < t.qmax();
                if (!clamps && in.sameParams(out)) {
                    ops.add(new QOp.Alias(q.name(), nodes, in, out));
                } else {
                    ops.add(new QOp.Rescale(q.name(), nodes, in, out, lo, hi));
                }
            }
            // DQ(x), DQ(w), DQ(b)? -> Conv -> [Relu|Clip] -> Q
            case "Conv" -> ops.add(conv(p, activation(dq(p.input(0), p)), weights(p.input(1), p),
                    p.input(2), define(outName, t, qp.scales[0], qp.zps[0]), lo, hi, nodes, slope));
            // DQ(a), DQ(b) -> Gemm (C: DQ(int32) or float) -> [Relu|Clip] -> Q
            case "Gemm" -> ops.add(gemm(p, define(outName, t, qp.scales[0], qp.zps[0]), lo, hi, nodes));
            // DQ(a), DQ(w) -> MatMul -> [Relu|Clip] -> Q
            case "MatMul" -> ops.add(matmul(p, define(outName, t, qp.scales[0], qp.zps[0]), lo, hi, nodes));
            // DQ(a), DQ(b) -> Add -> [Relu|Clip] -> Q
            // DQ(a) -> [Tanh | Relu | ...] , DQ(b) -> [...] -> Add -> [Relu|Clip] -> Q : with a float op before it, ORT's float Add
            // DQ(a), DQ(b) -> Sub -> [Relu|Clip] -> Q : ORT never fuses Sub, so it runs DQ -> float Sub -> Q; a - b is
            // a + (-b) exactly in IEEE float32, so it is the float Add with the second operand negated
            case "Add", "Sub" -> {
                boolean sub = p.opType().equals("Sub");
                String fa = floatOperandFunction(p, 0, nodes);
                String fb = floatOperandFunction(p, 1, nodes);
                if (sub && fb != null) {
                    throw new Unsupported("Sub '" + p.name() + "': its second operand is computed in float by another op;"
                            + " intbench supports a float op before the first operand of a Sub only");
                }
                QTensor a = floatGroupOperand(p, 0, fa);
                QTensor b = floatGroupOperand(p, 1, fb);
                QOp.Add.Kernel k = !sub && fa == null && fb == null ? ortAddKernel(p, q) : QOp.Add.Kernel.FLOAT;
                ops.add(new QOp.Add(p.name(), nodes, a, b, define(outName, t, qp.scales[0], qp.zps[0]), lo, hi, k, fa,
                        sub ? "Neg" : fb));
            }
            // DQ(a), DQ(b) -> Mul -> [Relu|Clip] -> Q : QLinearMul
            case "Mul" -> ops.add(new QOp.Mul(p.name(), nodes, operand(p.input(0), p), operand(p.input(1), p),
                    define(outName, t, qp.scales[0], qp.zps[0]), lo, hi));
            // DQ(x1), DQ(x2), ... -> Concat -> Q : QLinearConcat
            case "Concat" -> {
                noClamp(lo, hi, t, "Concat");
                List<QTensor> ins = new ArrayList<>();
                for (String i : p.inputs()) {
                    ins.add(activation(dq(i, p)));
                }
                QTensor out = define(outName, t, qp.scales[0], qp.zps[0]);
                int axis = (int) p.attrInt("axis", 0);
                ops.add(new QOp.Concat(p.name(), nodes, ins, out, axis < 0 ? axis + out.shape().length : axis));
            }
            // DQ(x) -> Transpose | Slice | Split | Resize(nearest) | Gather | Pad -> Q : a gather (requantizing if
            // parameters differ)
            case "Transpose", "Slice", "Split", "Resize", "Gather", "Pad" -> {
                noClamp(lo, hi, t, p.opType());
                QTensor in = activation(dq(p.input(0), p));
                QTensor out = define(outName, t, qp.scales[0], qp.zps[0]);
                ops.add(gatherOp(p, p.outputs().indexOf(x), in, out, nodes));
            }
            // DQ(x) -> [Tanh | Relu | ...] -> AveragePool -> Q : QLinearAveragePool, or ORT's float pooling when it does not fuse
            case "AveragePool" -> {
                noClamp(lo, hi, t, "AveragePool");
                Node d = poolSource(p, nodes);
                QTensor in = activation(d);
                QTensor out = define(outName, t, qp.scales[0], qp.zps[0]);
                String f = d.outputs().get(0).equals(p.input(0)) ? null : g.producer(p.input(0)).opType();
                ops.add(f == null && ortFuses(List.of(d.input(0)), q) ? avgPool(p, in, out, nodes) : floatAvgPool(p, in, out, f, nodes));
            }
            // DQ(x) -> Softmax -> Q : QLinearSoftmax
            case "Softmax" -> {
                noClamp(lo, hi, t, "Softmax");
                QTensor in = activation(dq(p.input(0), p));
                // on x86 ORT computes an int8 group it rewrote to uint8 in uint8: the result saturates at 127
                boolean shifted = t == DType.INT8 && ortRewrittenType(q.outputs().get(0)) == DType.UINT8;
                ops.add(softmax(p, in, define(outName, t, qp.scales[0], qp.zps[0]), nodes, shifted));
            }
            // DQ(x) -> MaxPool -> Q
            case "MaxPool" -> {
                QTensor in = activation(dq(p.input(0), p));
                covered.add(p);
                QTensor out = define(outName, t, qp.scales[0], qp.zps[0]);
                exactThenRescale(p, in, out, lo, hi, nodes, v -> maxPool(op, in, v, nodes));
            }
            // DQ(x) -> [Tanh | Relu | ...] -> GlobalAveragePool -> Q : QLinearGlobalAveragePool, or ORT's float pooling
            case "GlobalAveragePool" -> {
                Node d = poolSource(p, nodes);
                QTensor in = activation(d);
                if (in.shape().length != 4) {
                    throw new Unsupported("GlobalAveragePool of a rank-" + in.shape().length + " tensor (only NCHW)");
                }
                if (lo > t.qmin() || hi < t.qmax()) {
                    throw new Unsupported("Relu/Clip after GlobalAveragePool is not supported");
                }
                covered.add(p);
                QTensor out = define(outName, t, qp.scales[0], qp.zps[0]);
                String f = d.outputs().get(0).equals(p.input(0)) ? null : g.producer(p.input(0)).opType();
                ops.add(f == null && ortFuses(List.of(d.input(0)), q) ? new QOp.GlobalAvgPool(p.name(), nodes, in, out)
                        : floatAvgPool(p, in, out, f, nodes));
            }
            // DQ(x) -> ReduceMean over H and W -> Q : ORT's float ReduceMean (Eigen's vectorised sum), then QuantizeLinear
            case "ReduceMean" -> {
                noClamp(lo, hi, t, "ReduceMean");
                Node d = dq(p.input(0), p);
                QTensor in = activation(d);
                long[] is = in.shape();
                long[] axes = p.opset() >= 18 && p.inputCount() > 1 && !p.input(1).isEmpty()
                        ? constInts(p.input(1), p) : p.attrInts("axes", null);
                boolean spatial = is.length == 4 && axes != null && axes.length == 2
                        && Arrays.stream(axes).map(a -> a < 0 ? a + 4 : a).sorted().boxed().toList().equals(List.of(2L, 3L));
                if (!spatial) {
                    throw new Unsupported("ReduceMean over axes " + Arrays.toString(axes) + " of a rank-" + is.length
                            + " tensor (only the two spatial axes of an NCHW tensor)");
                }
                QTensor out = define(outName, t, qp.scales[0], qp.zps[0]);
                ops.add(new QOp.AvgPool(p.name(), nodes, in, out, new int[] {(int) is[2], (int) is[3]}, new int[] {1, 1},
                        new int[] {0, 0}, false, true, io.intbench.isa.Descriptor.SUM_EIGEN_PACKETS, null));
            }
            // DQ(x) -> Reshape | Flatten | Squeeze | Unsqueeze -> Q
            case "Reshape", "Flatten", "Squeeze", "Unsqueeze" -> {
                QTensor in = activation(dq(p.input(0), p));
                covered.add(p);
                QTensor out = define(outName, t, qp.scales[0], qp.zps[0]);
                exactThenRescale(p, in, out, lo, hi, nodes, v -> new QOp.Alias(op.name(), nodes, in, v));
            }
            // DQ(x) -> unary float function -> [Relu|Clip] -> Q : a 256-entry table
            case "Tanh", "Sigmoid", "Exp", "Abs", "Neg", "Sqrt", "Softplus", "HardSigmoid", "HardSwish", "LeakyRelu",
                 "Elu", "Erf", "Gelu", "Identity" -> {
                if (p.opType().equals("Gelu") && !p.attrString("approximate", "none").equals("none")) {
                    throw new Unsupported("Gelu '" + p.name() + "' with approximate=\"" + p.attrString("approximate", "none")
                            + "\": only the exact form (approximate=\"none\") is tabulated");
                }
                QTensor in = activation(dq(p.input(0), p));
                ops.add(new QOp.Unary(p.name(), nodes, in, define(outName, t, qp.scales[0], qp.zps[0]), p.opType(),
                        UnaryFunctions.of(p), lo, hi));
            }
            default -> throw new Unsupported("node '" + p.name() + "' (" + p.opType() + ") between DequantizeLinear and"
                    + " QuantizeLinear is not supported: it would have to run in float");
        }
        covered.add(p);
    }

    /** Ops that only move elements or reshape, exact on codes: Q commutes with them. */
    private static final Set<String> FLOAT_MOVES = Set.of("Concat", "Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze");

    /** A data-movement node one of whose data inputs is a float tensor computed by a node (not a DequantizeLinear). */
    private boolean isFloatChain(Node p) {
        if (!FLOAT_MOVES.contains(p.opType())) {
            return false;
        }
        List<String> data = p.opType().equals("Concat") ? p.inputs() : List.of(p.input(0));
        for (String i : data) {
            Node d = g.producer(i);
            if (d != null && !d.opType().equals("DequantizeLinear")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Computes {@code target = clamp(Q(x))} for a float tensor {@code x} made of Conv outputs moved by Concat,
     * Transpose and views, with Relu/Clip/LeakyRelu right after each Conv: each Conv requantizes straight to the
     * target's parameters and the moves run on codes (Q is monotonic and elementwise, so it commutes with moves and
     * clamps). ONNX Runtime fuses none of these Convs (their outputs do not go straight to a QuantizeLinear) and runs
     * them in float; returns that reason.
     */
    private String floatChain(String x, QTensor target, int lo, int hi, List<String> path) {
        Node p = g.producer(x);
        if (p == null) {
            throw new Unsupported("the float tensor '" + x + "' is a graph input, not a quantized tensor");
        }
        if (!p.opType().equals("DequantizeLinear") && !singleUse(x)) {
            throw new Unsupported("the float output '" + x + "' of '" + p.name() + "' (" + p.opType()
                    + ") has consumers besides '" + path.get(path.size() - 1) + "', so part of it would stay in float");
        }
        covered.add(p);
        List<String> via = new ArrayList<>(path);
        via.add(p.name());
        switch (p.opType()) {
            case "Relu", "Clip" -> {
                int[] r = clampRange(p, target.scale(), target.zeroPoint(), target.type());
                int l = Math.max(lo, r[0]);
                return floatChain(p.input(0), target, l, Math.max(l, Math.min(hi, r[1])), via);
            }
            case "LeakyRelu", "Conv" -> {
                float slope = 1f;
                Node c = p;
                if (p.opType().equals("LeakyRelu")) {
                    c = g.producer(p.input(0));
                    if (c == null || !c.opType().equals("Conv") || !singleUse(p.input(0))) {
                        throw new Unsupported("LeakyRelu '" + p.name() + "' computes in float on a tensor that is not a Conv output");
                    }
                    covered.add(c);
                    slope = p.attrFloat("alpha", 0.01f);
                    via.add(c.name());
                }
                List<String> nodes = c == p ? List.of(c.name()) : List.of(c.name(), p.name());
                ops.add(conv(c, activation(dq(c.input(0), c)), weights(c.input(1), c), c.input(2), target, lo, hi, nodes, slope));
                String reason = "the output of Conv '" + c.name() + "' reaches QuantizeLinear '" + path.get(0) + "' through "
                        + String.join(", ", via.subList(1, via.size() - 1)) + ", not directly"
                        + OrtFusion.floatGroup("Conv");
                floatInOrt.put(target.name(), reason);  // the Conv's own (intermediate) output, for explain and disasm
                return reason;
            }
            case "DequantizeLinear" -> {
                QTensor in = activation(p);
                boolean clamps = lo > target.type().qmin() || hi < target.type().qmax();
                ops.add(!clamps && in.sameParams(target) ? new QOp.Alias(target.name(), List.of(p.name()), in, target)
                        : new QOp.Rescale(target.name(), List.of(p.name()), in, target, lo, hi));
                return null;
            }
            case "Concat" -> {
                List<QTensor> ins = new ArrayList<>();
                String reason = null;
                for (int i = 0; i < p.inputCount(); i++) {
                    QTensor mid = new QTensor(p.input(i) + "#q", target.type(), shape(p.input(i)), target.scale(), target.zeroPoint());
                    String r = floatChain(p.input(i), mid, lo, hi, via);
                    reason = reason != null ? reason : r;
                    ins.add(mid);
                }
                int axis = (int) p.attrInt("axis", 0);
                ops.add(new QOp.Concat(p.name(), List.of(p.name()), ins, target, axis < 0 ? axis + target.shape().length : axis));
                return reason;
            }
            case "Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze" -> {
                QTensor mid = new QTensor(p.input(0) + "#q", target.type(), shape(p.input(0)), target.scale(), target.zeroPoint());
                String reason = floatChain(p.input(0), mid, lo, hi, via);
                ops.add(p.opType().equals("Transpose") ? gatherOp(p, 0, mid, target, List.of(p.name()))
                        : new QOp.Alias(p.name(), List.of(p.name()), mid, target));
                return reason;
            }
            default -> throw new Unsupported("node '" + p.name() + "' (" + p.opType() + ") computes in float before '"
                    + path.get(path.size() - 1) + "'; intbench supports only Conv [-> Relu | Clip | LeakyRelu] -> Concat |"
                    + " Transpose | Reshape chains there");
        }
    }

    /**
     * Why ORT's Conv/Gemm selector refuses the group for its bias, or null: it needs the bias to be the
     * DequantizeLinear of an int32 constant (or absent).
     */
    private String whyBiasUnfused(Node p) {
        int bi = p.opType().equals("Conv") || p.opType().equals("Gemm") ? 2 : -1;
        if (bi < 0 || p.input(bi).isEmpty()) {
            return null;
        }
        Node d = g.producer(p.input(bi));
        if (d != null && d.opType().equals("DequantizeLinear") && g.isConstant(d.input(0))
                && g.constant(d.input(0)).elemType() != DType.INT32.onnxCode()) {
            return "the bias '" + p.input(bi) + "' of '" + p.name() + "' is the DequantizeLinear of an "
                    + "ONNX type " + g.constant(d.input(0)).elemType() + " constant, and ORT's QDQ "
                    + p.opType() + " selector needs an int32 bias";
        }
        return null;
    }

    /** Clip's float bounds (ORT's GetClipConstantMinMax), or null for a Relu. */
    private float[] clipBounds(Node p) {
        if (!p.opType().equals("Clip")) {
            return null;
        }
        if (p.opset() < 11) {
            return new float[] {p.attrFloat("min", -Float.MAX_VALUE), p.attrFloat("max", Float.MAX_VALUE)};
        }
        return new float[] {constScalar(p.input(1), -Float.MAX_VALUE, p), constScalar(p.input(2), Float.MAX_VALUE, p)};
    }

    /**
     * Which kernel ONNX Runtime (CPU, x86, default optimisations) runs for {@code DQ(a), DQ(b) -> add -> [Relu|Clip] -> q}.
     * On x86 its QDQS8ToU8Transformer (onnxruntime/core/optimizer/qdq_transformer/qdq_s8_to_u8.cc) rewrites an int8
     * {@code QuantizeLinear -> DequantizeLinear} pair to uint8 (zero point + 128) only when the Q's output has exactly
     * one consumer edge, a DQ, with the same constant single zero point; it runs after EnsureUniqueDQForNodeUnit, which
     * gives every consumer of a DQ its own copy, so a tensor read by several nodes (a residual shortcut, the model
     * input feeding a Conv and an Add) keeps int8. The selector then fuses the Add into QLinearAdd only when both
     * input types equal the output type (BinaryNodeGroupSelector in qdq_selectors.cc); otherwise the Add runs in float.
     * A constant operand is left out of the comparison.
     */
    private QOp.Add.Kernel ortAddKernel(Node add, Node q) {
        List<String> ins = quantizedActivations(add);
        if (!ortFuses(ins, q)) {
            return QOp.Add.Kernel.FLOAT;
        }
        boolean allShifted = ortRewrittenType(q.outputs().get(0)) == DType.UINT8 && declaredType(q) == DType.INT8;
        for (String in : ins) {
            allShifted &= ownType(in) == DType.INT8;
        }
        return allShifted ? QOp.Add.Kernel.QLINEAR_UINT8 : QOp.Add.Kernel.QLINEAR;
    }

    /**
     * The quantized activations the DequantizeLinear nodes before the first two inputs of {@code n} read: the operands
     * whose types ORT's x86 rewrite decides ({@link #ortFuses}); constant operands are left out.
     */
    private List<String> quantizedActivations(Node n) {
        List<String> ins = new ArrayList<>();
        for (int i = 0; i < Math.min(2, n.inputCount()); i++) {
            Node d = g.producer(n.input(i));
            if (d != null && d.opType().equals("DequantizeLinear") && !g.isConstant(d.input(0))) {
                ins.add(d.input(0));
            }
        }
        return ins;
    }

    /**
     * Operand {@code i} of a float group's op {@code n}: the quantized tensor its DequantizeLinear reads, directly, or
     * through the unary float op {@code f} ({@link #floatOperandFunction}) when there is one.
     */
    private QTensor floatGroupOperand(Node n, int i, String f) {
        return f == null ? operand(n.input(i), n) : operand(g.producer(n.input(i)).input(0), g.producer(n.input(i)));
    }

    /**
     * Why ONNX Runtime leaves the Conv/Gemm/MatMul group of {@code p} and {@code q} in float because of its x86
     * int8-to-uint8 rewrite ({@link #ortFuses}: an activation input that stays int8 while the output becomes uint8, or
     * the reverse), or null when the types agree.
     */
    private String whyTypesUnfused(Node p, Node q) {
        List<String> ins = quantizedActivations(p);
        if (ins.isEmpty() || ortFuses(ins, q)) {
            return null;
        }
        List<String> types = new ArrayList<>();
        for (String in : ins) {
            types.add("'" + in + "' " + ortRewrittenType(in));
        }
        return "after ONNX Runtime's x86 int8-to-uint8 rewrite its input " + String.join(", ", types) + " and its output '"
                + q.outputs().get(0) + "' " + ortRewrittenType(q.outputs().get(0)) + " differ in type";
    }

    /**
     * Whether ONNX Runtime fuses a QDQ group whose DequantizeLinear nodes read the quantized activations {@code ins}
     * and whose QuantizeLinear is {@code q}: its selectors require the input and output types to be equal after
     * the x86 int8-to-uint8 rewrite ({@link #ortRewrittenType}); otherwise the group runs in float.
     */
    private boolean ortFuses(List<String> ins, Node q) {
        DType out = ortRewrittenType(q.outputs().get(0));
        for (String in : ins) {
            if (ortRewrittenType(in) != out) {
                return false;
            }
        }
        return true;
    }

    /**
     * The unary float op ({@link OrtFloat}) between a DequantizeLinear and input {@code i} of {@code n}, if there is one
     * and only {@code n} reads it (it joins the group's nodes); null when the input comes straight from a DQ.
     */
    private String floatOperandFunction(Node n, int i, List<String> nodes) {
        Node src = g.producer(n.input(i));
        if (src == null || src.opType().equals("DequantizeLinear") || src.inputCount() != 1 || !singleUse(n.input(i))) {
            return null;
        }
        if (OrtFloat.of(src.opType()) == null) {
            throw new Unsupported("input '" + n.input(i) + "' of '" + n.name() + "' is computed in float by '" + src.name()
                    + "' (" + src.opType() + "); intbench reproduces ONNX Runtime's float result only for Tanh, Relu, Neg,"
                    + " Abs and Identity there");
        }
        covered.add(src);
        nodes.add(0, src.name());
        return src.opType();
    }

    /**
     * The DequantizeLinear feeding a pooling node {@code p}, directly or through one unary float op whose float32
     * result intbench reproduces bit for bit ({@link OrtFloat}); that op joins the group's nodes.
     */
    private Node poolSource(Node p, List<String> nodes) {
        Node src = g.producer(p.input(0));
        if (src != null && !src.opType().equals("DequantizeLinear") && src.inputCount() == 1 && singleUse(p.input(0))) {
            if (OrtFloat.of(src.opType()) == null) {
                throw new Unsupported("input '" + p.input(0) + "' of '" + p.name() + "' is computed in float by '" + src.name()
                        + "' (" + src.opType() + "); intbench reproduces ONNX Runtime's float result only for Tanh, Relu, Neg,"
                        + " Abs and Identity there");
            }
            Node d = dq(src.input(0), src);
            covered.add(src);
            nodes.add(0, src.name());
            return d;
        }
        return dq(p.input(0), p);
    }

    /**
     * The pooling of a group ONNX Runtime leaves in float: MlasPool (onnxruntime/core/mlas/lib/pooling.cpp) picks
     * its global kernel when the window is the whole unpadded input with stride 1, its 2-D vector kernel when the
     * horizontal stride is at most 2, kernels at most 32 and the padded row fits its 2,048-float buffer, else its
     * generic kernel; each sums in its own order. QuantizeLinear follows.
     */
    private QOp floatAvgPool(Node n, QTensor in, QTensor out, String function, List<String> nodes) {
        long[] is = in.shape();
        if (is.length != 4) {
            throw new Unsupported("only 2-D average pooling (NCHW) is supported");
        }
        int[] kernel;
        int[] strides;
        int[] pads;
        boolean includePad = false;
        if (n.opType().equals("GlobalAveragePool")) {
            kernel = new int[] {(int) is[2], (int) is[3]};
            strides = new int[] {1, 1};
            pads = new int[] {0, 0};
        } else {
            kernel = ints(n.attrInts("kernel_shape", null));
            strides = ints(n.attrInts("strides", new long[] {1, 1}));
            long[] dl = n.attrInts("dilations", new long[] {1, 1});
            if (dl[0] != 1 || dl[1] != 1) {
                throw new Unsupported("AveragePool with dilations is not supported");
            }
            pads = pads(n, is, out.shape(), kernel, strides, new int[] {1, 1});
            includePad = n.attrInt("count_include_pad", 0) != 0;
        }
        long[] os = out.shape();
        long endH = Math.max(0, (os[2] - 1) * strides[0] + kernel[0] - is[2] - pads[0]);
        long endW = Math.max(0, (os[3] - 1) * strides[1] + kernel[1] - is[3] - pads[1]);
        int order;
        if (kernel[0] == is[2] && kernel[1] == is[3] && strides[0] == 1 && strides[1] == 1 && pads[0] == 0 && pads[1] == 0
                && endH == 0 && endW == 0) {
            order = io.intbench.isa.Descriptor.SUM_FOUR_LANES;
        } else if (strides[1] <= 2 && kernel[0] <= 32 && kernel[1] <= 32 && pads[1] + endW + is[3] <= 2048 - 3) {
            order = io.intbench.isa.Descriptor.SUM_COLUMNS_FIRST;
        } else {
            order = io.intbench.isa.Descriptor.SUM_ROW_MAJOR;
        }
        return new QOp.AvgPool(n.name(), nodes, in, out, kernel, strides, pads, includePad, true, order, function);
    }

    /** The element type of a Q node's output as declared by its zero point (or output_dtype). */
    private DType declaredType(Node q) {
        return quantParams(q, 1, 2, "y").type;
    }

    /** The element type of a quantized tensor: its QuantizeLinear's, or the one inferred for it. */
    private DType ownType(String t) {
        Node q = g.producer(t);
        if (q != null && q.opType().equals("QuantizeLinear")) {
            return declaredType(q);
        }
        DType inferred = DType.fromOnnx(g.valueInfo(t).elemType());
        return inferred != null || native_.get(t) == null ? inferred : native_.get(t).type();
    }

    /**
     * The type ONNX Runtime's x86 int8-to-uint8 rewrite gives the quantized tensor {@code t}: uint8 when {@code t} is
     * int8, produced by a QuantizeLinear whose only consumer edge goes to one DequantizeLinear with the same constant
     * scalar zero point, which itself has at most one consumer edge (neither being a graph output, except the DQ's own);
     * otherwise its own type.
     */
    private DType ortRewrittenType(String t) {
        DType own = ownType(t);
        Node q = g.producer(t);
        if (own != DType.INT8 || q == null || !q.opType().equals("QuantizeLinear") || g.isGraphOutput(t) || edges(t) != 1) {
            return own;
        }
        Node d = g.consumers(t).get(0);
        if (!d.opType().equals("DequantizeLinear") || d.inputCount() < 3 || q.inputCount() < 3) {
            return own;
        }
        String dOut = d.outputs().get(0);
        int dEdges = edges(dOut) + (g.isGraphOutput(dOut) && edges(dOut) > 0 ? 1 : 0);
        if (dEdges > 1 || !sameScalarZeroPoint(q.input(2), d.input(2))) {
            return own;
        }
        return DType.UINT8;
    }

    /** Consumer edges of a tensor: one per node input that reads it. */
    private int edges(String t) {
        int n = 0;
        for (Node c : g.consumers(t)) {
            for (String in : c.inputs()) {
                n += in.equals(t) ? 1 : 0;
            }
        }
        return n;
    }

    private boolean sameScalarZeroPoint(String a, String b) {
        if (a.isEmpty() || b.isEmpty() || !g.isConstant(a) || !g.isConstant(b)) {
            return false;
        }
        Tensor za = g.constant(a);
        Tensor zb = g.constant(b);
        return za.size() == 1 && zb.size() == 1 && za.elemType() == DType.INT8.onnxCode() && zb.elemType() == DType.INT8.onnxCode()
                && za.intAt(0) == zb.intAt(0);
    }

    /**
     * An op that is exact on codes (MaxPool, views) whose output QuantizeLinear has other parameters
     * than its input: the op on codes into an intermediate, then a requantization table.
     */
    private void exactThenRescale(Node p, QTensor in, QTensor out, int lo, int hi, List<String> nodes,
                                  java.util.function.Function<QTensor, QOp> exact) {
        boolean clamps = lo > out.type().qmin() || hi < out.type().qmax();
        if (in.sameParams(out) && !clamps) {
            ops.add(exact.apply(out));
            return;
        }
        QTensor mid = new QTensor(out.name() + "#pre", in.type(), out.shape(), in.scale(), in.zeroPoint());
        ops.add(exact.apply(mid));
        ops.add(new QOp.Rescale(out.name() + "#rescale", nodes, mid, out, lo, hi));
    }

    // ----- QOperator ops --------------------------------------------------------------------------

    /** QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?) */
    private void qlinearConv(Node n) {
        QTensor in = view(n.input(0), n, 1, 2);
        Weights w = constWeights(n, 3, 4, 5, 0);
        QuantParams y = quantParams(n, 6, 7, "y");
        QTensor out = define(n.outputs().get(0), y.type, y.scales[0], y.zps[0]);
        covered.add(n);
        ops.add(conv(n, in, w, n.input(8), out, out.type().qmin(), out.type().qmax(), List.of(n.name())));
    }

    /** QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp); b constant or an activation */
    private void qlinearMatMul(Node n) {
        QTensor in = view(n.input(0), n, 1, 2);
        if (!g.isConstant(n.input(3))) {
            QTensor b = view(n.input(3), n, 4, 5);
            QuantParams y = quantParams(n, 6, 7, "y");
            QTensor out = define(n.outputs().get(0), y.type, y.scales[0], y.zps[0]);
            covered.add(n);
            ops.add(activationMatMul(n, in, b, out, out.type().qmin(), out.type().qmax(), List.of(n.name())));
            return;
        }
        Weights w = constWeights(n, 3, 4, 5, 1);
        QuantParams y = quantParams(n, 6, 7, "y");
        QTensor out = define(n.outputs().get(0), y.type, y.scales[0], y.zps[0]);
        covered.add(n);
        ops.add(matmulOp(n, in, w, false, "", out, 1f, false, 1f, out.type().qmin(), out.type().qmax(), List.of(n.name())));
    }

    /** QGemm(A, a_scale, a_zp, B, b_scale, b_zp, C?, y_scale?, y_zp?) (com.microsoft) */
    private void qgemm(Node n) {
        if (n.input(7).isEmpty()) {
            throw new Unsupported("QGemm without y_scale produces a float output");
        }
        if (n.attrInt("transA", 0) != 0) {
            throw new Unsupported("transA=1 is not supported");
        }
        QTensor in = view(n.input(0), n, 1, 2);
        boolean transB = n.attrInt("transB", 0) != 0;
        Weights w = constWeights(n, 3, 4, 5, transB ? 0 : 1);
        QuantParams y = quantParams(n, 7, 8, "y");
        QTensor out = define(n.outputs().get(0), y.type, y.scales[0], y.zps[0]);
        covered.add(n);
        ops.add(matmulOp(n, in, w, transB, n.input(6), out, n.attrFloat("alpha", 1f), true, 1f,
                out.type().qmin(), out.type().qmax(), List.of(n.name())));
    }

    /** QLinearAdd(A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp) (com.microsoft) */
    private void qlinearAdd(Node n) {
        QTensor a = g.isConstant(n.input(0)) ? constOperand(n, 0, 1, 2) : view(n.input(0), n, 1, 2);
        QTensor b = g.isConstant(n.input(3)) ? constOperand(n, 3, 4, 5) : view(n.input(3), n, 4, 5);
        QuantParams c = quantParams(n, 6, 7, "C");
        QTensor out = define(n.outputs().get(0), c.type, c.scales[0], c.zps[0]);
        covered.add(n);
        ops.add(new QOp.Add(n.name(), List.of(n.name()), a, b, out, out.type().qmin(), out.type().qmax(), QOp.Add.Kernel.QLINEAR));
    }

    /** QLinearGlobalAveragePool(X, x_scale, x_zp, y_scale, y_zp) (com.microsoft), NCHW */
    private void qlinearGap(Node n) {
        if (n.attrInt("channels_last", 0) != 0) {
            throw new Unsupported("channels_last=1 is not supported");
        }
        QTensor in = view(n.input(0), n, 1, 2);
        QuantParams y = quantParams(n, 3, 4, "y");
        covered.add(n);
        ops.add(new QOp.GlobalAvgPool(n.name(), List.of(n.name()), in, define(n.outputs().get(0), y.type, y.scales[0], y.zps[0])));
    }

    /** QLinearMul(A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp) (com.microsoft) */
    private void qlinearMul(Node n) {
        QTensor a = g.isConstant(n.input(0)) ? constOperand(n, 0, 1, 2) : view(n.input(0), n, 1, 2);
        QTensor b = g.isConstant(n.input(3)) ? constOperand(n, 3, 4, 5) : view(n.input(3), n, 4, 5);
        QuantParams c = quantParams(n, 6, 7, "C");
        QTensor out = define(n.outputs().get(0), c.type, c.scales[0], c.zps[0]);
        covered.add(n);
        ops.add(new QOp.Mul(n.name(), List.of(n.name()), a, b, out, out.type().qmin(), out.type().qmax()));
    }

    /** QLinearConcat(Y_scale, Y_zp, X1, X1_scale, X1_zp, ...) (com.microsoft) */
    private void qlinearConcat(Node n) {
        QuantParams y = quantParams(n, 0, 1, "Y");
        List<QTensor> ins = new ArrayList<>();
        for (int i = 2; i + 2 < n.inputCount(); i += 3) {
            ins.add(view(n.input(i), n, i + 1, i + 2));
        }
        QTensor out = define(n.outputs().get(0), y.type, y.scales[0], y.zps[0]);
        int axis = (int) n.attrInt("axis", 0);
        covered.add(n);
        ops.add(new QOp.Concat(n.name(), List.of(n.name()), ins, out, axis < 0 ? axis + out.shape().length : axis));
    }

    /**
     * QLinearSigmoid / QLinearLeakyRelu(X, X_scale, X_zp, Y_scale, Y_zp) (com.microsoft): ORT builds a
     * 256-entry table by dequantizing, applying the float function and quantizing
     * (onnxruntime/contrib_ops/cpu/quantization/qlinear_lookup_table.cc); so does the compiler.
     */
    private void qlinearLookup(Node n) {
        QTensor in = view(n.input(0), n, 1, 2);
        QuantParams y = quantParams(n, 3, 4, "Y");
        QTensor out = define(n.outputs().get(0), y.type, y.scales[0], y.zps[0]);
        covered.add(n);
        String f = n.opType().substring("QLinear".length());
        ops.add(new QOp.Unary(n.name(), List.of(n.name()), in, out, f, UnaryFunctions.of(n), out.type().qmin(), out.type().qmax()));
    }

    /** QLinearAveragePool(X, x_scale, x_zp, y_scale, y_zp) (com.microsoft), NCHW */
    private void qlinearAvgPool(Node n) {
        if (n.attrInt("channels_last", 0) != 0) {
            throw new Unsupported("channels_last=1 is not supported");
        }
        QTensor in = view(n.input(0), n, 1, 2);
        QuantParams y = quantParams(n, 3, 4, "y");
        covered.add(n);
        ops.add(avgPool(n, in, define(n.outputs().get(0), y.type, y.scales[0], y.zps[0]), List.of(n.name())));
    }

    /** QLinearSoftmax(X, X_scale, X_zp, Y_scale, Y_zp) (com.microsoft) */
    private void qlinearSoftmax(Node n) {
        QTensor in = view(n.input(0), n, 1, 2);
        QuantParams y = quantParams(n, 3, 4, "Y");
        covered.add(n);
        ops.add(softmax(n, in, define(n.outputs().get(0), y.type, y.scales[0], y.zps[0]), List.of(n.name()), false));
    }

    // ----- op builders ----------------------------------------------------------------------------

    private long[] constInts(String name, Node n) {
        if (!g.isConstant(name)) {
            throw new Unsupported("input '" + name + "' of '" + n.name() + "' is not a constant");
        }
        Tensor c = g.constant(name);
        long[] v = new long[(int) c.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = c.intAt(i);
        }
        return v;
    }

    private static void noClamp(int lo, int hi, DType t, String op) {
        if (lo > t.qmin() || hi < t.qmax()) {
            throw new Unsupported("Relu/Clip after " + op + " is not supported");
        }
    }

    /** Output {@code which} of a data-movement node as a gather from {@code in} into {@code out}. */
    private QOp gatherOp(Node n, int which, QTensor in, QTensor out, List<String> nodes) {
        long[] is = in.shape();
        long[] os = out.shape();
        DataMovement.Map m;
        try {
            if (n.opType().equals("Pad") && n.attrString("mode", "constant").equals("constant")) {
                return padConstant(n, in, out, nodes);
            }
            if (n.opType().equals("Resize") && n.attrString("mode", "nearest").equals("linear")) {
                return resizeLinear(n, in, out, nodes);
            }
            m = switch (n.opType()) {
                case "Transpose" -> DataMovement.transpose(n, is, os);
                case "Slice" -> DataMovement.slice(g, n, is, os);
                case "Split" -> DataMovement.split(g, n, which, is);
                case "Resize" -> DataMovement.resize(g, n, is, os);
                case "Gather" -> DataMovement.gather(g, n, is);
                case "Pad" -> DataMovement.pad(g, n, n.attrString("mode", "constant"), is, os);
                default -> throw new IllegalStateException(n.opType());
            };
        } catch (DataMovement.Refused r) {
            throw new Unsupported(r.getMessage());
        }
        String name = n.name() + (which > 0 ? "#" + which : "");
        long[] ms = new long[m.index().length];
        for (int k = 0; k < ms.length; k++) {
            ms[k] = m.index()[k].length;
        }
        if (!Arrays.equals(ms, os)) {
            // Gather with scalar or multi-dimensional indices: the map runs over the indices flattened into one
            // axis, and the output is a view of that result with the real shape (the same bytes in C order)
            QTensor mid = new QTensor(out.name() + "#g", out.type(), ms, out.scale(), out.zeroPoint());
            ops.add(new QOp.Gather(name, nodes, in, mid, n.opType(), m.axisOf(), m.index()));
            return new QOp.Alias(name + "#view", nodes, mid, out);
        }
        return new QOp.Gather(name, nodes, in, out, n.opType(), m.axisOf(), m.index());
    }

    /**
     * Resize in linear mode, as ONNX Runtime 1.29 computes it. In QDQ form it keeps {@code DQ -> Resize -> Q}
     * in float (measured: its optimised and unoptimised graphs agree, and differ from interpolating the codes),
     * so the codes are dequantized through a table, interpolated with its float kernel's weights and order, and
     * quantized; any output parameters work. On the 8-bit tensor itself (QOperator) its kernel interpolates
     * the codes and truncates.
     */
    private QOp resizeLinear(Node n, QTensor in, QTensor out, List<String> nodes) {
        boolean onCodes = isQuantInput(n.input(0));
        DataMovement.Bilinear b = DataMovement.bilinear(g, n, in.shape(), out.shape());
        if (onCodes && b.channels() > 1) {
            throw new Unsupported("linear Resize of 8-bit NHWC data (scales [1, h, w, 1]): ONNX Runtime computes it with"
                    + " its integer NhwcUpsampleBilinearInteger formula, which is not supported");
        }
        return new QOp.ResizeLinear(n.name(), nodes, in, out, b.planes(), b.inH(), b.inW(), b.channels(), b.outH(), b.outW(),
                b.yTab(), b.xTab(), onCodes);
    }

    /**
     * Pad in constant mode: the output's border holds the pad value as a code of the output's type, the
     * interior the input's codes (through a requantization table when the parameters differ). The pad value is
     * a float (QDQ: ONNX Runtime runs {@code DQ -> Pad -> Q} in float, so the value is quantized as its
     * QuantizeLinear would), a code (QOperator Pad on the 8-bit tensor), or a DequantizeLinear of a constant.
     */
    private QOp padConstant(Node n, QTensor in, QTensor out, List<String> nodes) {
        long[][] be = DataMovement.padAmounts(g, n, in.shape());
        int code = out.zeroPoint();
        DType t = out.type();
        if (n.opset() < 11) {
            code = Tables.quantizeLinear(n.attrFloat("value", 0f), out.scale(), out.zeroPoint(), t.qmin(), t.qmax());
        } else if (n.inputCount() > 2 && !n.input(2).isEmpty()) {
            String v = n.input(2);
            Node p = g.producer(v);
            if (p != null && p.opType().equals("DequantizeLinear") && g.isConstant(p.input(0))) {
                QTensor c = constOperand(p, 0, 1, 2);
                float real = (float) ((c.signed() ? c.constant()[0] : c.constant()[0] & 0xFF) - c.zeroPoint()) * c.scale();
                code = Tables.quantizeLinear(real, out.scale(), out.zeroPoint(), t.qmin(), t.qmax());
                covered.add(p);
            } else if (g.isConstant(v)) {
                Tensor c = g.constant(v);
                if (c.isFloat()) {
                    code = Tables.quantizeLinear(c.floatAt(0), out.scale(), out.zeroPoint(), t.qmin(), t.qmax());
                } else {
                    code = (int) c.intAt(0);  // QOperator: the pad value is already a code of the data's type
                }
            } else {
                throw new Unsupported("Pad constant_value '" + v + "' is not a constant");
            }
        } else if (isQuantInput(n.input(0))) {
            code = 0;  // no constant_value on the 8-bit tensor itself (QOperator): code 0; in QDQ: 0.0, the zero point
        }
        int[] begin = new int[be[0].length];
        for (int k = 0; k < begin.length; k++) {
            begin[k] = Math.toIntExact(be[0][k]);
        }
        return new QOp.Pad(n.name(), nodes, in, out, begin, code);
    }

    /**
     * AveragePool (2-D, NCHW). A window covering the whole unpadded input is computed by ORT's
     * QLinearAveragePool as a global average pool (its {@code fallback_to_global}), integer sum and
     * shared requantizer; so is it here.
     */
    private QOp avgPool(Node n, QTensor in, QTensor out, List<String> nodes) {
        if (in.shape().length != 4) {
            throw new Unsupported("only 2-D average pooling (NCHW) is supported");
        }
        int[] kernel = ints(n.attrInts("kernel_shape", null));
        int[] strides = ints(n.attrInts("strides", new long[] {1, 1}));
        long[] dl = n.attrInts("dilations", new long[] {1, 1});
        if (dl[0] != 1 || dl[1] != 1) {
            throw new Unsupported("AveragePool with dilations is not supported");
        }
        int[] pads = pads(n, in.shape(), out.shape(), kernel, strides, new int[] {1, 1});
        long[] allPads = n.attrInts("pads", new long[] {0, 0, 0, 0});
        boolean noPads = n.attrString("auto_pad", "NOTSET").equals("NOTSET") || n.attrString("auto_pad", "NOTSET").equals("VALID")
                ? Arrays.stream(allPads).allMatch(v -> v == 0) : pads[0] == 0 && pads[1] == 0;
        if (noPads && kernel[0] == in.shape()[2] && kernel[1] == in.shape()[3]) {
            return new QOp.GlobalAvgPool(n.name(), nodes, in, out);
        }
        return new QOp.AvgPool(n.name(), nodes, in, out, kernel, strides, pads, n.attrInt("count_include_pad", 0) != 0);
    }

    /** Softmax whose reduction runs over the innermost elements: the last axis (opset 13+) or axis..end (before). */
    private QOp softmax(Node n, QTensor in, QTensor out, List<String> nodes, boolean saturate) {
        long[] s = in.shape();
        int opset = n.opType().equals("QLinearSoftmax") ? (int) n.attrInt("opset", 13) : n.opset();
        int axis = (int) n.attrInt("axis", opset < 13 ? 1 : -1);
        if (axis < 0) {
            axis += s.length;
        }
        long d = 1;
        for (int i = axis; i < s.length; i++) {
            d *= s[i];
        }
        if (opset >= 13 && axis != s.length - 1) {
            throw new Unsupported("Softmax along axis " + axis + " of a rank-" + s.length + " tensor (only the last axis)");
        }
        long[] flat = {in.elements() / d, d};
        QTensor in2 = new QTensor(in.name(), in.type(), flat, in.scale(), in.zeroPoint());
        return new QOp.Softmax(n.name(), nodes, in2, out, saturate);
    }

    private QOp.Conv conv(Node n, QTensor in, Weights w, String biasName, QTensor out, int lo, int hi, List<String> nodes) {
        return conv(n, in, w, biasName, out, lo, hi, nodes, 1f);
    }

    private QOp.Conv conv(Node n, QTensor in, Weights w, String biasName, QTensor out, int lo, int hi, List<String> nodes,
                          float negativeSlope) {
        if (in.shape().length != 4) {
            throw new Unsupported("only 2-D convolutions (NCHW inputs) are supported, input has rank " + in.shape().length);
        }
        if (w.dims.length != 4) {
            throw new Unsupported("weights of rank " + w.dims.length + ", expected [outC, inC/groups, kH, kW]");
        }
        int outC = (int) w.dims[0];
        if (w.axis >= 0 && w.axis != 0) {
            throw new Unsupported("per-axis weight quantization along axis " + w.axis + " (Conv needs axis 0)");
        }
        int groups = (int) n.attrInt("group", 1);
        long[] os = out.shape();
        int[] strides = ints(n.attrInts("strides", new long[] {1, 1}));
        int[] dil = ints(n.attrInts("dilations", new long[] {1, 1}));
        int[] kernel = {(int) w.dims[2], (int) w.dims[3]};
        int[] pads = pads(n, in.shape(), os, kernel, strides, dil);
        float[] ws = perChannel(w.scales, outC, "weight scale");
        int[] wzp = perChannel(w.zps, outC);
        int[] bias = bias(n, biasName, outC, in.scale(), ws, 1f);
        return new QOp.Conv(n.name(), nodes, in, out, w.codes, w.type, new int[] {outC, (int) w.dims[1], kernel[0], kernel[1]},
                wzp, ws, bias, strides, pads, dil, groups, lo, hi, negativeSlope);
    }

    private QOp gemm(Node p, QTensor out, int lo, int hi, List<String> nodes) {
        if (p.attrInt("transA", 0) != 0) {
            throw new Unsupported("transA=1 is not supported");
        }
        QTensor in = activation(dq(p.input(0), p));
        boolean transB = p.attrInt("transB", 0) != 0;
        Weights w = weights(p.input(1), p);
        return matmulOp(p, in, w, transB, p.input(2), out, p.attrFloat("alpha", 1f), true, p.attrFloat("beta", 1f), lo, hi, nodes);
    }

    private QOp matmul(Node p, QTensor out, int lo, int hi, List<String> nodes) {
        QTensor in = activation(dq(p.input(0), p));
        if (!g.isConstant(producerInputOrSelf(p.input(1)))) {
            // DQ(a), DQ(b) -> MatMul -> Q with b computed at run time (attention): ORT fuses it to QLinearMatMul
            return activationMatMul(p, in, activation(dq(p.input(1), p)), out, lo, hi, nodes);
        }
        Weights w = weights(p.input(1), p);
        return matmulOp(p, in, w, false, "", out, 1f, false, 1f, lo, hi, nodes);
    }

    /**
     * A matrix multiply whose B is an activation ([..., K, N], per-tensor parameters): a GATHER first
     * transposes B's last two axes into the [N][K] layout the array reads weights in, then the MATMUL reads
     * those codes and subtracts B's zero point at run time. Batch dimensions broadcast as numpy's matmul.
     */
    private QOp.MatMul activationMatMul(Node n, QTensor a, QTensor b, QTensor out, int lo, int hi, List<String> nodes) {
        long[] bs = b.shape();
        int r = bs.length;
        if (r < 2 || a.shape().length < 1) {
            throw new Unsupported("MatMul of two activations with an operand of rank " + Math.min(r, a.shape().length)
                    + " (B needs rank 2 or more)");
        }
        int k = Math.toIntExact(bs[r - 2]);
        int nOut = Math.toIntExact(bs[r - 1]);
        long[] as = a.shape();
        if (as[as.length - 1] != k) {
            throw new Unsupported("A of shape " + Arrays.toString(as) + " does not end in K=" + k + " (B is " + Arrays.toString(bs) + ")");
        }
        long[] ts = bs.clone();
        ts[r - 2] = nOut;
        ts[r - 1] = k;
        int[] axisOf = new int[r];
        int[][] index = new int[r][];
        for (int i = 0; i < r; i++) {
            axisOf[i] = i == r - 2 ? r - 1 : i == r - 1 ? r - 2 : i;
            index[i] = new int[Math.toIntExact(ts[i])];
            for (int j = 0; j < index[i].length; j++) {
                index[i][j] = j;
            }
        }
        QTensor bt = new QTensor(out.name() + "#B", b.type(), ts, b.scale(), b.zeroPoint());
        ops.add(new QOp.Gather(n.name() + "#B", nodes, b, bt, "Transpose", axisOf, index));
        int[][] sl = batchSlices(n, as, bs, out.shape());
        float[] ws = new float[nOut];
        Arrays.fill(ws, b.scale());
        int[] wzp = new int[nOut];
        Arrays.fill(wzp, b.zeroPoint());
        return new QOp.MatMul(n.name(), nodes, a, out, new byte[0], b.type(), k, nOut, wzp, ws, new int[nOut], 1f, false,
                lo, hi, bt, sl[0], sl[1]);
    }

    /**
     * The [M][N] slices of a numpy matmul {@code A [..., M, K] x B [..., K, N] -> [..., M, N]}: for each
     * output slice (C order over the broadcast batch dimensions), the index of A's and of B's slice (a
     * dimension of size 1 repeats its one slice). A 2-D B multiplies every row of A at once: one slice.
     */
    private static int[][] batchSlices(Node n, long[] a, long[] b, long[] out) {
        if (b.length == 2) {
            return new int[][] {{0}, {0}};
        }
        if (a.length < 2) {
            throw new Unsupported("batched MatMul with a 1-D A is not supported");
        }
        int rb = out.length - 2;
        if (out.length != Math.max(a.length, b.length)) {
            throw new Unsupported("output rank " + out.length + " of a batched MatMul of " + Arrays.toString(a) + " and "
                    + Arrays.toString(b));
        }
        long slices = 1;
        for (int i = 0; i < rb; i++) {
            slices *= out[i];
        }
        int[] sa = new int[Math.toIntExact(slices)];
        int[] sb = new int[sa.length];
        int[] idx = new int[rb];
        for (int s = 0; s < sa.length; s++) {
            sa[s] = flatBatch(n, a, idx, out);
            sb[s] = flatBatch(n, b, idx, out);
            for (int i = rb - 1; i >= 0; i--) {
                if (++idx[i] < out[i]) {
                    break;
                }
                idx[i] = 0;
            }
        }
        return new int[][] {sa, sb};
    }

    /** Flat index of the slice of an operand of shape {@code s} read at output batch index {@code idx}. */
    private static int flatBatch(Node n, long[] s, int[] idx, long[] out) {
        int rb = idx.length;
        int sb = s.length - 2;
        long flat = 0;
        for (int i = 0; i < sb; i++) {
            int o = i + rb - sb;                  // the output batch axis this operand axis aligns with
            long d = s[i];
            if (d != 1 && d != out[o]) {
                throw new Unsupported("batch dimensions of " + Arrays.toString(s) + " do not broadcast to " + Arrays.toString(out));
            }
            flat = flat * d + (d == 1 ? 0 : idx[o]);
        }
        return Math.toIntExact(flat);
    }

    private String producerInputOrSelf(String t) {
        Node p = g.producer(t);
        return p != null && p.opType().equals("DequantizeLinear") ? p.input(0) : t;
    }

    /** in [..., K] x B: B is [K, N] (or [N, K] when transB), per-axis along N. */
    private QOp.MatMul matmulOp(Node n, QTensor in, Weights w, boolean transB, String biasName, QTensor out, float alpha,
                                boolean gemm, float beta, int lo, int hi, List<String> nodes) {
        if (w.dims.length > 2 && !gemm) {
            return batchedMatMul(n, in, w, out, lo, hi, nodes);
        }
        if (w.dims.length != 2) {
            throw new Unsupported("weights of rank " + w.dims.length + " (only 2-D weights are supported)");
        }
        int k = (int) (transB ? w.dims[1] : w.dims[0]);
        int nOut = (int) (transB ? w.dims[0] : w.dims[1]);
        long[] is = in.shape();
        if (is.length == 0 || is[is.length - 1] != k) {
            throw new Unsupported("input shape " + Arrays.toString(is) + " does not end in K=" + k);
        }
        int nAxis = transB ? 0 : 1;
        if (w.axis >= 0 && w.axis != nAxis) {
            throw new Unsupported("per-axis weight quantization along axis " + w.axis + " (needs the output axis " + nAxis + ")");
        }
        byte[] codes;
        if (transB) {
            codes = Arrays.copyOf(w.codes, nOut * k);         // already [N][K]
        } else {
            codes = new byte[nOut * k];
            for (int i = 0; i < k; i++) {                      // [K][N] read in order, written transposed
                for (int j = 0; j < nOut; j++) {
                    codes[j * k + i] = w.codes[i * nOut + j];
                }
            }
        }
        float[] ws = perChannel(w.scales, nOut, "weight scale");
        int[] wzp = perChannel(w.zps, nOut);
        int[] bias = bias(n, biasName, nOut, in.scale(), ws, beta);
        return new QOp.MatMul(n.name(), nodes, in, out, codes, w.type, k, nOut, wzp, ws, bias, alpha, gemm, lo, hi);
    }

    /** MatMul by a constant B of rank 3 or more ([..., K, N]): its slices, each transposed to [N][K]. */
    private QOp.MatMul batchedMatMul(Node n, QTensor in, Weights w, QTensor out, int lo, int hi, List<String> nodes) {
        int r = w.dims.length;
        int k = Math.toIntExact(w.dims[r - 2]);
        int nOut = Math.toIntExact(w.dims[r - 1]);
        long[] is = in.shape();
        if (is.length == 0 || is[is.length - 1] != k) {
            throw new Unsupported("input shape " + Arrays.toString(is) + " does not end in K=" + k);
        }
        if (w.axis >= 0 && w.axis != r - 1 && !(w.axis == 1 && w.scales.length == nOut)) {
            throw new Unsupported("per-axis weight quantization along axis " + w.axis + " (needs the output axis " + (r - 1) + ")");
        }
        int[][] sl = batchSlices(n, is, w.dims, out.shape());
        int bSlices = w.codes.length / (k * nOut);
        byte[] codes = new byte[w.codes.length];
        for (int s = 0; s < bSlices; s++) {
            int base = s * k * nOut;
            for (int j = 0; j < nOut; j++) {
                for (int i = 0; i < k; i++) {
                    codes[base + j * k + i] = w.codes[base + i * nOut + j];
                }
            }
        }
        float[] ws = perChannel(w.scales, nOut, "weight scale");
        int[] wzp = perChannel(w.zps, nOut);
        return new QOp.MatMul(n.name(), nodes, in, out, codes, w.type, k, nOut, wzp, ws, new int[nOut], 1f, false, lo, hi,
                null, sl[0], sl[1]);
    }

    private QOp.MaxPool maxPool(Node n, QTensor in, QTensor out, List<String> nodes) {
        if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
            throw new Unsupported("MaxPool's Indices output is not supported");
        }
        if (n.attrInt("storage_order", 0) != 0) {
            throw new Unsupported("storage_order=1 is not supported");
        }
        if (in.shape().length != 4) {
            throw new Unsupported("only 2-D pooling (NCHW) is supported");
        }
        int[] kernel = ints(n.attrInts("kernel_shape", null));
        int[] strides = ints(n.attrInts("strides", new long[] {1, 1}));
        int[] dil = ints(n.attrInts("dilations", new long[] {1, 1}));
        int[] pads = pads(n, in.shape(), out.shape(), kernel, strides, dil);
        return new QOp.MaxPool(n.name(), nodes, in, out, kernel, strides, pads, dil);
    }

    // ----- operands -------------------------------------------------------------------------------

    /** The DequantizeLinear node producing {@code t}, which must exist. */
    private Node dq(String t, Node consumer) {
        Node p = g.producer(t);
        if (p == null || !p.opType().equals("DequantizeLinear")) {
            throw new Unsupported("input '" + t + "' of '" + consumer.name() + "' is not produced by a DequantizeLinear"
                    + (p == null ? (g.isConstant(t) ? " (it is a float constant)" : " (it is a float graph input)")
                    : " but by '" + p.name() + "' (" + p.opType() + "), so it is a float tensor"));
        }
        return p;
    }

    /** The quantized activation a DequantizeLinear reads, viewed with the DQ's parameters. */
    private QTensor activation(Node dq) {
        String x = dq.input(0);
        if (g.isConstant(x)) {
            throw new Unsupported("expected a quantized activation, but DequantizeLinear '" + dq.name() + "' reads the constant '" + x + "'");
        }
        return view(x, dq, 1, 2);
    }

    /** An Add operand: a quantized activation or a quantized constant, through a DequantizeLinear. */
    private QTensor operand(String t, Node consumer) {
        Node d = dq(t, consumer);
        if (g.isConstant(d.input(0))) {
            return constOperand(d, 0, 1, 2);
        }
        return activation(d);
    }

    private QTensor constOperand(Node n, int xi, int si, int zi) {
        Tensor c = g.constant(n.input(xi));
        QuantParams qp = quantParams(n, si, zi, "operand");
        if (qp.axis >= 0) {
            throw new Unsupported("per-axis parameters on a constant operand are not supported");
        }
        DType t = DType.fromOnnx(c.elemType());
        if (t == null || !t.isQuant8()) {
            throw new Unsupported("constant operand '" + n.input(xi) + "' is not uint8/int8");
        }
        byte[] codes = new byte[(int) c.size()];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) c.intAt(i);
        }
        return new QTensor(n.input(xi), t, c.dims().clone(), qp.scales[0], qp.zps[0], codes);
    }

    private boolean isQuantInput(String t) {
        return native_.containsKey(t);
    }

    /** {@code t} viewed with the scale and zero point found at {@code n}'s inputs {@code si}, {@code zi}. */
    private QTensor view(String t, Node n, int si, int zi) {
        if (!native_.containsKey(t)) {
            throw new Unsupported("input '" + t + "' is not a quantized tensor intbench knows (it is not produced by a"
                    + " QuantizeLinear or a QLinear op)");
        }
        QuantParams qp = quantParams(n, si, zi, "x");
        if (qp.axis >= 0) {
            throw new Unsupported("per-axis parameters on activation '" + t + "' are not supported");
        }
        DType type = DType.fromOnnx(g.valueInfo(t).elemType());
        if (type == null || !type.isQuant8()) {
            type = qp.type;
        }
        QTensor v = new QTensor(t, type, shape(t), qp.scales[0], qp.zps[0]);
        if (native_.get(t) == null) {
            native_.put(t, v);  // an integer graph input takes the parameters of its first consumer
            inputs.add(new QModel.Input(t, false, v, new float[] {v.scale()}, new int[] {v.zeroPoint()}, -1));
        }
        return v;
    }

    private QTensor nativeView(String t) {
        QTensor q = native_.get(t);
        if (q == null) {
            throw new Unsupported("integer graph input '" + t + "' has no known quantization parameters here");
        }
        return q;
    }

    /** Declares a new quantized tensor produced by a Q node or a QLinear op. */
    private QTensor define(String name, DType type, float scale, int zp) {
        QTensor q = new QTensor(name, type, shape(name), scale, zp);
        native_.put(name, q);
        probes.add(name);
        return q;
    }

    private long[] shape(String t) {
        ValueInfo vi = g.valueInfo(t);
        if (vi.shape() == null) {
            throw new Unsupported("the shape of '" + t + "' could not be inferred statically");
        }
        return vi.shape();
    }

    private boolean singleUse(String t) {
        return g.consumers(t).size() == 1 && !g.outputs().contains(t);
    }

    /** A float bias constant along the last axis of {@code out}: one value, or one per element of that axis. */
    private float[] epilogueBias(Tensor c, long[] out, Node add) {
        long[] cd = c.dims();
        for (int i = 0; i + 1 < cd.length; i++) {
            if (cd[i] != 1) {
                throw new Unsupported("the float bias added to the output by '" + add.name() + "' has shape "
                        + Arrays.toString(cd) + "; only a bias along the last axis is supported");
            }
        }
        if (c.size() != 1 && (out.length == 0 || c.size() != out[out.length - 1])) {
            throw new Unsupported("the float bias of '" + add.name() + "' has " + c.size() + " values for an output of shape "
                    + Arrays.toString(out));
        }
        float[] b = new float[(int) c.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = c.floatAt(i);
        }
        return b;
    }

    private QModel.Output output(String o) {
        return output(o, true);
    }

    /** {@code asGraphOutput} false: {@code o} is a DequantizeLinear output that only feeds an epilogue. */
    private QModel.Output output(String o, boolean asGraphOutput) {
        if (asGraphOutput && native_.containsKey(o) && native_.get(o) != null) {
            QTensor q = native_.get(o);
            for (QModel.Input in : inputs) {
                if (in.q().name().equals(o)) {
                    // a quantized input passed straight through keeps its (possibly per-axis) parameters
                    return new QModel.Output(o, false, q, in.scales(), in.zeroPoints(), in.axis());
                }
            }
            return new QModel.Output(o, false, q, new float[] {q.scale()}, new int[] {q.zeroPoint()}, -1);
        }
        Node p = g.producer(o);
        if (p != null && p.opType().equals("DequantizeLinear") && !g.isConstant(p.input(0)) && native_.containsKey(p.input(0))) {
            QuantParams qp = quantParams(p, 1, 2, "x");
            QTensor q = native_.get(p.input(0));
            if (q == null) {
                // an integer graph input dequantized straight to an output
                DType type = DType.fromOnnx(g.valueInfo(p.input(0)).elemType());
                q = new QTensor(p.input(0), type, shape(p.input(0)), qp.axis < 0 ? qp.scales[0] : 1f, qp.axis < 0 ? qp.zps[0] : 0);
                native_.put(q.name(), q);
                inputs.add(new QModel.Input(q.name(), false, q, qp.scales, qp.zps, qp.axis));
            }
            return new QModel.Output(o, true, q, qp.scales, qp.zps, qp.axis);
        }
        if (p == null) {
            throw new Unsupported("is not computed by any node");
        }
        // DQ(y) + float bias -> graph output: the host adds the bias after dequantizing (an epilogue, like the DQ itself)
        if (p.opType().equals("Add") && p.inputCount() == 2) {
            for (int i = 0; i < 2; i++) {
                Node d = g.producer(p.input(i));
                String c = p.input(1 - i);
                if (d != null && d.opType().equals("DequantizeLinear") && singleUse(d.outputs().get(0)) && g.isConstant(c)
                        && g.constant(c).isFloat() && !g.isConstant(d.input(0)) && native_.get(d.input(0)) != null) {
                    QModel.Output dqOut = output(d.outputs().get(0), false);
                    float[] bias = epilogueBias(g.constant(c), shape(o), p);
                    covered.add(p);
                    covered.add(d);
                    return new QModel.Output(o, true, dqOut.q(), dqOut.scales(), dqOut.zeroPoints(), dqOut.axis(), bias);
                }
            }
        }
        throw new Unsupported("is computed in float by '" + p.name() + "' (" + p.opType() + "); intbench needs every graph"
                + " output to be a quantized tensor, the DequantizeLinear of one, or that plus a constant float bias");
    }

    // ----- constants ------------------------------------------------------------------------------

    /** Scale, zero point, element type and axis of a Q/DQ/QLinear parameter pair at inputs {@code si}, {@code zi}. */
    private record QuantParams(float[] scales, int[] zps, DType type, int axis) { }

    private QuantParams quantParams(Node n, int si, int zi, String what) {
        String sName = n.input(si);
        if (sName.isEmpty() || !g.isConstant(sName)) {
            throw new Unsupported(what + " scale '" + sName + "' is not a constant: static quantization needs scales known at compile time");
        }
        Tensor s = g.constant(sName);
        if (!s.isFloat()) {
            throw new Unsupported(what + " scale '" + sName + "' is not a float tensor");
        }
        float[] scales = new float[(int) s.size()];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = s.floatAt(i);
            if (!(scales[i] > 0) || Float.isInfinite(scales[i])) {
                throw new Unsupported(what + " scale '" + sName + "' has the value " + scales[i] + "; scales must be positive and finite");
            }
        }
        String zName = n.input(zi);
        int[] zps = new int[scales.length];
        DType type = DType.UINT8;
        if (!zName.isEmpty()) {
            if (!g.isConstant(zName)) {
                throw new Unsupported(what + " zero point '" + zName + "' is not a constant");
            }
            Tensor z = g.constant(zName);
            type = DType.fromOnnx(z.elemType());
            if (type == null || !(type.isQuant8() || type == DType.INT32)) {
                throw new Unsupported(what + " zero point '" + zName + "' has ONNX type " + z.elemType()
                        + "; only uint8, int8 (and int32 for biases) are supported");
            }
            if (z.size() != scales.length && z.size() != 1) {
                throw new Unsupported(what + " zero point '" + zName + "' has " + z.size() + " values for " + scales.length + " scales");
            }
            for (int i = 0; i < zps.length; i++) {
                zps[i] = (int) z.intAt(z.size() == 1 ? 0 : i);
            }
        } else if (n.opType().equals("QuantizeLinear") && n.hasAttr("output_dtype")) {
            type = DType.fromOnnx((int) n.attrInt("output_dtype", 2));
            if (type == null || !type.isQuant8()) {
                throw new Unsupported("output_dtype " + n.attrInt("output_dtype", 0) + " is not uint8/int8");
            }
        }
        int axis = -1;
        if (scales.length > 1) {
            if (n.hasAttr("block_size") && n.attrInt("block_size", 0) != 0) {
                throw new Unsupported("blocked quantization (block_size) is not supported");
            }
            axis = (int) n.attrInt("axis", 1);
            long[] xs = g.valueInfo(n.input(0)).shape();
            if (xs != null && axis < 0) {
                axis += xs.length;
            }
        }
        return new QuantParams(scales, zps, type, axis);
    }

    /** Constant integer weights with their quantization parameters. */
    private record Weights(byte[] codes, long[] dims, DType type, float[] scales, int[] zps, int axis) { }

    /** Weights behind a DequantizeLinear of a constant (QDQ). */
    private Weights weights(String t, Node consumer) {
        Node d = dq(t, consumer);
        if (!g.isConstant(d.input(0))) {
            throw new Unsupported("weights '" + t + "' of '" + consumer.name() + "' are computed at run time; only constant weights are supported");
        }
        covered.add(d);
        return constWeights(d, 0, 1, 2, -1);
    }

    /** Weights as a constant input {@code wi} with parameters at {@code si}, {@code zi} (QOperator or a DQ). */
    private Weights constWeights(Node n, int wi, int si, int zi, int perChannelAxis) {
        String wName = n.input(wi);
        if (!g.isConstant(wName)) {
            throw new Unsupported("weights '" + wName + "' are not constant");
        }
        Tensor w = g.constant(wName);
        DType type = DType.fromOnnx(w.elemType());
        if (type == null || !type.isQuant8()) {
            throw new Unsupported("weights '" + wName + "' have ONNX type " + w.elemType() + "; only uint8 and int8 weights are supported");
        }
        QuantParams qp = quantParams(n, si, zi, "weight");
        int axis = qp.axis;
        if (qp.scales.length > 1 && perChannelAxis >= 0) {
            axis = perChannelAxis;  // QOperator ops quantize per output channel implicitly
        }
        // the tensor's own bytes, shared (nothing changes them): weights are millions of codes
        return new Weights(w.int8Bytes(), w.dims().clone(), type, qp.scales, qp.zps, axis);
    }

    /**
     * The int32 bias: from DequantizeLinear(int32 constant) (ONNX Runtime passes the integers and ignores
     * the bias DQ's own scale when it fuses), from an int32 constant (QOperator), or a float constant
     * quantized as quantize_static does: {@code round_half_even(b / (x_scale * w_scale))}.
     */
    private int[] bias(Node n, String name, int outC, float xScale, float[] wScale, float beta) {
        int[] out = new int[outC];
        if (name == null || name.isEmpty()) {
            return out;
        }
        Node p = g.producer(name);
        Tensor b;
        boolean floatBias;
        float[] dequantized = null;
        if (p != null && p.opType().equals("DequantizeLinear") && g.isConstant(p.input(0))
                && g.constant(p.input(0)).elemType() != DType.INT32.onnxCode()) {
            // an 8-bit bias with its own scale (fake-quantized exports): dequantized at compile time as ORT does,
            // float((q - zp)) * scale, then quantized to the accumulator's scale like a float bias
            covered.add(p);
            b = g.constant(p.input(0));
            QuantParams qp = quantParams(p, 1, 2, "bias");
            dequantized = new float[(int) b.size()];
            for (int i = 0; i < dequantized.length; i++) {
                int ch = qp.scales.length == 1 ? 0 : i;
                dequantized[i] = (float) (b.intAt(i) - qp.zps[ch]) * qp.scales[ch];
            }
            floatBias = true;
        } else if (p != null && p.opType().equals("DequantizeLinear") && g.isConstant(p.input(0))) {
            covered.add(p);
            b = g.constant(p.input(0));
            floatBias = false;
        } else if (g.isConstant(name)) {
            b = g.constant(name);
            floatBias = b.isFloat();
        } else {
            throw new Unsupported("bias '" + name + "' is computed at run time");
        }
        if (b.size() != outC && b.size() != 1) {
            throw new Unsupported("bias '" + name + "' has " + b.size() + " values for " + outC + " output channels");
        }
        long[] bd = b.dims();
        for (int i = 0; i + 1 < bd.length; i++) {
            if (bd[i] != 1) {
                // e.g. Gemm/QGemm C of shape [M, 1]: one bias per row, broadcast along N (onnx2c's
                // test_qgemm_uint8_transB_row_bias); the accelerator adds one bias per output channel
                throw new Unsupported("bias '" + name + "' of shape " + Arrays.toString(bd)
                        + " varies along axis " + i + " (only a bias per output channel, along the last axis, is supported)");
            }
        }
        if (!floatBias && beta != 1f) {
            throw new Unsupported("Gemm beta=" + beta + " with an integer bias");
        }
        if (!floatBias && b.elemType() != DType.INT32.onnxCode()) {
            throw new Unsupported("bias '" + name + "' has ONNX type " + b.elemType() + "; integer biases must be int32");
        }
        for (int c = 0; c < outC; c++) {
            int i = b.size() == 1 ? 0 : c;
            float v = dequantized != null ? dequantized[i] : floatBias ? b.floatAt(i) : 0f;
            out[c] = floatBias ? Multipliers.quantizeBias(beta * v, xScale, wScale[c]) : (int) b.intAt(i);
        }
        return out;
    }

    private int[] clampRange(Node p, float scale, int zp, DType t) {
        float min;
        float max;
        if (p.opType().equals("Relu")) {
            min = 0f;
            max = Float.POSITIVE_INFINITY;
        } else if (p.opset() < 11) {
            min = p.attrFloat("min", Float.NEGATIVE_INFINITY);
            max = p.attrFloat("max", Float.POSITIVE_INFINITY);
        } else {
            min = constScalar(p.input(1), Float.NEGATIVE_INFINITY, p);
            max = constScalar(p.input(2), Float.POSITIVE_INFINITY, p);
        }
        return new int[] {Tables.quantizeLinear(min, scale, zp, t.qmin(), t.qmax()),
            Tables.quantizeLinear(max, scale, zp, t.qmin(), t.qmax())};
    }

    private float constScalar(String name, float dflt, Node n) {
        if (name.isEmpty()) {
            return dflt;
        }
        if (!g.isConstant(name)) {
            throw new Unsupported("Clip bound '" + name + "' is not a constant");
        }
        Tensor t = g.constant(name);
        return t.isFloat() ? t.floatAt(0) : t.intAt(0);
    }

    private static float[] perChannel(float[] v, int n, String what) {
        if (v.length == n) {
            return v;
        }
        if (v.length != 1) {
            throw new Unsupported(what + " has " + v.length + " values for " + n + " channels");
        }
        float[] out = new float[n];
        Arrays.fill(out, v[0]);
        return out;
    }

    private static int[] perChannel(int[] v, int n) {
        if (v.length == n) {
            return v;
        }
        int[] out = new int[n];
        Arrays.fill(out, v[0]);
        return out;
    }

    private static int[] ints(long[] v) {
        if (v == null) {
            throw new Unsupported("a required attribute is missing");
        }
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.toIntExact(v[i]);
        }
        return out;
    }

    /** Begin pads {top, left} (end pads follow from the output shape), from pads or auto_pad. */
    private static int[] pads(Node n, long[] in, long[] out, int[] kernel, int[] strides, int[] dil) {
        if (kernel.length != 2 || strides.length != 2 || dil.length != 2) {
            throw new Unsupported("only 2-D kernels are supported");
        }
        String autoPad = n.attrString("auto_pad", "NOTSET");
        int[] begin = new int[2];
        for (int i = 0; i < 2; i++) {
            switch (autoPad) {
                case "NOTSET" -> {
                    long[] p = n.attrInts("pads", new long[] {0, 0, 0, 0});
                    begin[i] = (int) p[i];
                }
                case "VALID" -> begin[i] = 0;
                case "SAME_UPPER", "SAME_LOWER" -> {
                    long total = Math.max(0, (out[2 + i] - 1) * strides[i] + (long) (kernel[i] - 1) * dil[i] + 1 - in[2 + i]);
                    begin[i] = (int) (autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2);
                }
                default -> throw new Unsupported("auto_pad " + autoPad + " is not a valid value");
            }
        }
        return begin;
    }
}
