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
 * MATMUL with the Vector API dot product and with the scalar loop, against a direct evaluation of its
 * definition ({@code requant(bias[n] + sum_k (x - xZp) * (w - wZp[n]))}): byte-identical, for K shorter
 * and longer than a vector.
 */
class MatMulModesTest {

    @Property(tries = 200)
    void vectorAndScalarMatMulEqualTheDefinition(@ForAll @IntRange(min = 1, max = 5) int m, @ForAll @IntRange(min = 1, max = 300) int k,
                                                 @ForAll @IntRange(min = 1, max = 20) int n, @ForAll boolean signedIn,
                                                 @ForAll boolean signedW, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int wzpA = 0;
        int biasA = 4 * n;
        int rqA = 8 * n;
        int wA = rqA + 8 * n;
        int inA = wA + n * k;
        int outA = inA + m * k;
        byte[] mem = new byte[outA + m * n];
        r.nextBytes(mem);
        int[] wzp = new int[n];
        int[] bias = new int[n];
        int[] rq = new int[2 * n];
        for (int c = 0; c < n; c++) {
            wzp[c] = r.nextInt(9) - 4;
            bias[c] = r.nextInt(20001) - 10000;
            rq[2 * c] = (1 << 23) + r.nextInt(1 << 23);
            rq[2 * c + 1] = -(r.nextInt(12) + 30);
        }
        KernelsTest.putInts(mem, wzpA, wzp);
        KernelsTest.putInts(mem, biasA, bias);
        KernelsTest.putInts(mem, rqA, rq);
        int xZp = signedIn ? r.nextInt(256) - 128 : r.nextInt(256);
        int outZp = r.nextInt(256) - 128;
        Descriptor.MatMulDesc d = new Descriptor.MatMulDesc(m, k, n, signedIn ? 1 : 0, xZp, signedW ? 1 : 0, wzpA, biasA, rqA,
                Descriptor.REQUANT_ORT, 1, outZp, -128, 127);
        byte[] want = mem.clone();
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < n; c++) {
                int acc = bias[c];
                for (int j = 0; j < k; j++) {
                    int x = signedIn ? mem[inA + i * k + j] : mem[inA + i * k + j] & 0xFF;
                    int w = signedW ? mem[wA + c * k + j] : mem[wA + c * k + j] & 0xFF;
                    acc += (x - xZp) * (w - wzp[c]);
                }
                want[outA + i * n + c] = (byte) Requant.ortRequantize(acc, rq[2 * c], rq[2 * c + 1], outZp, -128, 127);
            }
        }
        boolean before = Simd.enabled();
        try {
            for (boolean vector : Simd.available() ? new boolean[] {false, true} : new boolean[] {false}) {
                Simd.setEnabled(vector);
                byte[] got = mem.clone();
                Kernels.matmul(got, d, inA, wA, outA);
                assertArrayEquals(want, got, d + " " + Simd.describe());
            }
        } finally {
            Simd.setEnabled(before);
        }
        assertEquals(true, Simd.available(), "the tests run with the Vector API module, so both paths were compared");
    }
}
