package io.intbench.compiler.graph;

/**
 * ONNX element-type codes ({@code TensorProto.DataType}) and the facts about them the graph
 * front end needs: names for messages, storage widths, integer ranges and C-style conversions.
 * Codes stay plain ints so that they can be compared with protobuf fields without mapping.
 */
public final class DataTypes {
    public static final int UNDEFINED = 0, FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6,
            INT64 = 7, STRING = 8, BOOL = 9, FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13, BFLOAT16 = 16,
            UINT4 = 21, INT4 = 22;

    private static final String[] NAMES = {"undefined", "float", "uint8", "int8", "uint16", "int16", "int32",
        "int64", "string", "bool", "float16", "double", "uint32", "uint64", "complex64", "complex128", "bfloat16",
        "float8e4m3fn", "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1"};

    private DataTypes() {
    }

    /** ONNX's lower-case name of a type code, e.g. "uint8"; "type#N" for codes it does not know. */
    public static String name(int type) {
        return type >= 0 && type < NAMES.length ? NAMES[type] : "type#" + type;
    }

    /** True for the floating-point types {@link Tensor} stores as floats. */
    public static boolean isFloat(int type) {
        return type == FLOAT || type == FLOAT16 || type == DOUBLE || type == BFLOAT16;
    }

    /** True for the integer and bool types {@link Tensor} stores as longs. */
    public static boolean isInteger(int type) {
        return switch (type) {
            case UINT8, INT8, UINT16, INT16, INT32, INT64, BOOL, UINT32, UINT64, UINT4, INT4 -> true;
            default -> false;
        };
    }

    /** Bits per element in raw_data, 0 for types intbench cannot store. */
    public static int bits(int type) {
        return switch (type) {
            case UINT4, INT4 -> 4;
            case UINT8, INT8, BOOL -> 8;
            case UINT16, INT16, FLOAT16, BFLOAT16 -> 16;
            case FLOAT, INT32, UINT32 -> 32;
            case INT64, UINT64, DOUBLE -> 64;
            default -> 0;
        };
    }

    /** Smallest value of an integer type (uint64 is held in a long, so its range is that of int64). */
    public static long min(int type) {
        return switch (type) {
            case UINT8, UINT16, UINT32, UINT4, BOOL, UINT64 -> 0;
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT4 -> -8;
            default -> Long.MIN_VALUE;
        };
    }

    /** Largest value of an integer type. */
    public static long max(int type) {
        return switch (type) {
            case UINT8 -> 255;
            case UINT16 -> 65535;
            case UINT32 -> 0xFFFF_FFFFL;
            case UINT4 -> 15;
            case BOOL -> 1;
            case INT8 -> Byte.MAX_VALUE;
            case INT16 -> Short.MAX_VALUE;
            case INT32 -> Integer.MAX_VALUE;
            case INT4 -> 7;
            default -> Long.MAX_VALUE;
        };
    }

    /** Clamps v into the range of an integer type (what QuantizeLinear's saturation does). */
    public static long saturate(int type, long v) {
        return Math.max(min(type), Math.min(max(type), v));
    }

    /**
     * Converts a 64-bit integer to an integer type the way a C cast (static_cast, as in ONNX Runtime's
     * Cast and integer arithmetic kernels) does: keep the low bits, then sign- or zero-extend. Bool is v != 0.
     */
    public static long wrap(int type, long v) {
        return switch (type) {
            case BOOL -> v != 0 ? 1 : 0;
            case UINT8 -> v & 0xFF;
            case INT8 -> (byte) v;
            case UINT16 -> v & 0xFFFF;
            case INT16 -> (short) v;
            case INT32 -> (int) v;
            case UINT32 -> v & 0xFFFF_FFFFL;
            case UINT4 -> v & 0xF;
            case INT4 -> (v << 60) >> 60;
            default -> v;
        };
    }

    /** IEEE binary16 bits to float (exact). */
    public static float halfToFloat(int h) {
        int e = (h >>> 10) & 0x1f, m = h & 0x3ff;
        float v = e == 0 ? m * 0x1p-24f
                : e == 31 ? (m == 0 ? Float.POSITIVE_INFINITY : Float.NaN)
                : Float.intBitsToFloat(((e - 15 + 127) << 23) | (m << 13));
        return (h & 0x8000) != 0 ? -v : v;
    }

    /** float to IEEE binary16 bits, rounding to nearest even (overflow gives infinity). */
    public static int floatToHalf(float f) {
        int sign = (Float.floatToRawIntBits(f) >>> 16) & 0x8000;
        float a = Math.abs(f);
        if (Float.isNaN(f)) {
            return sign | 0x7e00;
        }
        if (a >= 65520f) {
            return sign | 0x7c00;
        }
        if (a < 0x1p-14f) { // subnormal half: a multiple of 2^-24, exact in float arithmetic
            return sign | (int) Math.rint(a * 0x1p24f);
        }
        int b = Float.floatToRawIntBits(a), mant = b & 0x7fffff;
        int r = (((b >>> 23) - 127 + 15) << 10) | (mant >>> 13), rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (r & 1) == 1)) {
            r++; // a carry into the exponent is the correct next binade
        }
        return sign | r;
    }

    /** bfloat16 bits (the high half of a float) to float. */
    public static float bfloat16ToFloat(int b) {
        return Float.intBitsToFloat(b << 16);
    }

    /** float to bfloat16 bits, rounding to nearest even. */
    public static int floatToBfloat16(float f) {
        int b = Float.floatToRawIntBits(f);
        return Float.isNaN(f) ? 0x7fc0 : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
    }
}
