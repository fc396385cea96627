package io.intbench.compiler.quant;

import io.intbench.isa.Requant;

/**
 * Compile-time half of requantization: turns the float scales of a quantized model into the
 * integer constants the hardware uses at run time ({@link Requant}). Float arithmetic is allowed
 * here, and is in fact required, because the {@code ort} mode must reproduce the exact float32
 * value ONNX Runtime computes for each multiplier, in ONNX Runtime's operation order. Java's
 * {@code float} is IEEE-754 binary32 with round-to-nearest-even on every operation (strict since
 * Java 17), like ONNX Runtime's x86-64 SSE code, so the same expression gives the same bits.
 *
 * <p>Names follow TFLite's Prepare/Eval split: {@link FixedPointMultiplier#quantizeMultiplier} here,
 * {@link Requant#multiplyByQuantizedMultiplier} at run time.
 */
public final class Multipliers {

    private Multipliers() {
    }

    /**
     * A float32 requantization scale {@code M} stored as integers, {@code M = m * 2^e} exactly:
     * {@code m} is the 24-bit significand including the hidden bit ({@code [2^23, 2^24)}) for a normal
     * float, the bare fraction ({@code < 2^23}) with {@code e = -149} for a denormal one, and
     * {@code m = 0, e = -149} for zero. These are the operands of {@link Requant#ortRequantize}.
     */
    public record OrtScale(int m, int e) {

        public OrtScale {
            if (m < 0 || m >= (1 << 24)) {
                throw new IllegalArgumentException("significand must be in [0, 2^24), got " + m);
            }
            if (m < (1 << 23) ? e != Requant.DENORMAL_EXPONENT : (e < -149 || e > 104)) {
                throw new IllegalArgumentException("(m=" + m + ", e=" + e + ") is not the split of a float32; "
                        + "a normal significand needs e in [-149, 104], a denormal one (or zero) e = -149");
            }
        }

        /**
         * Splits a float32 multiplier (computed in ONNX Runtime's order, e.g. by {@link #ortConvScale}).
         *
         * @throws IllegalArgumentException for a negative, NaN or infinite multiplier ({@code -0.0}
         *         counts as zero): ONNX scales are positive, so such a multiplier means a broken model
         */
        public static OrtScale of(float multiplier) {
            if (Float.isNaN(multiplier) || Float.isInfinite(multiplier) || multiplier < 0) {
                throw new IllegalArgumentException("requantization multiplier " + multiplier
                        + " is not a finite non-negative float (scales must be positive and finite)");
            }
            int bits = Float.floatToRawIntBits(multiplier);
            return new OrtScale(Requant.significand(bits), Requant.exponent(bits));
        }

        /** The float32 this pair represents ({@code m * 2^e}, exact). */
        public float value() {
            return Math.scalb((float) m, e);
        }
    }

    /**
     * The requantization multiplier of QLinearConv and QLinearMatMul as ONNX Runtime computes it:
     * {@code x_scale * w_scale / y_scale}, left to right in float32
     * ({@code providers/cpu/nn/qlinearconv.cc}: {@code X_scale_value * W_scale_data[i] / Y_scale_value};
     * QLinearMatMul uses the same expression). Call once per output channel for per-channel weights.
     */
    public static float ortConvScale(float xScale, float wScale, float yScale) {
        return xScale * wScale / yScale;
    }

    /**
     * QGemm's multiplier ({@code contrib_ops/cpu/quantization/quant_gemm.cc},
     * {@code ComputeOutputScale}): {@code alpha * a_scale * b_scale} stored as a float, then divided
     * in place by {@code y_scale}. The first product is formed left to right.
     */
    public static float ortGemmScale(float alpha, float aScale, float bScale, float yScale) {
        float scale = alpha * aScale * bScale;
        return scale / yScale;
    }

    /** Smallest multiplier ONNX Runtime's QLinearGlobalAveragePool accepts (2^-32). */
    static final float GAP_MIN_SCALE = 0x1.0p-32f;
    /** ONNX Runtime's QLinearGlobalAveragePool accepts only multipliers below 256. */
    static final float GAP_MAX_SCALE = 256.0f;

    /**
     * QLinearGlobalAveragePool's multiplier ({@code mlas/lib/qlgavgpool.cpp},
     * {@code CheckQLinearGlobalAveragePoolScaleAndSize}): {@code x_scale / (y_scale * (float) N)} with
     * {@code N} the number of pooled elements; the accumulator is {@code sum(x) - zp_x * N}.
     *
     * @throws IllegalArgumentException where ONNX Runtime itself throws: {@code N} not in
     *         {@code [1, 2^24)} ("ImageSize too large") or the multiplier outside {@code [2^-32, 256)}
     *         ("parameter out of computation range"; the output would be constant)
     */
    public static float ortGapScale(float xScale, float yScale, int n) {
        if (n < 1 || n >= (1 << 24)) {
            throw new IllegalArgumentException("global average pool over " + n
                    + " elements: ONNX Runtime requires 1 <= N < 2^24");
        }
        float scale = xScale / (yScale * (float) n);
        if (!(scale >= GAP_MIN_SCALE && scale < GAP_MAX_SCALE)) {
            throw new IllegalArgumentException("global average pool multiplier x_scale / (y_scale * N) = " + scale
                    + " (x_scale " + xScale + ", y_scale " + yScale + ", N " + n
                    + ") is outside [2^-32, 256), which ONNX Runtime rejects as out of computation range");
        }
        return scale;
    }

