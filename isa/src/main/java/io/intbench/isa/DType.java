package io.intbench.isa;

/**
 * Element types that cross the boundary between host, program file and ONNX Runtime.
 * The numeric code is ONNX's {@code TensorProto.DataType} value so that conversions are a lookup.
 */
public enum DType {
    FLOAT32(1, 4, "<f4"),
    UINT8(2, 1, "|u1"),
    INT8(3, 1, "|i1"),
    INT32(6, 4, "<i4"),
    INT64(7, 8, "<i8");

    private final int onnxCode;
    private final int bytes;
    private final String npyDescr;

    DType(int onnxCode, int bytes, String npyDescr) {
        this.onnxCode = onnxCode;
        this.bytes = bytes;
        this.npyDescr = npyDescr;
    }

    /** ONNX TensorProto.DataType code. */
    public int onnxCode() { return onnxCode; }

    /** Bytes per element. */
    public int bytes() { return bytes; }

    /** NumPy {@code descr} string of this type (little-endian). */
    public String npyDescr() { return npyDescr; }

    /** True for the 8-bit quantized activation types. */
    public boolean isQuant8() { return this == UINT8 || this == INT8; }

    /** Smallest representable integer of a quantized type. */
    public int qmin() {
        return switch (this) {
            case UINT8 -> 0;
            case INT8 -> -128;
            case INT32 -> Integer.MIN_VALUE;
            default -> throw new IllegalStateException(this + " has no integer range");
        };
    }

    /** Largest representable integer of a quantized type. */
    public int qmax() {
        return switch (this) {
            case UINT8 -> 255;
            case INT8 -> 127;
            case INT32 -> Integer.MAX_VALUE;
            default -> throw new IllegalStateException(this + " has no integer range");
        };
    }

    /** The type with the given ONNX code, or null when intbench does not carry it across boundaries. */
    public static DType fromOnnx(int code) {
        for (DType t : values()) {
            if (t.onnxCode == code) {
                return t;
            }
        }
        return null;
    }
}
