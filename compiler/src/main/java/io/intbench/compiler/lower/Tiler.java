package io.intbench.compiler.lower;

import io.intbench.isa.Descriptor;
import io.intbench.isa.CostModel;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.IntbenchException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits a CONV or MATMUL layer into tiles over output channels (N) and output rows (a convolution's
 * output rows, a matrix multiply's rows of M) so that, double buffered, every tile's operands fit the
 * scratchpad ({@code 2 x (input tile incl. halo rows + weight tile + output tile) <= scratchpad bytes})
 * and its int32 partial sums fit the accumulator ({@code 2 x channels x pixels x 4 <= accumulator
 * bytes}). Among the tilings that fit it picks the loop order and tile sizes with the fewest estimated
 * cycles (then the fewest DRAM bytes, then the fewest tiles), the estimate being the double-buffered
 * pipeline's: the first tile's loads, then the larger of the array's cycles (the shared fold formula
 * {@link CostModel}, each tile paying its own fill and drain) and the DMA cycles (a latency per transfer
 * plus bytes over bandwidth), then the last tile's store. Choosing by bytes alone took many small
 * tiles whose fills, drains and DMA latencies cost more than the bytes they saved, so that a larger
 * scratchpad or array could make a model slower. Weights-outer keeps a weight tile while the row tiles stream past
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

    /**
     * One tile in issue order: its loads, its work, its store. An array tile ({@code vector} false, the
     * layer's own descriptor: {@code desc} -1) covers {@code channels} output channels by {@code pixels}
     * output pixels per image; a vector tile covers {@code channels} outputs of descriptor {@code desc}
     * (GAVGPOOL: channels, over a chunk of {@code pixels} pixels each).
     */
    record Tile(int desc, boolean vector, int channels, int pixels, List<Dma> loads, Dma store) { }

    /** The chosen tiling, with a note for the report (e.g. {@code tiles 1x56 (32 ch x 2x112 px) weights-outer}). */
    record Plan(String note, long dramBytes, List<Tile> tiles) { }

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

    /** A tiling choice: tile sizes, loop order and the DRAM bytes it moves. */
    private record Choice(int tn, int tr, int tw, boolean weightsOuter, long dramBytes) { }

    /**
     * A layer's geometry without its addresses: what a tiling choice depends on besides the config. A class of
     * its own rather than a record, whose equals and hashCode are bootstrapped on their first call at a cost of
     * tens of milliseconds in a fresh JVM.
     */
    private static final class Shape {
        private final long[] key;

        Shape(Geo g) {
            key = new long[] {g.matmul() ? 1 : 0, g.batch(), g.inC(), g.inH(), g.inW(), g.outC(), g.outH(), g.outW(), g.groups(),
                g.wPerChannel(), g.strideH(), g.strideW(), g.spanH(), g.spanW(), g.padTop(), g.padLeft()};
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Shape s && Arrays.equals(s.key, key);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(key);
        }
    }

    /**
     * The tilings chosen so far in one lowering, for its config, by {@link Shape}: a model's repeated layers
     * (ResNet's identical convolutions within a stage, a batched MATMUL's slices) are searched once. The search
     * runs in the first compile of a process, mostly before the JIT has compiled it, so each search saved is
     * worth milliseconds.
     */
    static final class Memo {
        private final Map<Shape, Choice> choices = new HashMap<>();
        private final HardwareConfig cfg;

        Memo(HardwareConfig cfg) {
            this.cfg = cfg;
        }
    }

    /**
     * The tiling of a CONV or MATMUL layer; {@code wActivation} when the weights (a MATMUL's B) are an activation
     * computed at run time; {@code memo} holds the choices for layers of the same shape made before.
     */
    static Plan plan(String layer, Descriptor d, long inAddr, long wAddr, long outAddr, HardwareConfig cfg, boolean wActivation,
                     Memo memo) {
        Geo g;
        if (d instanceof Descriptor.ConvDesc c) {
            g = new Geo(false, c.batch(), c.inC(), c.inH(), c.inW(), c.outC(), c.outH(), c.outW(), c.groups(),
                    (long) (c.inC() / c.groups()) * c.kH() * c.kW(), c.strideH(), c.strideW(), (c.kH() - 1) * c.dilH() + 1,
                    (c.kW() - 1) * c.dilW() + 1, c.padTop(), c.padLeft(), inAddr, wAddr, outAddr, false);
        } else {
            Descriptor.MatMulDesc m = (Descriptor.MatMulDesc) d;
            g = new Geo(true, 1, m.k(), m.m(), 1, m.n(), m.m(), 1, 1, m.k(), 1, 1, 1, 1, 0, 0, inAddr, wAddr, outAddr, wActivation);
        }
        if (memo.cfg != cfg) {
            throw new IllegalArgumentException("tilings chosen for config " + memo.cfg.name() + " asked for " + cfg.name());
        }
        Shape shape = new Shape(g);
        Choice ch = memo.choices.get(shape);
        if (ch == null) {
            ch = choose(layer, g, cfg);
            memo.choices.put(shape, ch);
        }
        int tn = ch.tn();
        int tr = ch.tr();
        int tw = ch.tw();
        boolean wo = ch.weightsOuter();
        int nT = (g.outC() + tn - 1) / tn;
        int bT = (g.outH() + tr - 1) / tr * ((g.outW() + tw - 1) / tw);
        String note = "tiles " + nT + "x" + bT + " (" + tn + " ch x " + tr + "x" + tw + " px) " + (wo ? "weights-outer" : "rows-outer");
        return new Plan(note, ch.dramBytes(), tiles(g, tn, tr, tw, wo));
    }

    /** The tiling of the fewest estimated cycles (then DRAM bytes, then tiles) among those that fit; see the class comment. */
    private static Choice choose(String layer, Geo g, HardwareConfig cfg) {
        long spad = cfg.scratchpad().bytes();
        long acc = cfg.accumulator().bytes();
        long wTotal = (long) g.outC() * g.wPerChannel();
        long outTotal = (long) g.batch() * g.outC() * g.outH() * g.outW();
        long bestCycles = Long.MAX_VALUE;
        long bestBytes = Long.MAX_VALUE;
        long bestTiles = Long.MAX_VALUE;
        int[] best = null;                                     // tn, tr, tw, weightsOuter
        ArrayCost cost = new ArrayCost(g, cfg);
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
        for (int tn = g.unit(); tn <= g.outC(); tn += g.unit()) {
            long wBytes = tn * g.wPerChannel();
            if (2 * (g.inTileMax(tn, 1, 1) + wBytes + tn * (long) g.batch()) > spad || 2L * tn * g.batch() * 4 > acc) {
                break;              // the smallest tile does not fit, nor does any of more channels (all needs grow with tn)
            }
            int nT = (g.outC() + tn - 1) / tn;
            long wDma = CostModel.dmaCycles(wBytes, cfg);
            // blocks of tr whole rows, or (tr = 1) of tw < outW columns of one row
            for (int tr = g.outH(); tr >= 1; tr--) {
                for (int tw = g.outW(); tw >= 1; tw = tr == 1 ? tw - 1 : 0) {
                    long pixels = (long) g.batch() * tr * tw;
                    long inTile = g.inTileMax(tn, tr, tw);
                    long need = 2 * (inTile + wBytes + tn * pixels);
                    long accNeed = 2L * tn * pixels * 4;
                    if (need > spad || accNeed > acc) {
                        continue;
                    }
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
                    long c = computeCycles(g, tn, tr, tw, cost) / tiles;
                    long in = CostModel.dmaCycles(inTile, cfg);
                    long st = CostModel.dmaCycles(tn * pixels, cfg);
                    for (int order = 1; order >= 0; order--) {
                        long bytes = order == 1 ? wo : ro;
                        long cycles = estimate(g.grouped(), order == 1, c, in, wDma, st, nT, blocks, tiles);
                        if (cycles < bestCycles || (cycles == bestCycles && (bytes < bestBytes
                                || (bytes == bestBytes && tiles < bestTiles)))) {
                            bestCycles = cycles;
                            bestBytes = bytes;
                            bestTiles = tiles;
                            best = new int[] {tn, tr, tw, order};
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
        return new Choice(best[0], best[1], best[2], best[3] == 1, bestBytes);
    }

    /** Array cycles of one tile of the layer: {@code channels} output channels by {@code m} output pixels (all images). */
    private record ArrayCost(Geo g, HardwareConfig cfg) {
        long of(long m, int channels) {
            return g.grouped() ? CostModel.groupedCycles(m, g.wPerChannel(), g.unit(), channels / g.unit(), cfg)
                    : CostModel.arrayCycles(m, g.wPerChannel(), channels, cfg);
        }
    }

    /**
     * Array cycles of all the tiles of a tiling: each distinct tile shape (full or edge) times its count. Each
     * dimension splits into {@code size / step} full pieces and one remainder piece when it does not divide.
     */
    private static long computeCycles(Geo g, int tn, int tr, int tw, ArrayCost cost) {
        long total = 0;
        for (int ci = 0; ci < 2; ci++) {
            int cn = ci == 0 ? tn : g.outC() % tn;
            int cc = ci == 0 ? g.outC() / tn : 1;
            if (cn == 0 || cc == 0) {
                continue;
            }
            for (int ri = 0; ri < 2; ri++) {
                int rn = ri == 0 ? tr : g.outH() % tr;
                int rc = ri == 0 ? g.outH() / tr : 1;
                if (rn == 0 || rc == 0) {
                    continue;
                }
                for (int wi = 0; wi < 2; wi++) {
                    int wn = wi == 0 ? tw : g.outW() % tw;
                    int wc = wi == 0 ? g.outW() / tw : 1;
                    if (wn == 0 || wc == 0) {
                        continue;
                    }
                    total += cost.of((long) g.batch() * rn * wn, cn) * cc * rc * wc;
                }
            }
        }
        return total;
    }

    /**
     * Cycles of the double-buffered tile pipeline: the first tile's loads run alone; then in each step
     * the array computes tile t while the DRAM port stores tile t-1 and loads tile t+1, so a step takes
     * the longer of the two; then the last tile's store runs alone. Weights-outer loads a weight tile
     * with the first row block of each channel tile; rows-outer loads an input block with the first
     * channel tile of each block (every tile when grouped) and a weight tile with every tile. Tiles are
     * taken as equal ({@code c}, the average compute; {@code in}, {@code w}, {@code st}, the DMA cycles of
     * full-size input, weight and output tiles).
     */
    private static long estimate(boolean grouped, boolean weightsOuter, long c, long in, long w, long st, long nT,
                                 long blocks, long tiles) {
        long steps;
        if (weightsOuter) {
            steps = nT * (Math.max(c, in + w + st) + (blocks - 1) * Math.max(c, in + st));
        } else if (grouped) {
            steps = tiles * Math.max(c, in + w + st);
        } else {
            steps = blocks * (Math.max(c, in + w + st) + (nT - 1) * Math.max(c, w + st));
        }
        return in + w + steps + st;
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
                out.add(new Tile(-1, false, cn, Math.toIntExact(pixels), loads, new Dma(storeAddr, cn * pixels * g.batch(), false)));
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

    // ----- vector-unit layers -----------------------------------------------------------------------

    /**
     * One vector instruction of a layer (a Concat has one per input): its descriptor index and
     * descriptor, the DRAM address of each operand in the descriptor's order (-1 for a constant operand,
     * which is loaded once with the layer's constants), the elements of its input tensor (GATHER) and
     * the address of its output (for a Concat input, of its slice) and the output tensor's end.
     */
    record VectorOp(int desc, Descriptor d, long[] ins, long inElements, long outAddr, long outEnd) { }

    /**
     * Splits a vector-unit layer so that, double buffered, each tile's input and output bytes fit the
     * scratchpad ({@code 2 x (input incl. halo + output) <= scratchpad bytes}), with the tile size, among
     * those that fit, of the fewest estimated cycles ({@link #bestUnits}); a layer of one tile keeps the
     * untiled instruction sequence. Tiles:
     * <ul>
     * <li>LUT, ELTWISE, GATHER: chunks of the flattened output. An ELTWISE operand broadcast along some
     *     dimension loads {@code min(chunk, its elements)} bytes per chunk (an upper bound of what it
     *     reads); a GATHER chunk loads as many input bytes as it writes, at most the whole input (an
     *     indexed DMA that reads the elements it needs).
     * <li>MAXPOOL, AVGPOOL: blocks of whole channel planes, or of output rows of one plane with the input
     *     rows their windows need (halo rows, re-read by the neighbouring block).
     * <li>GAVGPOOL: blocks of channels, or chunks of one channel's pixels whose partial int32 sum stays in
     *     the accumulator (the channel's output is stored after each chunk, the last store final).
     * <li>SOFTMAX: blocks of whole rows (a row's max and sum need all of it).
     * </ul>
     * A layer's lookup tables and other constants are loaded once ahead of its tiles into the vector
     * unit's table memory, not the scratchpad. A layer no tiling fits is refused, naming it and the sizes.
     */
    /**
     * True for the vector-unit descriptors this tiler splits; a layer of another kind (an op added
     * without a tiling rule here) keeps its untiled instruction sequence.
     */
    static boolean tiles(Descriptor d) {
        return d instanceof Descriptor.EltwiseDesc || d instanceof Descriptor.LutDesc || d instanceof Descriptor.GatherDesc
                || d instanceof Descriptor.PoolDesc || d instanceof Descriptor.AvgPoolDesc || d instanceof Descriptor.GapDesc
                || d instanceof Descriptor.SoftmaxDesc || d instanceof Descriptor.ResizeDesc;
    }

    static Plan vector(String layer, List<VectorOp> ops, HardwareConfig cfg) {
        long spad = cfg.scratchpad().bytes();
        List<Tile> tiles = new ArrayList<>();
        long bytes = 0;
        for (VectorOp op : ops) {
            for (Tile t : vectorTiles(layer, op, spad / 2, cfg)) {
                tiles.add(t);
                for (Dma ld : t.loads()) {
                    bytes += ld.bytes();
                }
                bytes += t.store().bytes();
            }
        }
        return new Plan(tiles.size() == 1 ? "" : "tiles " + tiles.size() + " (vector)", bytes, tiles);
    }

    /** Elements of an ELTWISE operand: the product of the dimensions it is not broadcast along. */
    private static long operandElements(int[] dims, int[] strides) {
        long n = 1;
        for (int k = 0; k < 4; k++) {
            n *= strides[k] == 0 ? 1 : dims[k];
        }
        return n;
    }

    /** {@code len} bytes of a buffer of {@code size} bytes at {@code base}, from {@code off} or as near it as fits. */
    private static long at(long base, long size, long off, long len) {
        return base + Math.max(0, Math.min(off, size - len));
    }

    /** Cycles of one vector tile of {@code units} units: {load, store, compute}. */
    private interface UnitCost {
        long[] of(long units);
    }

    /**
     * Units per tile, at most {@code max}, with the fewest estimated cycles for {@code total} units: the
     * first tile's loads, then per tile the longer of its compute and the port's transfers (the next
     * tile's loads, the previous tile's store), then the last store. Every tile count from the fewest that
     * fit is a candidate (until the transfer latencies alone exceed the best), so a larger scratchpad only
     * adds candidates: the largest tile is not the fastest when its loads and store, which nothing overlaps,
     * cost more than the latencies of smaller tiles. Returns {units, estimated cycles}.
     */
    /** Tile counts tried for a vector layer when DRAM has no latency to bound them. */
    private static final long MAX_VECTOR_TILE_COUNTS = 4096;

    private static long[] bestUnits(long total, long max, UnitCost cost, HardwareConfig cfg) {
        long best = Math.min(max, total);
        long bestEst = Long.MAX_VALUE;
        long lat = cfg.dram().latencyCycles();
        // tile counts n from the fewest that fit; each n's tile is ceil(total / n) units
        for (long n = (total + max - 1) / max; n <= total; n++) {
            if (lat > 0 ? n > bestEst / (2 * lat) : n > MAX_VECTOR_TILE_COUNTS) {
                break;                                  // the transfers' latencies alone exceed the best
            }
            long units = (total + n - 1) / n;
            if (units > max || (n > 1 && (total + units - 1) / units != n)) {
                continue;                               // this n gives the same tiles as a smaller one
            }
            long[] c = cost.of(units);
            long est = c[0] + n * Math.max(c[2], c[0] + c[1]) + c[1];
            if (est < bestEst) {
                bestEst = est;
                best = units;
            }
        }
        return new long[] {best, bestEst};
    }

    /** Tiles of {@code tp} whole planes (the last one fewer) of a vector layer's single input and its output. */
    private static List<Tile> planeTiles(VectorOp op, int planes, int tp, long inPlane, long outPlane) {
        List<Tile> out = new ArrayList<>();
        for (int p0 = 0; p0 < planes; p0 += tp) {
            int n = Math.min(tp, planes - p0);
            out.add(new Tile(op.desc(), true, Math.toIntExact(n * outPlane), 0,
                    List.of(new Dma(op.ins()[0] + p0 * inPlane, n * inPlane, true)),
                    new Dma(op.outAddr() + p0 * outPlane, n * outPlane, false)));
        }
        return out;
    }

    private static List<Tile> vectorTiles(String layer, VectorOp op, long half, HardwareConfig cfg) {
        Descriptor d = op.d();
        List<Tile> out = new ArrayList<>();
        if (d instanceof Descriptor.PoolDesc || d instanceof Descriptor.AvgPoolDesc) {
            int[] g = d instanceof Descriptor.PoolDesc pd
                    ? new int[] {pd.batch() * pd.c(), pd.inH(), pd.inW(), pd.outH(), pd.outW(), pd.strideH(), pd.padTop(),
                            (pd.kH() - 1) * pd.dilH() + 1}
                    : poolGeo((Descriptor.AvgPoolDesc) d);
            int planes = g[0];
            int inH = g[1];
            int inW = g[2];
            int outH = g[3];
            int outW = g[4];
            long inPlane = (long) inH * inW;
            long outPlane = (long) outH * outW;
            long[] byPlanes = inPlane + outPlane <= half ? bestUnits(planes, half / (inPlane + outPlane), u -> new long[] {
                    CostModel.dmaCycles(u * inPlane, cfg), CostModel.dmaCycles(u * outPlane, cfg),
                    CostModel.vectorCycles(d, u * outPlane, 0, cfg)}, cfg) : null;
            int maxTr = outH;
            while (maxTr > 0 && Geo.clip(-g[6], (long) (maxTr - 1) * g[5] - g[6] + g[7], inH) * inW + (long) maxTr * outW > half) {
                maxTr--;
            }
            if (maxTr == 0 && byPlanes == null) {
                throw tooLarge(layer, d, "one output row of one channel needs "
                        + (Math.min(inH, g[7]) * (long) inW + outW) + " bytes (input rows of its window " + Math.min(inH, g[7])
                        + " x " + inW + " and output row " + outW + ")", cfg);
            }
            long[] byRows = maxTr == 0 ? null : bestUnits(outH, maxTr, u -> new long[] {
                    CostModel.dmaCycles(Math.min(inH, (u - 1) * g[5] + g[7]) * (long) inW, cfg),
                    CostModel.dmaCycles(u * outW, cfg), CostModel.vectorCycles(d, u * outW, 0, cfg)}, cfg);
            // rows of one plane: the plane's estimate times the planes
            if (byPlanes != null && (byRows == null || byPlanes[1] <= byRows[1] * planes)) {
                int tp = (int) byPlanes[0];
                return planeTiles(op, planes, tp, inPlane, outPlane);
            }
            int tr = (int) byRows[0];
            for (int p = 0; p < planes; p++) {
                for (int r0 = 0; r0 < outH; r0 += tr) {
                    int n = Math.min(tr, outH - r0);
                    long first = Math.max(0, (long) r0 * g[5] - g[6]);
                    long rows = Geo.clip((long) r0 * g[5] - g[6], (long) (r0 + n - 1) * g[5] - g[6] + g[7], inH);
                    out.add(new Tile(op.desc(), true, n * outW, 0,
                            List.of(new Dma(op.ins()[0] + ((long) p * inH + first) * inW, rows * inW, true)),
                            new Dma(op.outAddr() + ((long) p * outH + r0) * outW, (long) n * outW, false)));
                }
            }
            return out;
        }
        if (d instanceof Descriptor.GapDesc gd) {
            int planes = gd.batch() * gd.c();
            long acc = cfg.accumulator().bytes();
            long[] byPlanes = gd.hw() + 1L <= half ? bestUnits(planes, Math.min(half / (gd.hw() + 1L), Math.max(1, acc / 8)),
                    u -> new long[] {CostModel.dmaCycles(u * gd.hw(), cfg), CostModel.dmaCycles(u, cfg),
                            CostModel.vectorCycles(d, u, gd.hw(), cfg)}, cfg) : null;
            long[] byChunks = bestUnits(gd.hw(), half - 1, u -> new long[] {CostModel.dmaCycles(u, cfg),
                    CostModel.dmaCycles(1, cfg), CostModel.vectorCycles(d, 1, u, cfg)}, cfg);
            if (byPlanes != null && byPlanes[1] <= byChunks[1] * planes) {
                int tp = (int) byPlanes[0];
                for (int p0 = 0; p0 < planes; p0 += tp) {
                    int n = Math.min(tp, planes - p0);
                    out.add(new Tile(op.desc(), true, n, gd.hw(), List.of(new Dma(op.ins()[0] + (long) p0 * gd.hw(),
                            (long) n * gd.hw(), true)), new Dma(op.outAddr() + p0, n, false)));
                }
                return out;
            }
            int chunk = (int) byChunks[0];
            for (int p = 0; p < planes; p++) {
                for (int x0 = 0; x0 < gd.hw(); x0 += chunk) {
                    int n = Math.min(chunk, gd.hw() - x0);
                    out.add(new Tile(op.desc(), true, 1, n, List.of(new Dma(op.ins()[0] + (long) p * gd.hw() + x0, n, true)),
                            new Dma(op.outAddr() + p, 1, false)));
                }
            }
            return out;
        }
        if (d instanceof Descriptor.ResizeDesc rz) {
            // whole planes when one fits, else blocks of output rows with the input rows they interpolate from: the
            // block's span scaled to the input plus one neighbour row at each end (the timing's approximation; the
            // layer's RESIZE instruction computes every output)
            int planes = rz.planes();
            long inRow = (long) rz.inW() * rz.channels();
            long outRow = (long) rz.outW() * rz.channels();
            long inPlane = rz.inH() * inRow;
            long outPlane = rz.outH() * outRow;
            if (inPlane + outPlane <= half) {
                int tp = (int) bestUnits(planes, half / (inPlane + outPlane), u -> new long[] {
                        CostModel.dmaCycles(u * inPlane, cfg), CostModel.dmaCycles(u * outPlane, cfg),
                        CostModel.vectorCycles(d, u * outPlane, 0, cfg)}, cfg)[0];
                return planeTiles(op, planes, tp, inPlane, outPlane);
            }
            java.util.function.LongUnaryOperator inRows = n -> Math.min(rz.inH(), (n * rz.inH() + rz.outH() - 1) / rz.outH() + 2);
            int maxTr = rz.outH();
            while (maxTr > 0 && inRows.applyAsLong(maxTr) * inRow + maxTr * outRow > half) {
                maxTr--;
            }
            if (maxTr == 0) {
                throw tooLarge(layer, d, "one output row needs " + (inRows.applyAsLong(1) * inRow + outRow) + " bytes ("
                        + inRows.applyAsLong(1) + " input rows of " + inRow + " and an output row of " + outRow + ")", cfg);
            }
            int tr = (int) bestUnits(rz.outH(), maxTr, u -> new long[] {CostModel.dmaCycles(inRows.applyAsLong(u) * inRow, cfg),
                    CostModel.dmaCycles(u * outRow, cfg), CostModel.vectorCycles(d, u * outRow, 0, cfg)}, cfg)[0];
            for (int p = 0; p < planes; p++) {
                for (int r0 = 0; r0 < rz.outH(); r0 += tr) {
                    int n = Math.min(tr, rz.outH() - r0);
                    long rows = inRows.applyAsLong(n);
                    long first = Math.min(rz.inH() - rows, Math.max(0, (long) r0 * rz.inH() / rz.outH() - 1));
                    out.add(new Tile(op.desc(), true, Math.toIntExact(n * outRow), 0,
                            List.of(new Dma(op.ins()[0] + p * inPlane + first * inRow, rows * inRow, true)),
                            new Dma(op.outAddr() + p * outPlane + r0 * outRow, n * outRow, false)));
                }
            }
            return out;
        }
        if (d instanceof Descriptor.SoftmaxDesc sm) {
            long row = 2L * sm.d();
            if (row > half) {
                throw tooLarge(layer, d, "one row of " + sm.d() + " elements needs " + row + " bytes (input and output)", cfg);
            }
            int tr = (int) bestUnits(sm.rows(), half / row, u -> new long[] {CostModel.dmaCycles(u * sm.d(), cfg),
                    CostModel.dmaCycles(u * sm.d(), cfg), CostModel.vectorCycles(d, u * sm.d(), 0, cfg)}, cfg)[0];
            for (int r0 = 0; r0 < sm.rows(); r0 += tr) {
                int n = Math.min(tr, sm.rows() - r0);
                long len = (long) n * sm.d();
                out.add(new Tile(op.desc(), true, Math.toIntExact(len), 0,
                        List.of(new Dma(op.ins()[0] + (long) r0 * sm.d(), len, true)),
                        new Dma(op.outAddr() + (long) r0 * sm.d(), len, false)));
            }
            return out;
        }
        // LUT, ELTWISE, GATHER: chunks of the flattened output
        long total = CostModel.vectorOutputs(d);
        long[] sizes = new long[op.ins().length];
        for (int k = 0; k < sizes.length; k++) {
            if (d instanceof Descriptor.EltwiseDesc e) {
                int[] dims = {e.d0(), e.d1(), e.d2(), e.d3()};
                int[][] st = {{e.aS0(), e.aS1(), e.aS2(), e.aS3()}, {e.bS0(), e.bS1(), e.bS2(), e.bS3()}};
                sizes[k] = operandElements(dims, st[k]);
            } else {
                sizes[k] = d instanceof Descriptor.GatherDesc ? op.inElements() : total;
            }
        }
        int operands = 0;
        for (long a : op.ins()) {
            operands += a >= 0 ? 1 : 0;
        }
        long maxChunk = half / (operands + 1);
        if (maxChunk < 1) {
            throw tooLarge(layer, d, "one output element needs " + (operands + 1) + " bytes", cfg);
        }
        long chunk = bestUnits(total, maxChunk, u -> {
            long loads = 0;
            for (int k = 0; k < sizes.length; k++) {
                loads += op.ins()[k] >= 0 ? CostModel.dmaCycles(Math.min(u, sizes[k]), cfg) : 0;
            }
            return new long[] {loads, CostModel.dmaCycles(u, cfg), CostModel.vectorCycles(d, u, 0, cfg)};
        }, cfg)[0];
        long outSize = op.outEnd() - op.outAddr();
        for (long o0 = 0; o0 < total; o0 += chunk) {
            long n = Math.min(chunk, total - o0);
            List<Dma> loads = new ArrayList<>();
            for (int k = 0; k < op.ins().length; k++) {
                if (op.ins()[k] < 0) {
                    continue;
                }
                long size = sizes[k];
                long len = Math.min(n, size);
                loads.add(new Dma(at(op.ins()[k], size, size == total ? o0 : o0 * size / total, len), len, true));
            }
            out.add(new Tile(op.desc(), true, Math.toIntExact(n), 0, loads,
                    new Dma(at(op.outAddr(), outSize, o0, n), n, false)));
        }
        return out;
    }

    /** planes, inH, inW, outH, outW, strideH, padTop, window rows of an AVGPOOL (as for MAXPOOL). */
    private static int[] poolGeo(Descriptor.AvgPoolDesc a) {
        return new int[] {a.batch() * a.c(), a.inH(), a.inW(), a.outH(), a.outW(), a.strideH(), a.padTop(), a.kH()};
    }

    private static IntbenchException tooLarge(String layer, Descriptor d, String what, HardwareConfig cfg) {
        return new IntbenchException.UnsupportedModel("layer " + layer + " (" + Descriptor.Kind.of(d).name() + "): no tiling fits the "
                + "scratchpad of " + cfg.scratchpad().bytes() + " bytes: " + what + ", more than half the scratchpad ("
                + cfg.scratchpad().bytes() / 2 + " bytes, double buffered)");
    }
}