    /**
     * A fixed-point multiplier in TFLite's representation: {@code M = m0 * 2^(shift - 31)} with
     * {@code m0} a Q0.31 significand in {@code [2^30, 2^31)} (or {@code m0 = 0, shift = 0} for zero).
     * Shift convention as {@link Requant#multiplyByQuantizedMultiplier}: {@code shift > 0} shifts the
     * input left (multipliers {@code >= 1}), {@code shift < 0} shifts the product right.
     */
    public record FixedPointMultiplier(int m0, int shift) {

        public FixedPointMultiplier {
            boolean zero = m0 == 0 && shift == 0;
            if (!zero && (m0 < (1 << 30) || shift < -31 || shift > 31)) {
                throw new IllegalArgumentException("fixed-point multiplier (m0=" + m0 + ", shift=" + shift
                        + ") needs m0 in [2^30, 2^31) and shift in [-31, 31], or (0, 0)");
            }
        }

        /**
         * TFLite's {@code QuantizeMultiplier} ({@code kernels/internal/quantization_util.cc}):
         * {@code q = frexp(M, &shift)} with {@code q} in {@code [0.5, 1)}, {@code m0 = round(q * 2^31)}
         * (half away from zero); when that rounds up to {@code 2^31} it becomes {@code 2^30} and
         * {@code shift + 1}; a shift below -31 (about {@code M < 2^-32}) flushes to {@code (0, 0)}, as
         * TFLite does ("flush denormals to zero"). So {@code |m0 * 2^(shift-31) - M| <= 2^-31 * M}.
         *
         * <p>Choices beyond TFLite, which only asserts: negative, NaN and infinite multipliers are
         * refused, and so is any {@code M} whose shift would exceed 31 (about {@code M >= 2^31}),
         * since the run-time left shift of an int32 by 32 or more bits is meaningless.
         *
         * @throws IllegalArgumentException as above
         */
        public static FixedPointMultiplier quantizeMultiplier(double multiplier) {
            if (Double.isNaN(multiplier) || Double.isInfinite(multiplier) || multiplier < 0) {
                throw new IllegalArgumentException("multiplier " + multiplier + " is not finite and non-negative");
            }
            if (multiplier == 0) {
                return new FixedPointMultiplier(0, 0);
            }
            if (multiplier < Double.MIN_NORMAL) {
                return new FixedPointMultiplier(0, 0);     // frexp shift far below -31
            }
            // frexp: multiplier = q * 2^shift with q in [0.5, 1)
            int shift = Math.getExponent(multiplier) + 1;
            double q = Math.scalb(multiplier, -shift);
            long qFixed = Math.round(q * 0x1p31);          // q > 0: Math.round's half-up is half away from zero
            if (qFixed == (1L << 31)) {
                qFixed /= 2;
                shift++;
            }
            if (shift < -31) {
                return new FixedPointMultiplier(0, 0);
            }
            if (shift > 31) {
                throw new IllegalArgumentException("multiplier " + multiplier
                        + " needs a left shift of " + shift + " bits; fixed-point mode supports multipliers below 2^31");
            }
            return new FixedPointMultiplier((int) qFixed, shift);
        }

        /** The multiplier this pair represents, {@code m0 * 2^(shift - 31)} (exact in a double). */
        public double value() {
            return Math.scalb((double) m0, shift - 31);
        }
    }

    /**
     * Quantizes a float bias the way ONNX Runtime's {@code quantize_static} does, so that the int32
     * bias in our program equals the one in the model file ORT runs. Read in
     * {@code onnxruntime/python/tools/quantization/base_quantizer.py},
     * {@code BaseQuantizer.quantize_bias_static_impl}:
     * <pre>
     *   bias_scale = input_scale * weight_scale * beta        # numpy float32 arrays: float32 product
     *   q = np.asarray(bias, float64) / np.asarray(bias_scale, float64)
     *   q = q.round()                                          # numpy rounds half to even
     *   q = np.clip(q, float64(int32 min), float64(int32 max)).astype(np.int32)
     * </pre>
     * The scales are float32 initializers, so {@code bias_scale} is the float32 product
     * {@code x_scale * w_scale} (with {@code beta = 1}, as for Conv/MatMul), and only the division is
     * done in float64. Per-channel weights: call once per channel with that channel's {@code w_scale}.
     *
     * @throws IllegalArgumentException when the bias is not finite or the bias scale is zero or not
     *         finite (ORT's quantizer would write a meaningless or undefined int32 there)
     */
    public static int quantizeBias(float bias, float xScale, float wScale) {
        float biasScale = xScale * wScale;                        // float32 product, as numpy computes it
        if (!Float.isFinite(bias)) {
            throw new IllegalArgumentException("bias value " + bias + " is not finite");
        }
        if (!Float.isFinite(biasScale) || biasScale == 0) {
            throw new IllegalArgumentException("bias scale x_scale * w_scale = " + xScale + " * " + wScale
                    + " = " + biasScale + " in float32; it must be finite and non-zero to quantize the bias");
        }
        double q = Math.rint((double) bias / (double) biasScale);  // float64 division, ties to even
        q = Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q));
        return (int) q;
    }
}
