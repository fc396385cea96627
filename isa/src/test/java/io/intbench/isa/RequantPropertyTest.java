package io.intbench.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import net.jqwik.api.constraints.IntRange;
import org.apache.commons.math3.fraction.BigFraction;

/**
 * Randomized comparisons of {@link Requant} against references that do not share its code:
 * Java float arithmetic (IEEE-754 binary32, which ONNX Runtime's SSE requantizer also uses) for the
 * {@code ort} mode, and exact rational arithmetic ({@link BigFraction}) for the gemmlowp primitives.
 * Generators deliberately over-weight the edges: accumulators beyond 2^24 and next to the int32
 * limits, tiny / denormal / huge / zero scales, and products constructed to be exact ties.
 */
class RequantPropertyTest {

    private static final int MIN = Integer.MIN_VALUE;
    private static final int MAX = Integer.MAX_VALUE;

    /** One output range: zero point and clamp bounds. */
    record Range(int zp, int qmin, int qmax) {
    }

    /** An accumulator and a scale whose product is (or, after float rounding, is near) a half-integer. */
    record TieCase(int acc, float scale) {
    }

    // ---------------------------------------------------------------------------------------------
    // Generators
    // ---------------------------------------------------------------------------------------------

    @Provide
    Arbitrary<Integer> accumulators() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.integers().between(-4096, 4096)),
                Tuple.of(3, Arbitraries.integers()),
                Tuple.of(2, Arbitraries.integers().between(1 << 24, MAX)),
                Tuple.of(2, Arbitraries.integers().between(MIN, -(1 << 24))),
                Tuple.of(1, Arbitraries.integers().between(MAX - 512, MAX)),
                Tuple.of(1, Arbitraries.integers().between(MIN, MIN + 512)),
                // integers that are not floats and sit on a float tie (odd multiples of 2^(k-1) above 2^(24+k-1))
                Tuple.of(1, Combinators.combine(Arbitraries.integers().between(1, 7),
                                Arbitraries.integers().between(1 << 23, (1 << 24) - 1))
                        .as((k, s) -> (s * 2 + 1) << (k - 1))),
                Tuple.of(1, Arbitraries.of(0, 1, -1, MIN, MAX, MIN + 1, MAX - 1, 1 << 24, (1 << 24) + 1,
                        -(1 << 24) - 1, (1 << 24) + 3, (1 << 25) + 2, (1 << 25) + 6, 1 << 30, -(1 << 30))));
    }

    /** Positive finite float32 scales from every part of the format, built from their bits. */
    @Provide
    Arbitrary<Float> scales() {
        Arbitrary<Integer> fraction = Arbitraries.integers().between(0, (1 << 23) - 1);
        return Arbitraries.frequencyOf(
                Tuple.of(5, floatsWithBiasedExponent(127 - 20, 127 + 3, fraction)),     // typical: 1e-6 .. 16
                Tuple.of(2, floatsWithBiasedExponent(1, 127 - 30, fraction)),           // tiny, down to 1e-38
                Tuple.of(1, floatsWithBiasedExponent(0, 0, fraction)),                  // denormal
                Tuple.of(2, floatsWithBiasedExponent(127 + 10, 254, fraction)),         // huge: 1e3 .. MAX
                Tuple.of(2, floatsWithBiasedExponent(90, 150, Arbitraries.just(0))),   // powers of two
                Tuple.of(2, floatsWithBiasedExponent(100, 140,                          // few significant bits
                        Arbitraries.integers().between(0, 63).map(f -> f << 17))),
                Tuple.of(1, Arbitraries.of(0f, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, 1f, 0.5f,
                        1e-10f, 1e4f, 0x1p-31f, 0x1p-32f, 0x1.fffffep-1f, 0.0039215689f)));
    }

    private static Arbitrary<Float> floatsWithBiasedExponent(int lo, int hi, Arbitrary<Integer> fraction) {
        return Combinators.combine(Arbitraries.integers().between(lo, hi), fraction)
                .as((b, f) -> Float.intBitsToFloat((b << 23) | f));
    }

    @Provide
    Arbitrary<Range> ranges() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(0, 255).map(zp -> new Range(zp, 0, 255))),
                Tuple.of(3, Arbitraries.integers().between(-128, 127).map(zp -> new Range(zp, -128, 127))),
                Tuple.of(1, Arbitraries.integers().between(-32768, 32767).map(zp -> new Range(zp, -32768, 32767))),
                Tuple.of(2, Arbitraries.integers().map(zp -> new Range(zp, MIN, MAX))),
                Tuple.of(1, Arbitraries.just(new Range(0, MIN, MAX))),
                Tuple.of(1, Combinators.combine(Arbitraries.integers(), Arbitraries.integers(), Arbitraries.integers())
                        .as((zp, a, b) -> new Range(zp, Math.min(a, b), Math.max(a, b)))));
    }

    /**
     * {@code acc = a * 2^(s-1)} and {@code scale = m * 2^-s} with {@code a}, {@code m} odd: the exact
     * product {@code a * m / 2} is a half-integer. When {@code a * m} has more than 24 significant
     * bits the float product is rounded first and lands near (or onto) the tie: the double-rounding
     * trap that step 3 of the emulation exists for.
     */
    @Provide
    Arbitrary<TieCase> ties() {
        Arbitrary<Integer> oddSignificand = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.integers().between(0, 127).map(i -> 2 * i + 1)),
                Tuple.of(1, Arbitraries.integers().between(1 << 22, (1 << 23) - 1).map(i -> 2 * i + 1)));
        return Combinators.combine(Arbitraries.integers().between(1, 31), oddSignificand,
                        Arbitraries.integers().between(0, MAX), Arbitraries.of(1, -1))
                .as((s, m, a, sign) -> {
                    int maxOddBits = 31 - (s - 1);                          // a * 2^(s-1) must fit an int
                    long odd = ((a % (1L << (maxOddBits - 1))) * 2 + 1);    // odd, < 2^maxOddBits
                    int acc = (int) (sign * (odd << (s - 1)));
                    return new TieCase(acc, Math.scalb((float) m, -s));
                });
    }

    // ---------------------------------------------------------------------------------------------
    // ort mode against Java float32 arithmetic
    // ---------------------------------------------------------------------------------------------

    /** The reference: ORT's float requantizer written with Java floats. */
    private static int floatReference(int acc, float scale, Range r) {
        float product = (float) acc * scale;                    // float32 convert, float32 multiply
        double rounded = Math.rint(product) + r.zp();            // ties to even, like cvtps2dq
        return (int) Math.max(r.qmin(), Math.min(r.qmax(), rounded));
    }

    private static int ort(int acc, float scale, Range r) {
        int bits = Float.floatToRawIntBits(scale);
        return Requant.ortRequantize(acc, Requant.significand(bits), Requant.exponent(bits), r.zp(), r.qmin(), r.qmax());
    }

    @Property(tries = 20000)
    void ortRequantizeEqualsFloat32Arithmetic(@ForAll("accumulators") int acc, @ForAll("scales") float scale,
                                              @ForAll("ranges") Range range) {
        assertEquals(floatReference(acc, scale, range), ort(acc, scale, range),
                () -> "acc=" + acc + " scale=" + scale + " (" + Float.toHexString(scale) + ") " + range);
    }

    @Property(tries = 10000)
    void ortRequantizeEqualsFloat32ArithmeticOnTies(@ForAll("ties") TieCase t, @ForAll("ranges") Range range) {
        assertEquals(floatReference(t.acc(), t.scale(), range), ort(t.acc(), t.scale(), range),
                () -> t + " " + Float.toHexString(t.scale()) + " " + range);
    }

    /** Guards the tie generator: the exact product of every case it makes is a half-integer. */
    @Property(tries = 2000)
    void tieGeneratorMakesHalfIntegerProducts(@ForAll("ties") TieCase t) {
        BigDecimal exact = new BigDecimal(t.acc()).multiply(new BigDecimal(t.scale()));
        assertEquals(0, exact.remainder(BigDecimal.ONE).abs().compareTo(new BigDecimal("0.5")), t::toString);
    }

    // ---------------------------------------------------------------------------------------------
    // Rounding helpers against Java's own conversions and BigDecimal
    // ---------------------------------------------------------------------------------------------

    @Provide
    Arbitrary<Long> longsBelow2To62() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs().between(-(1L << 62) + 1, (1L << 62) - 1)),
                Tuple.of(2, Arbitraries.longs().between(-(1L << 30), 1L << 30)),
                // (2s + 1) * 2^(k-1) with 25 (or 54) significant bits: an exact tie at 24 (or 53) bits
                Tuple.of(2, Combinators.combine(Arbitraries.integers().between(1, 36),
                                Arbitraries.longs().between(1L << 23, (1L << 24) - 1), Arbitraries.of(1L, -1L))
                        .as((k, s, sign) -> sign * ((2 * s + 1) << (k - 1)))),
                Tuple.of(1, Combinators.combine(Arbitraries.integers().between(1, 8),
                                Arbitraries.longs().between(1L << 52, (1L << 53) - 1), Arbitraries.of(1L, -1L))
                        .as((k, s, sign) -> sign * ((2 * s + 1) << (k - 1)))));
    }

    @Property(tries = 10000)
    void roundToSignificantBitsMatchesFloatAndDoubleConversion(@ForAll("longsBelow2To62") long v) {
        assertEquals((long) (float) v, Requant.roundToSignificantBits(v, 24), () -> "v=" + v);
        assertEquals((long) (double) v, Requant.roundToSignificantBits(v, 53), () -> "v=" + v);
    }

    @Property(tries = 10000)
    void roundHalfEvenShiftRightMatchesBigDecimal(@ForAll long v, @ForAll @IntRange(min = 0, max = 70) int shift) {
        BigDecimal exact = new BigDecimal(v).divide(new BigDecimal(BigInteger.ONE.shiftLeft(shift)));
        long expected = exact.setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        assertEquals(expected, Requant.roundHalfEvenShiftRight(v, shift));
    }

    // ---------------------------------------------------------------------------------------------
    // gemmlowp primitives against exact rationals
    // ---------------------------------------------------------------------------------------------

    private static final BigFraction HALF = new BigFraction(1, 2);

    private static BigInteger floor(BigFraction f) {
        BigInteger[] qr = f.getNumerator().divideAndRemainder(f.getDenominator());   // denominator > 0
        return qr[1].signum() < 0 ? qr[0].subtract(BigInteger.ONE) : qr[0];
    }

    private static BigInteger roundHalfAwayFromZero(BigFraction f) {
        BigInteger magnitude = floor(f.abs().add(HALF));
        return f.compareTo(BigFraction.ZERO) < 0 ? magnitude.negate() : magnitude;
    }

    private static BigFraction pow2(int n) {
        return n >= 0 ? new BigFraction(BigInteger.ONE.shiftLeft(n), BigInteger.ONE)
                : new BigFraction(BigInteger.ONE, BigInteger.ONE.shiftLeft(-n));
    }

    @Provide
    Arbitrary<Integer> int32s() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers()),
                Tuple.of(2, Arbitraries.integers().between(-70000, 70000)),
                Tuple.of(1, Arbitraries.integers().between(1 << 30, MAX)),
                Tuple.of(1, Arbitraries.of(MIN, MIN + 1, MAX, MAX - 1, 0, 1, -1, 1 << 30, -(1 << 30), 3 << 29)),
                // odd * 2^k: with a partner 2^(30-k) the product is an exact tie
                Tuple.of(2, Combinators.combine(Arbitraries.integers().between(0, 30),
                                Arbitraries.integers().between(-(1 << 15), 1 << 15))
                        .as((k, o) -> (int) Math.max(MIN, Math.min(MAX, (2L * o + 1) << Math.min(k, 15))))),
                Tuple.of(2, Arbitraries.integers().between(0, 30).map(k -> 1 << k)),
                Tuple.of(1, Arbitraries.integers().between(0, 30).map(k -> -(1 << k))));
    }

    /**
     * Reference: {@code floor(a * b / 2^31 + 1/2)} (round half up), and {@code INT32_MAX} for
     * {@code INT32_MIN * INT32_MIN}. That is gemmlowp's nudge-and-truncate formula worked out by hand,
     * and ARM's {@code VQRDMULH} definition {@code (2ab + 2^31) >> 32}.
     */
    @Property(tries = 20000)
    void saturatingRoundingDoublingHighMulIsRoundHalfUpOfExactProduct(@ForAll("int32s") int a, @ForAll("int32s") int b) {
        long expected;
        if (a == MIN && b == MIN) {
            expected = MAX;
        } else {
            BigFraction exact = new BigFraction(BigInteger.valueOf(a).multiply(BigInteger.valueOf(b)))
                    .divide(pow2(31));
            expected = floor(exact.add(HALF)).longValueExact();
        }
        assertEquals(expected, Requant.saturatingRoundingDoublingHighMul(a, b));
    }

    @Property(tries = 20000)
    void roundingDivideByPotIsRoundHalfAwayFromZero(@ForAll("int32s") int x, @ForAll @IntRange(min = 0, max = 31) int exponent) {
        BigFraction exact = new BigFraction(x).divide(pow2(exponent));
        assertEquals(roundHalfAwayFromZero(exact).longValueExact(), Requant.roundingDivideByPOT(x, exponent));
    }

    @Property(tries = 10000)
    void roundingDivideByPotOnExactTies(@ForAll @IntRange(min = 1, max = 31) int exponent,
                                        @ForAll @IntRange(min = -(1 << 15), max = 1 << 15) int j) {
        long x = (2L * j + 1) << (exponent - 1);             // (j + 1/2) * 2^exponent
        if (x < MIN || x > MAX) {
            return;
        }
        long awayFromZero = j >= 0 ? j + 1 : j;
        assertEquals(awayFromZero, Requant.roundingDivideByPOT((int) x, exponent));
    }

    @Provide
    Arbitrary<Integer> qMultipliers() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(1 << 30, MAX)),
                Tuple.of(1, Arbitraries.of(1 << 30, MAX, (1 << 30) + 1, 3 << 29)));
    }

    /**
     * gemmlowp's composition rounds twice (high multiply, then the right shift), so it may differ
     * from the exactly rounded {@code acc * M} — but by at most 1, where {@code M = m0 * 2^(shift-31)}.
     * Checked where the pre-shift {@code acc * 2^shift} does not overflow int32.
     */
    @Property(tries = 20000)
    void fixedPointIsWithinOneOfExactlyRoundedProduct(@ForAll("int32s") int acc, @ForAll("qMultipliers") int m0,
                                                      @ForAll @IntRange(min = -31, max = 31) int shift) {
        int left = Math.max(shift, 0);
        long shifted = (long) acc << left;
        if (shifted < MIN || shifted > MAX) {
            return;
        }
        BigFraction exact = new BigFraction(acc).multiply(new BigFraction(m0)).multiply(pow2(shift - 31));
        long expected = roundHalfAwayFromZero(exact).longValueExact();
        int got = Requant.fixedPointRequantize(acc, m0, shift, 0, MIN, MAX);
        assertTrue(Math.abs(got - expected) <= 1, () -> "got " + got + " exact " + exact.doubleValue());
    }

    /** Same bound after clamping to 8/16-bit outputs, now including accumulators whose pre-shift saturates. */
    @Property(tries = 20000)
    void clampedFixedPointIsWithinOneOfExactlyRoundedProduct(@ForAll("int32s") int acc, @ForAll("qMultipliers") int m0,
                                                             @ForAll @IntRange(min = -31, max = 31) int shift,
                                                             @ForAll("ranges") Range range) {
        // 8/16-bit outputs with the zero point inside them, as quantized models have.
        if (range.qmax() - (long) range.qmin() > 65535 || range.zp() < range.qmin() || range.zp() > range.qmax()) {
            return;
        }
        BigFraction exact = new BigFraction(acc).multiply(new BigFraction(m0)).multiply(pow2(shift - 31));
        BigInteger rounded = roundHalfAwayFromZero(exact).add(BigInteger.valueOf(range.zp()));
        long expected = rounded.max(BigInteger.valueOf(range.qmin())).min(BigInteger.valueOf(range.qmax())).longValueExact();
        int got = Requant.fixedPointRequantize(acc, m0, shift, range.zp(), range.qmin(), range.qmax());
        assertTrue(got >= range.qmin() && got <= range.qmax());
        assertTrue(Math.abs(got - expected) <= 1, () -> "got " + got + " expected " + expected);
    }
}
