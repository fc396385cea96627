package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.intbench.isa.Descriptor;
import io.intbench.isa.Requant;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The fast CONV (im2col matrix product, direct per-channel path, several threads) against the
 * straightforward per-output-channel loop nest it replaced (kept here as {@link #referenceConv}), on
 * whole DRAM images: every byte must be identical, for both requantization modes, grouped and
 * depthwise convolutions, batches, asymmetric padding, dilation, rows of 1 to 40 (shorter and longer than a
 * vector), and 1 to 3 threads, with the scalar loops
 * and with the Vector API tiles of intbench-simd (the build runs the tests with the Vector API module;
 * {@link #theVectorApiKernelsRunInTheTests} makes sure of it).
 */
class FastConvTest {

    @Property(tries = 150)
    void fastConvIsByteIdenticalToTheReferenceAtEveryThreadCount(
            @ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 3) int groupsKind,
            @ForAll @IntRange(min = 1, max = 9) int h, @ForAll @IntRange(min = 1, max = 40) int w,
            @ForAll @IntRange(min = 1, max = 3) int kH, @ForAll @IntRange(min = 1, max = 3) int kW,
            @ForAll @IntRange(min = 1, max = 3) int stride, @ForAll @IntRange(min = 0, max = 2) int padT,
            @ForAll @IntRange(min = 0, max = 2) int padL, @ForAll @IntRange(min = 1, max = 2) int dil,
            @ForAll boolean signedIn, @ForAll boolean signedW, @ForAll boolean fixedPoint, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int groups;
        int inC;
        int outC;
        if (groupsKind == 1) {           // ordinary: 1..13 output channels covers blocks of four and remainders
            groups = 1;
            inC = 1 + r.nextInt(12);     // K = inC * kH * kW from 1 to 108: both sides of BY_POSITION_MAX_K
            outC = 1 + r.nextInt(13);
        } else if (groupsKind == 2) {    // grouped, up to 6 output channels per group
            groups = 2;
            inC = 2 * (1 + r.nextInt(3));
            outC = 2 * (1 + r.nextInt(6));
        } else {                         // depthwise, possibly with a channel multiplier
            inC = 1 + r.nextInt(6);
            groups = inC;
            outC = inC * (1 + r.nextInt(5));
        }
        int outH = (h + padT + r.nextInt(3) - ((kH - 1) * dil + 1)) / stride + 1;
        int outW = (w + padL + r.nextInt(3) - ((kW - 1) * dil + 1)) / stride + 1;
        if (outH <= 0 || outW <= 0) {
            return;
        }
        int icg = inC / groups;
        int wBytes = outC * icg * kH * kW;
        int wzpA = 0;
        int biasA = 4 * outC;
        int rqA = 8 * outC;
        int wA = rqA + 8 * outC;
        int inA = wA + wBytes;
        int inBytes = batch * inC * h * w;
        int outA = inA + inBytes;
        byte[] mem = new byte[outA + batch * outC * outH * outW + 16];
        r.nextBytes(mem);
        int[] wzp = new int[outC];
        int[] bias = new int[outC];
        int[] rq = new int[2 * outC];
        for (int c = 0; c < outC; c++) {
            wzp[c] = r.nextInt(9) - 4;
            bias[c] = r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(20001) - 10000;
            if (fixedPoint) {
                rq[2 * c] = (1 << 30) + r.nextInt(1 << 30);
                rq[2 * c + 1] = r.nextInt(4) == 0 ? r.nextInt(63) - 31 : -(r.nextInt(16) + 4);
            } else {
                rq[2 * c] = r.nextInt(8) == 0 ? r.nextInt(1 << 23) : (1 << 23) + r.nextInt(1 << 23);
                rq[2 * c + 1] = r.nextInt(4) == 0 ? r.nextInt(80) - 60 : -(r.nextInt(20) + 24);
            }
        }
        KernelsTest.putInts(mem, wzpA, wzp);
        KernelsTest.putInts(mem, biasA, bias);
        KernelsTest.putInts(mem, rqA, rq);
        int xZp = signedIn ? r.nextInt(256) - 128 : r.nextInt(256);
        boolean signedOut = r.nextBoolean();
        int lo = signedOut ? -128 : 0;
        int hi = signedOut ? 127 : 255;
        if (r.nextBoolean()) {           // a fused ReLU-style clamp
            lo += r.nextInt(100);
        }
        int outZp = lo + r.nextInt(hi - lo + 1);
        Descriptor.ConvDesc d = new Descriptor.ConvDesc(batch, inC, h, w, outC, outH, outW, kH, kW, stride, stride, padT, padL,
                dil, dil, groups, signedIn ? 1 : 0, xZp, signedW ? 1 : 0, wzpA, biasA, rqA,
                fixedPoint ? Descriptor.REQUANT_FIXED_POINT : Descriptor.REQUANT_ORT, signedOut ? 1 : 0, outZp, lo, hi, 0);
        byte[] want = mem.clone();
        referenceConv(want, d, inA, wA, outA);
        int before = Parallel.threads();
        long minWork = Kernels.minSliceWork;
        Kernels.minSliceWork = 1;                   // split even these small kernels
        boolean vectorBefore = Simd.enabled();
        try {
            for (boolean vector : Simd.available() ? new boolean[] {false, true} : new boolean[] {false}) {
                Simd.setEnabled(vector);
                for (int threads = 1; threads <= 3; threads++) {
                    Parallel.setThreads(threads);
                    byte[] got = mem.clone();
                    Kernels.conv(got, d, inA, wA, outA);
                    assertArrayEquals(want, got, d + " with " + threads + " threads, " + Simd.describe());
                }
            }
        } finally {
            Parallel.setThreads(before);
            Kernels.minSliceWork = minWork;
            Simd.setEnabled(vectorBefore);
        }
    }

    /**
     * The widened-weight cache ({@link WeightCache}) must never serve stale weights: the same descriptor
     * at the same addresses, run again after a weight byte or a weight zero point changed in DRAM, gives
     * the reference result for the new bytes.
     */
    @Property(tries = 40)
    void changedWeightsOrZeroPointsInDramAreSeen(@ForAll @IntRange(min = 1, max = 12) int outC, @ForAll boolean zeroPoint,
                                                @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int c = 3;
        int h = 6;
        int wBytes = outC * c * 9;
        int rqA = 8 * outC;
        int wA = rqA + 8 * outC;
        int inA = wA + wBytes;
        int outA = inA + c * h * h;
        byte[] mem = new byte[outA + outC * h * h];
        r.nextBytes(mem);
        int[] rq = new int[2 * outC];
        for (int i = 0; i < outC; i++) {
            rq[2 * i] = (1 << 23) + r.nextInt(1 << 23);
            rq[2 * i + 1] = -36;
        }
        int[] wzp = new int[outC];
        KernelsTest.putInts(mem, 0, wzp);
        KernelsTest.putInts(mem, 4 * outC, new int[outC]);
        KernelsTest.putInts(mem, rqA, rq);
        Descriptor.ConvDesc d = new Descriptor.ConvDesc(1, c, h, h, outC, h, h, 3, 3, 1, 1, 1, 1, 1, 1, 1,
                0, 3, 1, 0, 4 * outC, rqA, Descriptor.REQUANT_ORT, 0, 0, 0, 255, 0);
        Kernels.conv(mem.clone(), d, inA, wA, outA);              // fills the cache with these weights
        if (zeroPoint) {
            wzp[r.nextInt(outC)] = 1 + r.nextInt(5);
            KernelsTest.putInts(mem, 0, wzp);
        } else {
            mem[wA + r.nextInt(wBytes)] ^= (byte) (1 + r.nextInt(255));
        }
        byte[] want = mem.clone();
        referenceConv(want, d, inA, wA, outA);
        byte[] got = mem.clone();
        Kernels.conv(got, d, inA, wA, outA);
        assertArrayEquals(want, got);
    }


    /**
     * The stride-2 widening of a phase plane row against its definition, for runs ending anywhere,
     * including the last bytes of the array (the vector steps read a byte beyond the last one they use,
     * so they must stop in time there), signed and unsigned.
     */
    @Property(tries = 300)
    void everySecondByteWidenedIsTheScalarDefinition(@ForAll @IntRange(min = 0, max = 80) int n,
                                                     @ForAll @IntRange(min = 0, max = 3) int slack,
                                                     @ForAll boolean unsigned, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int a = r.nextInt(8);
        byte[] src = new byte[a + 2 * n + slack];
        r.nextBytes(src);
        if (n > 0 && slack == 0) {
            src = java.util.Arrays.copyOf(src, a + 2 * n - 1);   // the last byte used is the array's last
        }
        int zp = r.nextInt(256) - (unsigned ? 0 : 128);
        int at = r.nextInt(5);
        int[] want = new int[at + n + 3];
        int[] got = want.clone();
        for (int c = 0; c < n; c++) {
            want[at + c] = (unsigned ? src[a + 2 * c] & 0xFF : src[a + 2 * c]) - zp;
        }
        io.intbench.simd.IntGemm.widenStride2(src, a, got, at, n, zp, unsigned);
        assertArrayEquals(want, got);
    }
    @net.jqwik.api.Example
    void theVectorApiKernelsRunInTheTests() {
        org.junit.jupiter.api.Assertions.assertTrue(Simd.available(),
                "the tests run with --add-modules jdk.incubator.vector (surefire argLine), so both kernels are compared");
    }

    @Property(tries = 40)
    void anOutputOverlappingTheInputReadsTheInputAsItWasBefore(@ForAll @IntRange(min = 1, max = 4) int c,
                                                               @ForAll @IntRange(min = 0, max = 8) int shift,
                                                               @ForAll boolean depthwise, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int h = 5;
        int outC = depthwise ? c : 4 + r.nextInt(3);
        int wBytes = outC * (depthwise ? 1 : c) * 9;
        int rqA = 8 * outC;
        int wA = rqA + 8 * outC;
        int inA = wA + wBytes;
        byte[] mem = new byte[inA + c * h * h + outC * h * h + 16];
        r.nextBytes(mem);
        int[] rq = new int[2 * outC];
        for (int i = 0; i < outC; i++) {
            rq[2 * i] = (1 << 23) + r.nextInt(1 << 23);
            rq[2 * i + 1] = -30;
        }
        KernelsTest.putInts(mem, 0, new int[outC]);
        KernelsTest.putInts(mem, 4 * outC, new int[outC]);
        KernelsTest.putInts(mem, rqA, rq);
        Descriptor.ConvDesc d = new Descriptor.ConvDesc(1, c, h, h, outC, h, h, 3, 3, 1, 1, 1, 1, 1, 1, depthwise ? c : 1,
                0, 3, 1, 0, 4 * outC, rqA, Descriptor.REQUANT_ORT, 0, 0, 0, 255, 0);
        byte[] want = mem.clone();
        referenceConv(want, d, inA, wA, inA + shift);   // reads the whole input before it writes
        byte[] got = mem.clone();
        Kernels.conv(got, d, inA, wA, inA + shift);
        assertArrayEquals(want, got);
    }

    @Property(tries = 3000)
    void fastOrtRequantizeEqualsRequant(@ForAll int acc, @ForAll @IntRange(min = 0, max = (1 << 24) - 1) int m,
                                        @ForAll @IntRange(min = -200, max = 60) int e, @ForAll @IntRange(min = -300, max = 300) int zp,
                                        @ForAll boolean signed, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int qmin = signed ? -128 : 0;
        int qmax = signed ? 127 : 255;
        int[] accs = {acc, acc >> r.nextInt(32), 0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, (1 << 24) + 1, -(1 << 24) - 3,
            (1 << 25) + 2, r.nextInt(1 << 24) - (1 << 23)};
        int[] ms = {m, 0, 1, (1 << 24) - 1, 1 << 23, m | 1};
        int[] es = {e, -149, -24, -23, -1, 0, 17, 40, Integer.MIN_VALUE / 2, Integer.MAX_VALUE / 2};
        for (int a : accs) {
            for (int mm : ms) {
                for (int ee : es) {
                    assertEquals(Requant.ortRequantize(a, mm, ee, zp, qmin, qmax), Kernels.ortRequantize(a, mm, ee, zp, qmin, qmax),
                            "acc " + a + " m " + mm + " e " + ee + " zp " + zp);
                }
            }
        }
    }

    /** Exactly ties: products that land on half-integers after the float32 rounding, both signs. */
    @Property(tries = 2000)
    void fastOrtRequantizeRoundsTiesAsRequant(@ForAll @IntRange(min = 1, max = 1 << 20) int q, @ForAll @IntRange(min = 1, max = 8) int s,
                                              @ForAll boolean negative) {
        int acc = negative ? -(2 * q + 1) : 2 * q + 1;   // odd, times 2^-s: exact halves when s = 1
        int m = 1 << 23;
        int e = -23 - s;
        assertEquals(Requant.ortRequantize(acc, m, e, 0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                Kernels.ortRequantize(acc, m, e, 0, Integer.MIN_VALUE, Integer.MAX_VALUE));
    }

    // ---------------------------------------------------------------------------------------------
    // The previous kernel, verbatim apart from its name: the reference for byte identity.
    // ---------------------------------------------------------------------------------------------

    static int requant(int mode, int acc, int[] rq, int c, int zp, int lo, int hi) {
        return mode == Descriptor.REQUANT_ORT
                ? Requant.ortRequantize(acc, rq[2 * c], rq[2 * c + 1], zp, lo, hi)
                : Requant.fixedPointRequantize(acc, rq[2 * c], rq[2 * c + 1], zp, lo, hi);
    }

    static void referenceConv(byte[] mem, Descriptor.ConvDesc d, int in, int w, int out) {
        int groups = d.groups();
        int icg = d.inC() / groups;
        int ocg = d.outC() / groups;
        int inHW = d.inH() * d.inW();
        int outHW = d.outH() * d.outW();
        int kk = d.kH() * d.kW();
        int[] wzp = Kernels.readInts(mem, d.wZpAddr(), d.outC());
        int[] bias = Kernels.readInts(mem, d.biasAddr(), d.outC());
        int[] rq = Kernels.readInts(mem, d.requantAddr(), 2 * d.outC());
        boolean inSigned = d.inSigned() == 1;
        boolean wSigned = d.wSigned() == 1;
        int[] x = new int[d.inC() * inHW];
        int[] acc = new int[outHW];
        int[] wk = new int[icg * kk];
        for (int n = 0; n < d.batch(); n++) {
            int inBase = in + n * d.inC() * inHW;
            for (int i = 0; i < x.length; i++) {
                x[i] = Kernels.load8(mem, inBase + i, inSigned) - d.xZp();
            }
            for (int oc = 0; oc < d.outC(); oc++) {
                int g = oc / ocg;
                int wBase = w + oc * icg * kk;
                for (int i = 0; i < wk.length; i++) {
                    wk[i] = Kernels.load8(mem, wBase + i, wSigned) - wzp[oc];
                }
                java.util.Arrays.fill(acc, bias[oc]);
                for (int ic = 0; ic < icg; ic++) {
                    int xBase = (g * icg + ic) * inHW;
                    for (int kh = 0; kh < d.kH(); kh++) {
                        for (int kw = 0; kw < d.kW(); kw++) {
                            int wv = wk[(ic * d.kH() + kh) * d.kW() + kw];
                            if (wv == 0) {
                                continue;
                            }
                            int colOff = kw * d.dilW() - d.padLeft();
                            int owLo = colOff >= 0 ? 0 : -Math.floorDiv(colOff, d.strideW());
                            int owHi = Math.min(d.outW() - 1, Math.floorDiv(d.inW() - 1 - colOff, d.strideW()));
                            for (int oh = 0; oh < d.outH(); oh++) {
                                int ih = oh * d.strideH() - d.padTop() + kh * d.dilH();
                                if (ih < 0 || ih >= d.inH()) {
                                    continue;
                                }
                                int xRow = xBase + ih * d.inW() + colOff;
                                int aRow = oh * d.outW();
                                int sw = d.strideW();
                                for (int ow = owLo; ow <= owHi; ow++) {
                                    acc[aRow + ow] += wv * x[xRow + ow * sw];
                                }
                            }
                        }
                    }
                }
                int outBase = out + (n * d.outC() + oc) * outHW;
                for (int p = 0; p < outHW; p++) {
                    mem[outBase + p] = (byte) requant(d.requantMode(), acc[p], rq, oc, d.outZp(), d.clampMin(), d.clampMax());
                }
            }
        }
    }
}
