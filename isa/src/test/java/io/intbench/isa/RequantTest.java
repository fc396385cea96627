package io.intbench.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Hand-worked examples for {@link Requant}; the randomized comparisons against independent
 * references are in {@link RequantPropertyTest}.
 */
class RequantTest {

    private static final int MIN = Integer.MIN_VALUE;
    private static final int MAX = Integer.MAX_VALUE;

    private static int ort(int acc, float scale, int zp, int qmin, int qmax) {
        int bits = Float.floatToRawIntBits(scale);
        return Requant.ortRequantize(acc, Requant.significand(bits), Requant.exponent(bits), zp, qmin, qmax);
    }

    @Test
    void ortRoundsExactHalvesToEven() {
        assertEquals(2, ort(3, 0.5f, 0, MIN, MAX));    // 1.5 -> 2
        assertEquals(2, ort(5, 0.5f, 0, MIN, MAX));    // 2.5 -> 2
        assertEquals(4, ort(7, 0.5f, 0, MIN, MAX));    // 3.5 -> 4
        assertEquals(-2, ort(-5, 0.5f, 0, MIN, MAX));  // -2.5 -> -2
        assertEquals(-2, ort(-3, 0.5f, 0, MIN, MAX));  // -1.5 -> -2
        assertEquals(0, ort(1, 0.5f, 0, MIN, MAX));    // 0.5 -> 0
        assertEquals(0, ort(-1, 0.5f, 0, MIN, MAX));   // -0.5 -> 0
    }

    @Test
    void ortClampsBeforeAddingZeroPoint() {
        assertEquals(255, ort(1000, 1f, 10, 0, 255));
        assertEquals(0, ort(-1000, 1f, 10, 0, 255));
        assertEquals(138, ort(256, 0.5f, 10, 0, 255));   // 128 + 10
        assertEquals(127, ort(256, 0.5f, 0, -128, 127));
        assertEquals(-128, ort(-1000, 0.25f, 5, -128, 127));
        assertEquals(7, ort(123456, 0f, 7, 0, 255));      // zero scale: only the zero point
    }

    /**
     * The float32 product lands on a half-integer although the exact product does not: ORT rounds the
     * product first (to -5.5, then ties to even: -6); rounding the exact product once would give -5.
     * Found by searching random (acc, M); the exact products are in the comments.
     */
    @Test
    void ortReproducesTheFloatProductsOwnRounding() {
        float m1 = Float.intBitsToFloat(0x3b21ffc5);     // -2225 * m1 = -5.49999995...
        assertEquals(-5.5f, -2225 * m1);
        assertEquals(-5.0, Math.rint((double) -2225 * m1));
        assertEquals(-6, ort(-2225, m1, 0, MIN, MAX));

        float m2 = Float.intBitsToFloat(0x3b6bf7a5);     // 6249 * m2 = 22.50000064...
        assertEquals(22.5f, 6249 * m2);
        assertEquals(23.0, Math.rint((double) 6249 * m2));
        assertEquals(22, ort(6249, m2, 0, MIN, MAX));
    }

    @Test
    void ortRoundsLargeAccumulatorsLikeIntToFloat() {
        // 2^24 + 1 is not a float: (float) gives 2^24 (tie to even), times 1 stays 2^24.
        assertEquals(1 << 24, ort((1 << 24) + 1, 1f, 0, MIN, MAX));
        assertEquals((1 << 24) + 4, ort((1 << 24) + 3, 1f, 0, MIN, MAX));
        // (float) Integer.MAX_VALUE is 2^31: saturates at the int32 clamp.
        assertEquals(MAX, ort(MAX, 1f, 0, MIN, MAX));
        assertEquals(MIN, ort(MIN, 1f, 0, MIN, MAX));
        assertEquals(1 << 30, ort(MAX, 0.5f, 0, MIN, MAX));
    }

    @Test
    void ortSaturatesHugeAndFlushesTinyScales() {
        assertEquals(255, ort(1, Float.MAX_VALUE, 0, 0, 255));
        assertEquals(0, ort(-1, Float.MAX_VALUE, 0, 0, 255));
        assertEquals(MAX, ort(MAX, Float.MAX_VALUE, 0, MIN, MAX));      // float: +infinity
        assertEquals(MIN, ort(-3, 3e38f, 0, MIN, MAX));
        assertEquals(0, ort(MAX, Float.MIN_VALUE, 0, MIN, MAX));        // denormal scale
        assertEquals(0, ort(MIN, 1e-10f, 0, MIN, MAX));
        assertEquals(12, ort(MAX, 0x1p-30f, 10, MIN, MAX));            // 2^31 * 2^-30 = 2, plus 10
    }

