package io.intbench.sim;

import io.intbench.isa.CostModel;
import io.intbench.isa.Descriptor;
import io.intbench.isa.Descriptor.ConvDesc;
import io.intbench.isa.Descriptor.GapDesc;
import io.intbench.isa.Descriptor.MatMulDesc;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Instruction;
import io.intbench.isa.Opcode;
import io.intbench.isa.Program;

/**
 * Latency of each instruction on a hardware config, used by both the full and the timing-only
 * simulation: the closed forms of {@link CostModel} (DMA latency plus bytes over bandwidth; SCALE-Sim's
 * fold runtime on the sub-array each fold occupies; vector lanes) applied to the instruction's operands
 * and descriptor. Small groups of a grouped convolution share folds ({@link CostModel#groupedCycles}).
 */
public final class Costs {
    /** Pipeline depth of the vector unit: {@link CostModel#VECTOR_PIPELINE}. */
    public static final int VECTOR_PIPELINE = CostModel.VECTOR_PIPELINE;
    /** {@link CostModel#SOFTFLOAT_OPS_PER_OUTPUT}. */
    public static final int SOFTFLOAT_OPS_PER_OUTPUT = CostModel.SOFTFLOAT_OPS_PER_OUTPUT;

    private Costs() { }

    /**
     * Latency of every instruction of a program. A layer instruction whose descriptor is also named by
     * TILE or VTILE instructions belongs to a tiled layer: its tiles carry the time, so the layer
     * instruction itself (the functional whole-layer computation) costs 0 cycles.
     */
    public static long[] latencies(Program p, HardwareConfig cfg) {
        DecodedProgram d = DecodedProgram.of(p);
        long[] classLatency = classLatencies(p, d, cfg);
        long[] out = new long[p.code().size()];
        for (int pc = 0; pc < out.length; pc++) {
            out[pc] = classLatency[d.latencyClass[pc]];
        }
        return out;
    }

    /** The latency of each latency class of a decoded program ({@link DecodedProgram#latencyClass}). */
    static long[] classLatencies(Program p, DecodedProgram d, HardwareConfig cfg) {
        long[] classLatency = new long[d.classes.size()];
        for (int k = 0; k < classLatency.length; k++) {
            classLatency[k] = d.tiledLayer[k] ? 0 : latency(p, d.classes.get(k), cfg);
        }
        return classLatency;
    }

    /**
     * Array cycles of one tile of {@code channels} output channels by {@code pixels} output pixels per image of a
     * CONV/MATMUL descriptor: the fold formula on the tile's own M x K x N, so each tile pays its own
     * fill and drain and the tiles of a layer together cost at least the untiled layer. A grouped
     * convolution's tile holds whole groups ({@link CostModel#groupedCycles}).
     */
    public static long tile(Descriptor d, long channels, long pixels, HardwareConfig cfg) {
        if (d instanceof ConvDesc c) {
            long k = (long) (c.inC() / c.groups()) * c.kH() * c.kW();
            long m = (long) c.batch() * pixels;
            if (c.groups() == 1) {
                return array(m, k, channels, cfg);
            }
            long perGroup = c.outC() / c.groups();
            return CostModel.groupedCycles(m, k, perGroup, ceil(channels, perGroup), cfg);
        }
        MatMulDesc mm = (MatMulDesc) d;
        return array(pixels, mm.k(), channels, cfg);
    }

    /** Latency in cycles of instruction {@code pc}. */
    public static long latency(Program p, Instruction i, HardwareConfig cfg) {
        return switch (i.op()) {
            case NOP, HALT -> 1;
            case LOAD, STORE -> dma(i.operand(1), cfg);
            case CONV -> {
                ConvDesc d = (ConvDesc) p.descriptors().get(i.desc());
                long k = (long) (d.inC() / d.groups()) * d.kH() * d.kW();
                long n = d.outC() / d.groups();
                long m = (long) d.batch() * d.outH() * d.outW();
                yield d.groups() == 1 ? array(m, k, n, cfg) : CostModel.groupedCycles(m, k, n, d.groups(), cfg);
            }
            case MATMUL -> {
                MatMulDesc d = (MatMulDesc) p.descriptors().get(i.desc());
                yield array(d.m(), d.k(), d.n(), cfg);
            }
            case TILE -> tile(p.descriptors().get(i.desc()), i.operand(0), i.operand(1), cfg);
            case VTILE -> CostModel.vectorCycles(p.descriptors().get(i.desc()), i.operand(0), i.operand(1), cfg);
            case ELTWISE, LUT, GATHER, AVGPOOL, SOFTMAX, MAXPOOL, GAVGPOOL, RESIZE -> {
                Descriptor d = p.descriptors().get(i.desc());
                yield CostModel.vectorCycles(d, CostModel.vectorOutputs(d), d instanceof GapDesc g ? g.hw() : 0, cfg);
            }
        };
    }

    public static long dma(long bytes, HardwareConfig cfg) {
        return CostModel.dmaCycles(bytes, cfg);
    }

    /** Cycles of an M x K x N matrix multiply on the array: {@link CostModel#arrayCycles}. */
    public static long array(long m, long k, long n, HardwareConfig cfg) {
        return CostModel.arrayCycles(m, k, n, cfg);
    }

    static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }

    /** True for instructions that occupy the shared DRAM port. */
    static boolean isDma(Instruction i) {
        return i.op() == Opcode.LOAD || i.op() == Opcode.STORE;
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
