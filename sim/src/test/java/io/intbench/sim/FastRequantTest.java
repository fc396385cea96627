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

    /**
     * The Vector API row requantizer: when it takes a row, every byte equals the reference; it gives a row
     * back only when some lane really needs the exact path (an accumulator of 2^24 or more, or a product
     * within the band of a rounding boundary), so the quick path is not silently skipped.
     */
    @Property(tries = 3_000)
    void theVectorRowRequantizerEqualsTheReferenceOrGivesTheRowBack(@ForAll("significands") int m,
                                                                     @ForAll("bigShifts") int s, @ForAll("zeroPoints") int zp,
                                                                     @ForAll boolean unsigned, @ForAll long seed) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.available() && io.intbench.simd.IntGemm.requantRows());
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int qmin = unsigned ? 0 : -128;
        int qmax = unsigned ? 255 : 127;
        int z = unsigned ? zp + 128 : zp;
        int bits = Kernels.clampBits(z, qmin, qmax);
        long band = s + bits - 25 >= 0 ? 1L << (s + bits - 25) : 0;
        int n = 4 * io.intbench.simd.IntGemm.requantLanes();
        int[] acc = new int[n + 3];
        long unit = Math.max(1, (1L << s) / m);
        for (int i = 0; i < acc.length; i++) {
            int kind = r.nextInt(100);
            long v = kind < 70 ? r.nextLong(-400 * unit, 400 * unit)             // around the output range
                    : kind < 85 ? r.nextInt(-(1 << 24) + 1, 1 << 24)               // below 2^24, mostly clamped
                    : kind < 97 ? (((2L * r.nextInt(300) + 1) << (s - 1)) + m / 2) / m  // a product next to a boundary
                    : r.nextInt();                                                 // anything, mostly 2^24 or more
            acc[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
        }
        byte[] out = new byte[n + 5];
        boolean took = io.intbench.simd.IntGemm.requantRow(acc, 3, n, out, 5, m, s, band, z, qmin, qmax);
        boolean needsExact = false;
        for (int i = 0; i < n; i++) {
            long mag = Math.abs((long) acc[3 + i]);
            long p = mag * m;
            long half = 1L << (s - 1);
            needsExact |= mag >= 1 << 24 || Math.abs((p & ((half << 1) - 1)) - half) <= band;
            if (took) {
                assertEquals((byte) Requant.ortRequantize(acc[3 + i], m, -s, z, qmin, qmax), out[5 + i], "lane " + i + " acc " + acc[3 + i]);
            }
        }
        assertEquals(needsExact, !took, "the row was given back exactly when some lane needs the exact path");
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
