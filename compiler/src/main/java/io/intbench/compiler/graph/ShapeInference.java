package io.intbench.compiler.graph;

import java.util.Arrays;
import java.util.Set;

/**
 * Static element type and shape of a node's outputs, per the ONNX operator spec (opsets 10..21) and,
 * for com.microsoft ops, ONNX Runtime's contrib-op schemas. Shapes that depend on values (Reshape's
 * target, Slice's bounds, Resize's scales ...) are resolved only when those inputs are constants.
 * An op it does not know leaves its outputs unknown: the unsupported-op check reports it later.
 */
final class ShapeInference {
    /** Ops whose output 0 has the type and shape of input 0. */
    private static final Set<String> UNARY = Set.of("Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid",
            "HardSwish", "Erf", "Exp", "Log", "Sqrt", "Neg", "Abs", "Softmax", "LogSoftmax", "Hardmax", "Identity",
            "Floor", "Ceil", "Round", "Reciprocal", "Elu", "Selu", "Celu", "Gelu", "Softplus", "Softsign", "Sign",
            "Sin", "Cos", "Not", "PRelu", "LRN", "InstanceNormalization", "LayerNormalization",
            "BatchNormalization", "Mish", "ThresholdedRelu");
    private static final Set<String> BROADCAST = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Sum",
            "Mean", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor");
    private static final Set<String> COMPARE = Set.of("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
            "And", "Or", "Xor");

    private final Node n;
    private final Values v;
    private final ValueInfo[] out;

    private ShapeInference(Node n, Values v) {
        this.n = n;
        this.v = v;
        this.out = new ValueInfo[n.outputs().size()];
        Arrays.fill(out, ValueInfo.UNKNOWN);
    }

    /** Type and shape of each output of n (UNKNOWN where they cannot be inferred). */
    static ValueInfo[] infer(Node n, Values v) {
        ShapeInference s = new ShapeInference(n, v);
        if (s.out.length > 0 && (n.domain().isEmpty() || n.domain().equals("com.microsoft"))) {
            s.run();
        }
        return s.out;
    }

    private long[] shape(int i) {
        return v.info(n.input(i)).shape();
    }

    private int type(int i) {
        return v.info(n.input(i)).elemType();
    }

    private boolean has(int i) {
        return !n.input(i).isEmpty();
    }

    /** Constant input as longs; null when absent or not constant. */
    private long[] ints(int i) {
        Tensor t = has(i) ? v.constant(n.input(i)) : null;
        return t == null ? null : t.toLongs();
    }

    private void set(int i, int type, long[] shape) {
        if (i < out.length) {
            out[i] = new ValueInfo(type, shape);
        }
    }

