package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.isa.Descriptor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import java.util.SplittableRandom;

/**
 * The kernels against a direct reference written from the definitions in the test: the integer
 * accumulation by its formula, requantization with Java float arithmetic as ONNX Runtime does it
 * ({@code rint((float) acc * M)}), so neither reuses the code under test.
 */
class KernelsTest {

    /** Writes little-endian ints. */
    static void putInts(byte[] mem, int addr, int[] v) {
        ByteBuffer b = ByteBuffer.wrap(mem).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            b.putInt(addr + 4 * i, v[i]);
        }
    }

    static int refRequant(int acc, float m, int zp, int lo, int hi) {
        float v = (float) acc * m;
        long r = (long) Math.rint(v) + zp;
        return (int) Math.max(lo, Math.min(hi, r));
    }

    @Property(tries = 60)
    void convMatchesTheDefinition(@ForAll @IntRange(min = 1, max = 6) int inC, @ForAll @IntRange(min = 1, max = 9) int h,
                                  @ForAll @IntRange(min = 1, max = 9) int w, @ForAll @IntRange(min = 1, max = 3) int k,
                                  @ForAll @IntRange(min = 1, max = 2) int stride, @ForAll @IntRange(min = 0, max = 2) int pad,
                                  @ForAll @IntRange(min = 1, max = 2) int dil, @ForAll boolean depthwise,
                                  @ForAll boolean signedIn, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int groups = depthwise ? inC : 1;
        int outC = depthwise ? inC : 1 + r.nextInt(5);
        int ek = (k - 1) * dil + 1;
        int outH = (h + 2 * pad - ek) / stride + 1;
        int outW = (w + 2 * pad - ek) / stride + 1;
        if (outH <= 0 || outW <= 0) {
            return;
        }
        int icg = inC / groups;
        int inBytes = inC * h * w;
        int wBytes = outC * icg * k * k;
        int wzpA = 0;
        int biasA = 4 * outC;
        int rqA = 8 * outC;
        int wA = rqA + 8 * outC;
        int inA = wA + wBytes;
        int outA = inA + inBytes;
        byte[] mem = new byte[outA + outC * outH * outW];
        for (int i = 0; i < inBytes; i++) {
            mem[inA + i] = (byte) r.nextInt(256);
        }
        for (int i = 0; i < wBytes; i++) {
            mem[wA + i] = (byte) r.nextInt(256);
        }
        int[] wzp = new int[outC];
        int[] bias = new int[outC];
        float[] ms = new float[outC];
        int[] rq = new int[2 * outC];
        for (int c = 0; c < outC; c++) {
            wzp[c] = r.nextInt(5) - 2;
            bias[c] = r.nextInt(2001) - 1000;
            ms[c] = (float) (r.nextDouble() * 0.01 + 1e-5);
            int bits = Float.floatToRawIntBits(ms[c]);
            rq[2 * c] = (bits & 0x7FFFFF) | 0x800000;
            rq[2 * c + 1] = ((bits >> 23) & 0xFF) - 150;
        }
        putInts(mem, wzpA, wzp);
        putInts(mem, biasA, bias);
        putInts(mem, rqA, rq);
        int xZp = signedIn ? r.nextInt(256) - 128 : r.nextInt(256);
        int outZp = r.nextInt(256);
        Descriptor.ConvDesc d = new Descriptor.ConvDesc(1, inC, h, w, outC, outH, outW, k, k, stride, stride, pad, pad, dil, dil,
                groups, signedIn ? 1 : 0, xZp, 1, wzpA, biasA, rqA, Descriptor.REQUANT_ORT, 0, outZp, 0, 255, 0);
        Kernels.conv(mem, d, inA, wA, outA);
        for (int oc = 0; oc < outC; oc++) {
            int g = oc / (outC / groups);
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    int acc = bias[oc];
                    for (int ic = 0; ic < icg; ic++) {
                        for (int kh = 0; kh < k; kh++) {
                            for (int kw = 0; kw < k; kw++) {
                                int ih = oh * stride - pad + kh * dil;
                                int iw = ow * stride - pad + kw * dil;
                                if (ih < 0 || iw < 0 || ih >= h || iw >= w) {
                                    continue;  // padding contributes (zx - zx) * w = 0
                                }
                                int x = mem[inA + ((g * icg + ic) * h + ih) * w + iw];
                                x = signedIn ? x : x & 0xFF;
                                int wv = mem[wA + ((oc * icg + ic) * k + kh) * k + kw];
                                acc += (x - xZp) * (wv - wzp[oc]);
                            }
                        }
                    }
                    int want = refRequant(acc, ms[oc], outZp, 0, 255);
                    int got = mem[outA + (oc * outH + oh) * outW + ow] & 0xFF;
                    assertEquals(want, got, "oc " + oc + " oh " + oh + " ow " + ow + " acc " + acc);
                }
            }
        }
    }

    /**
     * A fused LeakyRelu (negRequant = 1): negative accumulators take the second multiplier array, as if the float
     * result {@code (float) acc * M} were multiplied by alpha; checked against Java float arithmetic per element.
     */
    @Property(tries = 60)
    void leakyConvRequantizesNegativeAccumulatorsWithTheSecondMultiplier(@ForAll @IntRange(min = 1, max = 8) int inC,
                                                                         @ForAll @IntRange(min = 1, max = 6) int outC,
                                                                         @ForAll boolean fixedPointMode, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int hw = 5;
        int wA = 0;
        int wzpA = outC * inC;
        int biasA = wzpA + 4 * outC;
        int rqA = biasA + 4 * outC;
        int inA = rqA + 16 * outC;
        int outA = inA + inC * hw;
        byte[] mem = new byte[outA + outC * hw];
        for (int i = 0; i < outC * inC; i++) {
            mem[wA + i] = (byte) r.nextInt(256);
        }
        for (int i = 0; i < inC * hw; i++) {
            mem[inA + i] = (byte) r.nextInt(256);
        }
        int[] bias = new int[outC];
        float[] pos = new float[outC];
        float[] neg = new float[outC];
        int[] rq = new int[4 * outC];
        for (int c = 0; c < outC; c++) {
            bias[c] = r.nextInt(4001) - 2000;
            pos[c] = (float) (r.nextDouble() * 0.05 + 1e-4);
            neg[c] = pos[c] * (float) (r.nextDouble() * 0.5 + 0.01);
            for (int side = 0; side < 2; side++) {
                float m = side == 0 ? pos[c] : neg[c];
                int at = 2 * outC * side + 2 * c;
                if (fixedPointMode) {
                    // M0 in Q0.31 and the shift of RoundingDivideByPOT, as quantizeMultiplier: m = M0 * 2^(shift - 31)
                    int exp = Math.getExponent(m) + 1;
                    rq[at] = (int) Math.round(Math.scalb((double) m, 31 - exp));
                    rq[at + 1] = exp;
                } else {
                    int bits = Float.floatToRawIntBits(m);
                    rq[at] = (bits & 0x7FFFFF) | 0x800000;
                    rq[at + 1] = ((bits >> 23) & 0xFF) - 150;
                }
            }
        }
        putInts(mem, wzpA, new int[outC]);
        putInts(mem, biasA, bias);
        putInts(mem, rqA, rq);
        int outZp = 128;
        Descriptor.ConvDesc d = new Descriptor.ConvDesc(1, inC, 1, hw, outC, 1, hw, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 128, 1, wzpA,
                biasA, rqA, fixedPointMode ? Descriptor.REQUANT_FIXED_POINT : Descriptor.REQUANT_ORT, 0, outZp, 0, 255, 1);
        Kernels.conv(mem, d, inA, wA, outA);
        for (int oc = 0; oc < outC; oc++) {
            for (int p = 0; p < hw; p++) {
                int acc = bias[oc];
                for (int ic = 0; ic < inC; ic++) {
                    acc += ((mem[inA + ic * hw + p] & 0xFF) - 128) * mem[wA + oc * inC + ic];
                }
                int got = mem[outA + oc * hw + p] & 0xFF;
                if (fixedPointMode) {
                    // gemmlowp's double rounding may differ from the exact product by one step
                    double exact = acc * (double) (acc < 0 ? neg[oc] : pos[oc]) + outZp;
                    assertTrue(Math.abs(Math.max(0, Math.min(255, exact)) - got) <= 1.0 + 1e-9,
                            "oc " + oc + " p " + p + " acc " + acc + " got " + got + " exact " + exact);
                } else {
                    assertEquals(refRequant(acc, acc < 0 ? neg[oc] : pos[oc], outZp, 0, 255), got, "oc " + oc + " p " + p + " acc " + acc);
                }
            }
        }
    }

    @Property(tries = 100)
    void maxPoolPicksTheLargestCodeInTheWindow(@ForAll @IntRange(min = 1, max = 8) int h, @ForAll @IntRange(min = 1, max = 8) int w,
                                                @ForAll @IntRange(min = 1, max = 3) int k, @ForAll @IntRange(min = 0, max = 1) int pad,
                                                @ForAll boolean signed, @ForAll long seed) {
        if (pad >= k || h + 2 * pad < k || w + 2 * pad < k) {
            return;
        }
        SplittableRandom r = new SplittableRandom(seed);
        int outH = h + 2 * pad - k + 1;
        int outW = w + 2 * pad - k + 1;
        byte[] mem = new byte[h * w + outH * outW];
        for (int i = 0; i < h * w; i++) {
            mem[i] = (byte) r.nextInt(256);
        }
        Kernels.maxpool(mem, new Descriptor.PoolDesc(1, 1, h, w, outH, outW, k, k, 1, 1, pad, pad, 1, 1, signed ? 1 : 0), 0, h * w);
        for (int oh = 0; oh < outH; oh++) {
            for (int ow = 0; ow < outW; ow++) {
                int best = Integer.MIN_VALUE;
                for (int ih = oh - pad; ih < oh - pad + k; ih++) {
                    for (int iw = ow - pad; iw < ow - pad + k; iw++) {
                        if (ih >= 0 && iw >= 0 && ih < h && iw < w) {
                            best = Math.max(best, signed ? mem[ih * w + iw] : mem[ih * w + iw] & 0xFF);
                        }
                    }
                }
                assertEquals((byte) best, mem[h * w + oh * outW + ow]);
            }
        }
    }
}
