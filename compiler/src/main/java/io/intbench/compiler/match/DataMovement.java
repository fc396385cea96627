package io.intbench.compiler.match;

import io.intbench.compiler.graph.Graph;
import io.intbench.compiler.graph.Node;
import io.intbench.compiler.graph.Tensor;

/**
 * Index maps of the ops that only move elements (Transpose, Slice, Split, nearest Resize), computed at
 * compile time: for each output axis {@code k}, the input axis it walks ({@code axisOf[k]}) and the
 * input index of every output index ({@code index[k][j]}). They are exact on quantized codes, so the
 * run time is a gather (see {@link io.intbench.compiler.qir.QOp.Gather}).
 */
final class DataMovement {
    private DataMovement() { }

    /** An index map; {@code axisOf[k]} is the input axis output axis {@code k} reads. */
    record Map(int[] axisOf, int[][] index) { }

    /** Thrown for an attribute combination the map cannot express; the matcher reports it on the node. */
    static final class Refused extends RuntimeException {
        Refused(String m) {
            super(m);
        }
    }

    private static int[][] identity(long[] out) {
        int[][] idx = new int[out.length][];
        for (int k = 0; k < out.length; k++) {
            idx[k] = new int[(int) out[k]];
            for (int j = 0; j < idx[k].length; j++) {
                idx[k][j] = j;
            }
        }
        return idx;
    }

    private static int[] axes(int r) {
        int[] a = new int[r];
        for (int i = 0; i < r; i++) {
            a[i] = i;
        }
        return a;
    }

    /** Transpose: output axis k is input axis perm[k] (default: reversed). */
    static Map transpose(Node n, long[] in, long[] out) {
        long[] p = n.attrInts("perm", null);
        int r = in.length;
        int[] perm = new int[r];
        for (int k = 0; k < r; k++) {
            perm[k] = p == null ? r - 1 - k : (int) (p[k] < 0 ? p[k] + r : p[k]);
        }
        return new Map(perm, identity(out));
    }

    /** Slice (opset 1-9 attributes, 10+ constant inputs): index = start + j * step along each sliced axis. */
    static Map slice(Graph g, Node n, long[] in, long[] out) {
        long[] starts;
        long[] axesL;
        long[] steps = null;
        if (n.opset() < 10) {
            starts = n.attrInts("starts", null);
            axesL = n.attrInts("axes", null);
        } else {
            starts = constInts(g, n, 1);
            axesL = n.inputCount() > 3 && !n.input(3).isEmpty() ? constInts(g, n, 3) : null;
            steps = n.inputCount() > 4 && !n.input(4).isEmpty() ? constInts(g, n, 4) : null;
        }
        if (starts == null) {
            throw new Refused("Slice without starts");
        }
        int[][] idx = identity(out);
        for (int i = 0; i < starts.length; i++) {
            int ax = axesL == null ? i : (int) (axesL[i] < 0 ? axesL[i] + in.length : axesL[i]);
            long dim = in[ax];
            long step = steps == null ? 1 : steps[i];
            long st = starts[i];
            if (st < 0) {
                st += dim;
            }
            st = step > 0 ? Math.max(0, Math.min(dim, st)) : Math.max(-1, Math.min(dim - 1, st));
            for (int j = 0; j < idx[ax].length; j++) {
                idx[ax][j] = (int) (st + j * step);
            }
        }
        return new Map(axes(in.length), idx);
    }

    /** Output {@code which} of a Split: the range along the axis after the earlier outputs. */
    static Map split(Graph g, Node n, int which, long[] in) {
        int ax = (int) n.attrInt("axis", 0);
        if (ax < 0) {
            ax += in.length;
        }
        long start = 0;
        for (int i = 0; i < which; i++) {
            long[] s = g.valueInfo(n.output(i)).shape();
            if (s == null) {
                throw new Refused("the shape of Split output '" + n.output(i) + "' is unknown");
            }
            start += s[ax];
        }
        long[] out = g.valueInfo(n.output(which)).shape();
        int[][] idx = identity(out);
        for (int j = 0; j < idx[ax].length; j++) {
            idx[ax][j] = (int) (start + j);
        }
        return new Map(axes(in.length), idx);
    }

