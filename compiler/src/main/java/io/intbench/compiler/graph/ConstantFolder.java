package io.intbench.compiler.graph;

import java.util.Arrays;

/**
 * Evaluates at compile time the nodes exporters leave in otherwise static graphs: Constant nodes,
 * shape arithmetic (Shape -> Gather -> Unsqueeze -> Concat -> Reshape and friends), weight
 * layout changes, and QuantizeLinear of float weights (fake-quantized exports). DequantizeLinear is
 * deliberately never folded: the QDQ matcher must see DQ(constant integer) weights.
 * Semantics follow the ONNX operator spec; where ONNX leaves room (integer division, float to int
 * conversion, QuantizeLinear rounding) they follow ONNX Runtime's CPU kernels.
 */
final class ConstantFolder {
    private final Node n;
    private final Tensor[] in;

    private ConstantFolder(Node n, Tensor[] in) {
        this.n = n;
        this.in = in;
    }

    /** The value of the node's single output when it is a compile-time constant, else null. */
    static Tensor fold(Node n, Values v) {
        if (!n.domain().isEmpty() || n.outputs().size() != 1) {
            return null;
        }
        switch (n.opType()) {
            case "Constant":
                return constantNode(n);
            case "Shape", "Size": {
                long[] s = v.info(n.input(0)).shape();
                return s == null ? null : shapeOf(n, s);
            }
            default:
                break;
        }
        Tensor[] in = new Tensor[n.inputs().size()];
        for (int i = 0; i < in.length; i++) {
            String name = n.input(i);
            if (!name.isEmpty() && (in[i] = v.constant(name)) == null) {
                return null;
            }
        }
        return in.length == 0 ? null : new ConstantFolder(n, in).eval();
    }

    private Tensor eval() {
        return switch (n.opType()) {
            case "Identity" -> in[0];
            case "Cast" -> cast(in[0], (int) n.attrInt("to", 0));
            case "ConstantOfShape" -> constantOfShape();
            case "Gather" -> gather();
            case "Unsqueeze", "Squeeze" -> squeeze(n.opType().equals("Unsqueeze"));
            case "Concat" -> concat();
            case "Reshape" -> withDims(in[0], Shapes.reshape(n, in[0].dims(), in[1].toLongs(), n.attrInt("allowzero", 0) != 0));
            case "Flatten" -> {
                long[] d = in[0].dims();
                int axis = Shapes.flattenAxis(n, d.length);
                long outer = Tensor.numel(Arrays.copyOf(d, axis));
                yield withDims(in[0], new long[] {outer, outer == 0 ? 0 : in[0].size() / outer});
            }
            case "Transpose" -> transpose();
            case "Slice" -> slice();
            case "Add", "Sub", "Mul", "Div" -> arithmetic();
            case "Range" -> range();
            case "QuantizeLinear" -> quantize();
            default -> null;
        };
    }

    private static Tensor constantNode(Node n) {
        if (n.hasAttr("value")) {
            return n.attrTensor("value");
        }
        if (n.hasAttr("value_float")) {
            return Tensor.ofFloats(new long[0], n.attrFloat("value_float", 0));
        }
        if (n.hasAttr("value_floats")) {
            float[] f = n.attrFloats("value_floats", null);
            return Tensor.ofFloats(new long[] {f.length}, f);
        }
        if (n.hasAttr("value_int")) {
            return Tensor.ofInts(DataTypes.INT64, new long[0], n.attrInt("value_int", 0));
        }
        if (n.hasAttr("value_ints")) {
            long[] v = n.attrInts("value_ints", null);
            return Tensor.ofInts(DataTypes.INT64, new long[] {v.length}, v);
        }
        return null; // strings and sparse tensors: left to the unsupported-op check
    }

    /** Shape (with opset 15's start/end, clamped as the spec says) or Size of a statically shaped tensor. */
    private static Tensor shapeOf(Node n, long[] s) {
        if (n.opType().equals("Size")) {
            return Tensor.ofInts(DataTypes.INT64, new long[0], Tensor.numel(s));
        }
        int r = s.length;
        long start = n.attrInt("start", 0), end = n.attrInt("end", r);
        start = Shapes.clamp(start < 0 ? start + r : start, 0, r);
        end = Shapes.clamp(end < 0 ? end + r : end, 0, r);
        long[] v = end > start ? Arrays.copyOfRange(s, (int) start, (int) end) : new long[0];
        return Tensor.ofInts(DataTypes.INT64, new long[] {v.length}, v);
    }

