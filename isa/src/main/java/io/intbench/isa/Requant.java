package io.intbench.isa;

/**
 * The integer requantization arithmetic of the simulated hardware: what the vector unit computes
 * when it turns an int32 accumulator into an 8-bit output code. Two families live here:
 *
 * <ul>
 *   <li><b>{@code ort} mode</b> ({@link #ortRequantize}): reproduces, bit for bit and with integer
 *       operations only, ONNX Runtime's float requantizer {@code MlasRequantizeOutput}
 *       ({@code onnxruntime/core/mlas/lib/quantize.cpp}, SSE2 path): {@code f = (float) acc;
 *       f *= scale; f = min(max(f, qmin - zp), qmax - zp); y = cvtps_epi32(f) + zp}, with
 *       IEEE-754 round-to-nearest-even at every step. The float32 scale is stored at compile time as
 *       its significand {@code m} and exponent {@code e} ({@link #significand}, {@link #exponent}).</li>
 *   <li><b>{@code fixed-point} mode</b> ({@link #fixedPointRequantize}): gemmlowp / TFLite's
 *       {@code MultiplyByQuantizedMultiplier}, built from {@link #saturatingRoundingDoublingHighMul}
 *       and {@link #roundingDivideByPOT} with their reference semantics (gemmlowp
 *       {@code fixedpoint/fixedpoint.h}, TFLite {@code kernels/internal/common.h}).</li>
 * </ul>
 *
 * <p>Everything in this class is integer arithmetic: it is the run-time half of the compile-time /
 * run-time split (the compile-time half, which may use float, is
 * {@code io.intbench.compiler.quant.Multipliers}). Functions are pure and stateless so the
 * executor, the tests and the compiler's constant folding can all call them.
 */
public final class Requant {

    private Requant() {
    }

    /** Bits of a float32 significand including the hidden bit. */
    public static final int FLOAT_SIGNIFICAND_BITS = 24;

    /** Exponent that goes with a float32 significand read as an integer when the float is denormal or zero. */
    public static final int DENORMAL_EXPONENT = -149;

    // ---------------------------------------------------------------------------------------------
    // Rounding helpers
    // ---------------------------------------------------------------------------------------------

    /**
     * {@code v / 2^shift} rounded to the nearest integer, ties to even (IEEE-754's default rounding),
     * for any {@code shift >= 0}. A shift of 64 or more always gives 0 ({@code |v| / 2^64 <= 1/2},
     * and the only tie, {@code Long.MIN_VALUE / 2^64 = -1/2}, goes to the even 0).
     */
    public static long roundHalfEvenShiftRight(long v, int shift) {
        if (shift < 0) {
            throw new IllegalArgumentException("shift must be >= 0, got " + shift);
        }
        if (shift == 0) {
            return v;
        }
        if (shift >= 64) {
            return 0;
        }
        long q = v >> shift;                        // floor(v / 2^shift), also for negative v
        long rem = v & (-1L >>> (64 - shift));       // v - q * 2^shift, in [0, 2^shift)
        long half = 1L << (shift - 1);
        if (rem > half || (rem == half && (q & 1) != 0)) {
            q++;
        }
        return q;
    }

    /**
     * {@code v} rounded to {@code bits} significant binary digits, ties to even — what converting an
     * integer to a binary floating-point type with a {@code bits}-bit significand does (24 for float32,
     * so {@code roundToSignificantBits(acc, 24)} is the value of {@code (float) acc}).
     * The result may carry into one more bit ({@code 2^bits * 2^k}), which the floating-point format
     * represents with the next exponent. Requires {@code |v| < 2^62} and {@code 1 <= bits <= 62}.
     */
    public static long roundToSignificantBits(long v, int bits) {
        if (bits < 1 || bits > 62) {
            throw new IllegalArgumentException("bits must be in [1, 62], got " + bits);
        }
        if (v <= -(1L << 62) || v >= (1L << 62)) {
            throw new IllegalArgumentException("|v| must be < 2^62, got " + v);
        }
        long mag = Math.abs(v);
        int k = droppedBits(mag, bits);
        long rounded = roundHalfEvenShiftRight(mag, k) << k;
        return v < 0 ? -rounded : rounded;
    }

    /** How many low bits rounding the non-negative {@code mag} to {@code bits} significant bits drops. */
    private static int droppedBits(long mag, int bits) {
        int length = 64 - Long.numberOfLeadingZeros(mag);
        return Math.max(0, length - bits);
    }

    // ---------------------------------------------------------------------------------------------
    // Float32 scale split into integers (the caller takes Float.floatToRawIntBits at compile time)
    // ---------------------------------------------------------------------------------------------

    /**
     * Significand of a non-negative finite float32 given by its raw bits, as an integer including the
     * hidden bit: in {@code [2^23, 2^24)} for a normal float, the bare fraction (less than 2^23) for a
     * denormal one, 0 for zero. With {@link #exponent} the float's value is
     * {@code significand * 2^exponent} exactly.
     *
     * @throws IllegalArgumentException for NaN, infinities and negative numbers (a requantization scale
     *         is positive; ONNX requires positive scales); {@code -0.0} is accepted as zero
     */
    public static int significand(int floatBits) {
        checkScaleBits(floatBits);
        int biased = (floatBits >>> 23) & 0xFF;
        int fraction = floatBits & 0x7FFFFF;
        return biased == 0 ? fraction : fraction | 0x800000;
    }