    /**
     * Resize with mode nearest, as ONNX Runtime computes the source index (onnxruntime/core/providers/cpu/tensor/upsamplebase.h):
     * the output coordinate mapped back to the input in float32 by the coordinate transformation mode,
     * rounded by the nearest mode, clamped to the input.
     */
    static Map resize(Graph g, Node n, long[] in, long[] out) {
        String mode = n.attrString("mode", "nearest");
        if (!mode.equals("nearest")) {
            throw new Refused("Resize mode '" + mode + "' computes new values (only nearest is exact on codes)");
        }
        String ctm = n.attrString("coordinate_transformation_mode", "half_pixel");
        String nm = n.attrString("nearest_mode", "round_prefer_floor");
        if (n.opset() < 11) {
            ctm = "asymmetric";
            nm = "floor";
        }
        float[] scales = scales(g, n, in, out);
        int[][] idx = new int[out.length][];
        for (int k = 0; k < out.length; k++) {
            idx[k] = new int[(int) out[k]];
            for (int j = 0; j < idx[k].length; j++) {
                float x = original(ctm, j, scales[k], out[k], in[k]);
                long v = nearest(nm, x);
                idx[k][j] = (int) Math.max(0, Math.min(in[k] - 1, v));
            }
        }
        return new Map(axes(in.length), idx);
    }

    /**
     * ONNX Runtime's bilinear parameters for one axis of {@code inLen -> outLen}
     * (onnxruntime/core/providers/cpu/tensor/upsample.cc, SetupUpsampleBilinear), in Java float, which
     * rounds as C++ float does: the original coordinate (the output index itself when the scale is 1),
     * clamped to {@code [0, inLen - 1]}, its two neighbours {@code i1 = min((int) v, inLen - 1)},
     * {@code i2 = min(i1 + 1, inLen - 1)} and weights {@code |v - i1|}, {@code |v - i2|} (0.5 each when
     * the neighbours coincide). Four int32 per output index: {@code i1 * stride}, {@code i2 * stride} and
     * the two weights' float32 bits (offsets in pixels; the kernel multiplies them by the channel count).
     */
    static int[] bilinearAxis(String ctm, float scale, long outLen, long inLen, long stride) {
        int[] t = new int[Math.toIntExact(4 * outLen)];
        for (int j = 0; j < outLen; j++) {
            float v = scale == 1f ? (float) j : original(ctm, j, scale, outLen, inLen);
            v = Math.max(0f, Math.min(v, (float) (inLen - 1)));
            int i1 = (int) Math.min((int) v, inLen - 1);
            int i2 = (int) Math.min(i1 + 1, inLen - 1);
            float d1 = Math.abs(v - i1);
            float d2 = Math.abs(v - i2);
            if (i1 == i2) {
                d1 = 0.5f;
                d2 = 0.5f;
            }
            t[4 * j] = Math.toIntExact(i1 * stride);
            t[4 * j + 1] = Math.toIntExact(i2 * stride);
            t[4 * j + 2] = Float.floatToRawIntBits(d1);
            t[4 * j + 3] = Float.floatToRawIntBits(d2);
        }
        return t;
    }

    /** Bilinear geometry: images, their input and output sizes, the row and column tables. */
    record Bilinear(int planes, int inH, int inW, int channels, int outH, int outW, int[] yTab, int[] xTab) { }

