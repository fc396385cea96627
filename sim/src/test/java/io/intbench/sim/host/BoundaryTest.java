package io.intbench.sim.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link Boundary} against hand-worked values and against a reference that rounds with
 * {@link BigDecimal} (ties to even) instead of {@code Math.rint}.
 */
class BoundaryTest {

    // ---------------------------------------------------------------------------------------------
    // quantizeLinear
    // ---------------------------------------------------------------------------------------------

    @Example
    void quantizeLinearRoundsHalvesToEven() {
        assertEquals(2, Boundary.quantizeLinear(2.5f, 1f, 0, 0, 255));
        assertEquals(4, Boundary.quantizeLinear(3.5f, 1f, 0, 0, 255));
        assertEquals(0, Boundary.quantizeLinear(0.5f, 1f, 0, 0, 255));
        assertEquals(-2, Boundary.quantizeLinear(-2.5f, 1f, 0, -128, 127));
        assertEquals(-2, Boundary.quantizeLinear(-1.5f, 1f, 0, -128, 127));
        assertEquals(130, Boundary.quantizeLinear(0.625f, 0.25f, 128, 0, 255));   // 2.5 -> 2, + 128
        assertEquals(127, Boundary.quantizeLinear(0.25f, 0.5f, 127, 0, 255));     // 0.5 -> 0: zp added after rounding
    }

    /**
     * The division is float32: here the float quotient is exactly 71.5 (ties to even: 72) while the
     * exact quotient is 71.49999852..., which a double division would round to 71.
     */
    @Example
    void quantizeLinearDividesInFloat32() {
        float x = 0x1.0eeda8p0f, scale = 0x1.e504c2p-7f;
        assertEquals(71.5f, x / scale);
        assertEquals(71.0, Math.rint((double) x / scale));
        assertEquals(72, Boundary.quantizeLinear(x, scale, 0, 0, 255));
    }

    @Example
    void quantizeLinearSaturatesAndHandlesSpecialValues() {
        assertEquals(255, Boundary.quantizeLinear(1e9f, 0.1f, 3, 0, 255));
        assertEquals(0, Boundary.quantizeLinear(-1e9f, 0.1f, 3, 0, 255));
        assertEquals(127, Boundary.quantizeLinear(Float.POSITIVE_INFINITY, 1f, 0, -128, 127));
        assertEquals(-128, Boundary.quantizeLinear(Float.NEGATIVE_INFINITY, 1f, 0, -128, 127));
        assertEquals(127, Boundary.quantizeLinear(1f, 0f, 0, -128, 127));          // 1 / 0 = +inf
        assertEquals(-128, Boundary.quantizeLinear(Float.NaN, 1f, 5, -128, 127));   // SSE MAXPS picks the bound
        assertEquals(0, Boundary.quantizeLinear(0f, 0f, 100, 0, 255));              // 0 / 0 = NaN
        assertEquals(255, Boundary.quantizeLinear(200f, 1f, 100, 0, 255));          // 200 + 100 saturates
        assertEquals(0, Boundary.quantizeLinear(-3f, 1f, 2, 0, 255));
    }

