package io.intbench.sim;

import io.intbench.isa.Descriptor;
import io.intbench.isa.Instruction;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.Program;

/**
 * The functional executor: runs the instruction stream in program order over the DRAM array with
 * integer arithmetic only. Running in program order is a valid serialisation because the compiler
 * orders every instruction after the instructions whose results it reads (the dependency tokens
 * only let the timing model overlap independent work). LOAD and STORE move data between DRAM and the
 * on-chip buffers; this first model addresses operands in DRAM directly, so they carry no
 * functional effect and only cost time.
 */
public final class Executor {
    private Executor() { }

    /** Fresh DRAM for a program: the constants image, then zeroed activation space. */
    public static byte[] newDram(Program p) {
        byte[] dram = new byte[p.dramSize()];
        System.arraycopy(p.image(), 0, dram, 0, p.image().length);
        return dram;
    }

    public static void run(Program p, byte[] dram) {
        for (int pc = 0; pc < p.code().size(); pc++) {
            if (!step(p, dram, pc)) {
                return;
            }
        }
    }

    /** Executes instruction {@code pc}; false when it is HALT. */
    public static boolean step(Program p, byte[] dram, int pc) {
        Instruction i = p.code().get(pc);
        try {
            switch (i.op()) {
                case NOP, LOAD, STORE, TILE, VTILE -> { }
                case HALT -> {
                    return false;
                }
                case CONV -> Kernels.conv(dram, (Descriptor.ConvDesc) desc(p, i, pc), i.a(), i.b(), i.c());
                case MATMUL -> Kernels.matmul(dram, (Descriptor.MatMulDesc) desc(p, i, pc), i.a(), i.b(), i.c());
                case ELTWISE -> Kernels.eltwise(dram, (Descriptor.EltwiseDesc) desc(p, i, pc), i.a(), i.b(), i.c());
                case MAXPOOL -> Kernels.maxpool(dram, (Descriptor.PoolDesc) desc(p, i, pc), i.a(), i.c());
                case GAVGPOOL -> Kernels.gap(dram, (Descriptor.GapDesc) desc(p, i, pc), i.a(), i.c());
                case LUT -> Kernels.lut(dram, (Descriptor.LutDesc) desc(p, i, pc), i.a(), i.c());
                case GATHER -> Kernels.gather(dram, (Descriptor.GatherDesc) desc(p, i, pc), i.a(), i.c());
                case AVGPOOL -> Kernels.avgpool(dram, (Descriptor.AvgPoolDesc) desc(p, i, pc), i.a(), i.c());
                case SOFTMAX -> Kernels.softmax(dram, (Descriptor.SoftmaxDesc) desc(p, i, pc), i.a(), i.c());
                case RESIZE -> Kernels.resizeLinear(dram, (Descriptor.ResizeDesc) desc(p, i, pc), i.a(), i.c());
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new IntbenchException.SimulationTrap("pc " + pc + " (" + i.op() + "): memory access outside DRAM of "
                    + dram.length + " bytes: " + e.getMessage());
        }
        return true;
    }

    private static Descriptor desc(Program p, Instruction i, int pc) {
        Descriptor d = p.descriptors().get(i.desc());
        Descriptor.Kind want = switch (i.op()) {
            case CONV -> Descriptor.Kind.CONV;
            case MATMUL -> Descriptor.Kind.MATMUL;
            case ELTWISE -> Descriptor.Kind.ELTWISE;
            case MAXPOOL -> Descriptor.Kind.POOL;
            case GAVGPOOL -> Descriptor.Kind.GAP;
            case LUT -> Descriptor.Kind.LUT;
            case GATHER -> Descriptor.Kind.GATHER;
            case AVGPOOL -> Descriptor.Kind.AVGPOOL;
            case SOFTMAX -> Descriptor.Kind.SOFTMAX;
            case RESIZE -> Descriptor.Kind.RESIZE;
            default -> throw new IllegalStateException();
        };
        if (Descriptor.Kind.of(d) != want) {
            throw new IntbenchException.SimulationTrap("pc " + pc + " (" + i.op() + ") points at a " + Descriptor.Kind.of(d)
                    + " descriptor d" + i.desc() + ", needs " + want);
        }
        return d;
    }
}