    private void run() {
        String op = n.opType();
        if (UNARY.contains(op)) {
            set(0, type(0), shape(0));
            return;
        }
        if (BROADCAST.contains(op) || COMPARE.contains(op) || op.equals("Where")) {
            long[][] shapes = new long[n.inputCount()][];
            for (int i = 0; i < shapes.length; i++) {
                if ((shapes[i] = shape(i)) == null) {
                    shapes = null;
                    break;
                }
            }
            int t = COMPARE.contains(op) ? DataTypes.BOOL : type(op.equals("Where") ? 1 : 0);
            set(0, t, shapes == null ? null : Shapes.broadcast(n, shapes));
            return;
        }
        switch (op) {
            case "QuantizeLinear" -> set(0, has(2) ? type(2) : n.opset() >= 21 && n.attrInt("output_dtype", 0) != 0
                    ? (int) n.attrInt("output_dtype", 0) : DataTypes.UINT8, shape(0));
            case "DequantizeLinear" -> set(0, type(1) != 0 ? type(1) : DataTypes.FLOAT, shape(0));
            case "DynamicQuantizeLinear" -> {
                set(0, DataTypes.UINT8, shape(0));
                set(1, DataTypes.FLOAT, new long[0]);
                set(2, DataTypes.UINT8, new long[0]);
            }
            case "Conv" -> conv(0, 1, type(0));
            case "ConvInteger" -> conv(0, 1, DataTypes.INT32);
            case "QLinearConv" -> conv(0, 3, has(7) ? type(7) : type(0));
            case "ConvTranspose" -> convTranspose();
            case "Gemm" -> set(0, type(0), gemm(shape(0), shape(1)));
            case "QGemm" -> // com.microsoft: float output without y_scale, else y_zero_point's type (uint8 by default)
                    set(0, has(8) ? type(8) : has(7) ? DataTypes.UINT8 : DataTypes.FLOAT, gemm(shape(0), shape(3)));
            case "MatMul" -> set(0, type(0), matmul(shape(0), shape(1)));
            case "MatMulInteger" -> set(0, DataTypes.INT32, matmul(shape(0), shape(1)));
            case "QLinearMatMul" -> set(0, type(7), matmul(shape(0), shape(3)));
            case "QLinearAdd", "QLinearMul" -> set(0, has(7) ? type(7) : type(0),
                    shape(0) == null || shape(3) == null ? null : Shapes.broadcast(n, shape(0), shape(3)));
            case "QLinearLeakyRelu", "QLinearSigmoid", "QLinearSoftmax" -> set(0, has(4) ? type(4) : type(0), shape(0));
            case "MaxPool", "AveragePool", "LpPool" -> {
                pool(type(0), false);
                set(1, DataTypes.INT64, out[0].shape()); // MaxPool's Indices
            }
            case "QLinearAveragePool" -> pool(has(4) ? type(4) : type(0), n.attrInt("channels_last", 0) != 0);
            case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool" -> global(type(0), false);
            case "QLinearGlobalAveragePool" -> global(has(4) ? type(4) : type(0), n.attrInt("channels_last", 0) != 0);
            case "Flatten" -> {
                long[] x = shape(0);
                if (x != null) {
                    int axis = Shapes.flattenAxis(n, x.length);
                    set(0, type(0), new long[] {Tensor.numel(Arrays.copyOf(x, axis)),
                        Tensor.numel(Arrays.copyOfRange(x, axis, x.length))});
                } else {
                    set(0, type(0), null);
                }
            }
            case "Reshape" -> {
                long[] x = shape(0), s = ints(1);
                set(0, type(0), x == null || s == null ? null : Shapes.reshape(n, x, s, n.attrInt("allowzero", 0) != 0));
            }
            case "Transpose" -> {
                long[] x = shape(0), y = null;
                if (x != null) {
                    long[] perm = n.attrInts("perm", null);
                    y = new long[x.length];
                    if (perm != null && perm.length != x.length) {
                        throw Shapes.bad(n, "perm " + Arrays.toString(perm) + " does not fit rank " + x.length);
                    }
                    for (int i = 0; i < x.length; i++) {
                        y[i] = x[perm == null ? x.length - 1 - i : Shapes.axis(n, perm[i], x.length)];
                    }
                }
                set(0, type(0), y);
            }
            case "Concat" -> concat(0, 1, type(0));
            case "QLinearConcat" -> concat(2, 3, type(1));
            case "Split" -> split();
            case "Slice" -> {
                long[] x = shape(0), st = ints(1), en = ints(2), ax = ints(3), sp = ints(4);
                long[] y = null;
                if (x != null && st != null && en != null && (ax != null || !has(3)) && (sp != null || !has(4))) {
                    long[][] p = Shapes.slice(n, x, st, en, ax, sp);
                    y = Arrays.stream(p).mapToLong(a -> a[2]).toArray();
                }
                set(0, type(0), y);
            }
            case "Squeeze", "Unsqueeze" -> {
                long[] x = shape(0), axes = n.opset() < 13 ? n.attrInts("axes", null) : ints(1);
                boolean unknownAxes = n.opset() >= 13 && has(1) && axes == null;
                long[] y = x == null || unknownAxes ? null : op.equals("Squeeze")
                        ? ConstantFolder.squeezeDims(n, x, axes) : ConstantFolder.unsqueezeDims(n, x, axes);
                set(0, type(0), y);
            }
            case "Pad" -> pad();
            case "Resize", "Upsample" -> resize();
            case "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd", "ReduceL1", "ReduceL2",
                    "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare" -> reduce();
            case "ArgMax", "ArgMin" -> {
                long[] x = shape(0);
                long[] y = x == null ? null : reduceDims(x, new long[] {n.attrInt("axis", 0)}, n.attrInt("keepdims", 1) != 0);
                set(0, DataTypes.INT64, y);
            }
            case "Gather" -> {
                long[] x = shape(0), idx = shape(1), y = null;
                if (x != null && idx != null) {
                    int axis = Shapes.axis(n, n.attrInt("axis", 0), x.length);
                    y = Shapes.concat(Shapes.concat(Arrays.copyOf(x, axis), idx), Arrays.copyOfRange(x, axis + 1, x.length));
                }
                set(0, type(0), y);
            }
            case "Cast" -> set(0, (int) n.attrInt("to", 0), shape(0));
            case "Expand" -> {
                long[] x = shape(0), s = ints(1);
                set(0, type(0), x == null || s == null ? null : Shapes.broadcast(n, x, s));
            }
            case "Tile" -> {
                long[] x = shape(0), r = ints(1), y = null;
                if (x != null && r != null) {
                    if (r.length != x.length) {
                        throw Shapes.bad(n, "repeats " + Arrays.toString(r) + " do not fit rank " + x.length);
                    }
                    y = new long[x.length];
                    for (int i = 0; i < x.length; i++) {
                        y[i] = x[i] * r[i];
                    }
                }
                set(0, type(0), y);
            }
            case "Shape" -> set(0, DataTypes.INT64, null); // with a known input shape it was folded
            case "Size" -> set(0, DataTypes.INT64, new long[0]);
            case "ConstantOfShape" -> {
                Tensor value = n.hasAttr("value") ? n.attrTensor("value") : null;
                set(0, value == null ? DataTypes.FLOAT : value.elemType(), ints(0));
            }
            case "Range" -> set(0, type(0), null);
            case "Dropout" -> {
                set(0, type(0), shape(0));
                set(1, DataTypes.BOOL, shape(0));
            }
            case "DepthToSpace", "SpaceToDepth" -> {
                long[] x = shape(0), y = null;
                long b = n.attrInt("blocksize", 1);
                if (x != null && x.length == 4) {
                    y = op.equals("DepthToSpace") ? new long[] {x[0], x[1] / (b * b), x[2] * b, x[3] * b}
                            : new long[] {x[0], x[1] * b * b, x[2] / b, x[3] / b};
                }
                set(0, type(0), y);
            }
            default -> {
                // unknown op: outputs stay unknown; the supported-op check names it
            }
        }
    }