    /**
     * Resize in linear mode on a 2-D tensor, or a 4-D one scaled along its two spatial axes (NCHW
     * {@code [1, 1, h, w]} or NHWC {@code [1, h, w, 1]}), the cases ONNX Runtime's CPU kernel computes as
     * bilinear.
     */
    static Bilinear bilinear(Graph g, Node n, long[] in, long[] out) {
        String ctm = n.opset() < 11 ? "asymmetric" : n.attrString("coordinate_transformation_mode", "half_pixel");
        if (n.attrInt("antialias", 0) != 0) {
            throw new Refused("Resize with antialias=1 is not supported");
        }
        if (!java.util.Set.of("half_pixel", "asymmetric", "pytorch_half_pixel", "align_corners").contains(ctm)) {
            throw new Refused("linear Resize with coordinate_transformation_mode '" + ctm + "' is not supported"
                    + " (half_pixel, asymmetric, pytorch_half_pixel, align_corners are)");
        }
        float[] scales = scales(g, n, in, out);
        int r = in.length;
        if (r != 2 && r != 4) {
            throw new Refused("linear Resize of a rank-" + r + " tensor (bilinear needs rank 2 or 4)");
        }
        // ORT: 4-D with scales[1] == 1 is NCHW [N, C, H, W]; otherwise scales[3] must be 1 and it is NHWC
        boolean nhwc = r == 4 && scales[1] != 1f;
        if (r == 4 && (scales[0] != 1f || in[0] != out[0] || (nhwc ? scales[3] != 1f || in[3] != out[3] : in[1] != out[1]))) {
            throw new Refused("linear Resize with scales " + java.util.Arrays.toString(scales) + " (bilinear scales the"
                    + " two spatial axes only: [1, 1, h, w] for NCHW or [1, h, w, 1] for NHWC)");
        }
        int hAxis = nhwc ? 1 : r - 2;
        int wAxis = nhwc ? 2 : r - 1;
        long planes = r == 4 ? (nhwc ? in[0] : in[0] * in[1]) : 1;
        long channels = nhwc ? in[3] : 1;
        long inH = in[hAxis];
        long inW = in[wAxis];
        return new Bilinear(Math.toIntExact(planes), Math.toIntExact(inH), Math.toIntExact(inW), Math.toIntExact(channels),
                Math.toIntExact(out[hAxis]), Math.toIntExact(out[wAxis]), bilinearAxis(ctm, scales[hAxis], out[hAxis], inH, inW),
                bilinearAxis(ctm, scales[wAxis], out[wAxis], inW, 1));
    }

    /** The scales ONNX Runtime uses: the given scales input, else output over input size in float. */
    private static float[] scales(Graph g, Node n, long[] in, long[] out) {
        float[] scales = new float[in.length];
        float[] given = null;
        int scalesInput = n.opset() < 11 ? 1 : 2;
        if (n.inputCount() > scalesInput && !n.input(scalesInput).isEmpty() && g.isConstant(n.input(scalesInput))
                && g.constant(n.input(scalesInput)).size() > 0) {
            given = g.constant(n.input(scalesInput)).toFloats();
        }
        if (n.hasAttr("axes")) {
            throw new Refused("Resize with the axes attribute is not supported");
        }
        if (!n.attrString("keep_aspect_ratio_policy", "stretch").equals("stretch")) {
            throw new Refused("Resize keep_aspect_ratio_policy other than stretch is not supported");
        }
        for (int k = 0; k < in.length; k++) {
            scales[k] = given != null ? given[k] : (float) out[k] / (float) in[k];
        }
        return scales;
    }

    private static float original(String ctm, int x, float scale, long outLen, long inLen) {
        return switch (ctm) {
            case "half_pixel" -> (x + 0.5f) / scale - 0.5f;
            case "asymmetric" -> x / scale;
            case "pytorch_half_pixel" -> outLen > 1 ? (x + 0.5f) / scale - 0.5f : 0f;
            case "tf_half_pixel_for_nn" -> (x + 0.5f) / scale;
            case "align_corners" -> outLen == 1 ? 0f : x * (float) (inLen - 1) / (float) (outLen - 1);
            case "half_pixel_symmetric" -> {
                float adjustment = (float) outLen / (scale * (float) inLen);
                float center = (float) inLen / 2f;
                float offset = center * (1f - adjustment);
                yield offset + (x + 0.5f) / scale - 0.5f;
            }
            default -> throw new Refused("Resize coordinate_transformation_mode '" + ctm + "' is not supported for nearest");
        };
    }