    /** C-style conversion, as ONNX Runtime's Cast kernel (static_cast; float to int truncates). */
    static Tensor cast(Tensor t, int to) {
        if (DataTypes.isFloat(to)) {
            float[] f = t.toFloats();
            for (int i = 0; i < f.length; i++) {
                if (to == DataTypes.FLOAT16) {
                    f[i] = DataTypes.halfToFloat(DataTypes.floatToHalf(f[i]));
                } else if (to == DataTypes.BFLOAT16) {
                    f[i] = DataTypes.bfloat16ToFloat(DataTypes.floatToBfloat16(f[i]));
                }
            }
            return new Tensor(to, t.dims(), f, null);
        }
        if (!DataTypes.isInteger(to)) {
            return null;
        }
        long[] v = new long[(int) t.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = to == DataTypes.BOOL && t.isFloat() ? (t.floatAt(i) != 0 ? 1 : 0) : DataTypes.wrap(to, t.intAt(i));
        }
        return new Tensor(to, t.dims(), null, v);
    }

    private Tensor constantOfShape() {
        long[] dims = in[0].toLongs();
        Tensor value = n.hasAttr("value") ? n.attrTensor("value") : Tensor.ofFloats(new long[] {1}, 0f);
        if (value.size() != 1) {
            throw Shapes.bad(n, "value must hold one element, has " + value.size());
        }
        int size = Math.toIntExact(Tensor.numel(dims));
        if (value.isFloat()) {
            float[] f = new float[size];
            Arrays.fill(f, value.floatAt(0));
            return new Tensor(value.elemType(), dims, f, null);
        }
        long[] v = new long[size];
        Arrays.fill(v, value.intAt(0));
        return new Tensor(value.elemType(), dims, null, v);
    }

    private Tensor gather() {
        Tensor data = in[0], idx = in[1];
        long[] d = data.dims();
        int axis = Shapes.axis(n, n.attrInt("axis", 0), d.length);
        long outer = Tensor.numel(Arrays.copyOf(d, axis)), inner = Tensor.numel(Arrays.copyOfRange(d, axis + 1, d.length));
        long[] outDims = Shapes.concat(Shapes.concat(Arrays.copyOf(d, axis), idx.dims()), Arrays.copyOfRange(d, axis + 1, d.length));
        int[] src = new int[Math.toIntExact(Tensor.numel(outDims))];
        int p = 0;
        for (long o = 0; o < outer; o++) {
            for (int j = 0; j < idx.size(); j++) {
                long k = idx.intAt(j);
                if (k < -d[axis] || k >= d[axis]) {
                    throw Shapes.bad(n, "index " + k + " is out of range for axis " + axis + " of size " + d[axis]);
                }
                k = k < 0 ? k + d[axis] : k;
                for (long i = 0; i < inner; i++) {
                    src[p++] = (int) ((o * d[axis] + k) * inner + i);
                }
            }
        }
        return pick(data, outDims, src);
    }

    private Tensor squeeze(boolean unsqueeze) {
        long[] d = in[0].dims();
        long[] axes = n.opset() < 13 ? n.attrInts("axes", null) : (in.length > 1 && in[1] != null ? in[1].toLongs() : null);
        return withDims(in[0], unsqueeze ? unsqueezeDims(n, d, axes) : squeezeDims(n, d, axes));
    }

    static long[] unsqueezeDims(Node n, long[] d, long[] axes) {
        if (axes == null) {
            throw Shapes.bad(n, "Unsqueeze needs axes");
        }
        int r = d.length + axes.length;
        boolean[] isNew = new boolean[r];
        for (long a : axes) {
            int ax = Shapes.axis(n, a, r);
            if (isNew[ax]) {
                throw Shapes.bad(n, "axis " + a + " repeated");
            }
            isNew[ax] = true;
        }
        long[] out = new long[r];
        for (int i = 0, j = 0; i < r; i++) {
            out[i] = isNew[i] ? 1 : d[j++];
        }
        return out;
    }

    static long[] squeezeDims(Node n, long[] d, long[] axes) {
        boolean[] drop = new boolean[d.length];
        if (axes == null) {
            for (int i = 0; i < d.length; i++) {
                drop[i] = d[i] == 1;
            }
        } else {
            for (long a : axes) {
                int ax = Shapes.axis(n, a, d.length);
                if (d[ax] != 1) {
                    throw Shapes.bad(n, "cannot squeeze axis " + a + " of size " + d[ax]);
                }
                drop[ax] = true;
            }
        }
        return java.util.stream.IntStream.range(0, d.length).filter(i -> !drop[i]).mapToLong(i -> d[i]).toArray();
    }

