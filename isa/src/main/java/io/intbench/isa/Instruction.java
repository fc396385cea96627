package io.intbench.isa;

/**
 * One decoded instruction. Operands {@code a}, {@code b}, {@code c} are unsigned 32-bit values held
 * in ints (DRAM addresses and byte counts); their meaning per opcode is in {@link Opcode}.
 *
 * @param deps dependency flags, see {@link #POP_PREV} .. {@link #PUSH_NEXT}
 * @param desc descriptor index, {@link Encoding#NO_DESC} when the opcode takes none
 */
public record Instruction(Opcode op, int deps, int desc, int a, int b, int c) {
    /** Wait for a token from the previous queue (load for execute, execute for store). */
    public static final int POP_PREV = 1;
    /** Wait for a token from the next queue (execute for load, store for execute). */
    public static final int POP_NEXT = 2;
    /** Send a token to the previous queue when done. */
    public static final int PUSH_PREV = 4;
    /** Send a token to the next queue when done. */
    public static final int PUSH_NEXT = 8;

    public Instruction {
        if (op == null) {
            throw new IllegalArgumentException("opcode is null");
        }
        if ((deps & ~0xF) != 0) {
            throw new IllegalArgumentException("dependency flags " + deps + " use bits beyond the four defined");
        }
        Unit.Queue q = op.unit().queue();
        if (q == Unit.Queue.LOAD && (deps & (POP_PREV | PUSH_PREV)) != 0) {
            throw new IllegalArgumentException(op + ": the load queue has no previous queue to exchange tokens with");
        }
        if (q == Unit.Queue.STORE && (deps & (POP_NEXT | PUSH_NEXT)) != 0) {
            throw new IllegalArgumentException(op + ": the store queue has no next queue to exchange tokens with");
        }
        if (op.usesDescriptor() ? desc < 0 || desc >= Encoding.NO_DESC : desc != Encoding.NO_DESC) {
            throw new IllegalArgumentException(op + (op.usesDescriptor()
                    ? ": descriptor index " + desc + " outside 0.." + (Encoding.NO_DESC - 1)
                    : ": takes no descriptor but has index " + desc));
        }
        int[] ops = {a, b, c};
        for (int i = 0; i < 3; i++) {
            if (op.operandName(i).isEmpty() && ops[i] != 0) {
                throw new IllegalArgumentException(op + ": operand " + "abc".charAt(i) + " is unused and must be 0, is " + ops[i]);
            }
        }
    }

    public static Instruction of(Opcode op, int deps, int a, int b, int c) {
        return new Instruction(op, deps, Encoding.NO_DESC, a, b, c);
    }

    public static Instruction withDesc(Opcode op, int deps, int desc, int a, int b, int c) {
        return new Instruction(op, deps, desc, a, b, c);
    }

    public boolean has(int flag) { return (deps & flag) != 0; }

    /** Operand as an unsigned value. */
    public long operand(int i) {
        return Integer.toUnsignedLong(i == 0 ? a : i == 1 ? b : c);
    }

    /** Encodes into a 128-bit word: {@code [lo, hi]}. */
    public long[] encode() {
        long[] w = new long[2];
        Encoding.OPCODE.put(w, op.code());
        Encoding.DEPS.put(w, deps);
        Encoding.DESC.put(w, desc);
        Encoding.A.put(w, Integer.toUnsignedLong(a));
        Encoding.B.put(w, Integer.toUnsignedLong(b));
        Encoding.C.put(w, Integer.toUnsignedLong(c));
        return w;
    }

    /** Decodes a word; illegal fields throw {@link IllegalArgumentException} saying which. */
    public static Instruction decode(long lo, long hi) {
        int code = (int) Encoding.OPCODE.get(lo, hi);
        Opcode op = Opcode.fromCode(code);
        if (op == null) {
            throw new IllegalArgumentException("unknown opcode 0x" + Integer.toHexString(code));
        }
        if (Encoding.RESERVED.get(lo, hi) != 0) {
            throw new IllegalArgumentException("reserved bits set");
        }
        return new Instruction(op, (int) Encoding.DEPS.get(lo, hi), (int) Encoding.DESC.get(lo, hi),
                (int) Encoding.A.get(lo, hi), (int) Encoding.B.get(lo, hi), (int) Encoding.C.get(lo, hi));
    }
}