    /**
     * Exponent of a non-negative finite float32 given by its raw bits, such that the float equals
     * {@code significand(bits) * 2^exponent(bits)}: {@code biasedExponent - 150} for a normal float
     * (127 bias plus 23 fraction bits), {@value #DENORMAL_EXPONENT} for denormals and zero.
     *
     * @throws IllegalArgumentException as {@link #significand}
     */
    public static int exponent(int floatBits) {
        checkScaleBits(floatBits);
        int biased = (floatBits >>> 23) & 0xFF;
        return biased == 0 ? DENORMAL_EXPONENT : biased - 150;
    }

    private static void checkScaleBits(int floatBits) {
        int biased = (floatBits >>> 23) & 0xFF;
        if (biased == 0xFF) {
            throw new IllegalArgumentException(String.format(
                    "float bits 0x%08x are %s; a requantization scale must be finite",
                    floatBits, (floatBits & 0x7FFFFF) == 0 ? "an infinity" : "NaN"));
        }
        if (floatBits < 0 && (floatBits & 0x7FFFFFFF) != 0) {
            throw new IllegalArgumentException(String.format(
                    "float bits 0x%08x are a negative number; a requantization scale must be >= 0", floatBits));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // ort mode
    // ---------------------------------------------------------------------------------------------

    /**
     * ONNX Runtime's {@code MlasRequantizeOutput} for one element, with integers only:
     * {@code clamp(roundHalfEven(float32((float32) acc * M)) + zp, qmin, qmax)} where
     * {@code M = m * 2^e} is the float32 scale split by {@link #significand} / {@link #exponent}.
     *
     * <p>How the float steps are reproduced (see NUMERICS.md, "Integer-only emulation"):
     * <ol>
     *   <li>{@code (float) acc}: round {@code acc} to 24 significant bits, ties to even
     *       (a no-op when {@code |acc| < 2^24});</li>
     *   <li>the exact product {@code a * m} fits a long ({@code |a| <= 2^31}, {@code m < 2^24});</li>
     *   <li>the float32 multiply rounds it to 24 significant bits, ties to even; {@code k} counts the
     *       dropped bits, so the float product is exactly {@code p' * 2^(e + k)};</li>
     *   <li>conversion to int ({@code cvtps2dq}, default MXCSR rounding) rounds {@code p' * 2^(e+k)}
     *       to the nearest integer, ties to even: a rounding right shift, or a left shift;</li>
     *   <li>clamp to {@code [qmin - zp, qmax - zp]} and add {@code zp} (computed in 64 bits, so the
     *       result is always in {@code [qmin, qmax]}).</li>
     * </ol>
     * Step 3 must not be merged into step 4: rounding {@code a * m * 2^e} once differs from ORT where
     * the float product lands on (or is rounded onto) a half-integer.
     *
     * <p>Range edges: when the float product would leave float32's normal range the emulation still
     * gives ORT's integer. A product below 2^-126 (where float32 turns denormal and keeps fewer than 24
     * bits) is far below 1/2 and converts to 0 however it is rounded; a product above the float32
     * maximum (ORT: infinity) or any shift past the clamp bounds saturates to the bound of its sign.
     * ORT clamps in float against {@code float(qmin - zp)}; for the 8- and 16-bit types the bounds are
     * exact floats and the two clamps agree, for wider ranges this function clamps exactly.
     *
     * @param acc the int32 accumulator (bias already added)
     * @param m   scale significand, {@code 0 <= m < 2^24}
     * @param e   scale exponent
     */
    public static int ortRequantize(int acc, int m, int e, int zp, int qmin, int qmax) {
        if (m < 0 || m >= (1 << FLOAT_SIGNIFICAND_BITS)) {
            throw new IllegalArgumentException("scale significand must be in [0, 2^24), got " + m);
        }
        if (qmin > qmax) {
            throw new IllegalArgumentException("qmin " + qmin + " > qmax " + qmax);
        }
        long lo = (long) qmin - zp;
        long hi = (long) qmax - zp;
        long r = roundScaledProduct(acc, m, e);
        r = Math.max(lo, Math.min(hi, r));
        return (int) (r + zp);
    }

    /**
     * {@code roundHalfEven(float32(float32(acc) * (m * 2^e)))} as a long, saturated to
     * {@code +-2^41} (beyond every int32 clamp bound) when larger.
     */
    private static long roundScaledProduct(int acc, int m, int e) {
        long a = roundToSignificantBits(acc, FLOAT_SIGNIFICAND_BITS);        // step 1: (float) acc
        long p = a * m;                                                      // step 2: exact, |p| < 2^55
        if (p == 0) {
            return 0;
        }
        long mag = Math.abs(p);
        int k = droppedBits(mag, FLOAT_SIGNIFICAND_BITS);                  // step 3: float32 product
        long sig = roundHalfEvenShiftRight(mag, k);                          // <= 2^24 (carry possible)
        long shift = (long) e + k;
        long rounded;
        if (shift >= 0) {                                                    // step 4: an integer already
            // Past 2^41 the value is beyond every clamp bound (|qmax - zp| <= 2^32): saturate.
            int length = 64 - Long.numberOfLeadingZeros(sig);
            rounded = shift + length > 41 ? 1L << 41 : sig << shift;
        } else {
            rounded = roundHalfEvenShiftRight(sig, (int) Math.min(-shift, 64));
        }
        return p < 0 ? -rounded : rounded;
    }

    // ---------------------------------------------------------------------------------------------
    // fixed-point mode (gemmlowp / TFLite)
    // ---------------------------------------------------------------------------------------------

    /**
     * gemmlowp's {@code SaturatingRoundingDoublingHighMul} (ARM {@code VQRDMULH}): the high 32 bits of
     * {@code 2 * a * b}, rounded. Reference: {@code nudge = ab >= 0 ? 2^30 : 1 - 2^30;
     * (ab + nudge) / 2^31} with C's truncating division. Worked out, that is
     * {@code floor(a * b / 2^31 + 1/2)} for every sign — ties go <em>up</em> (toward +infinity),
     * not away from zero, exactly like {@code VQRDMULH}'s {@code (2ab + 2^31) >> 32}.
     * The single overflowing input, {@code a == b == Integer.MIN_VALUE} (result 2^31), saturates to
     * {@code Integer.MAX_VALUE}.
     */
    public static int saturatingRoundingDoublingHighMul(int a, int b) {
        if (a == Integer.MIN_VALUE && b == Integer.MIN_VALUE) {
            return Integer.MAX_VALUE;
        }
        long ab = (long) a * b;
        long nudge = ab >= 0 ? (1L << 30) : 1 - (1L << 30);
        return (int) ((ab + nudge) / (1L << 31));   // Java's long division truncates, as C++'s does
    }

    /**
     * gemmlowp's {@code RoundingDivideByPOT}: {@code x / 2^exponent} rounded to nearest, ties away from
     * zero (the remainder is compared against a threshold that is one larger for negative {@code x}).
     *
     * @param exponent in {@code [0, 31]}, as gemmlowp asserts
     */
    public static int roundingDivideByPOT(int x, int exponent) {
        if (exponent < 0 || exponent > 31) {
            throw new IllegalArgumentException("RoundingDivideByPOT exponent must be in [0, 31], got " + exponent);
        }
        int mask = (int) ((1L << exponent) - 1);
        int remainder = x & mask;
        int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> exponent) + (remainder > threshold ? 1 : 0);
    }

    /**
     * TFLite's {@code MultiplyByQuantizedMultiplier(x, quantized_multiplier, shift)}: multiplies by
     * {@code M = m0 * 2^(shift - 31)} with {@code m0} a Q0.31 number in {@code [2^30, 2^31)}.
     *
     * <p>Shift convention (TFLite's): {@code shift > 0} is a <em>left</em> shift applied to {@code x}
     * before the high multiply (multipliers {@code >= 1}); {@code shift < 0} is a rounding
     * <em>right</em> shift of the product by {@code -shift} ({@link #roundingDivideByPOT}). So the
     * result is {@code RoundingDivideByPOT(SRDHM(x * 2^max(shift,0), m0), max(-shift,0))}: two
     * roundings when shifting right, which is where it departs from exactly rounded {@code x * M} by
     * at most 1.
     *
     * <p>Where TFLite's {@code x * (1 << left_shift)} overflows int32 (undefined behaviour in C++),
     * this function saturates it to the int32 range; such products are beyond {@code 2^30} in
     * magnitude and saturate any 8- or 16-bit output the same way.
     *
     * @param shift in {@code [-31, 31]}
     */
    public static int multiplyByQuantizedMultiplier(int x, int m0, int shift) {
        if (shift < -31 || shift > 31) {
            throw new IllegalArgumentException("shift must be in [-31, 31], got " + shift);
        }
        int leftShift = shift > 0 ? shift : 0;
        int rightShift = shift > 0 ? 0 : -shift;
        long shifted = (long) x << leftShift;                 // |x| < 2^31, leftShift <= 31: fits a long
        int xs = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, shifted));
        return roundingDivideByPOT(saturatingRoundingDoublingHighMul(xs, m0), rightShift);
    }

    /**
     * Fixed-point requantization of one accumulator:
     * {@code clamp(multiplyByQuantizedMultiplier(acc, m0, shift) + zp, qmin, qmax)}, with the zero
     * point added in 64 bits so it cannot wrap.
     */
    public static int fixedPointRequantize(int acc, int m0, int shift, int zp, int qmin, int qmax) {
        if (qmin > qmax) {
            throw new IllegalArgumentException("qmin " + qmin + " > qmax " + qmax);
        }
        long r = (long) multiplyByQuantizedMultiplier(acc, m0, shift) + zp;
        return (int) Math.max(qmin, Math.min(qmax, r));
    }
}
