package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.intbench.isa.Requant;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link Kernels#ortRequantize}, the check-free and branch-free copy the CONV inner loops call, against the
 * checked reference {@link Requant#ortRequantize} (itself proven against Java float arithmetic in the isa
 * module's properties): equal on every accumulator, multiplier, exponent, zero point and clamp range the
 * compiler can emit, with the generators weighted toward the edges where a branch-free rounding could slip
 * (exact ties, accumulators at and above 2^24, shifts of 0, 1 and 63, saturation, zero).
 */
class FastRequantTest {

    record Case(int acc, int m, int e, int zp, int qmin, int qmax) { }

    @Property(tries = 20_000)
    void theFastRequantizerEqualsTheReference(@ForAll("cases") Case c) {
        assertEquals(Requant.ortRequantize(c.acc(), c.m(), c.e(), c.zp(), c.qmin(), c.qmax()),
                Kernels.ortRequantize(c.acc(), c.m(), c.e(), c.zp(), c.qmin(), c.qmax()), c::toString);
    }

    @Property(tries = 20_000)
    void theQuickRequantizerEqualsTheReference(@ForAll("cases") Case c) {
        int bits = Kernels.clampBits(c.zp(), c.qmin(), c.qmax());
        if (bits < 0 || !Kernels.quickExponent(c.e())) {
            return;   // the kernels do not call it for these parameters
        }
        assertEquals(Requant.ortRequantize(c.acc(), c.m(), c.e(), c.zp(), c.qmin(), c.qmax()),
                Kernels.ortRequantizeQuick(c.acc(), c.m(), c.e(), c.zp(), c.qmin(), c.qmax(), bits), c::toString);
    }

    /**
     * Products {@code |acc| * m} placed within a few units (and within {@code 2^(s - 16)}, the quick path's
     * band for 8-bit outputs) of a rounding boundary {@code (k + 1/2) * 2^s}, where rounding the product
     * to float32 first can move it across the boundary or onto it: the cases the quick path must hand to
     * the exact one.
     */
    @Property(tries = 20_000)
    void productsNearARoundingBoundary(@ForAll("significands") int m, @ForAll("bigShifts") int s,
                                       @ForAll("levels") int k, @ForAll("nudges") int nudge, @ForAll boolean negative,
                                       @ForAll("zeroPoints") int zp) {
        long boundary = (2L * k + 1) << (s - 1);
        long target = boundary + (long) nudge * Math.max(1, (1L << Math.max(0, s - 16)) / 64);
        long acc = Math.max(1, (target + m / 2) / m);
        if (acc >= 1 << 24) {
            return;
        }
        int a = (int) (negative ? -acc : acc);
        int e = -s;
        int bits = Kernels.clampBits(zp, -128, 127);
        assertEquals(Requant.ortRequantize(a, m, e, zp, -128, 127), Kernels.ortRequantizeQuick(a, m, e, zp, -128, 127, bits),
                () -> "acc " + a + " m " + m + " e " + e + " zp " + zp);
        int bitsU = Kernels.clampBits(zp + 128, 0, 255);
        assertEquals(Requant.ortRequantize(a, m, e, zp + 128, 0, 255), Kernels.ortRequantizeQuick(a, m, e, zp + 128, 0, 255, bitsU),
                () -> "uint8: acc " + a + " m " + m + " e " + e + " zp " + (zp + 128));
    }

    @Provide
    Arbitrary<Integer> significands() {
        return Arbitraries.oneOf(Arbitraries.integers().between(1 << 23, (1 << 24) - 1), Arbitraries.of(1 << 23, (1 << 24) - 1, 12_345_679));
    }

    @Provide
    Arbitrary<Integer> bigShifts() {
        return Arbitraries.integers().between(20, 50);
    }

    @Provide
    Arbitrary<Integer> levels() {
        return Arbitraries.integers().between(0, 300);
    }

    @Provide
    Arbitrary<Integer> nudges() {
        return Arbitraries.integers().between(-200, 200);
    }

    @Provide
    Arbitrary<Integer> zeroPoints() {
        return Arbitraries.integers().between(-128, 127);
    }

    @Property(tries = 5_000)
    void exactTiesRoundHalfToEven(@ForAll("tieAccumulators") int acc, @ForAll("shifts") int shift) {
        // m = 2^23 and e = -23 - shift make the float product acc / 2^shift exactly: every odd acc over a
        // power of two is a tie at some bit
        int m = 1 << 23;
        int e = -23 - shift;
        assertEquals(Requant.ortRequantize(acc, m, e, 3, -128, 127), Kernels.ortRequantize(acc, m, e, 3, -128, 127),
                () -> "acc " + acc + " shift " + shift);
        if (Kernels.quickExponent(e)) {
            assertEquals(Requant.ortRequantize(acc, m, e, 3, -128, 127),
                    Kernels.ortRequantizeQuick(acc, m, e, 3, -128, 127, Kernels.clampBits(3, -128, 127)),
                    () -> "quick: acc " + acc + " shift " + shift);
        }
    }

    @Provide
    Arbitrary<Integer> tieAccumulators() {
        return Arbitraries.oneOf(Arbitraries.integers().between(-4096, 4096),
                Arbitraries.integers(), Arbitraries.of(Integer.MIN_VALUE, Integer.MAX_VALUE, (1 << 24) + 1, -(1 << 24) - 3));
    }

    @Provide
    Arbitrary<Integer> shifts() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 40));
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Integer> acc = Arbitraries.oneOf(Arbitraries.integers(), Arbitraries.integers().between(-70_000, 70_000),
                Arbitraries.integers().between((1 << 24) - 8, (1 << 24) + 8), Arbitraries.of(0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE));
        Arbitrary<Integer> m = Arbitraries.oneOf(Arbitraries.integers().between(1 << 23, (1 << 24) - 1),
                Arbitraries.integers().between(0, (1 << 24) - 1), Arbitraries.of(0, 1, 1 << 23, (1 << 24) - 1));
        Arbitrary<Integer> e = Arbitraries.oneOf(Arbitraries.integers().between(-70, -20), Arbitraries.integers().between(-100, 30));
        Arbitrary<Integer> range = Arbitraries.of(0, 1, 2);   // int8, uint8, int16
        return Combinators.combine(acc, m, e, range, Arbitraries.integers().between(0, 255), Arbitraries.integers().between(0, 255))
                .as((a, mm, ee, r, z, lift) -> {
                    int qmin = r == 0 ? -128 : r == 1 ? 0 : -32768;
                    int qmax = r == 0 ? 127 : r == 1 ? 255 : 32767;
                    int span = qmax - qmin;
                    int zp = qmin + (int) ((long) z * span / 255);
                    int lo = Math.min(qmax, qmin + lift % 64 * (lift % 3 == 0 ? 1 : 0));   // sometimes a fused ReLU-style floor
                    return new Case(a, mm, ee, zp, lo, qmax);
                });
    }
}
