package io.intbench.compiler.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.quant.Multipliers.FixedPointMultiplier;
import java.math.BigDecimal;
import java.math.BigInteger;
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
 * {@link FixedPointMultiplier#quantizeMultiplier} over its whole input range — multipliers of 1 and
 * above (left shifts), tiny ones down to 2^-45 and below, the edges where rounding carries into the
 * next power of two, exact rounding ties — against a reference written here with {@link BigDecimal}
 * from the documented algorithm (TFLite's {@code QuantizeMultiplier} plus the class's refusals):
 * <ol>
 *   <li>{@code M = q · 2^s} with {@code q} in {@code [1/2, 1)}, found by exact comparisons;</li>
 *   <li>{@code m0 = round_half_away(q · 2^31)}; if that is {@code 2^31}: {@code m0 = 2^30, s + 1};</li>
 *   <li>{@code s < -31}: flushed to {@code (0, 0)} (TFLite: "flush denormals to zero");</li>
 *   <li>{@code s > 31}: refused with {@link IllegalArgumentException} (fixed-point mode supports
 *       multipliers below 2^31);</li>
 * </ol>
 * and then, wherever a multiplier is returned: {@code m0} in {@code [2^30, 2^31)}, shift in
 * {@code [-31, 31]} and {@code |m0 · 2^(shift-31) − M| <= 2^-31 · M}.
 */
class QuantizeMultiplierRangePropertyTest {

    private static final BigDecimal TWO = BigDecimal.valueOf(2);

    /** 2^n exactly; for n < 0 as 5^-n / 10^-n. */
    private static BigDecimal pow2(int n) {
        return n >= 0 ? new BigDecimal(BigInteger.ONE.shiftLeft(n)) : BigDecimal.valueOf(5).pow(-n).scaleByPowerOfTen(n);
    }

    /** What the documented algorithm gives: (m0, shift), or null where it must refuse. */
    private static long[] reference(double multiplier) {
        BigDecimal m = new BigDecimal(multiplier);               // exact
        if (m.signum() == 0) {
            return new long[] {0, 0};
        }
        // find s with 2^(s-1) <= M < 2^s: start from the binary exponent, then verify exactly
        int s = Math.getExponent(multiplier) + 1;
        while (m.compareTo(pow2(s)) >= 0) {
            s++;
        }
        while (m.compareTo(pow2(s - 1)) < 0) {
            s--;
        }
        BigDecimal scaled = m.multiply(pow2(31 - s));            // q * 2^31, in [2^30, 2^31)
        long m0 = scaled.setScale(0, RoundingMode.HALF_UP).longValueExact();   // positive: half up = half away
        if (m0 == 1L << 31) {
            m0 = 1L << 30;
            s++;
        }
        if (s < -31) {
            return new long[] {0, 0};
        }
        if (s > 31) {
            return null;
        }
        return new long[] {m0, s};
    }

    @Provide
    Arbitrary<Double> multipliers() {
        Arbitrary<Double> significand = Arbitraries.doubles().between(1.0, 2.0).ofScale(15);
        return Arbitraries.frequencyOf(
                // anything from 2^-45 to 2^35: both refusal and flush edges inside
                Tuple.of(6, Combinators.combine(Arbitraries.integers().between(-45, 35), significand)
                        .as((e, f) -> Math.scalb(f, e))),
                // multipliers >= 1 (left shifts), the range ReLU6-style requantizations of small scales reach
                Tuple.of(3, Combinators.combine(Arbitraries.integers().between(0, 31), significand)
                        .as((e, f) -> Math.scalb(f, e))),
                // exact powers of two
                Tuple.of(2, Arbitraries.integers().between(-45, 35).map(e -> Math.scalb(1.0, e))),
                // just below a power of two: the 31-bit rounding carries into the next exponent
                Tuple.of(2, Combinators.combine(Arbitraries.integers().between(-45, 35),
                                Arbitraries.integers().between(1, 1 << 20))
                        .as((e, ulps) -> Math.scalb(1.0 - ulps * 0x1p-53, e))),
                // exact ties of the 31-bit rounding: (n + 1/2) * 2^(e-31), n in [2^30, 2^31)
                Tuple.of(2, Combinators.combine(Arbitraries.integers().between(-45, 35),
                                Arbitraries.longs().between(1L << 30, (1L << 31) - 1))
                        .as((e, n) -> Math.scalb(n + 0.5, e - 31))),
                // very small (down to double's denormals), zero
                Tuple.of(1, Arbitraries.of(0.0, Double.MIN_VALUE, Double.MIN_NORMAL, 0x1p-40, 0x1p-32, 0x1p-33,
                        Math.nextDown(0x1p-32), 0x1p-32 * (1 - 0x1p-33), 0x1p-32 * (1 - 0x1p-31), 1.0, Math.nextDown(1.0),
                        0x1p31, Math.nextDown(0x1p31), 0x1p31 * (1 - 0x1p-32), 0x1p31 * (1 - 0x1p-30), 0x1p30, 1e300)));
    }

    @Property(tries = 20000)
    void quantizeMultiplierFollowsTheDocumentedAlgorithmEverywhere(@ForAll("multipliers") double multiplier) {
        long[] ref = reference(multiplier);
        if (ref == null) {
            Statistics.label("outcome").collect("refused (>= 2^31 after rounding)");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FixedPointMultiplier.quantizeMultiplier(multiplier), () -> "M=" + multiplier);
            assertTrue(e.getMessage().contains("multipliers below 2^31"), e.getMessage());
            assertTrue(e.getMessage().contains(Double.toString(multiplier)), e.getMessage());
            return;
        }
        FixedPointMultiplier q = FixedPointMultiplier.quantizeMultiplier(multiplier);
        assertEquals(ref[0], q.m0(), () -> "m0 for M=" + multiplier + " (" + Double.toHexString(multiplier) + ")");
        assertEquals(ref[1], q.shift(), () -> "shift for M=" + multiplier + " (" + Double.toHexString(multiplier) + ")");
        if (ref[0] == 0) {
            Statistics.label("outcome").collect("flushed to zero (< 2^-32)");
            return;
        }
        Statistics.label("outcome").collect(multiplier >= 1 ? "M >= 1 (left shift)" : "M < 1");
        assertTrue(q.m0() >= 1 << 30, q::toString);
        assertTrue(q.shift() >= -31 && q.shift() <= 31, q::toString);
        BigDecimal m = new BigDecimal(multiplier);
        BigDecimal represented = new BigDecimal(q.m0()).multiply(pow2(q.shift() - 31));
        BigDecimal error = represented.subtract(m).abs();
        assertTrue(error.compareTo(m.multiply(pow2(-31))) <= 0,
                () -> q + " represents " + represented + " for M=" + m + ": relative error above 2^-31");
        Statistics.label("outcome").coverage(cov -> {
            cov.check("refused (>= 2^31 after rounding)").count(n -> n > 100);
            cov.check("flushed to zero (< 2^-32)").count(n -> n > 100);
            cov.check("M >= 1 (left shift)").count(n -> n > 1000);
        });
    }

    /**
     * The exact flush threshold: 2^-32 is the smallest multiplier kept, and values below it are
     * flushed — unless the 31-bit rounding carries them up to exactly 2^-32, which happens from
     * {@code (2^31 - 1/2) · 2^-63} on.
     */
    @Property(tries = 2000)
    void flushThresholdIsTwoToMinus32(@ForAll("belowTwoToMinus32") double multiplier) {
        FixedPointMultiplier q = FixedPointMultiplier.quantizeMultiplier(multiplier);
        boolean carries = new BigDecimal(multiplier).compareTo(
                new BigDecimal((1L << 31)).subtract(new BigDecimal("0.5")).multiply(pow2(-63))) >= 0;
        if (carries) {
            assertEquals(new FixedPointMultiplier(1 << 30, -31), q, () -> "M=" + Double.toHexString(multiplier));
            assertEquals(0x1p-32, q.value());
        } else {
            assertEquals(new FixedPointMultiplier(0, 0), q, () -> "M=" + Double.toHexString(multiplier));
        }
    }

    @Provide
    Arbitrary<Double> belowTwoToMinus32() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Combinators.combine(Arbitraries.integers().between(-45, -33),
                                Arbitraries.doubles().between(1.0, 2.0).ofScale(15))
                        .as((e, f) -> Math.min(Math.scalb(f, e), Math.nextDown(0x1p-32)))),
                Tuple.of(3, Arbitraries.integers().between(1, 1 << 24).map(ulps -> 0x1p-32 - ulps * 0x1p-85)),
                Tuple.of(1, Arbitraries.of(0x1p-33, 0x1p-40, 0x1p-32 - 0x1p-64, 0x1p-32 - 0x1p-64 - 0x1p-85,
                        0x1p-32 - 0x1p-64 + 0x1p-85)));
    }
}