    @Test
    void significandAndExponentSplitTheFloat() {
        int one = Float.floatToRawIntBits(1f);
        assertEquals(1 << 23, Requant.significand(one));
        assertEquals(-23, Requant.exponent(one));
        int min = Float.floatToRawIntBits(Float.MIN_VALUE);
        assertEquals(1, Requant.significand(min));
        assertEquals(-149, Requant.exponent(min));
        int max = Float.floatToRawIntBits(Float.MAX_VALUE);
        assertEquals(0xFFFFFF, Requant.significand(max));
        assertEquals(104, Requant.exponent(max));                        // (2^24 - 1) * 2^104
        assertEquals(0, Requant.significand(Float.floatToRawIntBits(0f)));
        assertEquals(0, Requant.significand(Float.floatToRawIntBits(-0f)));
    }

    @Test
    void significandRejectsNonScales() {
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> Requant.significand(Float.floatToRawIntBits(Float.NaN)));
        assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
        IllegalArgumentException inf = assertThrows(IllegalArgumentException.class,
                () -> Requant.exponent(Float.floatToRawIntBits(Float.POSITIVE_INFINITY)));
        assertTrue(inf.getMessage().contains("infinity"), inf.getMessage());
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
                () -> Requant.significand(Float.floatToRawIntBits(-0.25f)));
        assertTrue(neg.getMessage().contains("negative"), neg.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Requant.ortRequantize(1, 1 << 24, 0, 0, 0, 255));
        assertThrows(IllegalArgumentException.class, () -> Requant.ortRequantize(1, 1, 0, 0, 255, 0));
    }

    @Test
    void roundingHelpers() {
        assertEquals(2, Requant.roundHalfEvenShiftRight(5, 1));    // 2.5
        assertEquals(4, Requant.roundHalfEvenShiftRight(7, 1));    // 3.5
        assertEquals(-2, Requant.roundHalfEvenShiftRight(-5, 1));  // -2.5
        assertEquals(-1, Requant.roundHalfEvenShiftRight(Long.MIN_VALUE, 63));
        assertEquals(0, Requant.roundHalfEvenShiftRight(Long.MIN_VALUE, 64));
        assertEquals(0, Requant.roundHalfEvenShiftRight(Long.MAX_VALUE, 200));
        assertEquals(1L << 24, Requant.roundToSignificantBits((1L << 24) + 1, 24));
        assertEquals((1L << 24) + 4, Requant.roundToSignificantBits((1L << 24) + 3, 24));
        assertEquals(-(1L << 25), Requant.roundToSignificantBits(-(1L << 25) + 1, 24));
        assertEquals(12345, Requant.roundToSignificantBits(12345, 24));
    }

    @Test
    void gemmlowpPrimitives() {
        assertEquals(MAX, Requant.saturatingRoundingDoublingHighMul(MIN, MIN));
        assertEquals(MIN + 1, Requant.saturatingRoundingDoublingHighMul(MIN, MAX));  // -(2^31 - 1)
        assertEquals(1, Requant.saturatingRoundingDoublingHighMul(1 << 30, 1));      // 0.5 -> 1
        assertEquals(0, Requant.saturatingRoundingDoublingHighMul(-(1 << 30), 1));   // -0.5 -> 0 (ties up)
        assertEquals(-1, Requant.saturatingRoundingDoublingHighMul(-(1 << 30), 3));  // -1.5 -> -1
        assertEquals(3, Requant.roundingDivideByPOT(5, 1));     // 2.5 -> 3 (away from zero)
        assertEquals(-3, Requant.roundingDivideByPOT(-5, 1));   // -2.5 -> -3
        assertEquals(-2, Requant.roundingDivideByPOT(-4, 1));
        assertEquals(-1, Requant.roundingDivideByPOT(MIN, 31));
        assertEquals(-1, Requant.roundingDivideByPOT(-(1 << 30), 31));   // -0.5 -> -1
        assertEquals(0, Requant.roundingDivideByPOT((1 << 30) - 1, 31));
        assertThrows(IllegalArgumentException.class, () -> Requant.roundingDivideByPOT(1, 32));
    }

    @Test
    void multiplyByQuantizedMultiplierShiftConvention() {
        // m0 = 2^30 is 0.5 in Q0.31; shift 0: M = 0.5, shift -2: M = 0.125, shift 3: M = 4.
        assertEquals(50, Requant.multiplyByQuantizedMultiplier(100, 1 << 30, 0));
        assertEquals(13, Requant.multiplyByQuantizedMultiplier(100, 1 << 30, -2));   // 12.5 -> 13, away from zero
        assertEquals(400, Requant.multiplyByQuantizedMultiplier(100, 1 << 30, 3));
        // MAX * 2^31 saturates to MAX before the high multiply: (2^31-1)^2 / 2^31 rounds to 2^31 - 2.
        assertEquals(MAX - 1, Requant.multiplyByQuantizedMultiplier(MAX, MAX, 31));
        assertEquals(255, Requant.fixedPointRequantize(1 << 20, 1 << 30, 5, 3, 0, 255));
        assertEquals(53, Requant.fixedPointRequantize(100, 1 << 30, 0, 3, 0, 255));
        assertThrows(IllegalArgumentException.class, () -> Requant.multiplyByQuantizedMultiplier(1, 1 << 30, 32));
    }
}
