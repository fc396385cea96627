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
        if (n < 0 || addr < 0 || addr > mem.length - 4L * n) {
            // the executor reports this as an access outside DRAM, naming the instruction
            throw new ArrayIndexOutOfBoundsException(n + " int32 values at " + addr + " reach past the end");
        }
        int[] out = new int[n];
        java.nio.ByteBuffer.wrap(mem, addr, 4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        return out;
    }

    /** Requantizes one accumulator with parameter pair {@code (rq[2c], rq[2c+1])}. */
    static int requant(int mode, int acc, int[] rq, int c, int zp, int lo, int hi) {
        return mode == Descriptor.REQUANT_ORT
                ? Requant.ortRequantize(acc, rq[2 * c], rq[2 * c + 1], zp, lo, hi)
                : Requant.fixedPointRequantize(acc, rq[2 * c], rq[2 * c + 1], zp, lo, hi);
    }

    /**
     * CONV: {@code acc = bias[oc] + sum (x - xZp) * (w - wZp[oc])} over the window, then requantization.
     *
     * <p>How it is computed (the result does not depend on it: integer addition is exact modulo 2^32,
     * so any summation order gives the same int32 accumulator). Convolutions with at least
     * {@value #GEMM_MIN_CHANNELS} output channels per group are a matrix product: the group's input
     * windows are laid out once as rows of {@code K = inC/groups * kH * kW} widened, zero-point-corrected
     * values ("im2col", transposed so each row is contiguous; padding is 0, which contributes
     * {@code (xZp - xZp) * w = 0}), and each output is the dot product of a row with the output channel's
     * weights, four channels per pass so each input value is loaded once per four products; the JIT
     * vectorises these reduction loops. Other convolutions (depthwise ones) accumulate per output
     * channel over output rows. Output channels are split among {@link Parallel#threads()} threads.
     */
    public static void conv(byte[] mem, ConvDesc d, int in, int w, int out) {
        ConvWork cw = new ConvWork(mem, d, in, w, out);
        int ocg = d.outC() / d.groups();
        for (int n = 0; n < d.batch(); n++) {
            cw.batch(n);
            if (ocg >= GEMM_MIN_CHANNELS) {
                for (int g = 0; g < d.groups(); g++) {
                    cw.g = g;
                    if (cw.vector) {
                        cw.mode = ConvWork.PLANES;
                        Parallel.forRange(cw.icg, minChunk(cw.phases * cw.qh * cw.qw), cw);
                        cw.mode = ConvWork.GEMM_V;
                    } else if (cw.byPosition) {
                        cw.mode = ConvWork.IM2COL_T;
                        Parallel.forRange(cw.k, 1, cw);
                        cw.mode = ConvWork.GEMM_T;
                    } else {
                        cw.mode = ConvWork.IM2COL;
                        Parallel.forRange(cw.outHW, 64, cw);
                        cw.mode = ConvWork.GEMM;
                    }
                    Parallel.forRange((ocg + 3) / 4, minChunk(4L * cw.k * (cw.vector ? cw.runPad : cw.outHW)), cw);
                }
            } else {
                cw.mode = ConvWork.DIRECT;
                Parallel.forRange(d.outC(), Math.max(4, minChunk((long) cw.k * cw.runPad)), cw);
            }
        }
    }

    /**
     * Work (elements or multiply-accumulates) below which a slice is not worth handing to another thread:
     * waking a worker and waiting for it costs tens of microseconds. Tests set it to 1 so that small
     * kernels are split too.
     */
    static volatile long minSliceWork = 1L << 17;

    /** The fewest items per slice so that a slice of items of {@code perItem} work reaches {@link #minSliceWork}. */
    static int minChunk(long perItem) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, minSliceWork / Math.max(1, perItem)));
    }

    /** Output channels per group from which a convolution is computed as a matrix product. */
    static final int GEMM_MIN_CHANNELS = 4;

    /**
     * Below this many products per output ({@code K}) the matrix product runs along output positions
     * (a multiply-add of one input row into four accumulator rows, long contiguous loops) instead of
     * along {@code K} (dot products, whose vector reductions do not pay for short rows).
     */
    static final int BY_POSITION_MAX_K = 48;

    /** Output positions per accumulator tile of the by-position product (four tiles stay in L1). */
    private static final int POSITION_TILE = 512;

    /** Bytes of im2col rows a GEMM pass keeps hot while it runs over all its output channels (an L2's worth). */
    private static final int GEMM_TILE_BYTES = 256 * 1024;

    /**
     * The state of one CONV instruction and its three kinds of slice: building im2col rows
     * {@code [lo, hi)}, the matrix product for output-channel blocks {@code [lo, hi)} of four, and the
     * direct computation of output channels {@code [lo, hi)}. A final class so every call is resolvable
     * by the no-float audit; the slices of one phase write disjoint outputs.
     */
    static final class ConvWork extends Work {
        static final int IM2COL = 0;
        static final int GEMM = 1;
        static final int DIRECT = 2;
        static final int IM2COL_T = 3;
        static final int GEMM_T = 4;
        static final int GEMM_V = 5;
        static final int PLANES = 6;

        final byte[] mem;
        final ConvDesc d;
        final int in;
        final int out;
        final int icg;
        final int ocg;
        final int kk;
        final int k;
        final int inHW;
        final int outHW;
        final boolean inSigned;
        final int[] wk;
        final int[] bias;
        final int[] rq;
        final int[] rqNeg;
        final int[] col;
        /** Whether every channel's parameters meet {@link Kernels#ortRequantize}'s preconditions (else {@link Requant} checks and throws). */
        final boolean fastOrt;
        /** {@link Kernels#ortRequantizeQuick}'s clamp bits when every channel takes it, else -1. */
        final int quickBits;
        /** Whether tile rows are requantized with {@link io.intbench.simd.IntGemm#requantRow}. */
        final boolean vectorRequant;
        /** Whether the product runs along output positions over {@code [K][outHW]} rows ({@link #BY_POSITION_MAX_K}). */
        final boolean byPosition;
        /**
         * Whether the Vector API tiles ({@link Simd}) compute this convolution, over the group's phase planes
         * ({@link #direct}) instead of im2col rows: each kernel tap {@code t} reads its plane shifted by
         * {@code xOff[t]}, at "wide" positions {@code oh * qw + ow} of which those with {@code ow < outW}
         * are outputs.
         */
        final boolean vector;
        /** Phase plane geometry ({@link #direct}): rows and columns per plane, planes per input channel. */
        final int qh;
        final int qw;
        final int[] phaseOf;
        final int phases;
        /** Wide positions holding outputs, {@code (outH - 1) * qw + outW}, rounded up to whole tiles. */
        final int runPad;
        /** Per kernel tap {@code t = (ic * kH + kh) * kW + kw}: where its shifted run starts in the group's planes. */
        final int[] xOff;
        /** The group's phase planes for the vector product (with a tile of slack at the end), else null. */
        final int[] planes;
        /** The vector product's accumulators, {@code [ocg][runPad]}, else null. */
        final int[] wide;
        /** Where the input is read: DRAM, or a copy of the batch's input when the output overlaps it. */
        byte[] src;
        int srcIn;
        int mode;
        int n;
        int g;

        ConvWork(byte[] mem, ConvDesc d, int in, int w, int out) {
            this.mem = mem;
            this.d = d;
            this.in = in;
            this.out = out;
            icg = d.inC() / d.groups();
            ocg = d.outC() / d.groups();
            kk = d.kH() * d.kW();
            k = icg * kk;
            inHW = d.inH() * d.inW();
            outHW = d.outH() * d.outW();
            inSigned = d.inSigned() == 1;
            bias = readInts(mem, d.biasAddr(), d.outC());
            rq = readInts(mem, d.requantAddr(), 2 * d.outC());
            // a fused LeakyRelu: negative accumulators take the second array, the multipliers times alpha
            rqNeg = d.negRequant() == 1 ? readInts(mem, d.requantAddr() + 8 * d.outC(), 2 * d.outC()) : rq;
            // three zero rows at the end: a last block of four channels may read past the last one
            wk = WeightCache.widened(mem, w, d.outC(), k, d.wZpAddr(), d.wSigned() == 1, 3);
            qh = d.outH() + (d.kH() - 1) * d.dilH() / d.strideH() + 1;
            qw = d.outW() + (d.kW() - 1) * d.dilW() / d.strideW() + 1;
            phaseOf = phaseIndex();
            int ph = 0;
            for (int v : phaseOf) {
                ph = Math.max(ph, v + 1);
            }
            phases = ph;
            int run = (d.outH() - 1) * qw + d.outW();
            vector = Simd.enabled() && (ocg < GEMM_MIN_CHANNELS || 2 * run >= io.intbench.simd.IntGemm.tileWidth());
            int tw = vector ? io.intbench.simd.IntGemm.tileWidth() : 1;
            runPad = (run + tw - 1) / tw * tw;
            xOff = new int[k];
            for (int ic = 0; ic < icg; ic++) {
                for (int kh = 0; kh < d.kH(); kh++) {
                    int rh = kh * d.dilH();
                    for (int kw = 0; kw < d.kW(); kw++) {
                        int rw = kw * d.dilW();
                        xOff[(ic * d.kH() + kh) * d.kW() + kw] =
                                ((ic * phases + phaseOf[(rh % d.strideH()) * d.strideW() + rw % d.strideW()]) * qh + rh / d.strideH()) * qw
                                        + rw / d.strideW();
                    }
                }
            }
            boolean gemm = ocg >= GEMM_MIN_CHANNELS;
            // the calling thread's reused buffers: every element a phase reads is written first (the planes'
            // slack only feeds wide positions that are dropped), so they need no clearing
            planes = vector && gemm ? Scratch.ints(Scratch.PLANES, icg * phases * qh * qw + tw) : null;
            wide = vector && gemm ? Scratch.ints(Scratch.WIDE, ocg * runPad) : null;
            col = gemm && !vector ? Scratch.ints(Scratch.COL, outHW * k) : null;
            boolean ok = d.clampMin() <= d.clampMax();
            for (int oc = 0; oc < d.outC(); oc++) {
                ok &= rq[2 * oc] >= 0 && rq[2 * oc] < 1 << Requant.FLOAT_SIGNIFICAND_BITS;
                ok &= rqNeg[2 * oc] >= 0 && rqNeg[2 * oc] < 1 << Requant.FLOAT_SIGNIFICAND_BITS;
            }
            fastOrt = ok;
            int bits = clampBits(d.outZp(), d.clampMin(), d.clampMax());
            boolean quick = ok && bits >= 0;
            for (int oc = 0; oc < d.outC(); oc++) {
                quick &= quickExponent(rq[2 * oc + 1]) && quickExponent(rqNeg[2 * oc + 1]);
            }
            quickBits = quick ? bits : -1;
            vectorRequant = Simd.enabled() && quickBits >= 0 && d.negRequant() == 0 && d.requantMode() == Descriptor.REQUANT_ORT
                    && io.intbench.simd.IntGemm.requantRows();
            byPosition = k <= BY_POSITION_MAX_K;
        }

        /**
         * Batch {@code n} next. The direct computation interleaves reading input channels with writing
         * output channels, so when the two ranges overlap it reads a copy of the input taken first (as a
         * computation that reads the whole input before writing would).
         */
        void batch(int n) {
            this.n = n;
            long inLo = in + (long) n * d.inC() * inHW;
            long inHi = inLo + (long) d.inC() * inHW;
            long outLo = out + (long) n * d.outC() * outHW;
            long outHi = outLo + (long) d.outC() * outHW;
            if (inLo < outHi && outLo < inHi) {
                src = java.util.Arrays.copyOfRange(mem, (int) inLo, (int) inHi);
                srcIn = -(n * d.inC() * inHW);
            } else {
                src = mem;
                srcIn = in;
            }
        }

        @Override
        void slice(int lo, int hi) {
            switch (mode) {
                case IM2COL -> im2col(lo, hi);
                case GEMM -> gemm(4 * lo, Math.min(ocg, 4 * hi));
                case IM2COL_T -> im2colByTap(lo, hi);
                case GEMM_T -> gemmByPosition(4 * lo, Math.min(ocg, 4 * hi));
                case GEMM_V -> gemmVector(4 * lo, Math.min(ocg, 4 * hi));
                case PLANES -> phasePlanes(planes, srcIn + (n * d.inC() + g * icg) * inHW, lo, hi);
                default -> direct(lo, hi);
            }
        }

        /** Rows {@code [lo, hi)} (output positions) of the transposed im2col matrix of group {@code g}. */
        private void im2col(int lo, int hi) {
            int xZp = d.xZp();
            int inW = d.inW();
            int inH = d.inH();
            int kH = d.kH();
            int kW = d.kW();
            byte[] src = this.src;
            int groupBase = srcIn + (n * d.inC() + g * icg) * inHW;
            for (int p = lo; p < hi; p++) {
                int oh = p / d.outW();
                int ow = p - oh * d.outW();
                int ih0 = oh * d.strideH() - d.padTop();
                int iw0 = ow * d.strideW() - d.padLeft();
                int row = p * k;
                for (int ic = 0; ic < icg; ic++) {
                    int chan = groupBase + ic * inHW;
                    for (int kh = 0; kh < kH; kh++) {
                        int ih = ih0 + kh * d.dilH();
                        int t = row + (ic * kH + kh) * kW;
                        if (ih < 0 || ih >= inH) {
                            for (int kw = 0; kw < kW; kw++) {
                                col[t + kw] = 0;
                            }
                            continue;
                        }
                        int rowAddr = chan + ih * inW;
                        for (int kw = 0; kw < kW; kw++) {
                            int iw = iw0 + kw * d.dilW();
                            col[t + kw] = iw < 0 || iw >= inW ? 0 : load8(src, rowAddr + iw, inSigned) - xZp;
                        }
                    }
                }
            }
        }

        /** Rows {@code [lo, hi)} (kernel taps {@code t = (ic * kH + kh) * kW + kw}) of the {@code [K][outHW]} im2col matrix. */
        private void im2colByTap(int lo, int hi) {
            int xZp = d.xZp();
            int inW = d.inW();
            int inH = d.inH();
            int outW = d.outW();
            int sh = d.strideH();
            int sw = d.strideW();
            byte[] src = this.src;
            int groupBase = srcIn + (n * d.inC() + g * icg) * inHW;
            for (int t = lo; t < hi; t++) {
                int ic = t / kk;
                int kh = (t - ic * kk) / d.kW();
                int kw = t - ic * kk - kh * d.kW();
                int chan = groupBase + ic * inHW;
                int colOff = kw * d.dilW() - d.padLeft();
                int owLo = firstInside(colOff, sw);
                int owEnd = Math.min(outW, endInside(colOff, sw, inW));
                int row = t * outHW;
                java.util.Arrays.fill(col, row, row + outHW, 0);
                for (int oh = 0; oh < d.outH(); oh++) {
                    int ih = oh * sh - d.padTop() + kh * d.dilH();
                    if (ih < 0 || ih >= inH) {
                        continue;
                    }
                    int xRow = chan + ih * inW + colOff;
                    int c = row + oh * outW;
                    if (inSigned) {
                        for (int ow = owLo; ow < owEnd; ow++) {
                            col[c + ow] = src[xRow + ow * sw] - xZp;
                        }
                    } else {
                        for (int ow = owLo; ow < owEnd; ow++) {
                            col[c + ow] = (src[xRow + ow * sw] & 0xFF) - xZp;
                        }
                    }
                }
            }
        }

        /**
         * Output channels {@code [lo, hi)} of group {@code g} with the Vector API tile over the phase planes
         * (built by the PLANES phase): four channels by {@link io.intbench.simd.IntGemm#tileWidth()} wide
         * positions at a time into {@link #wide}, positions in chunks whose plane runs stay in the L2 cache
         * while all channels pass over them; then each output row is requantized by {@link #requantTileRow}.
         */
        private void gemmVector(int lo, int hi) {
            int k = this.k;
            int tw = io.intbench.simd.IntGemm.tileWidth();
            int chunk = Math.max(tw, GEMM_TILE_BYTES / (4 * k) / tw * tw);
            int ocBase = g * ocg;
            int[] scratch = new int[4 * tw];
            for (int p0 = 0; p0 < runPad; p0 += chunk) {
                int p1 = Math.min(runPad, p0 + chunk);
                for (int c = lo; c < hi; c += 4) {
                    int oc = ocBase + c;
                    int m = Math.min(4, hi - c);      // a last block of fewer channels goes through the scratch rows
                    int wb = oc * k;
                    int b1 = m > 1 ? bias[oc + 1] : 0;
                    int b2 = m > 2 ? bias[oc + 2] : 0;
                    int b3 = m > 3 ? bias[oc + 3] : 0;
                    for (int p = p0; p < p1; p += tw) {
                        if (m == 4) {
                            io.intbench.simd.IntGemm.tile4(planes, xOff, p, wk, wb, k, k, bias[oc], b1, b2, b3, wide, c * runPad + p, runPad);
                        } else {
                            io.intbench.simd.IntGemm.tile4(planes, xOff, p, wk, wb, k, k, bias[oc], b1, b2, b3, scratch, 0, tw);
                            for (int r = 0; r < m; r++) {
                                System.arraycopy(scratch, r * tw, wide, (c + r) * runPad + p, tw);
                            }
                        }
                    }
                }
            }
            int outBase = out + n * d.outC() * outHW;
            byte[] buf = new byte[runPad];
            for (int c = lo; c < hi; c++) {
                int oc = ocBase + c;
                requantChannel(wide, c * runPad, outBase + oc * outHW, oc, buf);
            }
        }

        /**
         * Writes output channel {@code oc} ({@code outH} rows of {@code outW}) to {@code mem[o ..]} from its
         * wide accumulators {@code acc[a ..]} (rows {@code qw} apart). With the vector requantizer and rows
         * shorter than four vectors (7 or 14 outputs), the whole run of wide positions goes through
         * {@link io.intbench.simd.IntGemm#requantRow} in one call into {@code buf} (at least {@link #runPad}
         * long; the dropped positions are requantized too), whose output rows are then copied: a call per
         * short row cost more than the requantization. Longer rows, and all rows of a channel where a lane
         * needs the exact path, go one by one through {@link #requantTileRow}.
         */
        private void requantChannel(int[] acc, int a, int o, int oc, byte[] buf) {
            int outW = d.outW();
            int lanes = io.intbench.simd.IntGemm.requantLanes();
            if (vectorRequant && outW < 4 * lanes) {
                int run = ((d.outH() - 1) * qw + outW + lanes - 1) / lanes * lanes;
                int s = -rq[2 * oc + 1];
                if (a + run <= acc.length && io.intbench.simd.IntGemm.requantRow(acc, a, run, buf, 0, rq[2 * oc], s,
                        quickBand(s, quickBits), d.outZp(), d.clampMin(), d.clampMax())) {
                    for (int oh = 0; oh < d.outH(); oh++) {
                        System.arraycopy(buf, oh * qw, mem, o + oh * outW, outW);
                    }
                    return;
                }
            }
            for (int oh = 0; oh < d.outH(); oh++) {
                requantTileRow(acc, a + oh * qw, outW, o + oh * outW, oc, buf);   // buf as the rows' tail vector
            }
        }

        /**
         * Writes {@code len} outputs of channel {@code oc} from {@code acc[a ..]} to {@code mem[o ..]}: whole
         * vectors with {@link io.intbench.simd.IntGemm#requantRow} when this layer allows it (one
         * multiplier per channel, the quick requantizer's conditions), the last partial vector too when
         * {@code acc} has the lanes after it (they are wide positions, computed and dropped: requantized
         * into {@code tail}, of which only the outputs are copied), falling back to {@link #requantOut}
         * where a lane needs the exact path.
         */
        private void requantTileRow(int[] acc, int a, int len, int o, int oc, byte[] tail) {
            int done = 0;
            if (vectorRequant) {
                int lanes = io.intbench.simd.IntGemm.requantLanes();
                int v = len - len % lanes;
                int m = rq[2 * oc];
                int s = -rq[2 * oc + 1];
                long band = quickBand(s, quickBits);
                if (v == 0 || io.intbench.simd.IntGemm.requantRow(acc, a, v, mem, o, m, s, band, d.outZp(), d.clampMin(), d.clampMax())) {
                    done = v;
                    if (v < len && a + v + lanes <= acc.length
                            && io.intbench.simd.IntGemm.requantRow(acc, a + v, lanes, tail, 0, m, s, band, d.outZp(), d.clampMin(), d.clampMax())) {
                        System.arraycopy(tail, 0, mem, o + v, len - v);
                        done = len;
                    }
                }
            }
            for (int j = done; j < len; j++) {
                mem[o + j] = (byte) requantOut(acc[a + j], oc);
            }
        }

        /**
         * Output channels {@code [lo, hi)} of group {@code g} along output positions: per tile of
         * positions, four accumulator rows each get {@code w[oc][t] * col[t][p]} added for every tap.
         */
        private void gemmByPosition(int lo, int hi) {
            int k = this.k;
            int[] col = this.col;
            int[] wk = this.wk;
            int[] a0 = new int[POSITION_TILE];
            int[] a1 = new int[POSITION_TILE];
            int[] a2 = new int[POSITION_TILE];
            int[] a3 = new int[POSITION_TILE];
            int ocBase = g * ocg;
            int outBase = out + n * d.outC() * outHW;
            for (int p0 = 0; p0 < outHW; p0 += POSITION_TILE) {
                int len = Math.min(POSITION_TILE, outHW - p0);
                for (int oc = ocBase + lo; oc < ocBase + hi; oc += 4) {
                    int m = Math.min(4, ocBase + hi - oc);    // 1 to 4 live channels; dead rows use weight 0
                    java.util.Arrays.fill(a0, 0, len, bias[oc]);
                    java.util.Arrays.fill(a1, 0, len, m > 1 ? bias[oc + 1] : 0);
                    java.util.Arrays.fill(a2, 0, len, m > 2 ? bias[oc + 2] : 0);
                    java.util.Arrays.fill(a3, 0, len, m > 3 ? bias[oc + 3] : 0);
                    int b0 = oc * k;
                    for (int t = 0; t < k; t++) {
                        int w0 = wk[b0 + t];
                        int w1 = m > 1 ? wk[b0 + k + t] : 0;
                        int w2 = m > 2 ? wk[b0 + 2 * k + t] : 0;
                        int w3 = m > 3 ? wk[b0 + 3 * k + t] : 0;
                        int c = t * outHW + p0;
                        for (int i = 0; i < len; i++) {
                            int v = col[c + i];
                            a0[i] += w0 * v;
                            a1[i] += w1 * v;
                            a2[i] += w2 * v;
                            a3[i] += w3 * v;
                        }
                    }
                    int o = outBase + oc * outHW + p0;
                    for (int i = 0; i < len; i++) {
                        mem[o + i] = (byte) requantOut(a0[i], oc);
                    }
                    for (int j = 1; j < m; j++) {
                        int[] a = j == 1 ? a1 : j == 2 ? a2 : a3;
                        int oj = o + j * outHW;
                        for (int i = 0; i < len; i++) {
                            mem[oj + i] = (byte) requantOut(a[i], oc + j);
                        }
                    }
                }
            }
        }

        /** Output channels {@code [lo, hi)} of group {@code g} (relative to the group) as dot products. */
        private void gemm(int lo, int hi) {
            int k = this.k;
            int[] col = this.col;
            int[] wk = this.wk;
            int tile = Math.max(4, GEMM_TILE_BYTES / (4 * Math.max(1, k)));
            int ocBase = g * ocg;
            int outBase = out + n * d.outC() * outHW;
            for (int p0 = 0; p0 < outHW; p0 += tile) {
                int p1 = Math.min(outHW, p0 + tile);
                int oc = ocBase + lo;
                for (; oc + 4 <= ocBase + hi; oc += 4) {
                    int b0 = oc * k;
                    int b1 = b0 + k;
                    int b2 = b1 + k;
                    int b3 = b2 + k;
                    int o0 = outBase + oc * outHW;
                    for (int p = p0; p < p1; p++) {
                        int c = p * k;
                        int s0 = bias[oc];
                        int s1 = bias[oc + 1];
                        int s2 = bias[oc + 2];
                        int s3 = bias[oc + 3];
                        for (int t = 0; t < k; t++) {
                            int v = col[c + t];
                            s0 += wk[b0 + t] * v;
                            s1 += wk[b1 + t] * v;
                            s2 += wk[b2 + t] * v;
                            s3 += wk[b3 + t] * v;
                        }
                        mem[o0 + p] = (byte) requantOut(s0, oc);
                        mem[o0 + outHW + p] = (byte) requantOut(s1, oc + 1);
                        mem[o0 + 2 * outHW + p] = (byte) requantOut(s2, oc + 2);
                        mem[o0 + 3 * outHW + p] = (byte) requantOut(s3, oc + 3);
                    }
                }
                for (; oc < ocBase + hi; oc++) {
                    int b0 = oc * k;
                    int o0 = outBase + oc * outHW;
                    for (int p = p0; p < p1; p++) {
                        int c = p * k;
                        int s0 = bias[oc];
                        for (int t = 0; t < k; t++) {
                            s0 += wk[b0 + t] * col[c + t];
                        }
                        mem[o0 + p] = (byte) requantOut(s0, oc);
                    }
                }
            }
        }

        /**
         * Output channels {@code [lo, hi)}, one kernel tap at a time, each tap one long contiguous loop.
         * The group's input channels are first laid out as zero-padded, zero-point-corrected "phase
         * planes": for strides {@code sh x sw}, plane {@code (ph, pw)} holds input rows {@code r*sh + ph}
         * and columns {@code c*sw + pw} (in padded coordinates), {@code QH x QW} of them. Tap
         * {@code (kh, kw)} then reads plane {@code (kh*dilH mod sh, kw*dilW mod sw)} shifted by
         * {@code (kh*dilH / sh, kw*dilW / sw)} at unit stride, so every output row is a run of the plane
         * and all output rows together are one run: the accumulator is kept "wide", {@code outH} rows of
         * {@code QW} columns, of which the first {@code outW} are outputs (the others are computed and
         * dropped). Padding is 0 after the zero point correction, contributing nothing, as in
         * {@link #im2col}.
         */
        private void direct(int lo, int hi) {
            if (vector) {
                directVector(lo, hi);
                return;
            }
            int sh = d.strideH();
            int sw = d.strideW();
            int outH = d.outH();
            int outW = d.outW();
            int[] x = new int[icg * phases * qh * qw];
            int[] acc = new int[outH * qw];
            int run = (outH - 1) * qw + outW;
            int lastGroup = -1;
            for (int oc = lo; oc < hi; oc++) {
                lastGroup = planesFor(x, oc, lastGroup);
                java.util.Arrays.fill(acc, bias[oc]);
                for (int ic = 0; ic < icg; ic++) {
                    for (int kh = 0; kh < d.kH(); kh++) {
                        int rh = kh * d.dilH();
                        for (int kw = 0; kw < d.kW(); kw++) {
                            int wv = wk[oc * k + (ic * d.kH() + kh) * d.kW() + kw];
                            if (wv == 0) {
                                continue;
                            }
                            int rw = kw * d.dilW();
                            int base = ((ic * phases + phaseOf[(rh % sh) * sw + rw % sw]) * qh + rh / sh) * qw + rw / sw;
                            for (int i = 0; i < run; i++) {
                                acc[i] += wv * x[base + i];
                            }
                        }
                    }
                }
                int outBase = out + (n * d.outC() + oc) * outHW;
                for (int oh = 0; oh < outH; oh++) {
                    int a = oh * qw;
                    int o = outBase + oh * outW;
                    for (int ow = 0; ow < outW; ow++) {
                        mem[o + ow] = (byte) requantOut(acc[a + ow], oc);
                    }
                }
            }
        }

        /**
         * Fills {@code x} with the phase planes of output channel {@code oc}'s group unless it holds group
         * {@code built} already, and returns the group it holds.
         */
        private int planesFor(int[] x, int oc, int built) {
            int g = oc / ocg;
            if (g != built) {
                phasePlanes(x, srcIn + (n * d.inC() + g * icg) * inHW, 0, icg);
            }
            return g;
        }

        /** {@link #direct} with the Vector API: each channel's taps summed in registers a tile at a time ({@link #xOff}). */
        private void directVector(int lo, int hi) {
            int tw = io.intbench.simd.IntGemm.tileWidth();
            int[] x = new int[icg * phases * qh * qw + tw];
            int[] acc = new int[runPad];
            byte[] buf = new byte[runPad];
            int lastGroup = -1;
            for (int oc = lo; oc < hi; oc++) {
                lastGroup = planesFor(x, oc, lastGroup);
                for (int p = 0; p < runPad; p += tw) {
                    io.intbench.simd.IntGemm.tile1(x, xOff, p, wk, oc * k, k, bias[oc], acc, p);
                }
                requantChannel(acc, 0, out + (n * d.outC() + oc) * outHW, oc, buf);
            }
        }

        /**
         * For each phase {@code ph * sw + pw}, its plane's index among the phases some kernel tap reads, or -1
         * (a stride larger than the dilated kernel leaves phases unread: they are neither built nor stored).
         */
        private int[] phaseIndex() {
            int sh = d.strideH();
            int sw = d.strideW();
            boolean[] used = new boolean[sh * sw];
            for (int kh = 0; kh < d.kH(); kh++) {
                for (int kw = 0; kw < d.kW(); kw++) {
                    used[(kh * d.dilH() % sh) * sw + kw * d.dilW() % sw] = true;
                }
            }
            int[] index = new int[used.length];
            int next = 0;
            for (int p = 0; p < used.length; p++) {
                index[p] = used[p] ? next++ : -1;
            }
            return index;
        }

        /**
         * Fills {@code x} with the phase planes ({@link #direct}) of input channels {@code [icLo, icHi)} of the
         * group whose first channel is at {@code base}, each at its place in the group's planes.
         */
        private void phasePlanes(int[] x, int base, int icLo, int icHi) {
            int sh = d.strideH();
            int sw = d.strideW();
            int inH = d.inH();
            int inW = d.inW();
            int xZp = d.xZp();
            byte[] src = this.src;
            int i = icLo * phases * qh * qw;
            for (int ic = icLo; ic < icHi; ic++) {
                int chan = base + ic * inHW;
                for (int ph = 0; ph < sh; ph++) {
                    for (int pw = 0; pw < sw; pw++) {
                        if (phaseOf[ph * sw + pw] < 0) {
                            continue;
                        }
                        // columns c whose input column c*sw + off lies inside [0, inW): [cLo, cHi)
                        int off = pw - d.padLeft();
                        int cLo = Math.min(qw, firstInside(off, sw));
                        int cHi = Math.max(cLo, Math.min(qw, endInside(off, sw, inW)));
                        for (int r = 0; r < qh; r++) {
                            int ih = r * sh + ph - d.padTop();
                            if (ih < 0 || ih >= inH) {
                                java.util.Arrays.fill(x, i, i + qw, 0);
                                i += qw;
                                continue;
                            }
                            for (int c = 0; c < cLo; c++) {          // a padding column or two: no call
                                x[i + c] = 0;
                            }
                            for (int c = cHi; c < qw; c++) {
                                x[i + c] = 0;
                            }
                            int a = chan + ih * inW + off;
                            if (sw == 1 && vector) {
                                io.intbench.simd.IntGemm.widen(src, a + cLo, x, i + cLo, cHi - cLo, xZp, !inSigned);
                            } else if (sw == 1) {                    // unit stride: loops the JIT vectorises
                                int from = i + cLo;
                                int at = a + cLo;
                                int len = cHi - cLo;
                                if (inSigned) {
                                    for (int c = 0; c < len; c++) {
                                        x[from + c] = src[at + c] - xZp;
                                    }
                                } else {
                                    for (int c = 0; c < len; c++) {
                                        x[from + c] = (src[at + c] & 0xFF) - xZp;
                                    }
                                }
                            } else if (sw == 2 && vector) {
                                io.intbench.simd.IntGemm.widenStride2(src, a + 2 * cLo, x, i + cLo, cHi - cLo, xZp, !inSigned);
                            } else if (inSigned) {
                                for (int c = cLo; c < cHi; c++) {
                                    x[i + c] = src[a + c * sw] - xZp;
                                }
                            } else {
                                for (int c = cLo; c < cHi; c++) {
                                    x[i + c] = (src[a + c * sw] & 0xFF) - xZp;
                                }
                            }
                            i += qw;
                        }
                    }
                }
            }
        }

        private int requantOut(int acc, int oc) {
            int[] rq = acc < 0 ? rqNeg : this.rq;
            if (d.requantMode() != Descriptor.REQUANT_ORT) {
                return Requant.fixedPointRequantize(acc, rq[2 * oc], rq[2 * oc + 1], d.outZp(), d.clampMin(), d.clampMax());
            }
            if (quickBits >= 0) {
                return ortRequantizeQuick(acc, rq[2 * oc], rq[2 * oc + 1], d.outZp(), d.clampMin(), d.clampMax(), quickBits);
            }
            return fastOrt
                    ? ortRequantize(acc, rq[2 * oc], rq[2 * oc + 1], d.outZp(), d.clampMin(), d.clampMax())
                    : Requant.ortRequantize(acc, rq[2 * oc], rq[2 * oc + 1], d.outZp(), d.clampMin(), d.clampMax());
        }
    }

    /**
     * {@link Requant#ortRequantize} without its argument checks, for the inner loops: the same integer
     * steps (round the accumulator to float32's 24 significant bits, multiply exactly by the significand,
     * round the product to 24 bits, round-shift by the exponent, clamp, add the zero point). The
     * property test {@code FastRequantTest} checks it equals {@link Requant#ortRequantize} on random
     * and edge-case inputs. Requires {@code 0 <= m < 2^24} and {@code qmin <= qmax}, as the compiler
     * guarantees for every requantization table it writes.
     */
    static int ortRequantize(int acc, int m, int e, int zp, int qmin, int qmax) {
        long mag = Math.abs((long) acc);
        if (mag >= 1L << 24) {                                   // (float) acc
            int drop = 40 - Long.numberOfLeadingZeros(mag);      // bit length - 24
            mag = roundHalfEven(mag, drop) << drop;
        }
        long p = mag * m;                                        // exact, < 2^55
        long r;
        if (p == 0) {
            r = 0;
        } else {
            int drop = Math.max(0, 40 - Long.numberOfLeadingZeros(p));
            long sig = roundHalfEven(p, drop);                   // the float32 product's significand
            long shift = (long) e + drop;
            if (shift >= 0) {
                int length = 64 - Long.numberOfLeadingZeros(sig);
                r = shift + length > 41 ? 1L << 41 : sig << shift;
            } else {
                r = -shift >= 64 ? 0 : roundHalfEven(sig, (int) -shift);
            }
            long sign = acc >> 31;                               // 0 or -1: negate without a branch
            r = (r ^ sign) - sign;
        }
        long lo = (long) qmin - zp;
        long hi = (long) qmax - zp;
        return (int) (Math.max(lo, Math.min(r, hi)) + zp);
    }

    /**
     * {@link #ortRequantize} for the common case, in fewer steps: an accumulator below 2^24 in magnitude
     * (exact in float32) and a negative exponent {@code e = -s}, {@code 1 <= s <= 62}. The float32 product
     * {@code P = |acc| * m} rounded to 24 significant bits differs from {@code P} by at most
     * {@code 2^(bitlen(P) - 25)}; while {@code P < 2^(s + clampBits)} that is at most
     * {@code band = 2^(s + clampBits - 25)}, so unless {@code P} lies within {@code band} of a rounding
     * boundary {@code (k + 1/2) * 2^s} (checked: {@code |P mod 2^s - 2^(s-1)| <= band}) rounding {@code P}
     * directly gives the same integer as rounding the float product, and it is not a tie. When
     * {@code P >= 2^(s + clampBits)} both results are at least {@code 2^clampBits} in magnitude and clamp
     * to the same bound, because {@code clampBits} is chosen so that {@code 2^clampBits} exceeds
     * {@code |qmin - zp|} and {@code |qmax - zp|}. Everything else (large accumulators, near-boundary
     * products: about one in {@code 2^(25 - clampBits)}) takes {@link #ortRequantize}. Requires its
     * preconditions and {@code clampBits <= 23}; {@code FastRequantTest} holds it equal to the reference.
     */
    static int ortRequantizeQuick(int acc, int m, int e, int zp, int qmin, int qmax, int clampBits) {
        int s = -e;
        long mag = Math.abs((long) acc);
        long p = mag * m;
        long half = 1L << (s - 1);
        long rem = p & ((half << 1) - 1);
        long band = quickBand(s, clampBits);
        if (mag >= 1 << 24 || Math.abs(rem - half) <= band) {
            return ortRequantize(acc, m, e, zp, qmin, qmax);
        }
        long r = (p + half) >>> s;
        long sign = acc >> 31;
        r = (r ^ sign) - sign;
        long lo = (long) qmin - zp;
        long hi = (long) qmax - zp;
        return (int) (Math.max(lo, Math.min(r, hi)) + zp);
    }

    /** {@link #ortRequantizeQuick}'s band for exponent {@code -s}: {@code 2^(s + clampBits - 25)}, or 0 when that is below 1. */
    static long quickBand(int s, int clampBits) {
        int shift = s + clampBits - 25;
        return shift >= 0 ? 1L << shift : 0;
    }

    /**
     * The {@code clampBits} of {@link #ortRequantizeQuick} for a clamp range and zero point: the bit length
     * of the largest distance from the zero point to a bound, or -1 when it is too wide for the quick path.
     */
    static int clampBits(int zp, int qmin, int qmax) {
        long far = Math.max(Math.abs((long) qmin - zp), Math.abs((long) qmax - zp));
        int bits = 64 - Long.numberOfLeadingZeros(far);
        return bits <= 23 ? bits : -1;
    }

    /** Whether {@link #ortRequantizeQuick} takes exponent {@code e}. */
    static boolean quickExponent(int e) {
        return e <= -1 && e >= -62;
    }

    /**
     * {@code v / 2^shift} rounded half to even for {@code 0 <= v < 2^62} and {@code 0 <= shift < 64},
     * without branches: adding {@code half - 1}, plus 1 when the kept part is odd, carries into the kept
     * bits exactly when the remainder is above half, or equal to it with an odd kept part. The remainders
     * are as good as random, so a branch here would be mispredicted half the time.
     */
    private static long roundHalfEven(long v, int shift) {
        long half = (1L << shift) >>> 1;                     // 0 when shift == 0
        long active = (half | -half) >> 63;                  // all ones when shift > 0, else 0
        return (v + ((half - 1 + ((v >>> shift) & 1)) & active)) >>> shift;
    }

    /** The first index {@code c >= 0} whose position {@code c * stride + off} is {@code >= 0}. */
    private static int firstInside(int off, int stride) {
        return off >= 0 ? 0 : -Math.floorDiv(off, stride);
    }

    /** One past the last index {@code c} whose position {@code c * stride + off} is {@code < n} (0 or less when none is). */
    private static int endInside(int off, int stride, int n) {
        return Math.floorDiv(n - 1 - off, stride) + 1;
    }

    /** MATMUL: {@code out[m][n] = requant(bias[n] + sum_k (x[m][k] - xZp) * (w[n][k] - wZp[n]))}. */
    public static void matmul(byte[] mem, MatMulDesc d, int in, int w, int out) {
        int k = d.k();
        int[] bias = readInts(mem, d.biasAddr(), d.n());
        int[] rq = readInts(mem, d.requantAddr(), 2 * d.n());
        boolean inSigned = d.inSigned() == 1;
        int[] wv = WeightCache.widened(mem, w, d.n(), k, d.wZpAddr(), d.wSigned() == 1, 0);
        boolean vector = Simd.enabled();
        int[] xr = new int[k];
        for (int m = 0; m < d.m(); m++) {
            for (int j = 0; j < k; j++) {
                xr[j] = load8(mem, in + m * k + j, inSigned) - d.xZp();
            }
            for (int n = 0; n < d.n(); n++) {
                int acc = bias[n];
                int wb = n * k;
                if (vector) {
                    acc += io.intbench.simd.IntGemm.dot(xr, 0, wv, wb, k);
                } else {
                    for (int j = 0; j < k; j++) {
                        acc += xr[j] * wv[wb + j];
                    }
                }
                mem[out + m * d.n() + n] = (byte) requant(d.requantMode(), acc, rq, n, d.outZp(), d.clampMin(), d.clampMax());
            }
        }
    }

    /**
     * A kernel's work as independent slices of an index range, which {@link Parallel#forRange} runs on
     * several threads; each slice writes only its own outputs. Sealed, so that the no-float audit can
     * follow {@link #slice} to every implementation.
     */
    abstract static sealed class Work permits ConvWork, EltwiseWork {
        /** Runs indices {@code [lo, hi)}. */
        abstract void slice(int lo, int hi);
    }

    /**
     * ELTWISE: {@code out[i] = T[(a & 0xFF) << 8 | (b & 0xFF)]} with broadcasting strides. The rows
     * ({@code d0 * d1 * d2} of {@code d3} outputs) are split among {@link Parallel#threads()} threads.
     */
    public static void eltwise(byte[] mem, EltwiseDesc d, int a, int b, int out) {
        int rows = d.d0() * d.d1() * d.d2();
        EltwiseWork work = new EltwiseWork(mem, d, a, b, out);
        long outEnd = out + (long) rows * d.d3();
        if (overlaps(out, outEnd, a, d.aS0(), d.aS1(), d.aS2(), d.aS3(), d) || overlaps(out, outEnd, b, d.bS0(), d.bS1(), d.bS2(), d.bS3(), d)) {
            work.slice(0, rows);          // the output overwrites an operand: keep the one order the program means
        } else {
            Parallel.forRange(rows, minChunk(d.d3()), work);
        }
    }

    /** Whether {@code [outLo, outHi)} meets the bytes an ELTWISE operand at {@code base} with these strides reads. */
    private static boolean overlaps(long outLo, long outHi, int base, int s0, int s1, int s2, int s3, EltwiseDesc d) {
        long lo = base;
        long hi = base;
        int[] dims = {d.d0(), d.d1(), d.d2(), d.d3()};
        int[] strides = {s0, s1, s2, s3};
        for (int i = 0; i < 4; i++) {
            long span = (long) (Math.max(1, dims[i]) - 1) * strides[i];
            lo += Math.min(0, span);
            hi += Math.max(0, span);
        }
        return outLo <= hi && lo < outHi;
    }

    /** {@link #eltwise}'s rows {@code [lo, hi)}, row {@code r = (i0 * d1 + i1) * d2 + i2} writing {@code out + r * d3}. */
    static final class EltwiseWork extends Work {
        private final byte[] mem;
        private final EltwiseDesc d;
        private final int a;
        private final int b;
        private final int out;

        EltwiseWork(byte[] mem, EltwiseDesc d, int a, int b, int out) {
            this.mem = mem;
            this.d = d;
            this.a = a;
            this.b = b;
            this.out = out;
        }

        @Override
        void slice(int lo, int hi) {
            int t = d.tableAddr();
            int d3 = d.d3();
            for (int r = lo; r < hi; r++) {
                int i2 = r % d.d2();
                int i1 = r / d.d2() % d.d1();
                int i0 = r / d.d2() / d.d1();
                int pa = a + i0 * d.aS0() + i1 * d.aS1() + i2 * d.aS2();
                int pb = b + i0 * d.bS0() + i1 * d.bS1() + i2 * d.bS2();
                int o = out + r * d3;
                for (int i3 = 0; i3 < d3; i3++) {
                    mem[o + i3] = mem[t + ((mem[pa + i3 * d.aS3()] & 0xFF) << 8 | (mem[pb + i3 * d.bS3()] & 0xFF))];
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
     * AVGPOOL, as ONNX Runtime computes average pooling: per window, the float32 sum of the table's values
     * (dequantized inputs, or a float function of them) in the descriptor's order, divided by the element
     * count, divided by the output scale, rounded to nearest even and saturated; every float32 operation is
     * emulated on bit patterns by {@link SoftFloat32}. The orders are those of
     * onnxruntime/contrib_ops/cpu/quantization/qlinear_pool.cc (QLinearAveragePool: row-major, zero point added
     * before rounding) and of onnxruntime/core/mlas/lib/pooling.cpp (float AveragePool / GlobalAveragePool:
     * MlasPool2DVectorKernel sums each window column first, MlasPoolGlobalKernel four interleaved partial sums),
     * whose result is then quantized by QuantizeLinear (zero point added after rounding).
     */
    public static void avgpool(byte[] mem, AvgPoolDesc d, int in, int out) {
        int[] dq = readInts(mem, d.dqAddr(), 256);
        int zpBits = SoftFloat32.fromInt(d.outZp());
        int lo = d.outSigned() == 1 ? -128 : 0;
        int hi = d.outSigned() == 1 ? 127 : 255;
        int inHW = d.inH() * d.inW();
        int[] plane = new int[inHW];
        int o = out;
        for (int nc = 0; nc < d.batch() * d.c(); nc++) {
            int base = in + nc * inHW;
            for (int i = 0; i < inHW; i++) {
                plane[i] = dq[mem[base + i] & 0xFF];
            }
            for (int oh = 0; oh < d.outH(); oh++) {
                int hs = oh * d.strideH() - d.padTop();
                int he = Math.min(hs + d.kH(), d.inH());
                hs = Math.max(hs, 0);
                for (int ow = 0; ow < d.outW(); ow++) {
                    int ws = ow * d.strideW() - d.padLeft();
                    int we = Math.min(ws + d.kW(), d.inW());
                    ws = Math.max(ws, 0);
                    int sum = windowSum(d.sumOrder(), plane, d.inW(), hs, he, ws, we, nc * inHW);
                    int count = d.countIncludePad() == 1 ? d.kH() * d.kW() : (he - hs) * (we - ws);
                    int y = SoftFloat32.div(sum, SoftFloat32.fromInt(count));
                    int q;
                    if (d.quantizeLinear() == 1) {
                        // MlasQuantizeLinear: y / scale, clamped to [qmin - zp, qmax - zp], rounded, plus zp
                        q = Math.max(lo - d.outZp(), Math.min(hi - d.outZp(), SoftFloat32.rint(SoftFloat32.div(y, d.yScaleBits()))))
                                + d.outZp();
                    } else {
                        q = SoftFloat32.rint(SoftFloat32.add(SoftFloat32.div(y, d.yScaleBits()), zpBits));
                    }
                    mem[o++] = (byte) Math.max(lo, Math.min(hi, q));
                }
            }
        }
    }

    /**
     * The float32 sum (as bits) of the window {@code [hs, he) x [ws, we)} of one input plane of float32 bit patterns
     * {@code plane} (row length {@code inW}), in the order {@code sumOrder} ({@code Descriptor.SUM_*}); {@code offset}
     * is the plane's distance in elements from the start of the tensor (Eigen's alignment depends on it). Public so
     * that tests can hold each order against ONNX Runtime's float kernels directly.
     */
    public static int windowSum(int sumOrder, int[] plane, int inW, int hs, int he, int ws, int we, int offset) {
        return switch (sumOrder) {
            case Descriptor.SUM_COLUMNS_FIRST -> windowSumColumnsFirst(plane, inW, hs, he, ws, we);
            case Descriptor.SUM_FOUR_LANES -> windowSumFourLanes(plane, inW, hs, he, ws, we);
            case Descriptor.SUM_EIGEN_PACKETS -> planeSumEigen(plane, plane.length, offset);
            default -> windowSumRowMajor(plane, inW, hs, he, ws, we);
        };
    }

    private static int windowSumRowMajor(int[] plane, int inW, int hs, int he, int ws, int we) {
        int sum = 0;
        for (int h = hs; h < he; h++) {
            for (int w = ws; w < we; w++) {
                sum = SoftFloat32.add(sum, plane[h * inW + w]);
            }
        }
        return sum;
    }

    /** MlasPool2DVectorKernel: each column's rows top to bottom (from its first element), then the columns left to right. */
    private static int windowSumColumnsFirst(int[] plane, int inW, int hs, int he, int ws, int we) {
        int sum = 0;
        for (int w = ws; w < we; w++) {
            int col = plane[hs * inW + w];
            for (int h = hs + 1; h < he; h++) {
                col = SoftFloat32.add(col, plane[h * inW + w]);
            }
            sum = w == ws ? col : SoftFloat32.add(sum, col);
        }
        return sum;
    }

    /** Floats per Eigen packet (SSE's Packet4f, the vector width ONNX Runtime's Eigen code is built for on x86-64). */
    private static final int EIGEN_PACKET = 4;

    /**
     * Eigen's {@code redux_impl} for a linear vectorised sum ({@code Map<const Array>.sum()}, which ONNX Runtime's
     * ReduceAggregatorSum/Mean run per output for a reduction over the innermost axes) of the first {@code n} elements
     * of {@code x}, which lie {@code offset} elements from the start of a 16-byte aligned tensor: the first
     * {@code alignedStart} elements (up to the next packet boundary) are set aside, packets of four go to two
     * accumulators alternately, which are then added (plus one more packet if an odd one remains), reduced as
     * {@code (p0 + p2) + (p1 + p3)} (SSE {@code predux}), then the set-aside elements and the tail are added in order.
     */
    private static int planeSumEigen(int[] x, int n, int offset) {
        int p = EIGEN_PACKET;
        int alignedStart = Math.min(n, (p - offset % p) % p);
        int alignedSize = (n - alignedStart) / p * p;
        int alignedEnd2 = alignedStart + (n - alignedStart) / (2 * p) * (2 * p);
        int alignedEnd = alignedStart + alignedSize;
        if (alignedSize == 0) {
            int res = x[0];
            for (int i = 1; i < n; i++) {
                res = SoftFloat32.add(res, x[i]);
            }
            return res;
        }
        int[] r0 = new int[p];
        int[] r1 = new int[p];
        System.arraycopy(x, alignedStart, r0, 0, p);
        if (alignedSize > p) {
            System.arraycopy(x, alignedStart + p, r1, 0, p);
            for (int i = alignedStart + 2 * p; i < alignedEnd2; i += 2 * p) {
                for (int j = 0; j < p; j++) {
                    r0[j] = SoftFloat32.add(r0[j], x[i + j]);
                    r1[j] = SoftFloat32.add(r1[j], x[i + p + j]);
                }
            }
            for (int j = 0; j < p; j++) {
                r0[j] = SoftFloat32.add(r0[j], r1[j]);
            }
            if (alignedEnd > alignedEnd2) {
                for (int j = 0; j < p; j++) {
                    r0[j] = SoftFloat32.add(r0[j], x[alignedEnd2 + j]);
                }
            }
        }
        int res = SoftFloat32.add(SoftFloat32.add(r0[0], r0[2]), SoftFloat32.add(r0[1], r0[3]));
        for (int i = 0; i < alignedStart; i++) {
            res = SoftFloat32.add(res, x[i]);
        }
        for (int i = alignedEnd; i < n; i++) {
            res = SoftFloat32.add(res, x[i]);
        }
        return res;
    }

    /**
     * MlasPoolGlobalKernel: four partial sums, lane {@code j} over window elements {@code j, j+4, ...} of the
     * whole vectors, combined as MlasReduceAddFloat32x4 does ({@code (s0 + s2) + (s1 + s3)}), then the last
     * {@code n mod 4} elements one by one.
     */
    private static int windowSumFourLanes(int[] plane, int inW, int hs, int he, int ws, int we) {
        int n = (he - hs) * (we - ws);
        int ww = we - ws;
        int[] lane = new int[4];
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            for (int j = 0; j < 4; j++) {
                int e = i + j;
                lane[j] = SoftFloat32.add(lane[j], plane[(hs + e / ww) * inW + ws + e % ww]);
            }
        }
        int sum = SoftFloat32.add(SoftFloat32.add(lane[0], lane[2]), SoftFloat32.add(lane[1], lane[3]));
        for (; i < n; i++) {
            sum = SoftFloat32.add(sum, plane[(hs + i / ww) * inW + ws + i % ww]);
        }
        return sum;
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
        int hi = d.outSigned() == 1 && d.saturate() == 1 ? 127 : 255;
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
                mem[out + r * d.d() + i] = (byte) Math.min(q, hi);
            }
        }
    }

    /** ORT's table index: {@code x + 255 - max} for uint8, {@code uint8(x + 127 - max)} for int8. */
    private static int softmaxIndex(int x, int xmax, boolean signed) {
        return signed ? (x + 127 - xmax) & 0xFF : x + 255 - xmax;
    }

    /**
     * RESIZE (bilinear), as ONNX Runtime's {@code UpsampleBilinear<T>} (NCHW) and
     * {@code NhwcUpsampleBilinear<float>} compute it (onnxruntime/core/providers/cpu/tensor/upsample.h):
     * {@code (T)(dx2*dy2*X11 + dx1*dy2*X21 + dx2*dy1*X12 + dx1*dy1*X22)}, each product and sum a float32
     * operation in that order. On codes ({@code dequantize} 0) the X are the codes and the conversion to
     * T truncates toward zero; otherwise the X are the dequantized values and the result goes through
     * QuantizeLinear as MLAS computes it (divide by the scale, round half to even, add the zero point,
     * saturate). Every float32 step is emulated with {@link SoftFloat32}.
     */
    public static void resizeLinear(byte[] mem, Descriptor.ResizeDesc d, int in, int out) {
        boolean signed = d.inSigned() == 1;
        boolean dequantize = d.dequantize() == 1;
        int[] yt = readInts(mem, d.yTabAddr(), 4 * d.outH());
        int[] xt = readInts(mem, d.xTabAddr(), 4 * d.outW());
        int[] value = dequantize ? readInts(mem, d.dqAddr(), 256) : new int[256];
        if (!dequantize) {
            for (int b = 0; b < 256; b++) {
                value[b] = SoftFloat32.fromInt(signed ? (byte) b : b);
            }
        }
        int lo = d.outSigned() == 1 ? -128 : 0;
        int hi = d.outSigned() == 1 ? 127 : 255;
        int ch = d.channels();
        int inPlane = d.inH() * d.inW() * ch;
        int o = out;
        for (int p = 0; p < d.planes(); p++) {
            int base = in + p * inPlane;
            for (int y = 0; y < d.outH(); y++) {
                int r1 = base + yt[4 * y] * ch;
                int r2 = base + yt[4 * y + 1] * ch;
                int dy1 = yt[4 * y + 2];
                int dy2 = yt[4 * y + 3];
                for (int x = 0; x < d.outW(); x++) {
                    int c1 = xt[4 * x] * ch;
                    int c2 = xt[4 * x + 1] * ch;
                    int dx1 = xt[4 * x + 2];
                    int dx2 = xt[4 * x + 3];
                    int w11 = SoftFloat32.mul(dx2, dy2);
                    int w21 = SoftFloat32.mul(dx1, dy2);
                    int w12 = SoftFloat32.mul(dx2, dy1);
                    int w22 = SoftFloat32.mul(dx1, dy1);
                    for (int c = 0; c < ch; c++) {
                        int s = SoftFloat32.mul(w11, value[mem[r1 + c1 + c] & 0xFF]);
                        s = SoftFloat32.add(s, SoftFloat32.mul(w21, value[mem[r1 + c2 + c] & 0xFF]));
                        s = SoftFloat32.add(s, SoftFloat32.mul(w12, value[mem[r2 + c1 + c] & 0xFF]));
                        s = SoftFloat32.add(s, SoftFloat32.mul(w22, value[mem[r2 + c2 + c] & 0xFF]));
                        if (dequantize) {
                            int q = SoftFloat32.rint(SoftFloat32.div(s, d.yScaleBits())) + d.outZp();
                            mem[o++] = (byte) Math.max(lo, Math.min(hi, q));
                        } else {
                            mem[o++] = (byte) SoftFloat32.trunc(s);
                        }
                    }
                }
            }
        }
    }
}