    @Provide
    Arbitrary<Float> floats() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.floats().between(-50f, 50f)),
                Tuple.of(2, Arbitraries.floats().between(-1e4f, 1e4f)),
                Tuple.of(1, Arbitraries.integers().map(Float::intBitsToFloat).filter(f -> !Float.isNaN(f))),
                Tuple.of(1, Arbitraries.of(0f, -0f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE)));
    }

    @Provide
    Arbitrary<Float> scales() {
        return Arbitraries.integers().between(127 - 20, 127 + 2)
                .flatMap(b -> Arbitraries.integers().between(0, (1 << 23) - 1)
                        .map(f -> Float.intBitsToFloat((b << 23) | f)));
    }

    @Provide
    Arbitrary<int[]> ranges() {   // {zp, qmin, qmax}
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.integers().between(0, 255).map(zp -> new int[] {zp, 0, 255})),
                Tuple.of(1, Arbitraries.integers().between(-128, 127).map(zp -> new int[] {zp, -128, 127})));
    }

    private static int reference(float x, float scale, int[] r) {
        float q = x / scale;
        if (Float.isInfinite(q)) {
            return q > 0 ? r[2] : r[1];
        }
        BigDecimal rounded = new BigDecimal(q).setScale(0, RoundingMode.HALF_EVEN).add(BigDecimal.valueOf(r[0]));
        return rounded.max(BigDecimal.valueOf(r[1])).min(BigDecimal.valueOf(r[2])).intValueExact();
    }

    @Property(tries = 10000)
    void quantizeLinearEqualsHalfEvenReference(@ForAll("floats") float x, @ForAll("scales") float scale,
                                               @ForAll("ranges") int[] r) {
        assertEquals(reference(x, scale, r), Boundary.quantizeLinear(x, scale, r[0], r[1], r[2]));
    }

    /** x = (k + 1/2) * 2^-s exactly: the quotient is an exact half and must go to the even neighbour. */
    @Property(tries = 5000)
    void quantizeLinearTiesGoToEven(@ForAll @IntRange(min = -300, max = 300) int k,
                                    @ForAll @IntRange(min = 0, max = 20) int s, @ForAll("ranges") int[] r) {
        float scale = Math.scalb(1f, -s);
        float x = Math.scalb((float) (2 * k + 1), -s - 1);
        int even = (k % 2 == 0) ? k : k + 1;                     // the even one of k and k + 1
        int expected = Math.max(r[1], Math.min(r[2], even + r[0]));
        assertEquals(expected, Boundary.quantizeLinear(x, scale, r[0], r[1], r[2]));
    }

    // ---------------------------------------------------------------------------------------------
    // dequantizeLinear
    // ---------------------------------------------------------------------------------------------

    @Example
    void dequantizeLinearSubtractsThenScales() {
        assertEquals(36f, Boundary.dequantizeLinear(200, 128, 0.5f));
        assertEquals(-32f, Boundary.dequantizeLinear(-128, 0, 0.25f));
        assertEquals(0f, Boundary.dequantizeLinear(7, 7, 3.3f));
    }

    /** Reference: the integer difference times the scale, exact in double, rounded to float once. */
    @Property(tries = 5000)
    void dequantizeLinearIsOneFloat32Product(@ForAll @IntRange(min = -128, max = 255) int q,
                                             @ForAll @IntRange(min = -128, max = 255) int zp,
                                             @ForAll("scales") float scale) {
        assertEquals((float) ((double) (q - zp) * scale), Boundary.dequantizeLinear(q, zp, scale));
    }

    /** Quantize then dequantize stays within half a step of the input when nothing saturates. */
    @Property(tries = 5000)
    void roundTripIsWithinHalfAStep(@ForAll("floats") float x, @ForAll("scales") float scale, @ForAll("ranges") int[] r) {
        int q = Boundary.quantizeLinear(x, scale, r[0], r[1], r[2]);
        if (q == r[1] || q == r[2]) {
            return;
        }
        float back = Boundary.dequantizeLinear(q, r[0], scale);
        assertTrue(Math.abs((double) back - x) <= (0.5 + 1e-3) * scale, () -> x + " -> " + q + " -> " + back);
    }

    // ---------------------------------------------------------------------------------------------
    // tensors
    // ---------------------------------------------------------------------------------------------

    @Example
    void quantizePerTensor() {
        HostTensor in = HostTensor.ofFloats(new long[] {2, 3}, new float[] {0f, 0.5f, 1.25f, -0.75f, 100f, -100f});
        HostTensor q = Boundary.quantize(in, new float[] {0.5f}, new int[] {10}, 0, DType.UINT8);
        assertEquals(DType.UINT8, q.dtype());
        assertArrayEquals(new long[] {2, 3}, q.shape());
        // 0, 1, 2.5 -> 2, -1.5 -> -2, 200, -200; plus 10, saturated to [0, 255]
        assertArrayEquals(new int[] {10, 11, 12, 8, 210, 0}, q.toIntArray());
    }

    @Example
    void quantizeAndDequantizePerAxis() {
        // shape [2, 3, 2], axis 1: channel of flat index i is (i / 2) % 3
        float[] values = {1f, 2f, 1f, 2f, 1f, 2f, -1f, -2f, -1f, -2f, -1f, -2f};
        HostTensor in = HostTensor.ofFloats(new long[] {2, 3, 2}, values);
        float[] scales = {1f, 0.5f, 0.25f};
        int[] zps = {0, 1, -3};
        HostTensor q = Boundary.quantize(in, scales, zps, 1, DType.INT8);
        int[] expected = {1, 2, 3, 5, 1, 5, -1, -2, -1, -3, -7, -11};
        assertArrayEquals(expected, q.toIntArray());
        assertEquals(q, Boundary.quantize(in, scales, zps, -2, DType.INT8));       // negative axis
        HostTensor back = Boundary.dequantize(q, scales, zps, 1);
        assertEquals(DType.FLOAT32, back.dtype());
        assertArrayEquals(values, back.toFloatArray());
    }

    @Example
    void dequantizeInt32Bias() {
        HostTensor bias = HostTensor.ofInts(DType.INT32, new long[] {3}, new int[] {-1000, 0, 123456});
        HostTensor f = Boundary.dequantize(bias, new float[] {0.001f, 0.5f, 2f}, new int[] {0, 0, 0}, 0);
        assertArrayEquals(new float[] {-1000 * 0.001f, 0f, 246912f}, f.toFloatArray());
    }

    @Example
    void badParametersAreInvalidInput() {
        HostTensor in = HostTensor.ofFloats(new long[] {2, 3}, new float[6]);
        IntbenchException e = assertThrows(IntbenchException.InvalidInput.class,
                () -> Boundary.quantize(in, new float[] {1f, 1f}, new int[] {0, 0}, 1, DType.UINT8));
        assertTrue(e.getMessage().contains("axis 1 of size 3"), e.getMessage());
        e = assertThrows(IntbenchException.InvalidInput.class,
                () -> Boundary.quantize(in, new float[] {1f, 1f, 1f}, new int[] {0, 0, 0}, 2, DType.UINT8));
        assertTrue(e.getMessage().contains("axis 2 is out of range"), e.getMessage());
        e = assertThrows(IntbenchException.InvalidInput.class,
                () -> Boundary.quantize(in, new float[] {1f}, new int[] {300}, 0, DType.UINT8));
        assertTrue(e.getMessage().contains("zero point"), e.getMessage());
        e = assertThrows(IntbenchException.InvalidInput.class,
                () -> Boundary.quantize(in, new float[] {1f}, new int[] {0, 0}, 0, DType.UINT8));
        assertTrue(e.getMessage().contains("1 scales and 2 zero points"), e.getMessage());
        e = assertThrows(IntbenchException.InvalidInput.class,
                () -> Boundary.quantize(in, new float[] {1f}, new int[] {0}, 0, DType.INT32));
        assertTrue(e.getMessage().contains("INT32"), e.getMessage());
        HostTensor ints = HostTensor.ofInts(DType.UINT8, new long[] {2}, new int[] {1, 2});
        e = assertThrows(IntbenchException.InvalidInput.class,
                () -> Boundary.quantize(ints, new float[] {1f}, new int[] {0}, 0, DType.UINT8));
        assertTrue(e.getMessage().contains("expected FLOAT32"), e.getMessage());
        e = assertThrows(IntbenchException.InvalidInput.class,
                () -> Boundary.dequantize(in, new float[] {1f}, new int[] {0}, 0));
        assertTrue(e.getMessage().contains("FLOAT32"), e.getMessage());
    }
}
