package io.intbench.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The multiply-accumulate tile of the simulator's matrix products, written with the JDK Vector API so
 * that the accumulators stay in vector registers for the whole reduction (the JIT of Java 17 cannot
 * keep them there on its own: it vectorises a dot product's reduction with a horizontal sum in every
 * iteration, and a multiply-add along positions with a load and a store of the accumulator per
 * product). Integer arithmetic only, wrapping modulo 2^32 exactly as the scalar loops do, so the
 * results are bit-identical to them; {@code FastConvTest} in intbench-sim holds the two equal.
 *
 * <p>Loading this class needs the JVM option {@code --add-modules jdk.incubator.vector}; intbench-sim
 * calls it only when that module is in the boot layer. The tile is one small method on purpose: the
 * Java 17 JIT compiles Vector API code into registers only in a regular (not on-stack-replacement)
 * compilation, so long-running loops must call it rather than contain it.
 */
public final class IntGemm {
    private IntGemm() { }

    private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;

    /** 64-bit lanes for the requantizer's products, and int and byte species with as many lanes. */
    private static final VectorSpecies<Long> SL = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(SL.vectorBitSize() / 2));
    private static final VectorSpecies<Byte> SB = ByteVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(SL.vectorBitSize() / 8));

    /**
     * Whether {@link #requantRow} runs: it needs 64-bit lane multiplies, which CPUs with 512-bit vectors
     * (AVX-512DQ) have as one instruction; on narrower ones the scalar requantizer runs.
     */
    public static boolean requantRows() {
        return SL.vectorBitSize() >= 512 && SI.length() == SL.length() && SB.length() == SL.length();
    }

    /** Int lanes per vector on this CPU (16 with AVX-512, 8 with AVX2). */
    public static int lanes() {
        return S.length();
    }

    /** Positions per tile: two vectors. */
    public static int tileWidth() {
        return 2 * S.length();
    }

    /**
     * Four rows by {@link #tileWidth()} columns of a matrix product whose {@code K} rows of {@code x} start
     * anywhere: for {@code r < 4} and {@code j < tileWidth()}, {@code acc[a + r * aStride + j] = init_r +
     * sum_{t < k} w[wb + r * wStride + t] * x[xOff[t] + p + j]} (wrapping int arithmetic), where
     * {@code init_r} is {@code i0 .. i3}. With {@code xOff[t]} the start of the input plane and shift of
     * kernel tap {@code t}, this is a convolution without an im2col copy.
     */
    public static void tile4(int[] x, int[] xOff, int p, int[] w, int wb, int wStride, int k,
                             int i0, int i1, int i2, int i3, int[] acc, int a, int aStride) {
        int l = S.length();
        int w0 = wb;
        int w1 = w0 + wStride;
        int w2 = w1 + wStride;
        int w3 = w2 + wStride;
        IntVector a00 = IntVector.broadcast(S, i0);
        IntVector a01 = a00;
        IntVector a10 = IntVector.broadcast(S, i1);
        IntVector a11 = a10;
        IntVector a20 = IntVector.broadcast(S, i2);
        IntVector a21 = a20;
        IntVector a30 = IntVector.broadcast(S, i3);
        IntVector a31 = a30;
        for (int t = 0; t < k; t++) {
            int xr = xOff[t] + p;
            IntVector x0 = IntVector.fromArray(S, x, xr);
            IntVector x1 = IntVector.fromArray(S, x, xr + l);
            IntVector b0 = IntVector.broadcast(S, w[w0 + t]);
            a00 = a00.add(x0.mul(b0));
            a01 = a01.add(x1.mul(b0));
            IntVector b1 = IntVector.broadcast(S, w[w1 + t]);
            a10 = a10.add(x0.mul(b1));
            a11 = a11.add(x1.mul(b1));
            IntVector b2 = IntVector.broadcast(S, w[w2 + t]);
            a20 = a20.add(x0.mul(b2));
            a21 = a21.add(x1.mul(b2));
            IntVector b3 = IntVector.broadcast(S, w[w3 + t]);
            a30 = a30.add(x0.mul(b3));
            a31 = a31.add(x1.mul(b3));
        }
        a00.intoArray(acc, a);
        a01.intoArray(acc, a + l);
        a10.intoArray(acc, a + aStride);
        a11.intoArray(acc, a + aStride + l);
        a20.intoArray(acc, a + 2 * aStride);
        a21.intoArray(acc, a + 2 * aStride + l);
        a30.intoArray(acc, a + 3 * aStride);
        a31.intoArray(acc, a + 3 * aStride + l);
    }

    /**
     * One row of {@link #tile4}: {@code acc[a + j] = init + sum_{t < k} w[wb + t] * x[xOff[t] + p + j]} for
     * {@code j < tileWidth()} (a depthwise convolution's channel, each tap one shifted run of its plane).
     */
    public static void tile1(int[] x, int[] xOff, int p, int[] w, int wb, int k, int init, int[] acc, int a) {
        int l = S.length();
        IntVector a0 = IntVector.broadcast(S, init);
        IntVector a1 = a0;
        for (int t = 0; t < k; t++) {
            int xr = xOff[t] + p;
            IntVector b = IntVector.broadcast(S, w[wb + t]);
            a0 = a0.add(IntVector.fromArray(S, x, xr).mul(b));
            a1 = a1.add(IntVector.fromArray(S, x, xr + l).mul(b));
        }
        a0.intoArray(acc, a);
        a1.intoArray(acc, a + l);
    }

    /**
     * The quick path of intbench-sim's {@code Kernels.ortRequantizeQuick} on {@code n} accumulators
     * {@code acc[off ..]} of one output channel (multiplier {@code m}, exponent {@code -s}), written as
     * bytes to {@code out[o ..]}: {@code q = clamp(sign * ((|acc| * m + 2^(s-1)) >> s))}, valid for every
     * lane whose accumulator is below 2^24 in magnitude and whose product lies more than {@code band} from a
     * rounding boundary. Returns false when some lane is not, having written any part of the row (the caller then
     * runs the exact requantizer on the whole row). {@code n} must be a multiple of {@link #requantLanes()}.
     */
    public static boolean requantRow(int[] acc, int off, int n, byte[] out, int o,
                                     int m, int s, long band, int zp, int qmin, int qmax) {
        long half = 1L << (s - 1);
        long mask = (half << 1) - 1;
        long lo = (long) qmin - zp;
        long hi = (long) qmax - zp;
        int l = SL.length();
        for (int i = 0; i < n; i += l) {
            LongVector a = (LongVector) IntVector.fromArray(SI, acc, off + i).convertShape(VectorOperators.I2L, SL, 0);
            LongVector mag = a.abs();
            LongVector p = mag.mul(m);
            VectorMask<Long> slow = p.and(mask).sub(half).abs().compare(VectorOperators.LE, band)
                    .or(mag.compare(VectorOperators.GE, 1L << 24));
            if (slow.anyTrue()) {
                return false;
            }
            LongVector r = p.add(half).lanewise(VectorOperators.LSHR, s);
            r = r.blend(r.neg(), a.compare(VectorOperators.LT, 0)).max(lo).min(hi).add(zp);
            ((ByteVector) r.convertShape(VectorOperators.L2B, SB, 0)).intoArray(out, o + i);
        }
        return true;
    }

    /** The lane count {@link #requantRow}'s {@code n} must be a multiple of. */
    public static int requantLanes() {
        return SL.length();
    }

    /** Bytes per widening step: as many as {@link #S} has int lanes. */
    private static final VectorSpecies<Byte> SB_WIDEN = ByteVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(S.vectorBitSize() / 4));

    /**
     * {@code x[i + c] = src[a + c] - zp} (bytes read signed, or unsigned when {@code unsigned}) for
     * {@code c < n}: the zero-point-corrected int input a convolution multiplies.
     */
    public static void widen(byte[] src, int a, int[] x, int i, int n, int zp, boolean unsigned) {
        int l = S.length();
        int c = 0;
        if (SB_WIDEN.length() == l) {
            IntVector z = IntVector.broadcast(S, zp);
            for (; c + l <= n; c += l) {
                IntVector v = (IntVector) ByteVector.fromArray(SB_WIDEN, src, a + c).convertShape(VectorOperators.B2I, S, 0);
                if (unsigned) {
                    v = v.and(0xFF);
                }
                v.sub(z).intoArray(x, i + c);
            }
        }
        for (; c < n; c++) {
            x[i + c] = (unsigned ? src[a + c] & 0xFF : src[a + c]) - zp;
        }
    }

    /** Bytes per stride-2 widening step: two for each int lane of {@link #S}. */
    private static final VectorSpecies<Byte> SB_PAIRS = ByteVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(S.vectorBitSize() / 2));

    /**
     * {@code x[i + c] = src[a + 2 * c] - zp} (bytes read signed, or unsigned when {@code unsigned}) for
     * {@code c < n}: every second byte, as a stride-2 convolution's phase plane takes its input row. A
     * step reads the byte pairs as 16-bit lanes (the first byte of a pair is the lane's low byte), widens
     * them to ints and keeps each lane's low byte; it reads one byte past the last one it uses, so it
     * runs only while that byte is inside {@code src}.
     */
    public static void widenStride2(byte[] src, int a, int[] x, int i, int n, int zp, boolean unsigned) {
        int l = S.length();
        int c = 0;
        if (SB_PAIRS.length() == 2 * l) {
            IntVector z = IntVector.broadcast(S, zp);
            for (; c + l <= n && a + 2 * c + 2 * l <= src.length; c += l) {
                IntVector v = (IntVector) ByteVector.fromArray(SB_PAIRS, src, a + 2 * c).reinterpretAsShorts()
                        .convertShape(VectorOperators.S2I, S, 0);
                v = unsigned ? v.and(0xFF) : v.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24);
                v.sub(z).intoArray(x, i + c);
            }
        }
        for (; c < n; c++) {
            x[i + c] = (unsigned ? src[a + 2 * c] & 0xFF : src[a + 2 * c]) - zp;
        }
    }

    /** {@code sum_{t < k} a[ab + t] * b[bb + t]} (wrapping int arithmetic): one lane-wise sum, reduced once. */
    public static int dot(int[] a, int ab, int[] b, int bb, int k) {
        int l = S.length();
        IntVector acc = IntVector.zero(S);
        int t = 0;
        for (; t + l <= k; t += l) {
            acc = acc.add(IntVector.fromArray(S, a, ab + t).mul(IntVector.fromArray(S, b, bb + t)));
        }
        int sum = acc.reduceLanes(VectorOperators.ADD);
        for (; t < k; t++) {
            sum += a[ab + t] * b[bb + t];
        }
        return sum;
    }
}