    /** Conv family: X [N, C, spatial...], W [M, C/group, kernel...] -> [N, M, out...]. */
    private void conv(int xi, int wi, int type) {
        long[] x = shape(xi), w = shape(wi), y = null;
        if (x != null && w != null && x.length >= 3) {
            long group = n.attrInt("group", 1);
            if (w.length != x.length || x[1] != w[1] * group) {
                throw Shapes.bad(n, "input " + Arrays.toString(x) + " and weight " + Arrays.toString(w)
                        + " do not fit (group " + group + ")");
            }
            long[] kernel = n.attrInts("kernel_shape", Arrays.copyOfRange(w, 2, w.length));
            y = Shapes.concat(new long[] {x[0], w[0]}, Shapes.spatial(n, Arrays.copyOfRange(x, 2, x.length), kernel, false));
            // Empty tensors are legal ONNX but there is no convolution to run on them; refuse here, naming the
            // node, rather than let lowering build a descriptor of zero size (found by OnnxFuzzTest).
            if (Arrays.stream(x).anyMatch(d -> d == 0) || Arrays.stream(w).anyMatch(d -> d == 0)
                    || Arrays.stream(y).anyMatch(d -> d == 0)) {
                throw Shapes.bad(n, "input " + Arrays.toString(x) + ", weight " + Arrays.toString(w) + " and output "
                        + Arrays.toString(y) + ": a convolution over an empty tensor");
            }
        }
        set(0, type, y);
    }

    /**
     * ConvTranspose: W is [C, M/group, kernel...]; spatial output is output_shape when given, in * stride
     * with SAME_* padding, else stride * (in - 1) + output_padding + dilated kernel - pads (ONNX spec).
     */
    private void convTranspose() {
        long[] x = shape(0), w = shape(1), y = null;
        if (x != null && w != null && x.length >= 3 && w.length == x.length) {
            int k = x.length - 2;
            long[] kernel = n.attrInts("kernel_shape", Arrays.copyOfRange(w, 2, w.length));
            long[] s = Shapes.ints(n, "strides", k, 1), d = Shapes.ints(n, "dilations", k, 1);
            long[] op = Shapes.ints(n, "output_padding", k, 0), pads = n.attrInts("pads", new long[2 * k]);
            long[] os = n.attrInts("output_shape", null);
            String autoPad = n.attrString("auto_pad", "NOTSET");
            y = new long[x.length];
            y[0] = x[0];
            y[1] = w[1] * n.attrInt("group", 1);
            for (int i = 0; i < k; i++) {
                long in = x[i + 2];
                y[i + 2] = os != null ? os[os.length - k + i]
                        : autoPad.startsWith("SAME") ? in * s[i]
                        : s[i] * (in - 1) + op[i] + (kernel[i] - 1) * d[i] + 1
                                - (autoPad.equals("VALID") ? 0 : pads[i] + pads[i + k]);
            }
        }
        set(0, type(0), y);
    }

