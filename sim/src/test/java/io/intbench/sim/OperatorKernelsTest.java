package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.intbench.isa.Descriptor;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * GATHER, AVGPOOL and SOFTMAX against references written here from their definitions: a transpose by
 * index arithmetic, ONNX Runtime's QLinearAveragePool and QLinearSoftmax loops in Java float (the JVM's
 * float is IEEE binary32 with round-to-nearest-even, as ORT's), so the integer emulation is checked
 * against real float arithmetic.
 */
class OperatorKernelsTest {

    @Property(tries = 40)
    void gatherTransposesWithATable(@ForAll @IntRange(min = 1, max = 5) int a, @ForAll @IntRange(min = 1, max = 5) int b,
                                    @ForAll @IntRange(min = 1, max = 5) int c, @ForAll boolean table, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = a * b * c;
        byte[] mem = new byte[4096];
        int in = 0;
        int t = 512;
        int offs = 1024;
        int out = 2048;
        for (int i = 0; i < n; i++) {
            mem[in + i] = (byte) r.nextInt(256);
        }
        for (int i = 0; i < 256; i++) {
            mem[t + i] = (byte) r.nextInt(256);
        }
        // output [c][a][b] from input [a][b][c]: out axis 0 walks input axis 2 (stride 1), 1 -> axis 0 (b*c), 2 -> axis 1 (c)
        int[] o = new int[1 + c + a + b];
        int k = 1;
        for (int j = 0; j < c; j++) {
            o[k++] = j;
        }
        for (int j = 0; j < a; j++) {
            o[k++] = j * b * c;
        }
        for (int j = 0; j < b; j++) {
            o[k++] = j * c;
        }
        KernelsTest.putInts(mem, offs, o);
        Kernels.gather(mem, new Descriptor.GatherDesc(1, c, a, b, offs, 0, a * b, b, 1, t, table ? 1 : 0), in, out);
        for (int x = 0; x < a; x++) {
            for (int y = 0; y < b; y++) {
                for (int z = 0; z < c; z++) {
                    byte v = mem[in + (x * b + y) * c + z];
                    byte want = table ? mem[t + (v & 0xFF)] : v;
                    assertEquals(want, mem[out + (z * a + x) * b + y], "element " + x + "," + y + "," + z);
                }
            }
        }
    }

    @Property(tries = 60)
    void avgpoolMatchesOrtFloatLoop(@ForAll @IntRange(min = 1, max = 7) int h, @ForAll @IntRange(min = 1, max = 7) int w,
                                    @ForAll @IntRange(min = 1, max = 3) int k, @ForAll @IntRange(min = 1, max = 2) int s,
                                    @ForAll @IntRange(min = 0, max = 1) int pad, @ForAll boolean includePad,
                                    @ForAll boolean signed, @ForAll long seed) {
        if (pad >= k) {
            return;
        }
        SplittableRandom r = new SplittableRandom(seed);
        int oh = (h + 2 * pad - k) / s + 1;
        int ow = (w + 2 * pad - k) / s + 1;
        if (oh < 1 || ow < 1) {
            return;
        }
        float xs = (float) (r.nextDouble() * 0.1 + 1e-4);
        float ys = (float) (r.nextDouble() * 0.1 + 1e-4);
        int xz = signed ? r.nextInt(-20, 20) : r.nextInt(0, 256);
        int yz = signed ? r.nextInt(-20, 20) : r.nextInt(0, 256);
        int c = 2;
        byte[] mem = new byte[8192];
        int dq = 0;
        int in = 2048;
        int out = 4096;
        int[] dqBits = new int[256];
        float[] dqv = new float[256];
        for (int i = 0; i < 256; i++) {
            int q = signed ? (byte) i : i;
            dqv[i] = xs * (float) (q - xz);
            dqBits[i] = Float.floatToRawIntBits(dqv[i]);
        }
        KernelsTest.putInts(mem, dq, dqBits);
        for (int i = 0; i < c * h * w; i++) {
            mem[in + i] = (byte) r.nextInt(256);
        }
        Kernels.avgpool(mem, new Descriptor.AvgPoolDesc(1, c, h, w, oh, ow, k, k, s, s, pad, pad, includePad ? 1 : 0, dq,
                Float.floatToRawIntBits(ys), yz, signed ? 1 : 0, Descriptor.SUM_ROW_MAJOR, 0), in, out);
        int lo = signed ? -128 : 0;
        int hi = signed ? 127 : 255;
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int hs = Math.max(0, y * s - pad);
                    int he = Math.min(y * s - pad + k, h);
                    int ws = Math.max(0, x * s - pad);
                    int we = Math.min(x * s - pad + k, w);
                    float sum = 0f;
                    for (int i = hs; i < he; i++) {
                        for (int j = ws; j < we; j++) {
                            sum += dqv[mem[in + (ch * h + i) * w + j] & 0xFF];
                        }
                    }
                    sum /= (float) (includePad ? k * k : (he - hs) * (we - ws));
                    int want = (int) Math.max(lo, Math.min(hi, Math.rint(sum / ys + (float) yz)));
                    int got = signed ? mem[out + (ch * oh + y) * ow + x] : mem[out + (ch * oh + y) * ow + x] & 0xFF;
                    assertEquals(want, got, "channel " + ch + " output " + y + "," + x);
                }
            }
        }
    }

    @Property(tries = 60)
    void softmaxMatchesOrtFloatLoop(@ForAll @IntRange(min = 1, max = 40) int d, @ForAll boolean signed, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 3;
        float[] table = new float[256];
        int[] bits = new int[256];
        float xs = (float) (r.nextDouble() * 0.2 + 0.01);
        for (int i = 0; i < 256; i++) {
            table[i] = (float) Math.exp((i - 255 + 40 / xs) * xs);
            bits[i] = Float.floatToRawIntBits(table[i]);
        }
        float yScale = (float) Math.floor(1f / (1f / 256f));
        int yz = signed ? -128 : 0;
        byte[] mem = new byte[4096];
        KernelsTest.putInts(mem, 0, bits);
        int in = 1024;
        int out = 2048;
        for (int i = 0; i < rows * d; i++) {
            mem[in + i] = (byte) r.nextInt(256);
        }
        Kernels.softmax(mem, new Descriptor.SoftmaxDesc(rows, d, 0, Float.floatToRawIntBits(yScale), yz, signed ? 1 : 0,
                signed ? 1 : 0, 0), in, out);
        for (int row = 0; row < rows; row++) {
            int max = Integer.MIN_VALUE;
            for (int i = 0; i < d; i++) {
                max = Math.max(max, signed ? mem[in + row * d + i] : mem[in + row * d + i] & 0xFF);
            }
            float sum = 0f;
            int[] idx = new int[d];
            for (int i = 0; i < d; i++) {
                int x = signed ? mem[in + row * d + i] : mem[in + row * d + i] & 0xFF;
                // ORT: uint8 reads table[x + 255 - max]; int8 reads table[uint8(x + 127 - max)]
                idx[i] = signed ? (x + 127 - max) & 0xFF : x + 255 - max;
                sum += table[idx[i]];
            }
            for (int i = 0; i < d; i++) {
                int q = (int) Math.rint(table[idx[i]] * yScale / sum) + yz;
                byte want = (byte) (q > 255 ? 255 : q);
                assertEquals(want, mem[out + row * d + i], "row " + row + " element " + i);
            }
        }
    }
}
