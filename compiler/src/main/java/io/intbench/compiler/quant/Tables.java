package io.intbench.compiler.quant;

import io.intbench.compiler.qir.QTensor;
import io.intbench.isa.DType;

/**
 * Integer tables computed at compile time (float arithmetic allowed here), so that the run time
 * reproduces ONNX Runtime's float computations with lookups only.
 */
public final class Tables {
    private Tables() { }

    /**
     * ONNX Runtime's QuantizeLinear of one value (MlasQuantizeLinear): float32 division, clamp to
     * the range shifted by the zero point, round half to even, add the zero point. Used at compile
     * time only (tables, Clip bounds).
     */
    public static int quantizeLinear(float x, float scale, int zp, int qmin, int qmax) {
        float v = x / scale;
        v = Math.max(v, (float) (qmin - zp));
        v = Math.min(v, (float) (qmax - zp));
        return (int) Math.rint(v) + zp;
    }

    /** DequantizeLinear of one code: {@code float(q - zp) * scale}. */
    public static float dequantizeLinear(int q, int zp, float scale) {
        return (float) (q - zp) * scale;
    }

    /** The code a table index (the raw byte) stands for. */
    static int code(int index, DType t) {
        return t == DType.INT8 ? (byte) index : index;
    }

    /**
     * 256-entry requantization table {@code T[byte(x)] = clamp(Q_out(DQ_in(x)), lo, hi)}: what ORT
     * computes for DequantizeLinear -> [Relu|Clip] -> QuantizeLinear.
     */
    public static byte[] rescale(QTensor in, QTensor out, int lo, int hi) {
        byte[] t = new byte[256];
        for (int i = 0; i < 256; i++) {
            float v = dequantizeLinear(code(i, in.type()), in.zeroPoint(), in.scale());
            int q = quantizeLinear(v, out.scale(), out.zeroPoint(), out.type().qmin(), out.type().qmax());
            t[i] = (byte) Math.min(hi, Math.max(lo, q));
        }
        return t;
    }

    /**
     * 256-entry table of a unary function: {@code T[byte(x)] = clamp(Q_out(f(DQ_in(x))))}, with
     * {@code f} evaluated in double and rounded once to float32, as a float32 kernel computes it to
     * within its last bit (the NUMERICS notes: a double-precision logistic matched ORT's table on all
     * entries tried).
     */
    public static byte[] unary(QTensor in, QTensor out, java.util.function.DoubleUnaryOperator f, int lo, int hi) {
        byte[] t = new byte[256];
        for (int i = 0; i < 256; i++) {
            float v = dequantizeLinear(code(i, in.type()), in.zeroPoint(), in.scale());
            float y = (float) f.applyAsDouble(v);
            int q = quantizeLinear(y, out.scale(), out.zeroPoint(), out.type().qmin(), out.type().qmax());
            t[i] = (byte) Math.min(hi, Math.max(lo, q));
        }
        return t;
    }

    /**
     * 65,536-entry table {@code T[byte(a) << 8 | byte(b)]} reproducing ONNX Runtime's QLinearAdd on
     * x86 with AVX2 (onnxruntime/core/mlas/lib/intrinsics/avx2/qladd_avx2.cpp): with
     * {@code rA = sa / sc}, {@code rB = sb / sc} and {@code F = zc - fma(rA, za, rB * zb)} in float32,
     * the element kernel computes {@code fma(a, rA, fma(b, rB, F))}; when one operand is a single
     * broadcast element it is folded into the constant first with a separate multiply and add,
     * {@code F' = F + s * rS}, then {@code fma(other, rOther, F')}. The float is rounded to nearest
     * even and saturated. A fused Relu/Clip then clamps to {@code [lo, hi]}.
     *
     * @param scalarA a is one element per span of b (a single element, or constant along the innermost
     *                dimensions), so ORT runs its scalar kernel with the operands swapped
     * @param scalarB b is a single element broadcast over a
     */
    public static byte[] add(QTensor a, QTensor b, QTensor c, boolean scalarA, boolean scalarB, int lo, int hi) {
        return add(a, b, c, scalarA, scalarB, false, lo, hi);
    }

