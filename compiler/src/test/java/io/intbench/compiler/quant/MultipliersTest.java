package io.intbench.compiler.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.quant.Multipliers.FixedPointMultiplier;
import io.intbench.compiler.quant.Multipliers.OrtScale;
import org.junit.jupiter.api.Test;

/**
 * Worked examples for {@link Multipliers}. The operand values where operation order matters were
 * found by a random search over typical scales; the expected floats are ORT's expression evaluated
 * in float32, and the alternative order is shown to give a different float.
 */
class MultipliersTest {

    @Test
    void ortScaleSplitsNormalDenormalAndZero() {
        assertEquals(new OrtScale(1 << 23, -23), OrtScale.of(1f));
        assertEquals(new OrtScale(3 << 22, -24), OrtScale.of(0.75f));
        assertEquals(new OrtScale(1, -149), OrtScale.of(Float.MIN_VALUE));
        assertEquals(new OrtScale(0, -149), OrtScale.of(0f));
        assertEquals(new OrtScale(0, -149), OrtScale.of(-0f));
        assertEquals(new OrtScale(0xFFFFFF, 104), OrtScale.of(Float.MAX_VALUE));
        assertEquals(0.75f, new OrtScale(3 << 22, -24).value());
    }

    @Test
    void ortScaleRefusesNegativeNanAndInfinity() {
        for (float bad : new float[] {-1e-3f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OrtScale.of(bad));
            assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new OrtScale(1 << 23, -150));
        assertThrows(IllegalArgumentException.class, () -> new OrtScale(5, -20));      // denormal significand, wrong e
        assertThrows(IllegalArgumentException.class, () -> new OrtScale(1 << 24, 0));
    }

    @Test
    void convScaleIsLeftToRightFloat32() {
        float x = 0x1.1adf3p-5f, w = 0x1.46c9aap-7f, y = 0x1.591fcep-4f;
        assertEquals(0x1.0bd7c2p-8f, Multipliers.ortConvScale(x, w, y));
        assertEquals(0x1.0bd7c4p-8f, x * (w / y));          // the other order rounds differently
    }

    @Test
    void gemmScaleMultipliesAlphaFirstThenDivides() {
        float alpha = 0x1.b255a6p-1f, a = 0x1.7d36dcp-5f, b = 0x1.e4020ep-8f, y = 0x1.5bd1e2p-4f;
        assertEquals(0x1.c20276p-9f, Multipliers.ortGemmScale(alpha, a, b, y));
        assertEquals(0x1.c20278p-9f, alpha * (a * b / y));
        assertEquals(Multipliers.ortConvScale(a, b, y), Multipliers.ortGemmScale(1f, a, b, y));
    }

    @Test
    void gapScaleDividesByYScaleTimesCount() {
        float x = 0x1.6f3dp-5f, y = 0x1.423a3p-4f;
        assertEquals(0x1.59ca1ep-8f, Multipliers.ortGapScale(x, y, 108));
        assertNotEquals(0x1.59ca1ep-8f, x / y / 108);
    }

    @Test
    void gapScaleRefusesWhatOrtRejects() {
        assertThrows(IllegalArgumentException.class, () -> Multipliers.ortGapScale(1f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> Multipliers.ortGapScale(1f, 1f, 1 << 24));
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> Multipliers.ortGapScale(256f, 1f, 1));
        assertTrue(big.getMessage().contains("256"), big.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Multipliers.ortGapScale(0x1p-40f, 1f, 1));
        assertEquals(0x1p-32f, Multipliers.ortGapScale(0x1p-32f, 1f, 1));
        assertEquals(0x1.fffffep7f, Multipliers.ortGapScale(0x1.fffffep7f, 1f, 1));
    }