    private Tensor concat() {
        Tensor first = in[0];
        int r = first.rank();
        int axis = Shapes.axis(n, n.attrInt("axis", 0), r);
        long[] out = first.dims().clone();
        out[axis] = 0;
        for (Tensor t : in) {
            if (t.isFloat() != first.isFloat() || t.rank() != r) {
                return null;
            }
            out[axis] += t.dims()[axis];
        }
        long outer = Tensor.numel(Arrays.copyOf(out, axis));
        int size = Math.toIntExact(Tensor.numel(out));
        float[] f = first.isFloat() ? new float[size] : null;
        long[] v = first.isFloat() ? null : new long[size];
        int p = 0;
        for (long o = 0; o < outer; o++) {
            for (Tensor t : in) {
                int chunk = (int) (t.size() / Math.max(outer, 1));
                if (f != null) {
                    System.arraycopy(t.floats(), (int) o * chunk, f, p, chunk);
                } else {
                    System.arraycopy(t.ints(), (int) o * chunk, v, p, chunk);
                }
                p += chunk;
            }
        }
        return new Tensor(first.elemType(), out, f, v);
    }

    private Tensor transpose() {
        long[] d = in[0].dims(), st = Shapes.strides(d);
        long[] perm = n.attrInts("perm", null);
        if (perm == null) {
            perm = java.util.stream.LongStream.range(0, d.length).map(i -> d.length - 1 - i).toArray();
        }
        long[] outDims = new long[d.length], srcStrides = new long[d.length];
        for (int k = 0; k < d.length; k++) {
            int p = Shapes.axis(n, perm[k], d.length);
            outDims[k] = d[p];
            srcStrides[k] = st[p];
        }
        return pick(in[0], outDims, strided(outDims, srcStrides, 0));
    }

    private Tensor slice() {
        long[] d = in[0].dims(), st = Shapes.strides(d);
        long[][] p = Shapes.slice(n, d, in[1].toLongs(), in[2].toLongs(), opt(3), opt(4));
        long[] outDims = new long[d.length], srcStrides = new long[d.length];
        long base = 0;
        for (int k = 0; k < d.length; k++) {
            outDims[k] = p[k][2];
            srcStrides[k] = st[k] * p[k][1];
            base += p[k][0] * st[k];
        }
        return pick(in[0], outDims, strided(outDims, srcStrides, outDims.length > 0 && Tensor.numel(outDims) == 0 ? 0 : base));
    }

    private long[] opt(int i) {
        return i < in.length && in[i] != null ? in[i].toLongs() : null;
    }

    private Tensor arithmetic() {
        Tensor a = in[0], b = in[1];
        if (a.isFloat() != b.isFloat() || a.elemType() != b.elemType()) {
            return null;
        }
        long[] out = Shapes.broadcast(n, a.dims(), b.dims());
        int[] ia = strided(out, broadcastStrides(a.dims(), out), 0), ib = strided(out, broadcastStrides(b.dims(), out), 0);
        char op = n.opType().charAt(0);
        if (a.isFloat()) {
            float[] f = new float[ia.length];
            for (int i = 0; i < f.length; i++) {
                float x = a.floats()[ia[i]], y = b.floats()[ib[i]];
                f[i] = op == 'A' ? x + y : op == 'S' ? x - y : op == 'M' ? x * y : x / y;
            }
            return cast(new Tensor(DataTypes.FLOAT, out, f, null), a.elemType());
        }
        long[] v = new long[ia.length];
        long[] av = a.ints(), bv = b.ints();
        for (int i = 0; i < v.length; i++) {
            long x = av[ia[i]], y = bv[ib[i]];
            if (op == 'D' && y == 0) {
                return null; // the run time would fail; leave it to the lowering to report
            }
            v[i] = DataTypes.wrap(a.elemType(), op == 'A' ? x + y : op == 'S' ? x - y : op == 'M' ? x * y : x / y);
        }
        return new Tensor(a.elemType(), out, null, v);
    }

