package io.intbench.isa;

/**
 * The bit layout of a 128-bit instruction word, declared once and read by both the encoder and the
 * decoder. The word is stored as two 64-bit halves, {@code lo} (bits 0..63) and {@code hi}
 * (bits 64..127).
 */
public enum Encoding {
    OPCODE(0, 8),
    /** Dependency flags: bit 0 pop-prev, 1 pop-next, 2 push-prev, 3 push-next (VTA's names). */
    DEPS(8, 4),
    RESERVED(12, 4),
    DESC(16, 16),
    A(32, 32),
    B(64, 32),
    C(96, 32);

    /** Descriptor field value of an instruction that has none. */
    public static final int NO_DESC = 0xFFFF;

    public final int offset;
    public final int width;

    Encoding(int offset, int width) {
        this.offset = offset;
        this.width = width;
    }

    long mask() { return width == 64 ? -1L : (1L << width) - 1; }

    /** Reads this field from a word. */
    public long get(long lo, long hi) {
        return offset < 64 ? (lo >>> offset) & mask() : (hi >>> (offset - 64)) & mask();
    }

    /** Writes {@code value} into this field of {@code word} ({@code word[0]} = lo, {@code word[1]} = hi). */
    public void put(long[] word, long value) {
        if ((value & ~mask()) != 0) {
            throw new IllegalArgumentException(name() + " value " + value + " does not fit in " + width + " bits");
        }
        if (offset < 64) {
            word[0] |= value << offset;
        } else {
            word[1] |= value << (offset - 64);
        }
    }
}
