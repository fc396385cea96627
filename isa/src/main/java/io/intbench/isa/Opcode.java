package io.intbench.isa;

/**
 * The instruction set: one row per opcode with its numeric code, its unit and which operand fields
 * it uses. Every instruction word has the same layout (see {@link Encoding}): opcode, dependency
 * flags, a descriptor index and three 32-bit operands {@code a}, {@code b}, {@code c}, which hold
 * DRAM byte addresses or sizes as the row says.
 *
 * <p>Layer-level instructions (CONV, MATMUL, the vector ops) take their geometry and their
 * compile-time constants' addresses from a descriptor (like the CSR/micro-op configuration of
 * Gemmini and VTA); the descriptor index is part of the instruction word.
 */
public enum Opcode {
    /** Does nothing; used to pass dependency tokens between queues. */
    NOP(0x00, Unit.CONTROL, false, "", "", ""),
    /** DMA {@code b} bytes from DRAM address {@code a} into the scratchpad (mvin). */
    LOAD(0x01, Unit.LOAD, false, "dram", "bytes", ""),
    /** DMA {@code b} bytes from the scratchpad to DRAM address {@code a} (mvout). */
    STORE(0x02, Unit.STORE, false, "dram", "bytes", ""),
    /**
     * Quantized 2-D convolution on the array: input at {@code a} (NCHW int8/uint8), weights at
     * {@code b} ([outC][inC/groups][kH][kW]), output at {@code c}; int32 accumulation of
     * {@code (x - zx) * (w - zw)} plus bias, then requantization per output channel.
     */
    CONV(0x10, Unit.ARRAY, true, "in", "weights", "out"),
    /**
     * Quantized matrix multiply on the array: input at {@code a} ([M][K]), weights at {@code b}
     * ([N][K]), output at {@code c} ([M][N]); accumulation and requantization as CONV.
     */
    MATMUL(0x11, Unit.ARRAY, true, "in", "weights", "out"),
    /**
     * One tile of a CONV or MATMUL layer that the compiler split to fit the scratchpad and the
     * accumulator: the array work of {@code a} output channels (N) by {@code b} output pixels per image (a
     * block of a convolution's output plane, a matrix multiply's rows of M) of the descriptor's layer. It has no
     * functional effect and only costs time: the layer's CONV/MATMUL instruction, issued after its
     * tiles, computes the whole layer at once (so the arithmetic stays that of one layer) and is
     * charged nothing of its own.
     */
    TILE(0x12, Unit.ARRAY, true, "channels", "pixels", ""),
    /**
     * One tile of a vector-unit layer (ELTWISE, LUT, MAXPOOL, AVGPOOL, GAVGPOOL, SOFTMAX, GATHER) that the
     * compiler split to fit the scratchpad: the vector work of {@code a} outputs of the descriptor's layer
     * (for GAVGPOOL, {@code a} channels over a chunk of {@code b} pixels each). Like TILE it has no
     * functional effect; the layer's own instruction, issued after its tiles, computes the whole layer
     * and is charged nothing.
     */
    VTILE(0x13, Unit.VECTOR, true, "outputs", "pixels", ""),
    /** Elementwise binary op with broadcasting through a 256x256 table: {@code c[i] = T[a[i]][b[j]]}. */
    ELTWISE(0x20, Unit.VECTOR, true, "inA", "inB", "out"),
    /** Max pooling on the integer codes. */
    MAXPOOL(0x21, Unit.VECTOR, true, "in", "", "out"),
    /** Global average pooling: integer sum per channel, then requantization. */
    GAVGPOOL(0x22, Unit.VECTOR, true, "in", "", "out"),
    /** Elementwise 256-entry table lookup {@code c[i] = T[a[i]]} (requantize, activation functions). */
    LUT(0x23, Unit.VECTOR, true, "in", "", "out"),
    /**
     * Strided gather over a 4-D iteration space with an optional 256-entry table:
     * {@code c[sum i_k * outStride_k] = T[a[sum off_k[i_k]]]}, the per-axis input offsets {@code off_k}
     * being int32 tables computed at compile time. One instruction covers Transpose, Slice, Split,
     * nearest Resize and one input of a Concat (written into its slice of the output, requantized
     * through the table when its parameters differ, as QLinearConcat does).
     */
    GATHER(0x24, Unit.VECTOR, true, "in", "", "out"),
    /**
     * Average pooling as ONNX Runtime's QLinearAveragePool computes it, reproduced with integer-only
     * emulation of its float32 steps: a table gives the float32 bits of each dequantized code, then a
     * sum in window order, a division by the count, by the output scale, the zero point and rounding,
     * each rounded as IEEE float32 (round to nearest even) by integer arithmetic.
     */
    AVGPOOL(0x25, Unit.VECTOR, true, "in", "", "out"),
    /**
     * Softmax along the last axis as ONNX Runtime's QLinearSoftmax: a 256-entry table of exponentials
     * (float32 bits), their float32 sum per row, then {@code round(e * floor(1/ys) / sum) + zp}, every
     * float32 step emulated with integers.
     */
    SOFTMAX(0x26, Unit.VECTOR, true, "in", "", "out"),
    /**
     * Bilinear Resize (NCHW, NHWC or 2-D) as ONNX Runtime's Resize kernel computes it: per output pixel
     * the four float32 weights from compile-time per-row and per-column tables, their products with the
     * four neighbouring values and the sum in ORT's order; the values are the dequantized codes (through a
     * 256-entry table) and the sum is quantized (QDQ form, where ORT resizes floats between DequantizeLinear
     * and QuantizeLinear), or the codes themselves with the sum truncated toward zero (ORT's kernel on
     * 8-bit data). Every float32 step is emulated with integers.
     */
    RESIZE(0x27, Unit.VECTOR, true, "in", "", "out"),
    /** Ends the program once every queue has drained. */
    HALT(0x7F, Unit.CONTROL, false, "", "", "");

    private final int code;
    private final Unit unit;
    private final boolean usesDescriptor;
    private final String[] operandNames;

    Opcode(int code, Unit unit, boolean usesDescriptor, String a, String b, String c) {
        this.code = code;
        this.unit = unit;
        this.usesDescriptor = usesDescriptor;
        this.operandNames = new String[] {a, b, c};
    }

    public int code() { return code; }

    public Unit unit() { return unit; }

    public boolean usesDescriptor() { return usesDescriptor; }

    /** Name of operand {@code i} (0 = a, 1 = b, 2 = c), or "" when the opcode does not use it (it must be 0). */
    public String operandName(int i) { return operandNames[i]; }

    private static final Opcode[] BY_CODE = new Opcode[256];

    static {
        for (Opcode o : values()) {
            BY_CODE[o.code] = o;
        }
    }

    /** The opcode with this numeric code, or null. */
    public static Opcode fromCode(int code) {
        return code >= 0 && code < 256 ? BY_CODE[code] : null;
    }
}