    /** Range fills start, start+delta, ... as ORT's kernel does (accumulating), ceil((limit-start)/delta) values. */
    private Tensor range() {
        Tensor s = in[0], l = in[1], dl = in[2];
        if (s.size() != 1 || l.size() != 1 || dl.size() != 1) {
            throw Shapes.bad(n, "start, limit and delta must be scalars");
        }
        if (s.isFloat()) {
            float start = s.floatAt(0), delta = dl.floatAt(0);
            int count = (int) Math.max(Math.ceil(((double) l.floatAt(0) - start) / delta), 0);
            float[] f = new float[count];
            float x = start;
            for (int i = 0; i < count; i++, x += delta) {
                f[i] = x;
            }
            return new Tensor(s.elemType(), new long[] {count}, f, null);
        }
        long start = s.intAt(0), delta = dl.intAt(0);
        if (delta == 0) {
            throw Shapes.bad(n, "delta is 0");
        }
        int count = (int) Math.max(Math.ceil(((double) l.intAt(0) - start) / delta), 0);
        long[] v = new long[count];
        for (int i = 0; i < count; i++) {
            v[i] = start + i * delta;
        }
        return new Tensor(s.elemType(), new long[] {count}, null, v);
    }

    /**
     * QuantizeLinear of a constant float tensor, computed as ONNX Runtime does (MLAS
     * MlasQuantizeLinear): q = saturate(nearbyint(x / scale) + zero_point), x / scale in float32,
     * nearbyint rounding half to even. Per-tensor (scale of one element) or per-axis (1-D scale).
     */
    private Tensor quantize() {
        Tensor x = in[0], scale = in[1], zp = in.length > 2 ? in[2] : null;
        int outType = zp != null ? zp.elemType()
                : n.opset() >= 21 && n.attrInt("output_dtype", 0) != 0 ? (int) n.attrInt("output_dtype", 0) : DataTypes.UINT8;
        if (!x.isFloat() || !scale.isFloat() || n.attrInt("block_size", 0) != 0 || !DataTypes.isInteger(outType)
                || outType == DataTypes.INT64 || outType == DataTypes.BOOL) {
            return null; // blocked or float8 quantization is not something intbench lowers
        }
        if (zp != null && zp.size() != scale.size()) {
            throw Shapes.bad(n, "zero point has " + zp.size() + " elements, scale " + scale.size());
        }
        long channels = 1, inner = x.size();
        if (scale.size() != 1) {
            int axis = Shapes.axis(n, n.attrInt("axis", 1), x.rank());
            if (scale.rank() != 1 || scale.size() != x.dims()[axis]) {
                throw Shapes.bad(n, "per-axis scale of shape " + Arrays.toString(scale.dims()) + " does not fit axis "
                        + axis + " of " + Arrays.toString(x.dims()));
            }
            channels = scale.size();
            inner = Tensor.numel(Arrays.copyOfRange(x.dims(), axis + 1, x.rank()));
        }
        long[] q = new long[(int) x.size()];
        long[] zps = zp == null ? null : zp.ints();
        for (int i = 0; i < q.length; i++) {
            int c = (int) ((i / inner) % channels);
            float ratio = x.floats()[i] / scale.floats()[c];
            double r = Math.rint(ratio) + (zps == null ? 0 : zps[c]);
            q[i] = (long) Math.max(DataTypes.min(outType), Math.min(DataTypes.max(outType), r));
        }
        return new Tensor(outType, x.dims(), null, q);
    }

    private static Tensor withDims(Tensor t, long[] dims) {
        return t.withDims(dims);
    }

    /** The elements of src at the given flat indices, shaped as dims. */
    private static Tensor pick(Tensor src, long[] dims, int[] idx) {
        if (src.isFloat()) {
            float[] f = new float[idx.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = src.floats()[idx[i]];
            }
            return new Tensor(src.elemType(), dims, f, null);
        }
        long[] v = new long[idx.length];
        long[] sv = src.ints();
        for (int i = 0; i < v.length; i++) {
            v[i] = sv[idx[i]];
        }
        return new Tensor(src.elemType(), dims, null, v);
    }

    /** Strides of a tensor of shape d read as the broadcast shape out (0 along broadcast dims). */
    private static long[] broadcastStrides(long[] d, long[] out) {
        long[] st = Shapes.strides(d), r = new long[out.length];
        for (int i = 0; i < d.length; i++) {
            r[out.length - d.length + i] = d[i] == 1 ? 0 : st[i];
        }
        return r;
    }

    /** For each element of outDims in C order, base + sum(coordinate[k] * srcStrides[k]). */
    private static int[] strided(long[] outDims, long[] srcStrides, long base) {
        int n = Math.toIntExact(Tensor.numel(outDims)), rank = outDims.length;
        int[] r = new int[n];
        long[] c = new long[rank];
        long off = base;
        for (int i = 0; i < n; i++) {
            r[i] = (int) off;
            for (int k = rank - 1; k >= 0; k--) {
                off += srcStrides[k];
                if (++c[k] < outDims[k]) {
                    break;
                }
                off -= srcStrides[k] * c[k];
                c[k] = 0;
            }
        }
        return r;
    }
}
