package io.intbench.sim;

import io.intbench.isa.Descriptor;
import io.intbench.isa.Descriptor.ConvDesc;
import io.intbench.isa.Descriptor.EltwiseDesc;
import io.intbench.isa.Descriptor.GapDesc;
import io.intbench.isa.Descriptor.LutDesc;
import io.intbench.isa.Descriptor.MatMulDesc;
import io.intbench.isa.Descriptor.PoolDesc;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Instruction;
import io.intbench.isa.Program;

/**
 * Closed-form latency of one instruction on a hardware config: the only place cycle counts are
 * derived, used by both the full and the timing-only simulation.
 *
 * <ul>
 * <li>DMA: {@code dram.latencyCycles + ceil(bytes / dram.bytesPerCycle)}.
 * <li>Array, per fold, for both WS and OS: {@code 2*rows + cols + T - 2}, SCALE-Sim's analytical
 *     runtime of one fold (Samajdar et al., "SCALE-Sim", arXiv:1811.02883, section III), where T is
 *     the number of streamed vectors (M output pixels for WS, K reduction steps for OS). Folds: WS
 *     tiles K over rows and N over cols, OS tiles M over rows and N over cols; convolutions with
 *     groups run one group after another.
 * <li>Vector unit: {@code ceil(work / lanes)} cycles plus a 4-cycle pipeline depth.
 * </ul>
 */
public final class Costs {
    /** Pipeline depth of the vector unit (cycles from issue to first result). */
    public static final int VECTOR_PIPELINE = 4;
    /**
     * Vector operations charged per output for the emulated float32 steps that finish an AVGPOOL or
     * SOFTMAX output (a divide, a multiply or add, a rounding): an assumed cost of the integer
     * sequences, not a measurement.
     */
    public static final int SOFTFLOAT_OPS_PER_OUTPUT = 4;

    private Costs() { }

    /**
     * Latency of every instruction of a program. A CONV/MATMUL whose descriptor is also named by TILE
     * instructions belongs to a tiled layer: its tiles carry the array time, so the layer instruction
     * itself (the functional whole-layer computation) costs 0 cycles.
     */
    public static long[] latencies(Program p, HardwareConfig cfg) {
        java.util.Set<Integer> tiled = new java.util.HashSet<>();
        for (Instruction i : p.code()) {
            if (i.op() == io.intbench.isa.Opcode.TILE) {
                tiled.add(i.desc());
            }
        }
        long[] out = new long[p.code().size()];
        for (int pc = 0; pc < out.length; pc++) {
            Instruction i = p.code().get(pc);
            boolean layerOp = i.op() == io.intbench.isa.Opcode.CONV || i.op() == io.intbench.isa.Opcode.MATMUL;
            out[pc] = layerOp && tiled.contains(i.desc()) ? 0 : latency(p, i, cfg);
        }
        return out;
    }

    /**
     * Array cycles of one tile of {@code channels} output channels by {@code pixels} output pixels per image of a
     * CONV/MATMUL descriptor: the fold formula on the tile's own M x K x N, so each tile pays its own
     * fill and drain and the tiles of a layer together cost at least the untiled layer. A grouped
     * convolution's tile holds whole groups, run one after another.
     */
    public static long tile(Descriptor d, long channels, long pixels, HardwareConfig cfg) {
        if (d instanceof ConvDesc c) {
            long k = (long) (c.inC() / c.groups()) * c.kH() * c.kW();
            long m = (long) c.batch() * pixels;
            if (c.groups() == 1) {
                return array(m, k, channels, cfg);
            }
            long perGroup = c.outC() / c.groups();
            return ceil(channels, perGroup) * array(m, k, perGroup, cfg);
        }
        MatMulDesc mm = (MatMulDesc) d;
        return array(pixels, mm.k(), channels, cfg);
    }