    private static long nearest(String nm, float x) {
        return switch (nm) {
            case "round_prefer_floor" -> x == (float) (long) x + 0.5f ? (long) x : Math.round((double) x);
            case "round_prefer_ceil" -> (long) roundHalfAway(x);
            case "floor" -> (long) Math.floor(x);
            case "ceil" -> (long) Math.ceil(x);
            default -> throw new Refused("Resize nearest_mode '" + nm + "' is not supported");
        };
    }

    /** C's {@code std::round}: halves away from zero. */
    private static double roundHalfAway(float x) {
        return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
    }

    /**
     * Gather with constant indices along {@code axis}: the map of the output viewed with the indices
     * flattened into one axis ({@code in[:axis] + [#indices] + in[axis+1:]}, the same bytes in C order as
     * the real output); negative indices count from the end, as in ONNX.
     */
    static Map gather(Graph g, Node n, long[] in) {
        int ax = (int) n.attrInt("axis", 0);
        if (ax < 0) {
            ax += in.length;
        }
        if (ax < 0 || ax >= in.length) {
            throw new Refused("Gather axis " + n.attrInt("axis", 0) + " outside a rank-" + in.length + " input");
        }
        long[] ind = constInts(g, n, 1);
        long[] mid = in.clone();
        mid[ax] = ind.length;
        int[][] idx = identity(mid);
        for (int j = 0; j < ind.length; j++) {
            long v = ind[j] < 0 ? ind[j] + in[ax] : ind[j];
            if (v < 0 || v >= in[ax]) {
                throw new Refused("Gather index " + ind[j] + " outside [" + -in[ax] + ", " + (in[ax] - 1) + "] on axis " + ax);
            }
            idx[ax][j] = (int) v;
        }
        return new Map(axes(in.length), idx);
    }

    /** Pad's begin and end amounts per axis (negative crops), from its attribute (opset < 11) or inputs. */
    static long[][] padAmounts(Graph g, Node n, long[] in) {
        int r = in.length;
        long[] pads = n.opset() < 11 ? n.attrInts("pads", null) : constInts(g, n, 1);
        if (pads == null) {
            throw new Refused("Pad without pads");
        }
        int[] axes = axes(r);
        if (n.opset() >= 18 && n.inputCount() > 3 && !n.input(3).isEmpty()) {
            long[] a = constInts(g, n, 3);
            axes = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                axes[i] = (int) (a[i] < 0 ? a[i] + r : a[i]);
            }
        }
        if (pads.length != 2 * axes.length) {
            throw new Refused("Pad has " + pads.length + " pads for " + axes.length + " axes");
        }
        long[][] be = new long[2][r];
        for (int i = 0; i < axes.length; i++) {
            be[0][axes[i]] = pads[i];
            be[1][axes[i]] = pads[i + axes.length];
        }
        return be;
    }

    /**
     * Pad in edge, reflect or wrap mode: every output index reads an input index (clamped, mirrored
     * without repeating the border, or wrapped), so the op is a gather on codes.
     */
    static Map pad(Graph g, Node n, String mode, long[] in, long[] out) {
        long[][] be = padAmounts(g, n, in);
        int[][] idx = new int[out.length][];
        for (int k = 0; k < out.length; k++) {
            idx[k] = new int[(int) out[k]];
            long len = in[k];
            for (int j = 0; j < idx[k].length; j++) {
                long i = j - be[0][k];
                idx[k][j] = (int) switch (mode) {
                    case "edge" -> Math.max(0, Math.min(len - 1, i));
                    case "wrap" -> Math.floorMod(i, len);
                    case "reflect" -> {
                        if (len == 1) {
                            yield 0;
                        }
                        long period = 2 * (len - 1);
                        long m = Math.floorMod(i, period);
                        yield m < len ? m : period - m;
                    }
                    default -> throw new Refused("Pad mode '" + mode + "' is not supported");
                };
            }
        }
        return new Map(axes(in.length), idx);
    }

    private static long[] constInts(Graph g, Node n, int i) {
        String t = n.input(i);
        if (!g.isConstant(t)) {
            throw new Refused("input '" + t + "' of " + n.opType() + " is not a constant");
        }
        Tensor c = g.constant(t);
        return c.toLongs();
    }
}