    private long[] gemm(long[] a, long[] b) {
        if (a == null || b == null) {
            return null;
        }
        if (a.length != 2 || b.length != 2) {
            throw Shapes.bad(n, "Gemm needs 2-D inputs, got " + Arrays.toString(a) + " and " + Arrays.toString(b));
        }
        boolean ta = n.attrInt("transA", 0) != 0, tb = n.attrInt("transB", 0) != 0;
        long m = ta ? a[1] : a[0], ka = ta ? a[0] : a[1], kb = tb ? b[1] : b[0], nn = tb ? b[0] : b[1];
        if (ka != kb) {
            throw Shapes.bad(n, "inner dimensions differ: " + Arrays.toString(a) + (ta ? "^T" : "") + " x "
                    + Arrays.toString(b) + (tb ? "^T" : ""));
        }
        return new long[] {m, nn};
    }

    /** numpy.matmul: 1-D operands get a dim prepended / appended and removed again; batch dims broadcast. */
    private long[] matmul(long[] a, long[] b) {
        if (a == null || b == null) {
            return null;
        }
        if (a.length == 0 || b.length == 0) {
            throw Shapes.bad(n, "MatMul of a scalar");
        }
        boolean va = a.length == 1, vb = b.length == 1;
        long[] a2 = va ? new long[] {1, a[0]} : a, b2 = vb ? new long[] {b[0], 1} : b;
        if (a2[a2.length - 1] != b2[b2.length - 2]) {
            throw Shapes.bad(n, "inner dimensions differ: " + Arrays.toString(a) + " x " + Arrays.toString(b));
        }
        long[] batch = Shapes.broadcast(n, Arrays.copyOf(a2, a2.length - 2), Arrays.copyOf(b2, b2.length - 2));
        long[] y = batch;
        if (!va) {
            y = Shapes.concat(y, a2[a2.length - 2]);
        }
        if (!vb) {
            y = Shapes.concat(y, b2[b2.length - 1]);
        }
        return y;
    }

    private void pool(int type, boolean channelsLast) {
        long[] x = shape(0), y = null;
        long[] kernel = n.attrInts("kernel_shape", null);
        if (x != null && x.length >= 3 && kernel != null) {
            int r = x.length;
            long[] sp = channelsLast ? Arrays.copyOfRange(x, 1, r - 1) : Arrays.copyOfRange(x, 2, r);
            long[] o = Shapes.spatial(n, sp, kernel, n.attrInt("ceil_mode", 0) != 0);
            y = channelsLast ? Shapes.concat(Shapes.concat(new long[] {x[0]}, o), x[r - 1])
                    : Shapes.concat(new long[] {x[0], x[1]}, o);
        }
        set(0, type, y);
    }

    private void global(int type, boolean channelsLast) {
        long[] x = shape(0), y = null;
        if (x != null && x.length >= 3) {
            y = new long[x.length];
            Arrays.fill(y, 1);
            y[0] = x[0];
            y[channelsLast ? x.length - 1 : 1] = x[channelsLast ? x.length - 1 : 1];
        }
        set(0, type, y);
    }

    /** Concat of the inputs first, first + step, ...: dims equal except along axis. */
    private void concat(int first, int step, int type) {
        long[] y = null;
        for (int i = first; i < n.inputs().size(); i += step) {
            long[] s = shape(i);
            if (s == null) {
                y = null;
                break;
            }
            if (y == null) {
                y = s.clone();
                y[Shapes.axis(n, n.attrInt("axis", 0), s.length)] = 0;
            }
            int axis = Shapes.axis(n, n.attrInt("axis", 0), y.length);
            for (int d = 0; d < y.length; d++) {
                if (s.length != y.length || (d != axis && s[d] != y[d])) {
                    throw Shapes.bad(n, "input " + n.input(i) + " of shape " + Arrays.toString(s)
                            + " does not concatenate along axis " + axis + " with " + Arrays.toString(y));
                }
            }
            y[axis] += s[axis];
        }
        set(0, type, y);
    }

    /** Split: sizes from the split attribute (before 13) or input; else equal parts (opset 18: ceil, last smaller). */
    private void split() {
        long[] x = shape(0);
        int parts = out.length;
        long[] sizes = n.opset() < 13 ? n.attrInts("split", null) : ints(1);
        if (x == null || (n.opset() >= 13 && has(1) && sizes == null)) {
            for (int i = 0; i < parts; i++) {
                set(i, type(0), null);
            }
            return;
        }
        int axis = Shapes.axis(n, n.attrInt("axis", 0), x.length);
        if (sizes == null) {
            long chunk = (x[axis] + parts - 1) / parts;
            sizes = new long[parts];
            for (int i = 0; i < parts; i++) {
                sizes[i] = Math.max(0, Math.min(chunk, x[axis] - chunk * i));
            }
        }
        if (sizes.length != parts || Arrays.stream(sizes).sum() != x[axis]) {
            throw Shapes.bad(n, "split " + Arrays.toString(sizes) + " does not divide axis " + axis + " of "
                    + Arrays.toString(x) + " into " + parts + " outputs");
        }
        for (int i = 0; i < parts; i++) {
            long[] y = x.clone();
            y[axis] = sizes[i];
            set(i, type(0), y);
        }
    }

