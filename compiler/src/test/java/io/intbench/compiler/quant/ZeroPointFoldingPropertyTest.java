package io.intbench.compiler.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.intbench.compiler.qir.QOp;
import io.intbench.compiler.qir.QTensor;
import io.intbench.isa.DType;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * The zero-point folding identity every integer GEMM kernel relies on (gemmlowp's "low-precision"
 * doc, ORT's MLAS, TFLite): with {@code K} products,
 * <pre>
 *   Σ (x − zx)(w − zw) = Σ x·w − zw·Σ x − zx·Σ w + K·zx·zw
 * </pre>
 * checked over random shapes (rows × K × columns, per-column weight zero points), both signednesses
 * and any zero points, in exact {@code long} arithmetic; and the consequence hardware cares about:
 * evaluated with wrapping int32 arithmetic (where {@code Σ x·w} alone may overflow), the folded
 * form still gives the exact result whenever {@link AccumulatorBound} proves the layer safe, because
 * both sides agree modulo 2^32 and the true value lies in the int32 range.
 */
class ZeroPointFoldingPropertyTest {

    /** Codes drawn from the full 8-bit range of either signedness, extremes over-weighted. */
    private static int code(Random rnd, DType t) {
        int r = rnd.nextInt(6);
        return r == 0 ? t.qmin() : r == 1 ? t.qmax() : t.qmin() + rnd.nextInt(256);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 5000)
    void foldedSumEqualsDirectSum(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        DType xt = rnd.nextBoolean() ? DType.UINT8 : DType.INT8;
        DType wt = rnd.nextBoolean() ? DType.UINT8 : DType.INT8;
        int rows = 1 + rnd.nextInt(4);
        int k = 1 + rnd.nextInt(rnd.nextBoolean() ? 16 : 2000);
        int cols = 1 + rnd.nextInt(4);
        // zero points anywhere in their type's range (not only 0 / 128)
        long zx = code(rnd, xt);
        long[] x = new long[rows * k];
        long[] w = new long[cols * k];
        long[] zw = new long[cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = code(rnd, xt);
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = code(rnd, wt);
        }
        for (int j = 0; j < cols; j++) {
            zw[j] = code(rnd, wt);
        }
        for (int m = 0; m < rows; m++) {
            for (int j = 0; j < cols; j++) {
                long direct = 0;
                long xw = 0;
                long sx = 0;
                long sw = 0;
                for (int i = 0; i < k; i++) {
                    long xv = x[m * k + i];
                    long wv = w[j * k + i];
                    direct += (xv - zx) * (wv - zw[j]);
                    xw += xv * wv;
                    sx += xv;
                    sw += wv;
                }
                long folded = xw - zw[j] * sx - zx * sw + k * zx * zw[j];
                assertEquals(direct, folded, () -> "seed " + seed);
            }
        }
    }

    /**
     * Wrapping int32 evaluation of the folded form, with the bias added, equals the exact long
     * accumulator for every layer the bound admits — even where the raw {@code Σ x·w} term does not
     * fit an int32.
     */
    @Property(tries = 1000)
    void wrappingInt32FoldingIsExactForLayersTheBoundAdmits(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        // one try in three: uint8 codes near 255 and K > 2^31 / 255^2, where Σ x·w alone overflows int32
        boolean hot = rnd.nextInt(3) == 0;
        DType xt = hot || rnd.nextBoolean() ? DType.UINT8 : DType.INT8;
        DType wt = hot || rnd.nextBoolean() ? DType.UINT8 : DType.INT8;
        int k = hot ? 34_000 + rnd.nextInt(12_000) : 1 + rnd.nextInt(5000);
        int n = 1 + rnd.nextInt(3);
        int zx = hot ? 255 - rnd.nextInt(8) : code(rnd, xt);
        int[] x = new int[k];
        int[] w = new int[n * k];
        int[] wZp = new int[n];
        int[] bias = new int[n];
        for (int i = 0; i < k; i++) {
            // inputs near their zero point, as real activations mostly are, with outliers
            x[i] = rnd.nextInt(8) == 0 ? code(rnd, xt) : Math.max(xt.qmin(), Math.min(xt.qmax(), zx + rnd.nextInt(9) - 4));
        }
        for (int j = 0; j < n; j++) {
            wZp[j] = hot ? 255 - rnd.nextInt(8) : code(rnd, wt);
            bias[j] = rnd.nextInt(1 << 24) - (1 << 23);
            for (int i = 0; i < k; i++) {
                w[j * k + i] = rnd.nextInt(4) == 0 ? code(rnd, wt)
                        : Math.max(wt.qmin(), Math.min(wt.qmax(), wZp[j] + rnd.nextInt(9) - 4));
            }
        }
        QOp.MatMul op = new QOp.MatMul("fc", List.of("fc"), new QTensor("x", xt, new long[] {1, k}, 0.02f, zx),
                new QTensor("y", DType.UINT8, new long[] {1, n}, 0.02f, 0), AccumulatorBoundPropertyTest.bytes(w), wt, k, n,
                wZp, new float[n], bias, 1f, false, 0, 255);
        long[] bounds = AccumulatorBound.channelBounds(op);
        for (int j = 0; j < n; j++) {
            long exact = bias[j];
            int xw = 0;
            int sx = 0;
            int sw = 0;
            long rawXw = 0;
            for (int i = 0; i < k; i++) {
                exact += ((long) x[i] - zx) * ((long) w[j * k + i] - wZp[j]);
                xw += x[i] * w[j * k + i];                      // int32, wraps
                rawXw += (long) x[i] * w[j * k + i];
                sx += x[i];
                sw += w[j * k + i];
            }
            boolean rawOverflows = rawXw != (int) rawXw;
            int folded = bias[j] + xw - wZp[j] * sx - zx * sw + k * zx * wZp[j];   // all int32, wrapping
            if (bounds[j] < AccumulatorBound.LIMIT) {
                Statistics.label("case").collect(rawOverflows ? "admitted, raw Σxw overflows int32" : "admitted");
                assertEquals(exact, folded, () -> "seed " + seed);
            } else {
                Statistics.label("case").collect("refused by the bound");
                // no claim: the exact accumulator may leave int32; it still agrees modulo 2^32
                assertEquals((int) exact, folded);
            }
        }
        Statistics.label("case").coverage(cov -> cov.check("admitted, raw Σxw overflows int32").count(c -> c > 100));
    }
}
