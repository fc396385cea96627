package io.intbench.compiler.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import net.jqwik.api.statistics.Statistics;

/**
 * Bias quantization {@code clip(round_half_even(b / (sx·sw)), int32)} where
 * {@link MultipliersPropertyTest} leaves gaps: quotients at the int32 clipping edges (both signs, a
 * few units either side, and the half-integer ties just above {@code 2^31 − 1} and below
 * {@code −2^31}), and a comparison with the <em>exactly</em> rounded rational quotient, which must agree
 * except where numpy's float64 division puts the quotient within one double rounding of a tie.
 * References: {@link BigDecimal}; the float32 bias scale is the one documented product
 * {@code float(sx · sw)}.
 */
class BiasQuantizationPropertyTest {

    private static final BigDecimal INT_MIN = BigDecimal.valueOf(Integer.MIN_VALUE);
    private static final BigDecimal INT_MAX = BigDecimal.valueOf(Integer.MAX_VALUE);

    /** Scales and a target quotient; the bias is the float nearest {@code target · float(sx · sw)}. */
    record Case(float sx, float sw, double target) {
        float biasScale() {
            return (float) ((double) sx * sw);                       // exact double product, one float rounding
        }

        float bias() {
            return (float) (target * biasScale());
        }
    }

    @Provide
    Arbitrary<Float> scales() {
        return Combinators.combine(Arbitraries.integers().between(127 - 16, 127 + 2),
                        Arbitraries.integers().between(0, (1 << 23) - 1))
                .as((b, f) -> Float.intBitsToFloat((b << 23) | f));
    }

    @Provide
    Arbitrary<Double> targets() {
        double max = Integer.MAX_VALUE;
        double min = Integer.MIN_VALUE;
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.doubles().between(-4, 4).map(d -> max + d)),
                Tuple.of(3, Arbitraries.doubles().between(-4, 4).map(d -> min + d)),
                Tuple.of(2, Arbitraries.of(max + 0.5, max - 0.5, max + 1, min - 0.5, min + 0.5, min - 1, max * 4, min * 4)),
                Tuple.of(2, Arbitraries.doubles().between(-1e12, 1e12)),
                Tuple.of(2, Arbitraries.doubles().between(-1e4, 1e4)));
    }

    @Provide
    Arbitrary<Case> cases() {
        return Combinators.combine(scales(), scales(), targets()).as(Case::new);
    }

    /** numpy's steps: float32 bias scale, float64 quotient, round half to even, clip to int32. */
    private static long reference(float bias, float biasScale) {
        double quotient = (double) bias / (double) biasScale;            // numpy float64 true division
        BigDecimal rounded = new BigDecimal(quotient).setScale(0, RoundingMode.HALF_EVEN);
        return rounded.max(INT_MIN).min(INT_MAX).longValueExact();
    }

    @Property(tries = 10000)
    void biasAtTheInt32EdgesFollowsNumpy(@ForAll("cases") Case c) {
        float bias = c.bias();
        if (!Float.isFinite(bias)) {
            return;
        }
        long expected = reference(bias, c.biasScale());
        int got = Multipliers.quantizeBias(bias, c.sx(), c.sw());
        assertEquals(expected, got, c::toString);
        Statistics.label("result").collect(got == Integer.MAX_VALUE ? "INT32_MAX" : got == Integer.MIN_VALUE ? "INT32_MIN"
                : "inside");
        Statistics.label("result").coverage(cov -> {
            cov.check("INT32_MAX").count(n -> n > 500);
            cov.check("INT32_MIN").count(n -> n > 500);
        });
    }

    /**
     * Against the exact rational quotient {@code b / float(sx·sw)}: the result is its round-half-even
     * (clipped), unless the quotient lies within one float64 rounding (a relative 2^-52) of a
     * half-integer — only there may numpy's intermediate rounding to double change the outcome — and
     * even then by at most 1.
     */
    @Property(tries = 10000)
    void biasEqualsTheExactlyRoundedQuotientAwayFromTies(@ForAll("cases") Case c) {
        float bias = c.bias();
        if (!Float.isFinite(bias)) {
            return;
        }
        BigDecimal exact = new BigDecimal(bias).divide(new BigDecimal(c.biasScale()), new MathContext(80, RoundingMode.HALF_EVEN));
        long exactlyRounded = exact.setScale(0, RoundingMode.HALF_EVEN).max(INT_MIN).min(INT_MAX).longValueExact();
        int got = Multipliers.quantizeBias(bias, c.sx(), c.sw());
        BigDecimal fraction = exact.subtract(exact.setScale(0, RoundingMode.FLOOR));
        BigDecimal distanceToTie = fraction.subtract(new BigDecimal("0.5")).abs();
        BigDecimal doubleRounding = exact.abs().multiply(new BigDecimal(0x1p-52));
        if (distanceToTie.compareTo(doubleRounding) > 0) {
            assertEquals(exactlyRounded, got, c::toString);
        } else {
            assertTrue(Math.abs(exactlyRounded - got) <= 1, c::toString);
        }
    }
}
