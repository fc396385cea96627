package io.intbench.compiler.quant;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.intbench.compiler.Compiler;
import io.intbench.compiler.qir.QModel;
import io.intbench.compiler.qir.QOp;
import io.intbench.compiler.qir.QTensor;
import io.intbench.compiler.testing.ConvSpec;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.isa.DType;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto.ModelProto;
import io.intbench.onnx.OnnxProto.TensorProto;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;

/**
 * The accumulator range proof ({@link AccumulatorBound}) on both sides of 2^31, and its soundness.
 *
 * <p>References written here, not taken from the code under test: the bound recomputed with
 * overflow-checked long arithmetic; layers constructed so that the bound is a chosen number a few units below or
 * above 2^31; and for soundness an independent convolution / matrix multiply in {@code long}
 * arithmetic that records every partial sum, in the loop order and in a random order.
 */
class AccumulatorBoundPropertyTest {

    private static final long LIMIT = 1L << 31;

    // ---------------------------------------------------------------------------------------------
    // Independent reference of the bound
    // ---------------------------------------------------------------------------------------------

    private static long maxAbsInput(DType t, int zx) {
        return Math.max((long) zx - t.qmin(), (long) t.qmax() - zx);
    }

    /**
     * |bias| + max|x - zx| * sum |w - zw| over one channel's weights, with exact (overflow-checked)
     * long arithmetic: fewer than 2^31 terms of at most 2^9 each, times at most 2^8, fits easily.
     */
    private static BigInteger referenceBound(int[] w, int from, int count, int zw, int bias, long maxX) {
        long s = 0;
        for (int i = from; i < from + count; i++) {
            s = Math.addExact(s, Math.abs((long) w[i] - zw));
        }
        return BigInteger.valueOf(Math.addExact(Math.abs((long) bias), Math.multiplyExact(s, maxX)));
    }

    // ---------------------------------------------------------------------------------------------
    // Layers whose bound is a chosen target near 2^31
    // ---------------------------------------------------------------------------------------------

    /** Input and weight quantization of a generated layer. */
    record Types(DType xType, int zx, DType wType, int zw) {
        long maxX() {
            return maxAbsInput(xType, zx);
        }

        /** Largest |w - zw| a weight code can have. */
        long maxW() {
            return Math.max((long) zw - wType.qmin(), (long) wType.qmax() - zw);
        }
    }

    /**
     * One layer built so that channel {@code hot} has the bound {@code target} exactly: weights with
     * {@code Σ|w - zw| = sumW} (mostly extreme codes, one remainder, some equal to zw, shuffled) and
     * {@code |bias| = target - maxX * sumW}. Other channels have small random weights.
     */
    record Edge(Types types, long target, int channels, int hot, int perChannel, int[] weights, int[] wZp, int[] bias,
                long seed) {
        @Override
        public String toString() {
            return "Edge[" + types + ", target=" + target + " (2^31" + (target >= LIMIT ? "+" : "") + (target - LIMIT)
                    + "), channels=" + channels + ", hot=" + hot + ", perChannel=" + perChannel + ", bias[hot]="
                    + bias[hot] + ", seed=" + seed + "]";
        }
    }

