package io.intbench.compiler.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.qir.QTensor;
import io.intbench.isa.DType;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Every entry of every compile-time table ({@link Tables#unary}, {@link Tables#rescale},
 * {@link Tables#add}) against ONNX Runtime's semantics written out independently here
 * (NUMERICS.md):
 * <ul>
 *   <li>DequantizeLinear: {@code float(q − zp) · scale} — computed as an exact double product
 *       rounded once to float;</li>
 *   <li>the function in double precision, rounded to float;</li>
 *   <li>QuantizeLinear ({@code MlasQuantizeLinear}): float32 division (double quotient rounded to
 *       float, innocuous since 53 ≥ 2·24 + 2), round half to even (written out), add the
 *       zero point, saturate; then the fused Relu/Clip bounds;</li>
 *   <li>QLinearAdd on x86 AVX2 ({@code qladd_avx2.cpp}):
 *       {@code fma(a, rA, fma(b, rB, F))}, {@code rA = sa/sc}, {@code rB = sb/sc},
 *       {@code F = zc − fma(rA, za, rB·zb)} in float32 with {@link Math#fma}; a broadcast scalar
 *       operand is folded into {@code F} first with a separate multiply and add. A second check
 *       compares it with the exact rational sum, away from ties.</li>
 * </ul>
 * Each try checks all 256 codes (all 65,536 pairs for Add).
 */
class TablesPropertyTest {

    /** A named float function, as ONNX defines it (float32 steps where ONNX has them). */
    record Fn(String name, DoubleUnaryOperator f) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Quantization parameters of one tensor. */
    record Params(DType type, float scale, int zp) {
        QTensor tensor(String name) {
            return new QTensor(name, type, new long[] {1, 16}, scale, zp);
        }
    }

    @Provide
    Arbitrary<Params> params() {
        Arbitrary<Float> scale = Arbitraries.frequencyOf(
                Tuple.of(8, Combinators.combine(Arbitraries.integers().between(127 - 12, 127 + 2),
                        Arbitraries.integers().between(0, (1 << 23) - 1)).as((b, f) -> Float.intBitsToFloat((b << 23) | f))),
                // powers of two: in/out ratios that put exact ties (x.5) in the tables, where half-even matters
                Tuple.of(4, Arbitraries.integers().between(-10, 2).map(e -> Math.scalb(1f, e))),
                Tuple.of(1, Arbitraries.of(1f, 0.5f, 1f / 255, 0.1f, 1f / 128, 6f / 255, 0x1p-20f, 100f)));
        return Combinators.combine(Arbitraries.of(DType.UINT8, DType.INT8), scale, Arbitraries.integers().between(0, 255),
                        Arbitraries.integers().between(0, 3))
                .as((t, s, z, pick) -> new Params(t, s, pick == 0 ? t.qmin() : pick == 1 ? t.qmax() : t.qmin() + z));
    }

    @Provide
    Arbitrary<Fn> functions() {
        return Arbitraries.of(
                new Fn("Tanh", Math::tanh),
                new Fn("Sigmoid", x -> 1 / (1 + Math.exp(-x))),
                new Fn("Exp", Math::exp),
                new Fn("Abs", Math::abs),
                new Fn("Neg", x -> -x),
                new Fn("Softplus", x -> Math.log(1 + Math.exp(x))),
                new Fn("Identity", x -> x),
                new Fn("HardSigmoid", x -> Math.max(0f, Math.min(1f, 0.2f * (float) x + 0.5f))),
                new Fn("LeakyRelu", x -> x >= 0 ? x : 0.01f * (float) x),
                new Fn("Elu", x -> x >= 0 ? x : Math.expm1(x)),
                new Fn("Square", x -> x * x));
    }

    /** Clamp bounds of a fused Relu/Clip, in output codes: mostly the full range. */
    record Clamp(int lo, int hi) {
    }

    private static Clamp clamp(Params out, Random rnd) {
        int qmin = out.type().qmin();
        int qmax = out.type().qmax();
        return switch (rnd.nextInt(4)) {
            case 0 -> new Clamp(out.zp(), qmax);                             // Relu
            case 1 -> {
                int a = qmin + rnd.nextInt(256);
                int b = qmin + rnd.nextInt(256);
                yield new Clamp(Math.min(a, b), Math.max(a, b));                // Clip
            }
            default -> new Clamp(qmin, qmax);
        };
    }

    // ---------------------------------------------------------------------------------------------
    // The reference
    // ---------------------------------------------------------------------------------------------

    /** The signed or unsigned code a table index (the raw byte) stands for. */
    private static int codeOf(int index, DType t) {
        return t == DType.INT8 && index >= 128 ? index - 256 : index;
    }

    private static float dequantize(int q, Params p) {
        return (float) ((double) (q - p.zp()) * (double) p.scale());
    }

    /**
     * Round half to even, then saturate to [lo, hi]. Written out rather than calling Math.rint: below
     * 2^40 a float's floor and fraction are exact in double, so the tie test is exact.
     */
    private static int roundHalfEvenSaturated(float v, long lo, long hi) {
        if (Float.isNaN(v)) {
            throw new AssertionError("NaN in a table reference");
        }
        if (Float.isInfinite(v) || Math.abs(v) >= 0x1p40f) {
            return (int) (v > 0 ? hi : lo);
        }
        double floor = Math.floor(v);
        double fraction = v - floor;
        long r = (long) floor;
        if (fraction > 0.5 || (fraction == 0.5 && (r & 1) != 0)) {
            r++;
        }
        return (int) Math.max(lo, Math.min(hi, r));
    }

    /** QuantizeLinear: float32 quotient, round half even, add zp, saturate. */
    private static int quantize(float y, Params p) {
        float quotient = (float) ((double) y / (double) p.scale());
        long shift = p.zp();
        return roundHalfEvenSaturated(quotient, p.type().qmin() - shift, p.type().qmax() - shift) + p.zp();
    }

    private static int decode(byte b, DType t) {
        return t == DType.INT8 ? b : b & 0xFF;
    }

    // ---------------------------------------------------------------------------------------------
    // Unary and rescale tables
    // ---------------------------------------------------------------------------------------------

    @Property(tries = 3000)
    void unaryTableIsQuantizeOfFunctionOfDequantize(@ForAll("params") Params in, @ForAll("params") Params out,
                                                     @ForAll("functions") Fn fn, @ForAll long seed) {
        Clamp c = clamp(out, new Random(seed));
        byte[] table = Tables.unary(in.tensor("x"), out.tensor("y"), fn.f(), c.lo(), c.hi());
        assertEquals(256, table.length);
        for (int i = 0; i < 256; i++) {
            float x = dequantize(codeOf(i, in.type()), in);
            float y = (float) fn.f().applyAsDouble(x);
            int expected = Math.max(c.lo(), Math.min(c.hi(), quantize(y, out)));
            int index = i;
            assertEquals(expected, decode(table[i], out.type()),
                    () -> fn + " " + in + " -> " + out + " " + c + " at index " + index + " (x=" + x + ", f=" + y + ")");
        }
    }

    @Property(tries = 3000)
    void rescaleTableIsQuantizeOfDequantize(@ForAll("params") Params in, @ForAll("params") Params out, @ForAll long seed) {
        Clamp c = clamp(out, new Random(seed));
        byte[] table = Tables.rescale(in.tensor("x"), out.tensor("y"), c.lo(), c.hi());
        for (int i = 0; i < 256; i++) {
            float x = dequantize(codeOf(i, in.type()), in);
            int expected = Math.max(c.lo(), Math.min(c.hi(), quantize(x, out)));
            int index = i;
            assertEquals(expected, decode(table[i], out.type()),
                    () -> in + " -> " + out + " " + c + " at index " + index + " (x=" + x + ")");
        }
    }

    /** Same parameters in and out: the rescale table is the identity on codes (what ORT's Q/DQ removal assumes). */
    @Property(tries = 500)
    void rescaleWithEqualParametersIsTheIdentity(@ForAll("params") Params p) {
        byte[] table = Tables.rescale(p.tensor("x"), p.tensor("y"), p.type().qmin(), p.type().qmax());
        for (int i = 0; i < 256; i++) {
            assertEquals((byte) i, table[i], p + " at " + i);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // QLinearAdd
    // ---------------------------------------------------------------------------------------------

    @Property(tries = 200)
    void addTableIsOrtsAvx2Kernel(@ForAll("params") Params a, @ForAll("params") Params b, @ForAll("params") Params out,
                                  @ForAll("broadcast") int broadcast, @ForAll long seed) {
        Random rnd = new Random(seed);
        Clamp c = clamp(out, rnd);
        boolean scalarA = broadcast == 1;
        boolean scalarB = broadcast == 2;
        byte[] table = Tables.add(a.tensor("a"), b.tensor("b"), out.tensor("c"), scalarA, scalarB, c.lo(), c.hi());
        assertEquals(65536, table.length);
        // qladd_avx2.cpp, written from NUMERICS.md
        float rA = (float) ((double) a.scale() / out.scale());
        float rB = (float) ((double) b.scale() / out.scale());
        float f = (float) out.zp() - Math.fma(rA, (float) a.zp(), rB * (float) b.zp());
        long lo = out.type().qmin();
        long hi = out.type().qmax();
        for (int ia = 0; ia < 256; ia++) {
            float va = codeOf(ia, a.type());
            for (int ib = 0; ib < 256; ib++) {
                float vb = codeOf(ib, b.type());
                float r;
                if (scalarA) {
                    // qlinear_binary_op.cc passes (b, a) to the kernel when a is the scalar: the kernel's
                    // constant is then zc - fma(rB, zb, rA * za)
                    float swapped = (float) out.zp() - Math.fma(rB, (float) b.zp(), rA * (float) a.zp());
                    float folded = swapped + va * rA;
                    r = Math.fma(vb, rB, folded);
                } else if (scalarB) {
                    float folded = f + vb * rB;
                    r = Math.fma(va, rA, folded);
                } else {
                    r = Math.fma(va, rA, Math.fma(vb, rB, f));
                }
                int expected = Math.max(c.lo(), Math.min(c.hi(), roundHalfEvenSaturated(r, lo, hi)));
                int got = decode(table[ia << 8 | ib], out.type());
                if (expected != got) {
                    throw new AssertionError(a + " + " + b + " -> " + out + " " + c + " broadcast " + broadcast
                            + " at (" + ia + ", " + ib + "): expected " + expected + ", table has " + got);
                }
            }
        }
        // and against exact rationals on a sample of pairs: within 1, and equal away from ties
        MathContext mc = new MathContext(60);
        BigDecimal sc = new BigDecimal(out.scale());
        for (int n = 0; n < 256; n++) {
            int ia = rnd.nextInt(256);
            int ib = rnd.nextInt(256);
            int qa = codeOf(ia, a.type());
            int qb = codeOf(ib, b.type());
            BigDecimal ta = new BigDecimal(a.scale()).multiply(BigDecimal.valueOf(qa - a.zp())).divide(sc, mc);
            BigDecimal tb = new BigDecimal(b.scale()).multiply(BigDecimal.valueOf(qb - b.zp())).divide(sc, mc);
            BigDecimal exact = ta.add(tb).add(BigDecimal.valueOf(out.zp()));
            long rounded = exact.setScale(0, RoundingMode.HALF_EVEN).max(BigDecimal.valueOf(lo)).min(BigDecimal.valueOf(hi))
                    .longValueExact();
            int expected = (int) Math.max(c.lo(), Math.min(c.hi(), rounded));
            int got = decode(table[ia << 8 | ib], out.type());
            // float error: a few roundings of terms of magnitude up to |ta| + |tb| + |F| (+ zero point terms)
            double magnitude = Math.abs(ta.doubleValue()) + Math.abs(tb.doubleValue()) + Math.abs(f)
                    + Math.abs(rA * a.zp()) + Math.abs(rB * b.zp()) + Math.abs(out.zp()) + 1;
            BigDecimal fraction = exact.subtract(exact.setScale(0, RoundingMode.FLOOR));
            double distanceToTie = Math.abs(fraction.doubleValue() - 0.5);
            // within 1, plus what float32 rounding of terms of this magnitude can add (extreme scale ratios)
            long slack = 1 + (long) Math.ceil(magnitude * 0x1p-21);
            assertTrue(Math.abs(expected - got) <= slack, () -> "exact " + exact + " vs table " + got + " (slack " + slack + ")");
            if (distanceToTie > magnitude * 0x1p-20) {
                assertEquals(expected, got, () -> a + " + " + b + " -> " + out + ": exact " + exact + " vs table " + got);
            }
        }
    }

    @Provide
    Arbitrary<Integer> broadcast() {
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(0)), Tuple.of(1, Arbitraries.just(1)),
                Tuple.of(1, Arbitraries.just(2)));
    }
}
