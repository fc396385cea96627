package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.intbench.isa.Descriptor;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * RESIZE (NCHW planes, or NHWC pixels of several channels) against the bilinear formula written here with Java float arithmetic (IEEE binary32, round to
 * nearest even, no fused multiply-add, as ONNX Runtime's kernel computes it): random tables of input
 * rows/columns and weights, random codes, both the on-codes (truncating) and the dequantize-and-quantize
 * forms, uint8 and int8.
 */
class ResizeKernelTest {

    @Property(tries = 60)
    void matchesJavaFloatBilinear(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int planes = 1 + r.nextInt(3);
        int inH = 1 + r.nextInt(5);
        int inW = 1 + r.nextInt(5);
        int outH = 1 + r.nextInt(6);
        int outW = 1 + r.nextInt(6);
        int ch = 1 + r.nextInt(3);
        boolean inSigned = r.nextBoolean();
        boolean outSigned = r.nextBoolean();
        boolean dequantize = r.nextBoolean();
        byte[] mem = new byte[8192];
        int yTab = 0;
        int xTab = 512;
        int dq = 1024;
        int in = 2048;
        int out = 4096;
        int[] yt = new int[4 * outH];
        float[][] wy = new float[outH][2];
        for (int y = 0; y < outH; y++) {
            int y1 = r.nextInt(inH);
            int y2 = Math.min(y1 + 1, inH - 1);
            float d = (float) r.nextDouble();
            wy[y][0] = d;
            wy[y][1] = 1f - d;
            yt[4 * y] = y1 * inW;
            yt[4 * y + 1] = y2 * inW;
            yt[4 * y + 2] = Float.floatToRawIntBits(wy[y][0]);
            yt[4 * y + 3] = Float.floatToRawIntBits(wy[y][1]);
        }
        int[] xt = new int[4 * outW];
        float[][] wx = new float[outW][2];
        for (int x = 0; x < outW; x++) {
            int x1 = r.nextInt(inW);
            int x2 = Math.min(x1 + 1, inW - 1);
            float d = (float) r.nextDouble();
            wx[x][0] = d;
            wx[x][1] = 1f - d;
            xt[4 * x] = x1;
            xt[4 * x + 1] = x2;
            xt[4 * x + 2] = Float.floatToRawIntBits(wx[x][0]);
            xt[4 * x + 3] = Float.floatToRawIntBits(wx[x][1]);
        }
        KernelsTest.putInts(mem, yTab, yt);
        KernelsTest.putInts(mem, xTab, xt);
        float xScale = (float) (0.001 + r.nextDouble() * 0.05);
        int xZp = inSigned ? r.nextInt(-20, 20) : r.nextInt(100, 150);
        float yScale = (float) (0.001 + r.nextDouble() * 0.05);
        int yZp = outSigned ? r.nextInt(-20, 20) : r.nextInt(100, 150);
        float[] deq = new float[256];
        int[] deqBits = new int[256];
        for (int b = 0; b < 256; b++) {
            int code = inSigned ? (byte) b : b;
            deq[b] = (float) (code - xZp) * xScale;
            deqBits[b] = Float.floatToRawIntBits(deq[b]);
        }
        KernelsTest.putInts(mem, dq, deqBits);
        int n = planes * inH * inW * ch;
        for (int i = 0; i < n; i++) {
            mem[in + i] = (byte) r.nextInt(256);
        }
        boolean outTyped = dequantize ? outSigned : inSigned;
        Kernels.resizeLinear(mem, new Descriptor.ResizeDesc(planes, inH, inW, ch, outH, outW, yTab, xTab, inSigned ? 1 : 0,
                dequantize ? 1 : 0, dq, Float.floatToRawIntBits(yScale), yZp, outTyped ? 1 : 0), in, out);
        int o = out;
        for (int p = 0; p < planes; p++) {
            for (int y = 0; y < outH; y++) {
                for (int x = 0; x < outW; x++) {
                    for (int c = 0; c < ch; c++) {
                        float[] v = new float[4];
                        int[] at = {yt[4 * y] + xt[4 * x], yt[4 * y] + xt[4 * x + 1],
                            yt[4 * y + 1] + xt[4 * x], yt[4 * y + 1] + xt[4 * x + 1]};
                        for (int k = 0; k < 4; k++) {
                            int b = mem[in + (p * inH * inW + at[k]) * ch + c] & 0xFF;
                            v[k] = dequantize ? deq[b] : (float) (inSigned ? (byte) b : b);
                        }
                        // ORT: dx2*dy2*X11 + dx1*dy2*X21 + dx2*dy1*X12 + dx1*dy1*X22, left to right
                        float s = wx[x][1] * wy[y][1] * v[0] + wx[x][0] * wy[y][1] * v[1] + wx[x][1] * wy[y][0] * v[2]
                                + wx[x][0] * wy[y][0] * v[3];
                        int want;
                        if (dequantize) {
                            int lo = outSigned ? -128 : 0;
                            int hi = outSigned ? 127 : 255;
                            want = Math.max(lo, Math.min(hi, (int) Math.rint(s / yScale) + yZp));
                        } else {
                            want = (int) s;
                        }
                        int got = outTyped ? mem[o] : mem[o] & 0xFF;
                        assertEquals(want, got, "plane " + p + " y " + y + " x " + x + " channel " + c + " sum " + s);
                        o++;
                    }
                }
            }
        }
    }
}