    /** Pad: pads attribute before opset 11, constant input after; opset 18's axes input. */
    private void pad() {
        long[] x = shape(0), pads = n.opset() < 11 ? n.attrInts("pads", null) : ints(1), y = null;
        long[] axes = ints(3);
        if (x != null && pads != null && (axes != null || !has(3))) {
            if (axes == null) {
                axes = java.util.stream.LongStream.range(0, x.length).toArray();
            }
            if (pads.length != 2 * axes.length) {
                throw Shapes.bad(n, "pads " + Arrays.toString(pads) + " do not fit " + axes.length + " axes");
            }
            y = x.clone();
            for (int i = 0; i < axes.length; i++) {
                int a = Shapes.axis(n, axes[i], x.length);
                y[a] += pads[i] + pads[i + axes.length];
            }
        }
        set(0, type(0), y);
    }

    /**
     * Resize / Upsample: sizes win over scales; out = floor(in * scale) (ONNX spec; ORT truncates the same
     * product). keep_aspect_ratio_policy (opset 18) scales all axes by the min / max ratio, rounded.
     */
    private void resize() {
        long[] x = shape(0);
        float[] scales = null;
        long[] sizes = null;
        if (n.opType().equals("Upsample") && n.opset() < 9) {
            scales = n.attrFloats("scales", null);
        } else {
            int si = n.opType().equals("Upsample") || n.opset() < 11 ? 1 : 2;
            Tensor st = has(si) ? v.constant(n.input(si)) : null;
            scales = st != null && st.size() > 0 ? st.toFloats() : null;
            sizes = si == 2 ? ints(3) : null;
            if (sizes != null && sizes.length == 0) {
                sizes = null;
            }
        }
        long[] y = null;
        if (x != null && (scales != null || sizes != null)) {
            int k = sizes != null ? sizes.length : scales.length;
            long[] axes = n.attrInts("axes", java.util.stream.LongStream.range(0, k).toArray());
            if (axes.length != k) {
                throw Shapes.bad(n, "scales/sizes have " + k + " entries, axes " + Arrays.toString(axes));
            }
            y = x.clone();
            String policy = n.attrString("keep_aspect_ratio_policy", "stretch");
            if (sizes != null && !policy.equals("stretch")) {
                double r = policy.equals("not_larger") ? Double.MAX_VALUE : 0;
                for (int i = 0; i < k; i++) {
                    double q = (double) sizes[i] / x[Shapes.axis(n, axes[i], x.length)];
                    r = policy.equals("not_larger") ? Math.min(r, q) : Math.max(r, q);
                }
                for (long a : axes) {
                    int ax = Shapes.axis(n, a, x.length);
                    y[ax] = Math.round(r * x[ax]);
                }
            } else {
                for (int i = 0; i < k; i++) {
                    int ax = Shapes.axis(n, axes[i], x.length);
                    y[ax] = sizes != null ? sizes[i] : (long) Math.floor((double) x[ax] * scales[i]);
                }
            }
        }
        set(0, type(0), y);
    }

    /** Reductions: axes as attribute, or as input (ReduceSum from opset 13, the others from 18). */
    private void reduce() {
        boolean fromInput = n.opType().equals("ReduceSum") ? n.opset() >= 13 : n.opset() >= 18;
        long[] x = shape(0), axes = fromInput ? ints(1) : n.attrInts("axes", null), y = null;
        if (x != null && !(fromInput && has(1) && axes == null)) {
            if (axes == null || axes.length == 0) {
                axes = n.attrInt("noop_with_empty_axes", 0) != 0 ? new long[0]
                        : java.util.stream.LongStream.range(0, x.length).toArray();
            }
            y = reduceDims(x, axes, n.attrInt("keepdims", 1) != 0);
        }
        set(0, type(0), y);
    }

    private long[] reduceDims(long[] x, long[] axes, boolean keep) {
        boolean[] red = new boolean[x.length];
        for (long a : axes) {
            red[Shapes.axis(n, a, x.length)] = true;
        }
        return java.util.stream.IntStream.range(0, x.length).filter(i -> keep || !red[i])
                .mapToLong(i -> red[i] ? 1 : x[i]).toArray();
    }
}
