package io.intbench.isa;

/**
 * The closed-form costs of the hardware's units, shared by the simulator's timing model (which charges
 * them per instruction, in {@code io.intbench.sim.Costs}) and the compiler's tiler (which compares
 * tilings with them). Integer arithmetic only.
 *
 * <ul>
 * <li>DMA: {@code dram.latencyCycles + ceil(bytes / dram.bytesPerCycle)}.
 * <li>Array: SCALE-Sim's analytical runtime of one fold, {@code 2*r + c + T - 2} cycles (Samajdar et
 *     al., "SCALE-Sim", arXiv:1811.02883, section III), where T is the number of streamed vectors (M
 *     output pixels for WS, K reduction steps for OS) and {@code r x c} the part of the array the fold
 *     occupies. SCALE-Sim charges the whole array; here a fold that maps only {@code r <= rows} rows
 *     and {@code c <= cols} columns (the last fold of a dimension, or every fold of a small layer)
 *     fills, skews and drains only that sub-array, as if the unused PEs were bypassed. Without it a
 *     larger array is slower on small folds (a depthwise 3x3 group, K = 9, would fill and drain all 128
 *     rows of a 128x128 array); with it the cycles never grow with the array.
 * <li>Vector unit: {@code ceil(work / lanes)} cycles plus a {@value #VECTOR_PIPELINE}-cycle pipeline
 *     depth, the work being {@link #vectorWork} for the outputs computed.
 * </ul>
 */
public final class CostModel {
    /** Pipeline depth of the vector unit (cycles from issue to first result). */
    public static final int VECTOR_PIPELINE = 4;
    /**
     * Vector operations charged per output for the emulated float32 steps that finish an AVGPOOL or
     * SOFTMAX output (a divide, a multiply or add, a rounding): an assumed cost of the integer
     * sequences, not a measurement.
     */
    public static final int SOFTFLOAT_OPS_PER_OUTPUT = 4;

    private CostModel() { }

    public static long dmaCycles(long bytes, HardwareConfig cfg) {
        return cfg.dram().latencyCycles() + ceil(bytes, cfg.dram().bytesPerCycle());
    }

    /**
     * Cycles of an M x K x N matrix multiply on the array: WS folds K over rows and N over cols and
     * streams M; OS folds M over rows and N over cols and streams K. Summed over the folds,
     * {@code sum (2*r + c + T - 2)} is {@code rf*nf*(T - 2) + 2*R*nf + N*rf}, R the dimension folded over
     * rows (rf folds), nf the folds of N over cols.
     */
    public static long arrayCycles(long m, long k, long n, HardwareConfig cfg) {
        long rows = cfg.array().rows();
        long cols = cfg.array().cols();
        boolean ws = cfg.array().dataflow() != HardwareConfig.Dataflow.OS;
        long overRows = ws ? k : m;
        long rf = ceil(overRows, rows);
        long nf = ceil(n, cols);
        long streamed = ws ? m : k;
        return rf * nf * (streamed - 2) + 2 * overRows * nf + n * rf;
    }

    /**
     * Cycles of {@code groups} groups of a grouped convolution, each an M x K x N matrix multiply. When a
     * group needs at most half the array's rows and columns, several groups share one fold on disjoint
     * rows and columns (block-diagonal weights, the other PEs hold zeros): {@code g = min(rows / K, cols /
     * N)} groups per fold for WS ({@code rows / M} for OS), so a depthwise 3x3 layer (K = 9, N = 1) runs
     * 14 channels per fold on a 128x128 array instead of one. Otherwise the groups run one after another.
     */
    public static long groupedCycles(long m, long k, long n, long groups, HardwareConfig cfg) {
        boolean ws = cfg.array().dataflow() != HardwareConfig.Dataflow.OS;
        long overRows = ws ? k : m;
        long perFold = Math.max(1, Math.min(cfg.array().rows() / overRows, cfg.array().cols() / n));
        long full = groups / perFold;
        long rest = groups % perFold;
        long cycles = full * (ws ? arrayCycles(m, perFold * k, perFold * n, cfg) : arrayCycles(perFold * m, k, perFold * n, cfg));
        if (rest > 0) {
            cycles += ws ? arrayCycles(m, rest * k, rest * n, cfg) : arrayCycles(rest * m, k, rest * n, cfg);
        }
        return cycles;
    }

    /**
     * Cycles of {@code outputs} outputs of a vector-unit layer (for GAVGPOOL, channels, each summed over
     * {@code pixels} pixels, then requantized one lane-wide step per {@code lanes} channels).
     */
    public static long vectorCycles(Descriptor d, long outputs, long pixels, HardwareConfig cfg) {
        long lanes = cfg.vector().lanes();
        return ceil(vectorWork(d, outputs, pixels), lanes) + VECTOR_PIPELINE
                + (d instanceof Descriptor.GapDesc ? ceil(outputs, lanes) : 0);
    }

    /**
     * Vector operations for {@code outputs} outputs: one per element for ELTWISE, LUT and GATHER; one per
     * window element for MAXPOOL; for AVGPOOL one emulated float32 add per window element plus the
     * finalising sequence ({@link #SOFTFLOAT_OPS_PER_OUTPUT}); for RESIZE four reads and four emulated products per output; for SOFTMAX max, sum and divide passes plus
     * that sequence per element; for GAVGPOOL ({@code outputs} channels) one add per pixel summed.
     */
    public static long vectorWork(Descriptor d, long outputs, long pixels) {
        if (d instanceof Descriptor.PoolDesc pd) {
            return outputs * pd.kH() * pd.kW();
        }
        if (d instanceof Descriptor.AvgPoolDesc a) {
            return outputs * a.kH() * a.kW() + outputs * SOFTFLOAT_OPS_PER_OUTPUT;
        }
        if (d instanceof Descriptor.SoftmaxDesc) {
            return 3 * outputs + outputs * SOFTFLOAT_OPS_PER_OUTPUT;
        }
        if (d instanceof Descriptor.GapDesc) {
            return outputs * pixels;
        }
        if (d instanceof Descriptor.ResizeDesc) {
            // four reads per output, and its emulated float32 weights, products and sums charged as
            // SOFTFLOAT_OPS_PER_OUTPUT vector operations per product
            return outputs * (4 + 4 * SOFTFLOAT_OPS_PER_OUTPUT);
        }
        return outputs;
    }

    /** Outputs of a whole vector-unit layer as {@link #vectorWork} and VTILE count them (channels for GAVGPOOL). */
    public static long vectorOutputs(Descriptor d) {
        if (d instanceof Descriptor.EltwiseDesc e) {
            return e.elements();
        }
        if (d instanceof Descriptor.LutDesc l) {
            return l.n();
        }
        if (d instanceof Descriptor.GatherDesc g) {
            return g.elements();
        }
        if (d instanceof Descriptor.PoolDesc pd) {
            return (long) pd.batch() * pd.c() * pd.outH() * pd.outW();
        }
        if (d instanceof Descriptor.AvgPoolDesc a) {
            return (long) a.batch() * a.c() * a.outH() * a.outW();
        }
        if (d instanceof Descriptor.SoftmaxDesc sm) {
            return (long) sm.rows() * sm.d();
        }
        if (d instanceof Descriptor.GapDesc g) {
            return (long) g.batch() * g.c();
        }
        if (d instanceof Descriptor.ResizeDesc r) {
            return r.elements();
        }
        throw new IllegalArgumentException("not a vector-unit descriptor: " + Descriptor.Kind.of(d));
    }

    static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }
}