    @Test
    void quantizeMultiplierExamples() {
        assertEquals(new FixedPointMultiplier(1 << 30, 0), FixedPointMultiplier.quantizeMultiplier(0.5));
        assertEquals(new FixedPointMultiplier(1 << 30, 1), FixedPointMultiplier.quantizeMultiplier(1.0));
        assertEquals(new FixedPointMultiplier(3 << 29, -2), FixedPointMultiplier.quantizeMultiplier(0.1875));
        // q * 2^31 rounds up to 2^31: the carry gives (2^30, shift + 1)
        assertEquals(new FixedPointMultiplier(1 << 30, 1), FixedPointMultiplier.quantizeMultiplier(1 - 0x1p-40));
        // round(q * 2^31) half away from zero: q = 0.5 + 2^-32 -> 2^30 + 0.5 -> 2^30 + 1
        assertEquals(new FixedPointMultiplier((1 << 30) + 1, 0), FixedPointMultiplier.quantizeMultiplier(0.5 + 0x1p-32));
        assertEquals(new FixedPointMultiplier(0, 0), FixedPointMultiplier.quantizeMultiplier(0));
        assertEquals(new FixedPointMultiplier(1 << 30, -31), FixedPointMultiplier.quantizeMultiplier(0x1p-32));
        assertEquals(new FixedPointMultiplier(0, 0), FixedPointMultiplier.quantizeMultiplier(0x1.fffffp-34));
        assertEquals(new FixedPointMultiplier(0, 0), FixedPointMultiplier.quantizeMultiplier(Double.MIN_VALUE));
        assertEquals(new FixedPointMultiplier(1 << 30, 31), FixedPointMultiplier.quantizeMultiplier(0x1p30));
        assertThrows(IllegalArgumentException.class, () -> FixedPointMultiplier.quantizeMultiplier(0x1p31));
        assertThrows(IllegalArgumentException.class, () -> FixedPointMultiplier.quantizeMultiplier(0x1p31 - 0x1p-21));
        assertThrows(IllegalArgumentException.class, () -> FixedPointMultiplier.quantizeMultiplier(-0.5));
        assertThrows(IllegalArgumentException.class, () -> FixedPointMultiplier.quantizeMultiplier(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new FixedPointMultiplier(5, 0));
    }

    /**
     * Bias quantization uses the float32 product x_scale * w_scale, then a float64 division. With a
     * float64 product these inputs would round the other way (ratios -84379.498..., 5847.49996...).
     */
    @Test
    void quantizeBiasUsesFloat32BiasScale() {
        float b = -0x1.dac488p0f, x = 0x1.4a1f28p-6f, w = 0x1.1df33p-10f;
        assertEquals(-84379, Multipliers.quantizeBias(b, x, w));
        assertEquals(-84380.0, Math.rint(b / ((double) x * (double) w)));
        assertEquals(5847, Multipliers.quantizeBias(0x1.17bb4cp0f, 0x1.d2b1ap-5f, 0x1.adee7p-9f));
    }

    @Test
    void quantizeBiasRoundsHalfToEvenAndClips() {
        assertEquals(2, Multipliers.quantizeBias(2.5f * 0.25f, 0.5f, 0.5f));     // 2.5 -> 2
        assertEquals(4, Multipliers.quantizeBias(3.5f * 0.25f, 0.5f, 0.5f));     // 3.5 -> 4
        assertEquals(-2, Multipliers.quantizeBias(-2.5f * 0.25f, 0.5f, 0.5f));
        assertEquals(Integer.MAX_VALUE, Multipliers.quantizeBias(1e30f, 1e-3f, 1e-3f));
        assertEquals(Integer.MIN_VALUE, Multipliers.quantizeBias(-1e30f, 1e-3f, 1e-3f));
        assertThrows(IllegalArgumentException.class, () -> Multipliers.quantizeBias(1f, 0f, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> Multipliers.quantizeBias(1f, 1e-30f, 1e-30f)); // underflows to 0
        assertThrows(IllegalArgumentException.class, () -> Multipliers.quantizeBias(Float.NaN, 1f, 1f));
    }
}