    /**
     * As above; with {@code uint8Shift} (a QDQ model with int8 activations) the formula runs on codes
     * and zero points shifted by 128, as ORT evaluates it on x86 after rewriting int8 Q/DQ pairs to
     * uint8 before fusing them into QLinearAdd; the shift changes the float rounding at near-ties.
     */
    public static byte[] add(QTensor a, QTensor b, QTensor c, boolean scalarA, boolean scalarB, boolean uint8Shift,
                             int lo, int hi) {
        int sh = uint8Shift && a.type() == DType.INT8 && b.type() == DType.INT8 && c.type() == DType.INT8 ? 128 : 0;
        float za = a.zeroPoint() + sh;
        float zb = b.zeroPoint() + sh;
        float zc = c.zeroPoint() + sh;
        float rA = a.scale() / c.scale();
        float rB = b.scale() / c.scale();
        float fixed = zc - Math.fma(rA, za, rB * zb);
        // ORT calls its kernel with the operands swapped when the first one is the scalar
        // (qlinear_binary_op.cc): the tensor b plays "A" and the scalar a plays "B"
        float fixedSwapped = zc - Math.fma(rB, zb, rA * za);
        // The operands' values and the kernel's case are taken out of the 65,536-entry loop: a model's Adds build
        // their tables in the first compile of a process, mostly before the JIT has compiled this method.
        float[] va = new float[256];
        float[] vb = new float[256];
        for (int i = 0; i < 256; i++) {
            va[i] = code(i, a.type()) + sh;
            vb[i] = code(i, b.type()) + sh;
        }
        double qmin = c.type().qmin() + sh;
        double qmax = c.type().qmax() + sh;
        byte[] t = new byte[65536];
        for (int ia = 0; ia < 256; ia++) {
            float x = va[ia];
            int row = ia << 8;
            if (scalarA) {
                float f = fixedSwapped + x * rA;
                for (int ib = 0; ib < 256; ib++) {
                    t[row | ib] = clampCode(Math.fma(vb[ib], rB, f), qmin, qmax, sh, lo, hi);
                }
            } else if (scalarB) {
                for (int ib = 0; ib < 256; ib++) {
                    t[row | ib] = clampCode(Math.fma(x, rA, fixed + vb[ib] * rB), qmin, qmax, sh, lo, hi);
                }
            } else {
                for (int ib = 0; ib < 256; ib++) {
                    t[row | ib] = clampCode(Math.fma(x, rA, Math.fma(vb[ib], rB, fixed)), qmin, qmax, sh, lo, hi);
                }
            }
        }
        return t;
    }

    /** {@code r} rounded to nearest even, saturated to [qmin, qmax], unshifted by {@code sh}, then clamped to [lo, hi]. */
    private static byte clampCode(float r, double qmin, double qmax, int sh, int lo, int hi) {
        int q = (int) Math.max(qmin, Math.min(qmax, Math.rint(r))) - sh;
        return (byte) Math.min(hi, Math.max(lo, q));
    }

    /**
     * 65,536-entry table {@code T[byte(a) << 8 | byte(b)]} of the float path {@code DQ(a), DQ(b) -> Add -> Q}, for
     * the Adds ONNX Runtime does not fuse: each operand dequantized as its DequantizeLinear does
     * ({@code float(q - zp) * scale}), one float32 addition (IEEE, so operand order and broadcasting do not
     * matter), then QuantizeLinear ({@link #quantizeLinear}: true division, ties to even, saturation); a Relu/Clip
     * between Add and Q clamps to {@code [lo, hi]} (exact: QuantizeLinear is monotonic).
     */
    public static byte[] floatAdd(QTensor a, QTensor b, QTensor c, int lo, int hi) {
        return floatAdd(a, b, c, x -> x, x -> x, lo, hi);
    }

    /** As above, with ORT's float function {@code fa} / {@code fb} applied to each dequantized operand first. */
    public static byte[] floatAdd(QTensor a, QTensor b, QTensor c, OrtFloat.Function fa, OrtFloat.Function fb, int lo, int hi) {
        float[] va = new float[256];
        float[] vb = new float[256];
        for (int i = 0; i < 256; i++) {
            va[i] = fa.apply(dequantizeLinear(code(i, a.type()), a.zeroPoint(), a.scale()));
            vb[i] = fb.apply(dequantizeLinear(code(i, b.type()), b.zeroPoint(), b.scale()));
        }
        byte[] t = new byte[65536];
        float scale = c.scale();
        int zp = c.zeroPoint();
        int qmin = c.type().qmin();
        int qmax = c.type().qmax();
        for (int ia = 0; ia < 256; ia++) {
            float x = va[ia];
            for (int ib = 0; ib < 256; ib++) {
                int q = quantizeLinear(x + vb[ib], scale, zp, qmin, qmax);
                t[ia << 8 | ib] = (byte) Math.min(hi, Math.max(lo, q));
            }
        }
        return t;
    }

