package io.intbench.compiler.graph;

import io.intbench.isa.IntbenchException;
import java.util.Arrays;

/** Shape arithmetic shared by constant folding and shape inference, following the ONNX operator spec. */
final class Shapes {
    private Shapes() {
    }

    static IntbenchException.MalformedModel bad(Node n, String what) {
        return new IntbenchException.MalformedModel("node " + n + ": " + what);
    }

    /** Axis in [-rank, rank) made non-negative. */
    static int axis(Node n, long axis, int rank) {
        if (axis < -rank || axis >= rank) {
            throw bad(n, "axis " + axis + " is out of range for rank " + rank);
        }
        return (int) (axis < 0 ? axis + rank : axis);
    }

    /** Flatten's axis: in [-rank, rank], negative counting from the back (-1 keeps the last dim apart). */
    static int flattenAxis(Node n, int rank) {
        long a = n.attrInt("axis", 1);
        if (a < -rank || a > rank) {
            throw bad(n, "axis " + a + " is out of range for rank " + rank);
        }
        return (int) (a < 0 ? a + rank : a);
    }

    /** Multidirectional (numpy) broadcasting of several shapes. */
    static long[] broadcast(Node n, long[]... shapes) {
        int rank = 0;
        for (long[] s : shapes) {
            rank = Math.max(rank, s.length);
        }
        long[] out = new long[rank];
        Arrays.fill(out, 1);
        for (long[] s : shapes) {
            for (int i = 0; i < s.length; i++) {
                int o = rank - s.length + i;
                if (s[i] != 1) {
                    if (out[o] != 1 && out[o] != s[i]) {
                        throw bad(n, "shapes " + Arrays.deepToString(shapes) + " do not broadcast");
                    }
                    out[o] = s[i];
                }
            }
        }
        return out;
    }

    /** C-order strides of a shape. */
    static long[] strides(long[] dims) {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** Reshape's target: 0 copies the input dim (unless allowzero), one -1 takes what is left. */
    static long[] reshape(Node n, long[] in, long[] shape, boolean allowZero) {
        long[] out = shape.clone();
        int minus = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0 && !allowZero) {
                if (i >= in.length) {
                    throw bad(n, "shape " + Arrays.toString(shape) + " copies dim " + i + " of input " + Arrays.toString(in));
                }
                out[i] = in[i];
            }
            if (out[i] == -1) {
                if (minus >= 0) {
                    throw bad(n, "shape " + Arrays.toString(shape) + " has more than one -1");
                }
                minus = i;
            } else if (out[i] < 0) {
                throw bad(n, "shape " + Arrays.toString(shape) + " has a negative dim");
            } else {
                known *= out[i];
            }
        }
        long total = Tensor.numel(in);
        if (minus >= 0) {
            if (known == 0 || total % known != 0) {
                throw bad(n, "cannot reshape " + Arrays.toString(in) + " to " + Arrays.toString(shape));
            }
            out[minus] = total / known;
        } else if (known != total) {
            throw bad(n, "cannot reshape " + Arrays.toString(in) + " (" + total + " elements) to " + Arrays.toString(shape));
        }
        return out;
    }

    /**
     * Slice parameters per axis of the data: {start, step, length}, after ONNX's clamping rules
     * (negative starts/ends count from the end; clamped to [0, d] for positive steps and [-1, d-1]
     * for negative ones).
     */
    static long[][] slice(Node n, long[] dims, long[] starts, long[] ends, long[] axes, long[] steps) {
        long[][] r = new long[dims.length][];
        for (int i = 0; i < dims.length; i++) {
            r[i] = new long[] {0, 1, dims[i]};
        }
        if (starts.length != ends.length || (axes != null && axes.length != starts.length)
                || (steps != null && steps.length != starts.length)) {
            throw bad(n, "starts, ends, axes and steps differ in length");
        }
        for (int k = 0; k < starts.length; k++) {
            int ax = axis(n, axes == null ? k : axes[k], dims.length);
            long d = dims[ax], st = steps == null ? 1 : steps[k], s = starts[k], e = ends[k];
            if (st == 0) {
                throw bad(n, "slice step 0");
            }
            s = s < 0 ? s + d : s;
            e = e < 0 ? e + d : e;
            long len;
            if (st > 0) {
                s = clamp(s, 0, d);
                e = clamp(e, 0, d);
                len = e > s ? (e - s + st - 1) / st : 0;
            } else {
                s = clamp(s, 0, d - 1);
                e = clamp(e, -1, d - 1);
                len = s > e ? (s - e - st - 1) / -st : 0;
            }
            r[ax] = new long[] {s, st, len};
        }
        return r;
    }

    static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /**
     * Spatial output size of Conv and the pools, as ONNX Runtime computes it (conv_attributes.h,
     * pool_attributes.h): SAME_* gives ceil(in / stride); otherwise the dilated kernel slides over the
     * padded input, and with ceil_mode a last window that would start in the end padding is dropped.
     */
    static long[] spatial(Node n, long[] in, long[] kernel, boolean ceilMode) {
        int k = in.length;
        long[] strides = ints(n, "strides", k, 1), dil = ints(n, "dilations", k, 1);
        long[] pads = n.attrInts("pads", new long[2 * k]);
        if (pads.length != 2 * k || kernel.length != k) {
            throw bad(n, "pads " + Arrays.toString(pads) + " / kernel " + Arrays.toString(kernel)
                    + " do not fit " + k + " spatial dims");
        }
        for (int i = 0; i < k; i++) {
            // ONNX requires strides, dilations and kernel sizes of at least 1; a 0 would divide by zero here or
            // reach lowering as an empty window (found by OnnxFuzzTest)
            if (strides[i] < 1 || dil[i] < 1 || kernel[i] < 1) {
                throw bad(n, "strides " + Arrays.toString(strides) + ", dilations " + Arrays.toString(dil) + " and kernel "
                        + Arrays.toString(kernel) + " must all be at least 1");
            }
        }
        String autoPad = n.attrString("auto_pad", "NOTSET");
        long[] out = new long[k];
        for (int i = 0; i < k; i++) {
            long dk = (kernel[i] - 1) * dil[i] + 1, s = strides[i];
            if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
                out[i] = (in[i] + s - 1) / s;
                continue;
            }
            long padded = autoPad.equals("VALID") ? in[i] : in[i] + pads[i] + pads[i + k];
            if (padded < dk) {
                throw bad(n, "kernel " + Arrays.toString(kernel) + " is larger than the padded input " + Arrays.toString(in));
            }
            out[i] = ceilMode ? (padded - dk + s - 1) / s + 1 : (padded - dk) / s + 1;
            if (ceilMode && !autoPad.equals("VALID") && (out[i] - 1) * s >= in[i] + pads[i]) {
                out[i]--;
            }
        }
        return out;
    }

    /** An ints attribute of the given length, or {@code dflt} repeated. */
    static long[] ints(Node n, String attr, int len, long dflt) {
        long[] d = new long[len];
        Arrays.fill(d, dflt);
        long[] v = n.attrInts(attr, d);
        if (v.length != len) {
            throw bad(n, attr + " " + Arrays.toString(v) + " should have " + len + " entries");
        }
        return v;
    }

    static long[] concat(long[] a, long... b) {
        long[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

}
