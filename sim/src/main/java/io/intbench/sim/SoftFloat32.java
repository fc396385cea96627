package io.intbench.sim;

/**
 * IEEE 754 binary32 arithmetic on bit patterns, with integer instructions only: add, multiply, divide,
 * conversion from int and round-to-integer, each rounding to nearest, ties to even (the default mode
 * ONNX Runtime's CPU kernels run in). The simulator uses it where ONNX Runtime's own kernel computes
 * in float32 and the result depends on its rounding order (QLinearAveragePool, QLinearSoftmax), so the
 * integer hardware can reproduce ORT bit for bit without a floating-point unit: what a
 * software-float library does on an FPU-less core.
 *
 * <p>Infinities and NaNs are not produced by the callers (finite scales, bounded sums) and are not
 * handled; subnormals are.
 */
public final class SoftFloat32 {
    private SoftFloat32() { }

    private static final long SIGN = 0x8000_0000L;

    /** The value {@code m * 2^e} (m >= 0, at most 62 bits), signed, rounded once to binary32 bits. */
    static int pack(boolean negative, long m, int e) {
        int sign = negative ? 0x8000_0000 : 0;
        if (m == 0) {
            return sign;
        }
        int len = 64 - Long.numberOfLeadingZeros(m);
        int shift = Math.max(len - 24, -149 - e);
        if (shift > 0) {
            if (shift > 63) {
                return sign;  // far below the smallest subnormal's half: rounds to zero
            }
            long kept = m >>> shift;
            long rem = m - (kept << shift);
            long half = 1L << (shift - 1);
            if (rem > half || (rem == half && (kept & 1) == 1)) {
                kept++;
            }
            m = kept;
            e += shift;
            if (m == 1L << 24) {
                m >>>= 1;
                e++;
            }
        } else if (shift < 0) {
            m <<= -shift;
            e += shift;
        }
        if (m >= 1L << 23) {
            int biased = e + 150;
            if (biased >= 255) {
                return sign | 0x7F80_0000;  // overflow to infinity
            }
            return sign | biased << 23 | (int) (m & 0x7F_FFFF);
        }
        return sign | (int) m;  // subnormal: e == -149
    }

    private static long mant(int bits) {
        int ex = bits >>> 23 & 0xFF;
        return ex == 0 ? bits & 0x7F_FFFF : (bits & 0x7F_FFFF) | 0x80_0000;
    }

    private static int expo(int bits) {
        int ex = bits >>> 23 & 0xFF;
        return ex == 0 ? -149 : ex - 150;
    }

    /** {@code a + b}, rounded once. */
    public static int add(int a, int b) {
        long ma = mant(a);
        long mb = mant(b);
        if (mb == 0) {
            return ma == 0 ? a & b : a;
        }
        if (ma == 0) {
            return b;
        }
        int ea = expo(a);
        int eb = expo(b);
        boolean na = a < 0;
        boolean nb = b < 0;
        if (ea < eb || (ea == eb && ma < mb)) {
            long tm = ma; ma = mb; mb = tm;
            int te = ea; ea = eb; eb = te;
            boolean tn = na; na = nb; nb = tn;
        }
        // the larger operand gets 32 guard bits; the smaller is aligned to it, what falls off kept as a sticky bit
        long big = ma << 32;
        int e = ea - 32;
        int s = e - eb;
        long small;
        if (s <= 0) {
            small = mb << -s;
        } else if (s > 62) {
            small = 1;
        } else {
            small = mb >>> s;
            if (small << s != mb) {
                small |= 1;
            }
        }
        long sum = na == nb ? big + small : big - small;
        if (sum == 0) {
            return 0;
        }
        return pack(na, sum, e);
    }

    /** {@code a * b}, rounded once. */
    public static int mul(int a, int b) {
        return pack((a ^ b) < 0, mant(a) * mant(b), expo(a) + expo(b));
    }

    /** {@code a / b}, rounded once; {@code b} must not be zero. */
    public static int div(int a, int b) {
        long ma = mant(a);
        long mb = mant(b);
        if (mb == 0) {
            throw new ArithmeticException("float32 division by zero");
        }
        boolean neg = (a ^ b) < 0;
        if (ma == 0) {
            return neg ? (int) SIGN : 0;
        }
        int ea = expo(a);
        int eb = expo(b);
        // normalise both significands to 24 bits so the quotient has at least 37 significant bits
        int la = 64 - Long.numberOfLeadingZeros(ma);
        int lb = 64 - Long.numberOfLeadingZeros(mb);
        ma <<= 24 - la;
        ea -= 24 - la;
        mb <<= 24 - lb;
        eb -= 24 - lb;
        long num = ma << 38;
        long q = num / mb;
        if (q * mb != num) {
            q |= 1;  // sticky: the exact quotient lies strictly between q and q + 1
        }
        return pack(neg, q, ea - eb - 38);
    }

    /** {@code (float) i}, rounded once. */
    public static int fromInt(long i) {
        return pack(i < 0, Math.abs(i), 0);
    }

    /** Rounds to the nearest integer, ties to even ({@code nearbyintf}); the value must fit in an int. */
    public static int rint(int bits) {
        long m = mant(bits);
        int e = expo(bits);
        long r;
        if (e >= 0) {
            r = m << Math.min(e, 40);
        } else if (-e > 62) {
            r = 0;
        } else {
            int s = -e;
            long kept = m >>> s;
            long rem = m - (kept << s);
            long half = 1L << (s - 1);
            if (rem > half || (rem == half && (kept & 1) == 1)) {
                kept++;
            }
            r = kept;
        }
        return (int) (bits < 0 ? -r : r);
    }

    /**
     * Truncates toward zero ({@code static_cast<int>(float)}, what C++ does when it converts a float to an
     * integer type); the value must fit in an int.
     */
    public static int trunc(int bits) {
        long m = mant(bits);
        int e = expo(bits);
        long r = e >= 0 ? m << Math.min(e, 40) : -e > 62 ? 0 : m >>> -e;
        return (int) (bits < 0 ? -r : r);
    }
}
