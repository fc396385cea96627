package io.intbench.sim;

import io.intbench.isa.Descriptor;
import io.intbench.isa.Descriptor.ConvDesc;
import io.intbench.isa.Descriptor.EltwiseDesc;
import io.intbench.isa.Descriptor.AvgPoolDesc;
import io.intbench.isa.Descriptor.GapDesc;
import io.intbench.isa.Descriptor.GatherDesc;
import io.intbench.isa.Descriptor.SoftmaxDesc;
import io.intbench.isa.Descriptor.LutDesc;
import io.intbench.isa.Descriptor.MatMulDesc;
import io.intbench.isa.Descriptor.PoolDesc;
import io.intbench.isa.Requant;

/**
 * The functional semantics of the layer-level instructions: pure static functions over the DRAM byte
 * array, integers only. No state, no counters; the executor calls them, tests call them.
 */
public final class Kernels {
    private Kernels() { }

    static int load8(byte[] mem, int addr, boolean signed) {
        return signed ? mem[addr] : mem[addr] & 0xFF;
    }

    /** Reads {@code n} little-endian int32 values. */
    public static int[] readInts(byte[] mem, int addr, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int p = addr + 4 * i;
            out[i] = (mem[p] & 0xFF) | (mem[p + 1] & 0xFF) << 8 | (mem[p + 2] & 0xFF) << 16 | mem[p + 3] << 24;
        }
        return out;
    }

    /** Requantizes one accumulator with parameter pair {@code (rq[2c], rq[2c+1])}. */
    static int requant(int mode, int acc, int[] rq, int c, int zp, int lo, int hi) {
        return mode == Descriptor.REQUANT_ORT
                ? Requant.ortRequantize(acc, rq[2 * c], rq[2 * c + 1], zp, lo, hi)
                : Requant.fixedPointRequantize(acc, rq[2 * c], rq[2 * c + 1], zp, lo, hi);
    }

    /** CONV: {@code acc = bias[oc] + sum (x - xZp) * (w - wZp[oc])} over the window, then requantization. */
    public static void conv(byte[] mem, ConvDesc d, int in, int w, int out) {
        int groups = d.groups();
        int icg = d.inC() / groups;
        int ocg = d.outC() / groups;
        int inHW = d.inH() * d.inW();
        int outHW = d.outH() * d.outW();
        int kk = d.kH() * d.kW();
        int[] wzp = readInts(mem, d.wZpAddr(), d.outC());
        int[] bias = readInts(mem, d.biasAddr(), d.outC());
        int[] rq = readInts(mem, d.requantAddr(), 2 * d.outC());
        boolean inSigned = d.inSigned() == 1;
        boolean wSigned = d.wSigned() == 1;
        int[] x = new int[d.inC() * inHW];
        int[] acc = new int[outHW];
        int[] wk = new int[icg * kk];
        for (int n = 0; n < d.batch(); n++) {
            int inBase = in + n * d.inC() * inHW;
            for (int i = 0; i < x.length; i++) {
                x[i] = load8(mem, inBase + i, inSigned) - d.xZp();
            }
            for (int oc = 0; oc < d.outC(); oc++) {
                int g = oc / ocg;
                int wBase = w + oc * icg * kk;
                for (int i = 0; i < wk.length; i++) {
                    wk[i] = load8(mem, wBase + i, wSigned) - wzp[oc];
                }
                java.util.Arrays.fill(acc, bias[oc]);
                for (int ic = 0; ic < icg; ic++) {
                    int xBase = (g * icg + ic) * inHW;
                    for (int kh = 0; kh < d.kH(); kh++) {
                        for (int kw = 0; kw < d.kW(); kw++) {
                            int wv = wk[(ic * d.kH() + kh) * d.kW() + kw];
                            if (wv == 0) {
                                continue;
                            }
                            int colOff = kw * d.dilW() - d.padLeft();
                            // output columns whose input column ow*stride + colOff lies inside [0, inW)
                            int owLo = colOff >= 0 ? 0 : ceilDiv(-colOff, d.strideW());
                            int owHi = Math.min(d.outW() - 1, floorDiv(d.inW() - 1 - colOff, d.strideW()));
                            for (int oh = 0; oh < d.outH(); oh++) {
                                int ih = oh * d.strideH() - d.padTop() + kh * d.dilH();
                                if (ih < 0 || ih >= d.inH()) {
                                    continue;
                                }
                                int xRow = xBase + ih * d.inW() + colOff;
                                int aRow = oh * d.outW();
                                int sw = d.strideW();
                                for (int ow = owLo; ow <= owHi; ow++) {
                                    acc[aRow + ow] += wv * x[xRow + ow * sw];
                                }
                            }
                        }
                    }
                }
                int outBase = out + (n * d.outC() + oc) * outHW;
                for (int p = 0; p < outHW; p++) {
                    mem[outBase + p] = (byte) requant(d.requantMode(), acc[p], rq, oc, d.outZp(), d.clampMin(), d.clampMax());
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) { return -Math.floorDiv(-a, b); }

    private static int floorDiv(int a, int b) { return Math.floorDiv(a, b); }

    /** MATMUL: {@code out[m][n] = requant(bias[n] + sum_k (x[m][k] - xZp) * (w[n][k] - wZp[n]))}. */
    public static void matmul(byte[] mem, MatMulDesc d, int in, int w, int out) {
        int k = d.k();
        int[] wzp = readInts(mem, d.wZpAddr(), d.n());
        int[] bias = readInts(mem, d.biasAddr(), d.n());
        int[] rq = readInts(mem, d.requantAddr(), 2 * d.n());
        boolean inSigned = d.inSigned() == 1;
        boolean wSigned = d.wSigned() == 1;
        int[] wv = new int[d.n() * k];
        for (int n = 0; n < d.n(); n++) {
            for (int j = 0; j < k; j++) {
                wv[n * k + j] = load8(mem, w + n * k + j, wSigned) - wzp[n];
            }
        }
        int[] xr = new int[k];
        for (int m = 0; m < d.m(); m++) {
            for (int j = 0; j < k; j++) {
                xr[j] = load8(mem, in + m * k + j, inSigned) - d.xZp();
            }
            for (int n = 0; n < d.n(); n++) {
                int acc = bias[n];
                int wb = n * k;
                for (int j = 0; j < k; j++) {
                    acc += xr[j] * wv[wb + j];
                }
                mem[out + m * d.n() + n] = (byte) requant(d.requantMode(), acc, rq, n, d.outZp(), d.clampMin(), d.clampMax());
            }
        }
    }

    /** ELTWISE: {@code out[i] = T[(a & 0xFF) << 8 | (b & 0xFF)]} with broadcasting strides. */
    public static void eltwise(byte[] mem, EltwiseDesc d, int a, int b, int out) {
        int t = d.tableAddr();
        int o = out;
        for (int i0 = 0; i0 < d.d0(); i0++) {
            for (int i1 = 0; i1 < d.d1(); i1++) {
                for (int i2 = 0; i2 < d.d2(); i2++) {
                    int pa = a + i0 * d.aS0() + i1 * d.aS1() + i2 * d.aS2();
                    int pb = b + i0 * d.bS0() + i1 * d.bS1() + i2 * d.bS2();
                    for (int i3 = 0; i3 < d.d3(); i3++) {
                        mem[o++] = mem[t + ((mem[pa + i3 * d.aS3()] & 0xFF) << 8 | (mem[pb + i3 * d.bS3()] & 0xFF))];
                    }
                }
            }
        }
    }

    /** MAXPOOL on integer codes (order-preserving, so exact on quantized values); padding never wins. */
    public static void maxpool(byte[] mem, PoolDesc d, int in, int out) {
        boolean signed = d.signed() == 1;
        int inHW = d.inH() * d.inW();
        int o = out;
        for (int nc = 0; nc < d.batch() * d.c(); nc++) {
            int base = in + nc * inHW;
            for (int oh = 0; oh < d.outH(); oh++) {
                for (int ow = 0; ow < d.outW(); ow++) {
                    int best = Integer.MIN_VALUE;
                    for (int kh = 0; kh < d.kH(); kh++) {
                        int ih = oh * d.strideH() - d.padTop() + kh * d.dilH();
                        if (ih < 0 || ih >= d.inH()) {
                            continue;
                        }
                        for (int kw = 0; kw < d.kW(); kw++) {
                            int iw = ow * d.strideW() - d.padLeft() + kw * d.dilW();
                            if (iw >= 0 && iw < d.inW()) {
                                best = Math.max(best, load8(mem, base + ih * d.inW() + iw, signed));
                            }
                        }
                    }
                    mem[o++] = (byte) best;
                }
            }
        }
    }

    /** GAVGPOOL: {@code acc = sum(x) - xZp * hw} per channel (ORT's QLinearGlobalAveragePool), then requantization. */
    public static void gap(byte[] mem, GapDesc d, int in, int out) {
        int[] rq = readInts(mem, d.requantAddr(), 2);
        boolean signed = d.inSigned() == 1;
        int lo = d.outSigned() == 1 ? -128 : 0;
        int hi = d.outSigned() == 1 ? 127 : 255;
        for (int nc = 0; nc < d.batch() * d.c(); nc++) {
            int base = in + nc * d.hw();
            int acc = 0;
            for (int i = 0; i < d.hw(); i++) {
                acc += load8(mem, base + i, signed);
            }
            acc -= d.xZp() * d.hw();
            mem[out + nc] = (byte) requant(d.requantMode(), acc, rq, 0, d.outZp(), lo, hi);
        }
    }

    /** LUT: {@code out[i] = T[in[i] & 0xFF]}. */
    public static void lut(byte[] mem, LutDesc d, int in, int out) {
        int t = d.tableAddr();
        for (int i = 0; i < d.n(); i++) {
            mem[out + i] = mem[t + (mem[in + i] & 0xFF)];
        }
    }

    /**
     * GATHER: {@code out[i0*oS0 + i1*oS1 + i2*oS2 + i3*oS3] = T?[in[off0[i0] + off1[i1] + off2[i2] + off3[i3]]]}
     * with the per-axis offset tables at {@code offAddr}.
     */
    public static void gather(byte[] mem, GatherDesc d, int in, int out) {
        int[] off = readInts(mem, d.offAddr(), d.d0() + d.d1() + d.d2() + d.d3());
        int b1 = d.d0();
        int b2 = b1 + d.d1();
        int b3 = b2 + d.d2();
        boolean table = d.useTable() == 1;
        int t = d.tableAddr();
        for (int i0 = 0; i0 < d.d0(); i0++) {
            for (int i1 = 0; i1 < d.d1(); i1++) {
                for (int i2 = 0; i2 < d.d2(); i2++) {
                    int src = in + off[i0] + off[b1 + i1] + off[b2 + i2];
                    int dst = out + i0 * d.oS0() + i1 * d.oS1() + i2 * d.oS2();
                    for (int i3 = 0; i3 < d.d3(); i3++) {
                        byte v = mem[src + off[b3 + i3]];
                        mem[dst + i3 * d.oS3()] = table ? mem[t + (v & 0xFF)] : v;
                    }
                }
            }
        }
    }

    /**
     * AVGPOOL, as ONNX Runtime's QLinearAveragePool (onnxruntime/contrib_ops/cpu/quantization/qlinear_pool.cc):
     * per window, the float32 sum of the dequantized inputs in row-major window order, divided by the
     * element count, then {@code nearbyintf(y / y_scale + zp)} saturated; every float32 operation is
     * emulated on bit patterns by {@link SoftFloat32}.
     */
    public static void avgpool(byte[] mem, AvgPoolDesc d, int in, int out) {
        int[] dq = readInts(mem, d.dqAddr(), 256);
        int zpBits = SoftFloat32.fromInt(d.outZp());
        int lo = d.outSigned() == 1 ? -128 : 0;
        int hi = d.outSigned() == 1 ? 127 : 255;
        int inHW = d.inH() * d.inW();
        int o = out;
        for (int nc = 0; nc < d.batch() * d.c(); nc++) {
            int base = in + nc * inHW;
            for (int oh = 0; oh < d.outH(); oh++) {
                int hs = oh * d.strideH() - d.padTop();
                int he = Math.min(hs + d.kH(), d.inH());
                hs = Math.max(hs, 0);
                for (int ow = 0; ow < d.outW(); ow++) {
                    int ws = ow * d.strideW() - d.padLeft();
                    int we = Math.min(ws + d.kW(), d.inW());
                    ws = Math.max(ws, 0);
                    int sum = 0;
                    for (int h = hs; h < he; h++) {
                        for (int w = ws; w < we; w++) {
                            sum = SoftFloat32.add(sum, dq[mem[base + h * d.inW() + w] & 0xFF]);
                        }
                    }
                    int count = d.countIncludePad() == 1 ? d.kH() * d.kW() : (he - hs) * (we - ws);
                    int y = SoftFloat32.div(sum, SoftFloat32.fromInt(count));
                    y = SoftFloat32.add(SoftFloat32.div(y, d.yScaleBits()), zpBits);
                    mem[o++] = (byte) Math.max(lo, Math.min(hi, SoftFloat32.rint(y)));
                }
            }
        }
    }

    /**
     * SOFTMAX, as ONNX Runtime's QLinearSoftmax (onnxruntime/contrib_ops/cpu/quantization/qlinear_softmax.cc):
     * per row the table is shifted so the row's maximum reads its last entry, the entries are summed in
     * float32 in order, and each output is {@code nearbyintf(e * yScale / sum) + zp}, capped at 255 as ORT
     * caps it (for int8 too). A row whose sum is zero is left unwritten, as ORT leaves it.
     */
    public static void softmax(byte[] mem, SoftmaxDesc d, int in, int out) {
        int[] table = readInts(mem, d.expAddr(), 256);
        boolean signed = d.inSigned() == 1;
        for (int r = 0; r < d.rows(); r++) {
            int base = in + r * d.d();
            int xmax = Integer.MIN_VALUE;
            for (int i = 0; i < d.d(); i++) {
                xmax = Math.max(xmax, load8(mem, base + i, signed));
            }
            int sum = 0;
            for (int i = 0; i < d.d(); i++) {
                sum = SoftFloat32.add(sum, table[softmaxIndex(load8(mem, base + i, signed), xmax, signed)]);
            }
            if ((sum & 0x7FFF_FFFF) == 0) {
                continue;
            }
            for (int i = 0; i < d.d(); i++) {
                int vt = table[softmaxIndex(load8(mem, base + i, signed), xmax, signed)];
                int q = SoftFloat32.rint(SoftFloat32.div(SoftFloat32.mul(vt, d.yScaleBits()), sum)) + d.outZp();
                mem[out + r * d.d() + i] = (byte) (q > 255 ? 255 : q);
            }
        }
    }

    /** ORT's table index: {@code x + 255 - max} for uint8, {@code uint8(x + 127 - max)} for int8. */
    private static int softmaxIndex(int x, int xmax, boolean signed) {
        return signed ? (x + 127 - xmax) & 0xFF : x + 255 - xmax;
    }
}