    @Provide
    Arbitrary<Types> types() {
        Arbitrary<DType> q8 = Arbitraries.of(DType.UINT8, DType.INT8);
        return Combinators.combine(q8, q8, Arbitraries.integers().between(0, 255), Arbitraries.integers().between(0, 255),
                        Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 3))
                .as((xt, wt, zxi, zwi, xe, we) -> {
                    // zero points anywhere in the type's range, with the ends (the worst case) over-weighted
                    int zx = xe == 0 ? xt.qmin() : xe == 1 ? xt.qmax() : xt.qmin() + zxi;
                    int zw = we == 0 ? wt.qmin() : we == 1 ? wt.qmax() : wt.qmin() + zwi;
                    return new Types(xt, zx, wt, zw);
                });
    }

    /** Offsets of the target from 2^31: the two sides' edges, and farther away. */
    @Provide
    Arbitrary<Long> offsets() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(-1L, 0L)),
                Tuple.of(2, Arbitraries.of(-2L, 1L, 2L, -255L, 255L)),
                Tuple.of(3, Arbitraries.longs().between(-100_000, 100_000)),
                Tuple.of(1, Arbitraries.longs().between(-(1L << 30), 1L << 30)));
    }

    @Provide
    Arbitrary<Edge> edges() {
        return Combinators.combine(types(), offsets(), Arbitraries.integers().between(1, 4),
                        Arbitraries.longs(), Arbitraries.doubles().between(0, 1), Arbitraries.of(1, -1))
                .as((t, offset, channels, seed, r, sign) -> edge(t, LIMIT + offset, channels, seed, r, sign));
    }

    private static Edge edge(Types t, long target, int channels, long seed, double r, int sign) {
        Random rnd = new Random(seed);
        long maxX = t.maxX();
        long maxW = t.maxW();
        // sumW in [ceil((target - (2^31 - 1)) / maxX), floor(target / maxX)]: then |bias| fits an int32
        long lo = Math.max(0, Math.floorDiv(target - (LIMIT - 1) + maxX - 1, maxX));
        long hi = target / maxX;
        long sumW = lo + (long) (r * (hi - lo));
        long biasMag = target - maxX * sumW;
        int full = (int) (sumW / maxW);
        int rest = (int) (sumW % maxW);
        int zeros = rnd.nextInt(5);
        int perChannel = Math.max(1, full + (rest > 0 ? 1 : 0) + zeros);
        int[] dev = new int[perChannel];                     // zero-initialised: the w = zw entries
        java.util.Arrays.fill(dev, 0, full, (int) maxW);
        if (rest > 0) {
            dev[full] = rest;
        }
        for (int i = perChannel - 1; i > 0; i--) {           // Fisher-Yates shuffle
            int j = rnd.nextInt(i + 1);
            int tmp = dev[i];
            dev[i] = dev[j];
            dev[j] = tmp;
        }
        int hot = rnd.nextInt(channels);
        int[] w = new int[channels * perChannel];
        int[] wZp = new int[channels];
        int[] bias = new int[channels];
        for (int c = 0; c < channels; c++) {
            wZp[c] = t.zw();
            for (int i = 0; i < perChannel; i++) {
                int code;
                if (c == hot) {
                    int d = dev[i];
                    // a deviation of d from zw, on whichever side the type allows (random when both do)
                    boolean up = t.zw() + d <= t.wType().qmax() && (t.zw() - d < t.wType().qmin() || rnd.nextBoolean());
                    code = up ? t.zw() + d : t.zw() - d;
                } else {
                    code = Math.max(t.wType().qmin(), Math.min(t.wType().qmax(), t.zw() + rnd.nextInt(7) - 3));
                }
                w[c * perChannel + i] = code;
            }
            bias[c] = c == hot ? (int) (sign * biasMag) : rnd.nextInt(2001) - 1000;
        }
        return new Edge(t, target, channels, hot, perChannel, w, wZp, bias, seed);
    }

    /** Weight codes (each in its type's range) as the bytes a QOp holds. */
    static byte[] bytes(int[] codes) {
        byte[] b = new byte[codes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) codes[i];
        }
        return b;
    }

    private static QTensor tensor(String name, DType t, int zp, long... shape) {
        return new QTensor(name, t, shape, 0.02f, zp);
    }

    private static QOp.MatMul matMul(Edge e) {
        Types t = e.types();
        return new QOp.MatMul("fc_edge", List.of("fc_edge_node"), tensor("x", t.xType(), t.zx(), 1, e.perChannel()),
                tensor("y", DType.UINT8, 0, 1, e.channels()), bytes(e.weights()), t.wType(), e.perChannel(), e.channels(),
                e.wZp(), filled(e.channels(), 0.01f), e.bias(), 1f, false, 0, 255);
    }

    /** The same weights as a Conv: inC = perChannel, 1x1 kernel, 1x1 image. */
    private static QOp.Conv conv(Edge e) {
        Types t = e.types();
        return new QOp.Conv("conv_edge", List.of("conv_edge_node"), tensor("x", t.xType(), t.zx(), 1, e.perChannel(), 1, 1),
                tensor("y", DType.UINT8, 0, 1, e.channels(), 1, 1), bytes(e.weights()), t.wType(),
                new int[] {e.channels(), e.perChannel(), 1, 1}, e.wZp(), filled(e.channels(), 0.01f), e.bias(),
                new int[] {1, 1}, new int[] {0, 0, 0, 0}, new int[] {1, 1}, 1, 0, 255);
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private static QModel model(QOp op) {
        return new QModel("edge-model", List.of(), List.of(op), List.of(), List.of());
    }

    /** Guards the generator: the hot channel's bound really is the target. */
    @Property(tries = 300)
    void edgeGeneratorHitsItsTarget(@ForAll("edges") Edge e) {
        long maxX = e.types().maxX();
        BigInteger b = referenceBound(e.weights(), e.hot() * e.perChannel(), e.perChannel(), e.wZp()[e.hot()],
                e.bias()[e.hot()], maxX);
        assertEquals(BigInteger.valueOf(e.target()), b, e::toString);
    }

    /**
     * Layers whose worst channel's bound is just below 2^31 compile; just at or above it they are
     * refused, with the layer, channel, bound and 2^31 in the message. Same for MatMul and Conv.
     */
    @Property(tries = 2000)
    void checkPassesBelowAndRefusesAtOrAboveTwoTo31(@ForAll("edges") Edge e) {
        // the reference bound of every channel; the hot one is the target, the others are small
        long worst = 0;
        int worstChannel = -1;
        for (int c = 0; c < e.channels(); c++) {
            long b = referenceBound(e.weights(), c * e.perChannel(), e.perChannel(), e.wZp()[c], e.bias()[c],
                    e.types().maxX()).longValueExact();
            if (b > worst) {
                worst = b;
                worstChannel = c;
            }
        }
        assertEquals(e.target(), worst, e::toString);
        Statistics.label("side").collect(e.target() < LIMIT ? "below 2^31" : "at or above 2^31");
        Statistics.label("distance").collect(Math.abs(e.target() - LIMIT + 0.5) < 3 ? "within 3 of the edge" : "farther");
        Statistics.label("side").coverage(cov -> {
            cov.check("below 2^31").percentage(p -> p > 30);
            cov.check("at or above 2^31").percentage(p -> p > 30);
        });
        Statistics.label("distance").coverage(cov -> cov.check("within 3 of the edge").percentage(p -> p > 10));
        for (QOp op : List.of(matMul(e), conv(e))) {
            long bound = op instanceof QOp.Conv c ? AccumulatorBound.bound(c) : AccumulatorBound.bound((QOp.MatMul) op);
            assertEquals(e.target(), bound, e::toString);
            if (e.target() < LIMIT) {
                assertDoesNotThrow(() -> AccumulatorBound.check(model(op)), e::toString);
            } else {
                IntbenchException.UnsupportedModel x = assertThrows(IntbenchException.UnsupportedModel.class,
                        () -> AccumulatorBound.check(model(op)), e::toString);
                String m = x.getMessage();
                assertTrue(m.contains("layer " + op.name()), m);
                assertTrue(m.contains("output channel " + worstChannel), m);
                assertTrue(m.contains(Long.toString(e.target())), m);
                assertTrue(m.contains("2^31 = 2147483648"), m);
                assertTrue(m.contains("int32 accumulator could overflow"), m);
            }
        }
    }

    /** The two exact edges, 2^31 - 1 (admitted) and 2^31 (refused), pinned independently of the generator's luck. */
    @Example
    void exactEdgesOnBothSides() {
        Random rnd = new Random(1);
        Types t = new Types(DType.UINT8, 0, DType.INT8, 127);
        for (long target : new long[] {LIMIT - 1, LIMIT}) {
            Edge e = edge(t, target, 3, rnd.nextLong(), 0.99, -1);
            assertEquals(target, AccumulatorBound.bound(matMul(e)));
            if (target < LIMIT) {
                assertDoesNotThrow(() -> AccumulatorBound.check(model(conv(e))));
            } else {
                assertThrows(IntbenchException.UnsupportedModel.class, () -> AccumulatorBound.check(model(conv(e))));
            }
        }
    }

    /** A bias of -2^31 alone already reaches the limit: its magnitude is not an int32. */
    @Property(tries = 200)
    void biasOfIntMinIsRefusedWhateverTheWeights(@ForAll("types") Types t, @ForAll @IntRange(min = 1, max = 64) int k) {
        int[] w = new int[k];
        java.util.Arrays.fill(w, t.zw());                  // all terms zero: the bias alone is the bound
        QOp.MatMul m = new QOp.MatMul("fc_min", List.of("fc_min"), tensor("x", t.xType(), t.zx(), 1, k),
                tensor("y", DType.UINT8, 0, 1, 1), bytes(w), t.wType(), k, 1, new int[] {t.zw()}, new float[] {0.01f},
                new int[] {Integer.MIN_VALUE}, 1f, true, 0, 255);
        assertEquals(LIMIT, AccumulatorBound.bound(m));
        assertThrows(IntbenchException.UnsupportedModel.class, () -> AccumulatorBound.check(model(m)));
    }

    // ---------------------------------------------------------------------------------------------
    // Soundness: the bound bounds every partial sum of the real computation
    // ---------------------------------------------------------------------------------------------

    /** A random small convolution with its input. */
    record ConvCase(Types types, int inC, int outC, int groups, int h, int w, int kh, int kw, int[] strides, int[] pads,
                    int[] dil, int[] weights, int[] wZp, int[] bias, int[] x, long seed) {
        @Override
        public String toString() {
            return "ConvCase[" + types + " inC=" + inC + " outC=" + outC + " g=" + groups + " " + h + "x" + w + " k="
                    + kh + "x" + kw + " s=" + java.util.Arrays.toString(strides) + " p=" + java.util.Arrays.toString(pads)
                    + " d=" + java.util.Arrays.toString(dil) + " seed=" + seed + "]";
        }
    }

    /** A code of type t: mostly the extremes (which maximise |x - zx| or |w - zw|), sometimes anything. */
    private static int code(Random rnd, DType t, int extremeOneIn) {
        int r = rnd.nextInt(extremeOneIn);
        return r == 0 ? t.qmin() : r == 1 ? t.qmax() : t.qmin() + rnd.nextInt(256);
    }

    @Provide
    Arbitrary<ConvCase> convCases() {
        return Combinators.combine(types(), Arbitraries.longs()).as((t, seed) -> {
            Random rnd = new Random(seed);
            int groups = 1 + rnd.nextInt(3);
            int inC = groups * (1 + rnd.nextInt(3));
            int outC = groups * (1 + rnd.nextInt(3));
            int kh = 1 + rnd.nextInt(3);
            int kw = 1 + rnd.nextInt(3);
            int[] dil = {1 + rnd.nextInt(2), 1 + rnd.nextInt(2)};
            int[] strides = {1 + rnd.nextInt(2), 1 + rnd.nextInt(2)};
            int[] pads = {rnd.nextInt(kh), rnd.nextInt(kw), rnd.nextInt(kh), rnd.nextInt(kw)};
            int h = (kh - 1) * dil[0] + 1 + rnd.nextInt(4);
            int w = (kw - 1) * dil[1] + 1 + rnd.nextInt(4);
            int per = inC / groups * kh * kw;
            int extreme = 2 + rnd.nextInt(4);   // 2: only extremes; larger: more random codes
            int[] weights = new int[outC * per];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = code(rnd, t.wType(), extreme);
            }
            int[] wZp = new int[outC];
            int[] bias = new int[outC];
            for (int c = 0; c < outC; c++) {
                wZp[c] = rnd.nextBoolean() ? t.zw() : code(rnd, t.wType(), 4);
                bias[c] = rnd.nextInt(4) == 0 ? rnd.nextInt() : rnd.nextInt(200_001) - 100_000;
            }
            int[] x = new int[inC * h * w];
            for (int i = 0; i < x.length; i++) {
                x[i] = code(rnd, t.xType(), extreme);
            }
            return new ConvCase(t, inC, outC, groups, h, w, kh, kw, strides, pads, dil, weights, wZp, bias, x, seed);
        });
    }

    /**
     * The convolution in long arithmetic, written from the ONNX Conv definition (zero padding of
     * {@code x - zx}, i.e. padded positions contribute nothing). For every output element it checks
     * the bias-first running sum, and the prefix sums of the same terms added in a random order with
     * the bias inserted at a random place, against the channel's bound.
     */
    @Property(tries = 1500)
    void convBoundBoundsEveryPartialSum(@ForAll("convCases") ConvCase k) {
        Types t = k.types();
        int oh = (k.h() + k.pads()[0] + k.pads()[2] - ((k.kh() - 1) * k.dil()[0] + 1)) / k.strides()[0] + 1;
        int ow = (k.w() + k.pads()[1] + k.pads()[3] - ((k.kw() - 1) * k.dil()[1] + 1)) / k.strides()[1] + 1;
        QOp.Conv op = new QOp.Conv("conv_rand", List.of("conv_rand"), tensor("x", t.xType(), t.zx(), 1, k.inC(), k.h(), k.w()),
                tensor("y", DType.UINT8, 0, 1, k.outC(), oh, ow), bytes(k.weights()), t.wType(),
                new int[] {k.outC(), k.inC() / k.groups(), k.kh(), k.kw()}, k.wZp(), filled(k.outC(), 0.01f), k.bias(),
                k.strides(), k.pads(), k.dil(), k.groups(), 0, 255);
        long[] bounds = AccumulatorBound.channelBounds(op);
        int per = k.inC() / k.groups() * k.kh() * k.kw();
        Random rnd = new Random(k.seed() ^ 0x5DEECE66DL);
        long closest = Long.MAX_VALUE;
        for (int oc = 0; oc < k.outC(); oc++) {
            long ref = referenceBound(k.weights(), oc * per, per, k.wZp()[oc], k.bias()[oc], t.maxX()).longValueExact();
            assertEquals(ref, bounds[oc], k::toString);
            int g = oc / (k.outC() / k.groups());
            int icPer = k.inC() / k.groups();
            for (int y = 0; y < oh; y++) {
                for (int xo = 0; xo < ow; xo++) {
                    List<Long> terms = new ArrayList<>();
                    for (int ic = 0; ic < icPer; ic++) {
                        for (int i = 0; i < k.kh(); i++) {
                            for (int j = 0; j < k.kw(); j++) {
                                int iy = y * k.strides()[0] - k.pads()[0] + i * k.dil()[0];
                                int ix = xo * k.strides()[1] - k.pads()[1] + j * k.dil()[1];
                                long xv = iy < 0 || iy >= k.h() || ix < 0 || ix >= k.w() ? 0
                                        : k.x()[((g * icPer + ic) * k.h() + iy) * k.w() + ix] - (long) t.zx();
                                long wv = k.weights()[((oc * icPer + ic) * k.kh() + i) * k.kw() + j] - (long) k.wZp()[oc];
                                terms.add(xv * wv);
                            }
                        }
                    }
                    long worst = worstPrefix(k.bias()[oc], terms, rnd);
                    long bound = bounds[oc];
                    int channel = oc;
                    assertTrue(worst <= bound, () -> k + " channel " + channel + ": partial sum " + worst
                            + " exceeds the bound " + bound);
                    closest = Math.min(closest, bound - worst);
                }
            }
        }
        Statistics.label("slack of the bound").collect(closest == 0 ? "attained" : closest < 100_000 ? "< 1e5" : "larger");
    }

    /** Largest |prefix sum| of bias-then-terms, and of the terms shuffled with the bias at a random place. */
    private static long worstPrefix(int bias, List<Long> terms, Random rnd) {
        long worst = Math.abs((long) bias);
        long s = bias;
        for (long v : terms) {
            s += v;
            worst = Math.max(worst, Math.abs(s));
        }
        List<Long> shuffled = new ArrayList<>(terms);
        shuffled.add(rnd.nextInt(shuffled.size() + 1), (long) bias);
        Collections.shuffle(shuffled, rnd);
        s = 0;
        for (long v : shuffled) {
            s += v;
            worst = Math.max(worst, Math.abs(s));
        }
        return worst;
    }

    /** MatMul: {@code acc[m][n] = bias[n] + Σ_k (x[m][k] - zx)(w[n][k] - zw[n])}, all partial sums bounded. */
    @Property(tries = 1500)
    void matMulBoundBoundsEveryPartialSum(@ForAll("types") Types t, @ForAll long seed) {
        Random rnd = new Random(seed);
        int rows = 1 + rnd.nextInt(4);
        int k = 1 + rnd.nextInt(40);
        int n = 1 + rnd.nextInt(5);
        int extreme = 2 + rnd.nextInt(4);
        int[] w = new int[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = code(rnd, t.wType(), extreme);
        }
        int[] wZp = new int[n];
        int[] bias = new int[n];
        for (int j = 0; j < n; j++) {
            wZp[j] = rnd.nextBoolean() ? t.zw() : code(rnd, t.wType(), 4);
            bias[j] = rnd.nextInt(4) == 0 ? rnd.nextInt() : rnd.nextInt(200_001) - 100_000;
        }
        int[] x = new int[rows * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = code(rnd, t.xType(), extreme);
        }
        QOp.MatMul op = new QOp.MatMul("fc_rand", List.of("fc_rand"), tensor("x", t.xType(), t.zx(), rows, k),
                tensor("y", DType.UINT8, 0, rows, n), bytes(w), t.wType(), k, n, wZp, filled(n, 0.01f), bias, 1f, true, 0, 255);
        long[] bounds = AccumulatorBound.channelBounds(op);
        long max = 0;
        for (int j = 0; j < n; j++) {
            assertEquals(referenceBound(w, j * k, k, wZp[j], bias[j], t.maxX()).longValueExact(), bounds[j]);
            max = Math.max(max, bounds[j]);
            for (int m = 0; m < rows; m++) {
                List<Long> terms = new ArrayList<>();
                for (int i = 0; i < k; i++) {
                    terms.add((x[m * k + i] - (long) t.zx()) * (w[j * k + i] - (long) wZp[j]));
                }
                long worst = worstPrefix(bias[j], terms, rnd);
                long b = bounds[j];
                assertTrue(worst <= b, () -> "partial sum " + worst + " exceeds bound " + b);
            }
        }
        assertEquals(max, AccumulatorBound.bound(op));
    }

    /**
     * The bound is not loose: with the input zero point at an end of its range, a channel whose
     * weights all lie on one side of zw and a bias of the matching sign, the input at the far end
     * reaches the bound exactly.
     */
    @Property(tries = 1000)
    void boundIsAttainedWhenAllTermsCanShareASign(@ForAll("types") Types t0, @ForAll boolean zxAtMin,
                                                  @ForAll boolean weightsAbove, @ForAll @IntRange(min = 1, max = 300) int k,
                                                  @ForAll @LongRange(min = 0, max = 1L << 40) long seed) {
        int zx = zxAtMin ? t0.xType().qmin() : t0.xType().qmax();
        int zw = weightsAbove ? t0.wType().qmin() : t0.wType().qmax();
        Random rnd = new Random(seed);
        int[] w = new int[k];
        long dot = 0;
        int xFar = zxAtMin ? t0.xType().qmax() : t0.xType().qmin();
        for (int i = 0; i < k; i++) {
            w[i] = t0.wType().qmin() + rnd.nextInt(256);
            dot += (xFar - (long) zx) * (w[i] - (long) zw);
        }
        // every term has the same sign; a bias of that sign adds its magnitude
        int bias = (int) Math.signum(dot) * rnd.nextInt(1 << 20);
        long acc = bias + dot;
        QOp.MatMul op = new QOp.MatMul("fc_tight", List.of("fc_tight"), tensor("x", t0.xType(), zx, 1, k),
                tensor("y", DType.UINT8, 0, 1, 1), bytes(w), t0.wType(), k, 1, new int[] {zw}, new float[] {0.01f},
                new int[] {bias}, 1f, false, 0, 255);
        assertEquals(Math.abs(acc), AccumulatorBound.bound(op));
    }

    // ---------------------------------------------------------------------------------------------
    // Wired into the compiler
    // ---------------------------------------------------------------------------------------------

    /** A QDQ model compiles; with one channel's int32 bias raised to INT32_MAX, compile refuses it, naming it. */
    @Example
    void compilerRefusesAModelWhoseAccumulatorCouldOverflow() {
        QdqModelBuilder b = QdqModelBuilder.create(11).opset(13).activationType(DType.UINT8);
        QdqModelBuilder.Act x = b.input("input", 0.02f, 128, 1, 3, 8, 8);
        QdqModelBuilder.Act y = b.conv(x, ConvSpec.of(4, 3, 3).pads(1, 1, 1, 1), 0.05f, 0);
        b.output(y, "output");
        ModelProto model = b.build();
        HardwareConfig cfg = HardwareConfig.preset("tiny-4x4");
        Compiler.Result ok = Compiler.compile(model, "ok", cfg, Compiler.Options.defaults());
        QOp.Conv conv = (QOp.Conv) ok.qmodel().ops().stream().filter(o -> o instanceof QOp.Conv).findFirst().orElseThrow();
        long before = AccumulatorBound.bound(conv);
        assertTrue(before > 0 && before < LIMIT);

        TensorProto bias = model.getGraph().getInitializerList().stream()
                .filter(tp -> tp.getName().equals("conv1_b")).findFirst().orElseThrow();
        ByteBuffer raw = ByteBuffer.allocate(4 * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.putInt(0).putInt(0).putInt(Integer.MAX_VALUE).putInt(0);
        ModelProto.Builder mb = model.toBuilder();
        int index = model.getGraph().getInitializerList().indexOf(bias);
        mb.getGraphBuilder().setInitializer(index, bias.toBuilder().clearInt32Data().setRawData(ByteString.copyFrom(raw.array())));
        IntbenchException.UnsupportedModel e = assertThrows(IntbenchException.UnsupportedModel.class,
                () -> Compiler.compile(mb.build(), "overflowing", cfg, Compiler.Options.defaults()));
        assertTrue(e.getMessage().contains("layer conv1"), e.getMessage());
        assertTrue(e.getMessage().contains("output channel 2"), e.getMessage());
        assertTrue(e.getMessage().contains("int32 accumulator could overflow"), e.getMessage());
    }
}
