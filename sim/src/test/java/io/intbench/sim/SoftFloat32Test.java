package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The integer-only float32 emulation against the JVM's own IEEE 754 float arithmetic (round to nearest,
 * ties to even, which is what ONNX Runtime's kernels run in): every operation must give the same bits.
 */
class SoftFloat32Test {

    /** Random finite floats of widely varying magnitude, sign and subnormals included, and small integers. */
    static float sample(SplittableRandom r) {
        return switch (r.nextInt(5)) {
            case 0 -> (float) (r.nextInt(-300, 300));
            case 1 -> (float) r.nextGaussian();
            case 2 -> Float.intBitsToFloat(r.nextInt() & 0x7FFF_FFFF) * (r.nextBoolean() ? 1 : -1);
            case 3 -> Float.intBitsToFloat(r.nextInt(0, 0x0100_0000)) * (r.nextBoolean() ? 1 : -1);
            default -> (float) (r.nextDouble() * 1e6 - 5e5) * (float) Math.pow(2, r.nextInt(-40, 40));
        };
    }

    static boolean finite(float f) {
        return !Float.isNaN(f) && !Float.isInfinite(f);
    }

    @Property(tries = 200)
    void addMulDivMatchJavaFloat(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 500; i++) {
            float a = sample(r);
            float b = sample(r);
            int ba = Float.floatToRawIntBits(a);
            int bb = Float.floatToRawIntBits(b);
            float sum = a + b;
            if (finite(sum) && sum != 0) {
                assertEquals(Float.floatToRawIntBits(sum), SoftFloat32.add(ba, bb), a + " + " + b);
            } else if (sum == 0) {
                assertEquals(0f, Float.intBitsToFloat(SoftFloat32.add(ba, bb)), 0f, a + " + " + b);
            }
            float prod = a * b;
            if (finite(prod) && prod != 0) {
                assertEquals(Float.floatToRawIntBits(prod), SoftFloat32.mul(ba, bb), a + " * " + b);
            }
            if (b != 0) {
                float q = a / b;
                if (finite(q) && q != 0) {
                    assertEquals(Float.floatToRawIntBits(q), SoftFloat32.div(ba, bb), a + " / " + b);
                }
            }
        }
    }

    @Test
    void exactCancellationAndTiesRoundToEven() {
        int one = Float.floatToRawIntBits(1f);
        // 1 + 2^-24 is a tie between 1 and 1 + 2^-23: even significand wins (1)
        assertEquals(one, SoftFloat32.add(one, Float.floatToRawIntBits(0x1p-24f)));
        // (1 + 2^-23) + 2^-24 ties up to 1 + 2^-22
        assertEquals(Float.floatToRawIntBits(1f + 0x1p-22f),
                SoftFloat32.add(Float.floatToRawIntBits(1f + 0x1p-23f), Float.floatToRawIntBits(0x1p-24f)));
        assertEquals(0, SoftFloat32.add(one, Float.floatToRawIntBits(-1f)));
    }

    @Property(tries = 100)
    void fromIntAndRintMatchJava(@ForAll int i, @ForAll long seed) {
        assertEquals(Float.floatToRawIntBits((float) i), SoftFloat32.fromInt(i));
        SplittableRandom r = new SplittableRandom(seed);
        for (int k = 0; k < 200; k++) {
            float f = (float) (r.nextDouble() * 2000 - 1000);
            if (r.nextBoolean()) {
                f = Math.round(f * 2) / 2f;  // exact halves: ties to even
            }
            assertEquals((int) Math.rint(f), SoftFloat32.rint(Float.floatToRawIntBits(f)), "rint(" + f + ")");
        }
    }

    /** trunc is C++'s float-to-integer conversion, which Java's (int) cast also is: toward zero. */
    @Property(tries = 100)
    void truncMatchesJavaCast(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 500; i++) {
            float f = r.nextBoolean() ? (float) (r.nextDouble() * 600 - 300) : sample(r);
            if (!finite(f) || Math.abs(f) >= 2e9f) {
                continue;
            }
            assertEquals((int) f, SoftFloat32.trunc(Float.floatToRawIntBits(f)), "trunc(" + f + ")");
        }
        assertEquals(-3, SoftFloat32.trunc(Float.floatToRawIntBits(-3.99f)));
        assertEquals(254, SoftFloat32.trunc(Float.floatToRawIntBits(254.99998f)));
        assertEquals(0, SoftFloat32.trunc(Float.floatToRawIntBits(-0.5f)));
    }
}