    /** Latency in cycles of instruction {@code pc}. */
    public static long latency(Program p, Instruction i, HardwareConfig cfg) {
        int lanes = cfg.vector().lanes();
        return switch (i.op()) {
            case NOP, HALT -> 1;
            case LOAD, STORE -> dma(i.operand(1), cfg);
            case CONV -> {
                ConvDesc d = (ConvDesc) p.descriptors().get(i.desc());
                long k = (long) (d.inC() / d.groups()) * d.kH() * d.kW();
                long n = d.outC() / d.groups();
                long m = (long) d.batch() * d.outH() * d.outW();
                yield d.groups() * array(m, k, n, cfg);
            }
            case MATMUL -> {
                MatMulDesc d = (MatMulDesc) p.descriptors().get(i.desc());
                yield array(d.m(), d.k(), d.n(), cfg);
            }
            case TILE -> tile(p.descriptors().get(i.desc()), i.operand(0), i.operand(1), cfg);
            case ELTWISE -> vector(((EltwiseDesc) p.descriptors().get(i.desc())).elements(), lanes);
            case LUT -> vector(((LutDesc) p.descriptors().get(i.desc())).n(), lanes);
            case GATHER -> vector(((Descriptor.GatherDesc) p.descriptors().get(i.desc())).elements(), lanes);
            case AVGPOOL -> {
                // each window element is one emulated float32 add; the finalising divide/add/round
                // sequence of each output is charged as SOFTFLOAT_OPS_PER_OUTPUT vector operations
                Descriptor.AvgPoolDesc d = (Descriptor.AvgPoolDesc) p.descriptors().get(i.desc());
                long outs = (long) d.batch() * d.c() * d.outH() * d.outW();
                yield vector(outs * d.kH() * d.kW() + outs * SOFTFLOAT_OPS_PER_OUTPUT, lanes);
            }
            case SOFTMAX -> {
                // max, sum and divide passes over each row, plus the finalising sequence per output
                Descriptor.SoftmaxDesc d = (Descriptor.SoftmaxDesc) p.descriptors().get(i.desc());
                long n = (long) d.rows() * d.d();
                yield vector(3 * n + n * SOFTFLOAT_OPS_PER_OUTPUT, lanes);
            }
            case RESIZE -> {
                // four reads per output, and its emulated float32 weights, products and sums charged as
                // SOFTFLOAT_OPS_PER_OUTPUT vector operations per product
                Descriptor.ResizeDesc d = (Descriptor.ResizeDesc) p.descriptors().get(i.desc());
                yield vector(d.elements() * (4 + 4 * SOFTFLOAT_OPS_PER_OUTPUT), lanes);
            }
            case MAXPOOL -> {
                PoolDesc d = (PoolDesc) p.descriptors().get(i.desc());
                yield vector((long) d.batch() * d.c() * d.outH() * d.outW() * d.kH() * d.kW(), lanes);
            }
            case GAVGPOOL -> {
                GapDesc d = (GapDesc) p.descriptors().get(i.desc());
                yield vector((long) d.batch() * d.c() * d.hw(), lanes) + ceil((long) d.batch() * d.c(), lanes);
            }
        };
    }

    public static long dma(long bytes, HardwareConfig cfg) {
        return cfg.dram().latencyCycles() + ceil(bytes, cfg.dram().bytesPerCycle());
    }

    /** Cycles of an M x K x N matrix multiply on the array (see class comment). */
    public static long array(long m, long k, long n, HardwareConfig cfg) {
        long rows = cfg.array().rows();
        long cols = cfg.array().cols();
        boolean ws = !"OS".equalsIgnoreCase(String.valueOf(cfg.array().dataflow()));
        long folds = ws ? ceil(k, rows) * ceil(n, cols) : ceil(m, rows) * ceil(n, cols);
        long streamed = ws ? m : k;
        return folds * (2 * rows + cols + streamed - 2);
    }

    static long vector(long work, long lanes) {
        return ceil(work, lanes) + VECTOR_PIPELINE;
    }

    static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }

    /** True for instructions that occupy the shared DRAM port. */
    static boolean isDma(Instruction i) {
        return i.op() == io.intbench.isa.Opcode.LOAD || i.op() == io.intbench.isa.Opcode.STORE;
    }

    /** MACs the instruction performs on the array (0 for others). */
    static long macs(Program p, Instruction i) {
        return switch (i.op()) {
            case CONV -> ((ConvDesc) p.descriptors().get(i.desc())).macs();
            case MATMUL -> ((MatMulDesc) p.descriptors().get(i.desc())).macs();
            default -> 0;
        };
    }

    static Descriptor desc(Program p, Instruction i) {
        return p.descriptors().get(i.desc());
    }
}
