package io.intbench.compiler.lower;

import io.intbench.isa.Descriptor;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.IntbenchException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a CONV or MATMUL layer into tiles over output channels (N) and output rows (a convolution's
 * output rows, a matrix multiply's rows of M) so that, double buffered, every tile's operands fit the
 * scratchpad ({@code 2 x (input tile incl. halo rows + weight tile + output tile) <= scratchpad bytes})
 * and its int32 partial sums fit the accumulator ({@code 2 x channels x pixels x 4 <= accumulator
 * bytes}). Among the tilings that fit it picks the loop order and tile sizes with the fewest DRAM
 * bytes (then the fewest tiles): weights-outer keeps a weight tile while the row tiles stream past
 * (inputs are re-read once per channel tile), rows-outer keeps an input tile while the weight tiles
 * stream past (weights are re-read once per row tile). A grouped convolution's channel tiles hold
 * whole groups, whose inputs are then only that group's channels.
 *
 * <p>Transfers of a tile that is strided in DRAM (a block of rows of some channels) are counted as
 * one DMA of the tile's bytes starting at its first byte; the cost model charges bytes, not bursts.
 */
final class Tiler {
    private Tiler() { }

    /** One DMA: {@code bytes} from DRAM address {@code addr}; {@code activation} for input reads. */
    record Dma(long addr, long bytes, boolean activation) { }

    /** One tile in issue order: its loads, its output channels and output pixels per image, its store. */
    record Tile(int channels, int pixels, List<Dma> loads, Dma store) { }

    /** The chosen tiling. */
    record Plan(int tileChannels, int tileRows, int tileCols, int channelTiles, int blockTiles, boolean weightsOuter,
                long dramBytes, List<Tile> tiles) {
        String note() {
            return "tiles " + channelTiles + "x" + blockTiles + " (" + tileChannels + " ch x " + tileRows + "x" + tileCols + " px) "
                    + (weightsOuter ? "weights-outer" : "rows-outer");
        }
    }

    /**
     * Layer geometry, a MATMUL seen as a 1x1 convolution over an M x 1 image with K input channels
     * (only its DRAM layout differs: row-major [M][K] and [M][N] instead of NCHW).
     */
    private record Geo(boolean matmul, int batch, int inC, int inH, int inW, int outC, int outH, int outW, int groups,
                       long wPerChannel, int strideH, int strideW, int spanH, int spanW, int padTop, int padLeft,
                       long inAddr, long wAddr, long outAddr, boolean wActivation) {
        boolean grouped() { return groups > 1; }

        /** channels per step of a channel tile: whole groups when grouped. */
        int unit() { return grouped() ? outC / groups : 1; }

        /** input channels read by a tile of {@code tn} output channels. */
        long inChannels(int tn) { return grouped() ? (long) (tn / unit()) * (inC / groups) : inC; }

        /** input rows (clipped to the image) read by output rows [r0, r0+tr). */
        long inRows(int r0, int tr) { return clip((long) r0 * strideH - padTop, (long) (r0 + tr - 1) * strideH - padTop + spanH, inH); }

        /** input columns read by output columns [c0, c0+tw). */
        long inCols(int c0, int tw) {
            return tw == outW ? inW : clip((long) c0 * strideW - padLeft, (long) (c0 + tw - 1) * strideW - padLeft + spanW, inW);
        }

        static long clip(long lo, long hi, long size) { return Math.max(0, Math.min(hi, size) - Math.max(lo, 0)); }

        /** largest input tile of tr x tw output pixels (halo unclipped by padding: an upper bound). */
        long inTileMax(int tn, int tr, int tw) {
            long rows = Math.min(inH, (long) (tr - 1) * strideH + spanH);
            long cols = tw == outW ? inW : Math.min(inW, (long) (tw - 1) * strideW + spanW);
            return inChannels(tn) * batch * rows * cols;
        }
    }

    static Plan plan(String layer, Descriptor d, long inAddr, long wAddr, long outAddr, HardwareConfig cfg) {
        return plan(layer, d, inAddr, wAddr, outAddr, cfg, false);
    }

    /** As above; {@code wActivation} when the weights (a MATMUL's B) are an activation computed at run time. */
    static Plan plan(String layer, Descriptor d, long inAddr, long wAddr, long outAddr, HardwareConfig cfg, boolean wActivation) {
        Geo g;
        if (d instanceof Descriptor.ConvDesc c) {
            g = new Geo(false, c.batch(), c.inC(), c.inH(), c.inW(), c.outC(), c.outH(), c.outW(), c.groups(),
                    (long) (c.inC() / c.groups()) * c.kH() * c.kW(), c.strideH(), c.strideW(), (c.kH() - 1) * c.dilH() + 1,
                    (c.kW() - 1) * c.dilW() + 1, c.padTop(), c.padLeft(), inAddr, wAddr, outAddr, false);
        } else {
            Descriptor.MatMulDesc m = (Descriptor.MatMulDesc) d;
            g = new Geo(true, 1, m.k(), m.m(), 1, m.n(), m.m(), 1, 1, m.k(), 1, 1, 1, 1, 0, 0, inAddr, wAddr, outAddr, wActivation);
        }
        long spad = cfg.scratchpad().bytes();
        long acc = cfg.accumulator().bytes();
        long wTotal = (long) g.outC() * g.wPerChannel();
        long outTotal = (long) g.batch() * g.outC() * g.outH() * g.outW();
        long bestBytes = Long.MAX_VALUE;
        long bestTiles = Long.MAX_VALUE;
        int[] best = null;                                     // tn, tr, tw, weightsOuter
        // input rows / columns read over all blocks of tr rows / tw columns, independent of the channels
        long[] sumRowsOf = new long[g.outH() + 1];
        for (int tr = 1; tr <= g.outH(); tr++) {
            for (int r0 = 0; r0 < g.outH(); r0 += tr) {
                sumRowsOf[tr] += g.inRows(r0, Math.min(tr, g.outH() - r0));
            }
        }
        long[] sumColsOf = new long[g.outW() + 1];
        for (int tw = 1; tw <= g.outW(); tw++) {
            for (int c0 = 0; c0 < g.outW(); c0 += tw) {
                sumColsOf[tw] += g.inCols(c0, Math.min(tw, g.outW() - c0));
            }
        }
        // first pass: channel tiles that fill whole array columns (a narrower tile leaves columns idle in
        // every fold, e.g. a 1-channel tile of a 16-column array uses 1/16 of it); then any width
        int cols = cfg.array().cols();
        for (int pass = 0; pass < 2 && best == null; pass++) {
        for (int tn = g.unit(); tn <= g.outC(); tn += g.unit()) {
            if (pass == 0 && !g.grouped() && tn != g.outC() && tn % cols != 0) {
                continue;
            }
            long wBytes = tn * g.wPerChannel();
            // blocks of tr whole rows, or (tr = 1) of tw < outW columns of one row
            for (int tr = g.outH(); tr >= 1; tr--) {
                for (int tw = g.outW(); tw >= 1; tw = tr == 1 ? tw - 1 : 0) {
                    long pixels = (long) g.batch() * tr * tw;
                    long need = 2 * (g.inTileMax(tn, tr, tw) + wBytes + tn * pixels);
                    long accNeed = 2L * tn * pixels * 4;
                    if (need > spad || accNeed > acc) {
                        continue;
                    }
                    int nT = (g.outC() + tn - 1) / tn;
                    int rT = (g.outH() + tr - 1) / tr;
                    int cT = (g.outW() + tw - 1) / tw;
                    long sumRows = tw == g.outW() ? sumRowsOf[tr] : sumRowsOf[1];
                    long sumCols = sumColsOf[tw];
                    // input bytes when every block is read once with all the channels any tile needs
                    long inOnce = (long) g.inC() * g.batch() * sumRows * sumCols;
                    long blocks = (long) rT * cT;
                    long wo = wTotal + outTotal + (g.grouped() ? inOnce : nT * inOnce);
                    long ro = blocks * wTotal + outTotal + inOnce;
                    long tiles = nT * blocks;
                    for (int order = 1; order >= 0; order--) {
                        long bytes = order == 1 ? wo : ro;
                        if (bytes < bestBytes || (bytes == bestBytes && tiles < bestTiles)) {
                            bestBytes = bytes;
                            bestTiles = tiles;
                            best = new int[] {tn, tr, tw, order};
                        }
                    }
                }
            }
        }
        }
        if (best == null) {
            int u = g.unit();
            long in1 = g.inTileMax(u, 1, 1);
            long minNeed = 2 * (in1 + u * g.wPerChannel() + (long) u * g.batch());
            throw new IntbenchException.UnsupportedModel("layer " + layer + ": no tiling fits the scratchpad of " + spad
                    + " bytes and the accumulator of " + acc + " bytes: the smallest tile (" + u
                    + " output channel(s) x 1 output pixel) needs " + minNeed + " scratchpad bytes double buffered (input "
                    + in1 + " incl. halo, weights " + u * g.wPerChannel() + ", output " + (long) u * g.batch() + ") and "
                    + 2L * u * g.batch() * 4 + " accumulator bytes");
        }
        int tn = best[0];
        int tr = best[1];
        int tw = best[2];
        boolean wo = best[3] == 1;
        int nT = (g.outC() + tn - 1) / tn;
        int bT = (g.outH() + tr - 1) / tr * ((g.outW() + tw - 1) / tw);
        return new Plan(tn, tr, tw, nT, bT, wo, bestBytes, tiles(g, tn, tr, tw, wo));
    }

    private static List<Tile> tiles(Geo g, int tn, int tr, int tw, boolean weightsOuter) {
        List<int[]> blocks = new ArrayList<>();               // r0, rows, c0, cols
        for (int r0 = 0; r0 < g.outH(); r0 += tr) {
            for (int c0 = 0; c0 < g.outW(); c0 += tw) {
                blocks.add(new int[] {r0, Math.min(tr, g.outH() - r0), c0, Math.min(tw, g.outW() - c0)});
            }
        }
        int nT = (g.outC() + tn - 1) / tn;
        int outer = weightsOuter ? nT : blocks.size();
        int inner = weightsOuter ? blocks.size() : nT;
        List<Tile> out = new ArrayList<>();
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int n0 = (weightsOuter ? o : i) * tn;
                int cn = Math.min(tn, g.outC() - n0);
                int[] b = blocks.get(weightsOuter ? i : o);
                Dma w = new Dma(g.wAddr() + n0 * g.wPerChannel(), cn * g.wPerChannel(), g.wActivation());
                Dma in = input(g, n0, cn, b);
                List<Dma> loads = new ArrayList<>();
                if (weightsOuter) {
                    if (i == 0) {
                        loads.add(w);
                    }
                    loads.add(in);
                } else {
                    if (i == 0 || g.grouped()) {
                        loads.add(in);
                    }
                    loads.add(w);
                }
                long pixels = (long) b[1] * b[3];
                long storeAddr = g.matmul() ? g.outAddr() + (long) b[0] * g.outC() + n0
                        : g.outAddr() + (long) n0 * g.outH() * g.outW() + (long) b[0] * g.outW() + b[2];
                out.add(new Tile(cn, Math.toIntExact(pixels), loads, new Dma(storeAddr, cn * pixels * g.batch(), false)));
            }
        }
        return out;
    }

    private static Dma input(Geo g, int n0, int cn, int[] b) {
        long rows = g.inRows(b[0], b[1]);
        long cols = g.inCols(b[2], b[3]);
        if (g.matmul()) {
            return new Dma(g.inAddr() + (long) b[0] * g.inC(), rows * g.inC(), true);
        }
        long firstRow = Math.max(0, (long) b[0] * g.strideH() - g.padTop());
        long firstCol = b[3] == g.outW() ? 0 : Math.max(0, (long) b[2] * g.strideW() - g.padLeft());
        long c0 = g.grouped() ? (long) (n0 / g.unit()) * (g.inC() / g.groups()) : 0;
        long ch = g.inChannels(cn);
        return new Dma(g.inAddr() + (c0 * g.inH() + firstRow) * g.inW() + firstCol, ch * g.batch() * rows * cols, true);
    }
}
