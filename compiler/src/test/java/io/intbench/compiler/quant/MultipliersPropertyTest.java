package io.intbench.compiler.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.quant.Multipliers.FixedPointMultiplier;
import io.intbench.compiler.quant.Multipliers.OrtScale;
import io.intbench.isa.Requant;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Randomized checks of {@link Multipliers} against exact arithmetic ({@link BigDecimal}) and against
 * float arithmetic carried out in double with a single final rounding.
 */
class MultipliersPropertyTest {

    /** Positive finite floats from their bits: all exponents, including denormals. */
    @Provide
    Arbitrary<Float> positiveFloats() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(1, 0x7F7FFFFF).map(Float::intBitsToFloat)),
                Tuple.of(2, Arbitraries.integers().between(1, 0x7FFFFF).map(Float::intBitsToFloat)),
                Tuple.of(1, Arbitraries.of(Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, 1f, 0x1.fffffep-1f)));
    }

    /** Quantization scales as models have them: 2^-20 .. 2^4. */
    @Provide
    Arbitrary<Float> typicalScales() {
        return Combinators.combine(Arbitraries.integers().between(127 - 20, 127 + 4),
                        Arbitraries.integers().between(0, (1 << 23) - 1))
                .as((b, f) -> Float.intBitsToFloat((b << 23) | f));
    }

    private static BigDecimal exact(OrtScale s) {
        BigDecimal m = new BigDecimal(s.m());
        return s.e() >= 0 ? m.multiply(new BigDecimal(2).pow(s.e())) : m.divide(new BigDecimal(2).pow(-s.e()));
    }

    @Property(tries = 10000)
    void ortScaleRoundTripsExactly(@ForAll("positiveFloats") float multiplier) {
        OrtScale s = OrtScale.of(multiplier);
        assertEquals(0, exact(s).compareTo(new BigDecimal(multiplier)), () -> s + " vs " + multiplier);
        assertEquals(Float.floatToRawIntBits(multiplier), Float.floatToRawIntBits(s.value()));
        if (multiplier >= Float.MIN_NORMAL) {
            assertTrue(s.m() >= (1 << 23) && s.m() < (1 << 24), s::toString);
        } else {
            assertEquals(-149, s.e());
        }
    }

    /**
     * Reference: each float32 operation done in double and rounded to float once. A product of two
     * floats is exact in double; for the quotient, rounding to double first and then to float is
     * innocuous because 53 >= 2 * 24 + 2 (Figueroa, "When is double rounding innocuous?", 1995).
     */
    @Property(tries = 10000)
    void convGemmAndGapScalesFollowOrtsOperationOrder(@ForAll("typicalScales") float x, @ForAll("typicalScales") float w,
                                                       @ForAll("typicalScales") float y, @ForAll("typicalScales") float alpha,
                                                       @ForAll @IntRange(min = 1, max = 1 << 20) int n) {
        float xw = (float) ((double) x * w);
        assertEquals((float) ((double) xw / y), Multipliers.ortConvScale(x, w, y));
        float axw = (float) ((double) (float) ((double) alpha * x) * w);
        assertEquals((float) ((double) axw / y), Multipliers.ortGemmScale(alpha, x, w, y));
        float yn = (float) ((double) y * n);
        float gap = (float) ((double) x / yn);
        if (gap >= 0x1p-32f && gap < 256f) {
            assertEquals(gap, Multipliers.ortGapScale(x, y, n));
        }
    }

    /** The compile-time split feeds the run-time emulation: end to end against float32 arithmetic. */
    @Property(tries = 10000)
    void convScaleThroughOrtRequantizeEqualsFloat32(@ForAll("typicalScales") float x, @ForAll("typicalScales") float w,
                                                     @ForAll("typicalScales") float y, @ForAll int acc,
                                                     @ForAll @IntRange(min = 0, max = 255) int zp) {
        float m = Multipliers.ortConvScale(x, w, y);
        OrtScale s = OrtScale.of(m);
        double expected = Math.max(0, Math.min(255, Math.rint((float) acc * m) + zp));
        assertEquals((int) expected, Requant.ortRequantize(acc, s.m(), s.e(), zp, 0, 255));
    }

    @Provide
    Arbitrary<Double> fixedPointMultipliers() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.doubles().between(-32, 30.999).ofScale(6).map(l -> Math.pow(2, l))),
                Tuple.of(2, Arbitraries.doubles().between(1e-6, 1.0).ofScale(12)),
                Tuple.of(1, Arbitraries.integers().between(-32, 30).map(k -> Math.scalb(1.0, k))),
                // just below a power of two: the rounding carries into the next exponent
                Tuple.of(1, Arbitraries.integers().between(-31, 30).map(k -> Math.scalb(1 - 0x1p-40, k))));
    }

    /**
     * Convention: {@code M ~= m0 * 2^(shift - 31)} with {@code m0} in {@code [2^30, 2^31)}; the
     * relative error is at most {@code 2^-31} (half a unit of the 31-bit significand over a
     * significand of at least 2^30).
     */
    @Property(tries = 10000)
    void quantizeMultiplierIsWithinTwoToMinus31Relative(@ForAll("fixedPointMultipliers") double multiplier) {
        FixedPointMultiplier q = FixedPointMultiplier.quantizeMultiplier(multiplier);
        if (multiplier < 0x1p-32) {
            // below 2^-32 TFLite flushes to zero, unless rounding carries it up to exactly 2^-32
            assertTrue(q.m0() == 0 && q.shift() == 0 || q.value() == 0x1p-32, q::toString);
            return;
        }
        assertTrue(q.m0() >= (1 << 30), q::toString);
        assertTrue(q.shift() >= -31 && q.shift() <= 31, q::toString);
        BigDecimal exactValue = new BigDecimal(q.m0()).multiply(new BigDecimal(2).pow(q.shift() + 40))
                .divide(new BigDecimal(2).pow(71));
        BigDecimal error = exactValue.subtract(new BigDecimal(multiplier)).abs();
        BigDecimal bound = new BigDecimal(multiplier).divide(new BigDecimal(2).pow(31));
        assertTrue(error.compareTo(bound) <= 0, () -> q + " for " + multiplier + ": error " + error);
        // the nearest representable value: one step of m0 further away is never closer
        BigDecimal step = new BigDecimal(2).pow(q.shift() + 40).divide(new BigDecimal(2).pow(71));
        assertTrue(error.compareTo(step.divide(new BigDecimal(2))) <= 0);
    }

    @Provide
    Arbitrary<Float> biases() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.floats().between(-10f, 10f)),
                Tuple.of(1, Arbitraries.floats().between(-1e6f, 1e6f)),
                Tuple.of(1, Arbitraries.of(0f, -0f, 1e-30f, 1e30f, -1e30f)));
    }

    /**
     * Reference: numpy's steps with BigDecimal for the rounding and clipping — float32 scale product,
     * float64 quotient, round half to even, clip to int32.
     */
    @Property(tries = 10000)
    void quantizeBiasFollowsQuantizeStatic(@ForAll("biases") float bias, @ForAll("typicalScales") float x,
                                           @ForAll("typicalScales") float w) {
        float biasScale = (float) ((double) x * w);
        double quotient = (double) bias / (double) biasScale;
        BigDecimal rounded = new BigDecimal(quotient).setScale(0, RoundingMode.HALF_EVEN);
        long expected = rounded.max(BigDecimal.valueOf(Integer.MIN_VALUE))
                .min(BigDecimal.valueOf(Integer.MAX_VALUE)).longValueExact();
        assertEquals(expected, Multipliers.quantizeBias(bias, x, w));
    }

    /** Exact half-integer quotients (power-of-two scales) go to the even neighbour. */
    @Property(tries = 5000)
    void quantizeBiasTiesGoToEven(@ForAll @IntRange(min = -1 << 20, max = 1 << 20) int k,
                                  @ForAll @IntRange(min = 1, max = 20) int a, @ForAll @IntRange(min = 1, max = 20) int b) {
        float x = Math.scalb(1f, -a), w = Math.scalb(1f, -b);
        float bias = Math.scalb((float) (2 * k + 1), -a - b - 1);       // (k + 1/2) * x * w, exact
        BigDecimal half = new BigDecimal(2 * k + 1).divide(new BigDecimal(2), MathContext.DECIMAL64);
        long expected = half.setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        assertEquals(expected, Multipliers.quantizeBias(bias, x, w));
        assertEquals(0, expected % 2);
    }
}