    /**
     * 65,536-entry table {@code T[byte(a) << 8 | byte(b)]} reproducing ONNX Runtime's QLinearMul on x86
     * (onnxruntime/core/mlas/lib/qlmul.cpp, SSE2/AVX2 path): the integer product
     * {@code (a - za) * (b - zb)} converted to float32, multiplied by the float32 ratio
     * {@code sa * sb / sc} (evaluated left to right), plus {@code zc} as a float, rounded to nearest even
     * and saturated (the NUMERICS notes' formula; exact on the HardSwish model's QLinearMul); a fused Relu/Clip then clamps to {@code [lo, hi]}.
     */
    public static byte[] mul(QTensor a, QTensor b, QTensor c, int lo, int hi) {
        float ratio = a.scale() * b.scale() / c.scale();
        float zc = (float) c.zeroPoint();
        int[] vb = new int[256];
        for (int i = 0; i < 256; i++) {
            vb[i] = code(i, b.type()) - b.zeroPoint();
        }
        double qmin = c.type().qmin();
        double qmax = c.type().qmax();
        byte[] t = new byte[65536];
        for (int ia = 0; ia < 256; ia++) {
            int va = code(ia, a.type()) - a.zeroPoint();
            for (int ib = 0; ib < 256; ib++) {
                float r = (float) (va * vb[ib]) * ratio + zc;
                t[ia << 8 | ib] = clampCode(r, qmin, qmax, 0, lo, hi);
            }
        }
        return t;
    }

    /** 256 float32 bit patterns {@code T[byte(x)] = bits(x_scale * (x - zp))}, ORT's dequantization table. */
    public static int[] dequantizeBits(QTensor in) {
        int[] t = new int[256];
        for (int i = 0; i < 256; i++) {
            t[i] = Float.floatToRawIntBits(in.scale() * (float) (code(i, in.type()) - in.zeroPoint()));
        }
        return t;
    }

    /**
     * 256 float32 bit patterns {@code T[byte(x)] = bits(f(DQ(x)))}: a float function ONNX Runtime applies to the
     * dequantized input before a float op (DequantizeLinear -> Tanh -> AveragePool), computed as ORT does.
     */
    public static int[] floatBits(QTensor in, OrtFloat.Function f) {
        int[] t = new int[256];
        for (int i = 0; i < 256; i++) {
            t[i] = Float.floatToRawIntBits(f.apply(dequantizeLinear(code(i, in.type()), in.zeroPoint(), in.scale())));
        }
        return t;
    }

    /**
     * ONNX Runtime's QLinearSoftmax exponential table (onnxruntime/contrib_ops/cpu/quantization/qlinear_softmax.cc,
     * {@code QlinearBuildLookupTableUint32} with float entries): {@code bit_shift = max(0, log(FLT_MAX / D) - 5) / x_scale},
     * entry {@code i} = {@code (float) exp((i - 255 + bit_shift) * x_scale)}, stored at byte {@code i} for uint8
     * and at byte {@code uint8(i - 128)} for int8. As float32 bit patterns.
     */
    public static int[] softmaxExp(float xScale, long reduceLen, boolean signed) {
        float quotient = Float.MAX_VALUE / (float) reduceLen;
        double bitShift = Math.max(0.0, Math.log(quotient) - 5) / xScale;
        int[] t = new int[256];
        for (int i = 0; i < 256; i++) {
            double e = Math.exp((i - 255 + bitShift) * (double) xScale);
            t[(signed ? i - 128 : i) & 0xFF] = Float.floatToRawIntBits((float) e);
        }
        return t;
    }

    /** {@code floor(1 / y_scale)} in float32, QLinearSoftmax's output multiplier, as bits. */
    public static int softmaxScaleBits(float yScale) {
        return Float.floatToRawIntBits((float) Math.floor(1.0f / yScale));
    }
}
