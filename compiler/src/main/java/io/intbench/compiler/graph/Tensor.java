package io.intbench.compiler.graph;

import com.google.protobuf.ByteString;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A constant tensor of the graph (initializer, Constant node value, folded value), decoded from
 * its protobuf encoding into plain Java arrays so that folding and the later compiler stages never
 * deal with raw_data versus typed fields. Floating-point types (float, float16, bfloat16, double)
 * are held as float; every integer type and bool as long. {@code elemType} keeps the ONNX type.
 *
 * <p>An int8 or uint8 tensor read from raw_data (a model's weights) keeps its bytes instead, and makes
 * {@link #ints()} from them only when asked: as longs ResNet-18's 11.7 M weights took 94 MB, whose
 * allocation (the pages touched for the first time, the GC) was the largest cost of a compile in a fresh
 * JVM; the matcher takes the codes as bytes ({@link #int8Bytes()}).
 * A value class with the accessors of a record (elemType(), dims(), floats(), ints()).
 */
public final class Tensor {
    private final int elemType;
    private final long[] dims;
    private final float[] floats;
    /** the values of an integer tensor; for a byte-backed one made on first use (then published once). */
    private volatile long[] ints;
    /** the values of an int8 / uint8 tensor as its raw bytes, or null when held as {@link #ints}. */
    private final byte[] bytes;

    /**
     * @param elemType ONNX {@code TensorProto.DataType} code
     * @param dims     shape; empty for a scalar
     * @param floats   values in C order for floating-point types, else null
     * @param ints     values in C order for integer and bool types, else null
     */
    public Tensor(int elemType, long[] dims, float[] floats, long[] ints) {
        if (dims == null || (floats == null) == (ints == null)) {
            throw new IllegalArgumentException("a tensor needs dims and exactly one of floats / ints");
        }
        if (DataTypes.isFloat(elemType) != (floats != null)) {
            throw new IllegalArgumentException(DataTypes.name(elemType) + " tensor stored as "
                    + (floats != null ? "floats" : "ints"));
        }
        long n = numel(dims);
        int len = floats != null ? floats.length : ints.length;
        if (n != len) {
            throw new IllegalArgumentException("dims " + Arrays.toString(dims) + " need " + n + " values, got " + len);
        }
        this.elemType = elemType;
        this.dims = dims;
        this.floats = floats;
        this.ints = ints;
        this.bytes = null;
    }

    /** An int8 or uint8 tensor held as its bytes (the caller hands the array over). */
    private Tensor(int elemType, long[] dims, byte[] bytes) {
        if (elemType != DataTypes.INT8 && elemType != DataTypes.UINT8) {
            throw new IllegalArgumentException(DataTypes.name(elemType) + " tensor stored as bytes");
        }
        if (numel(dims) != bytes.length) {
            throw new IllegalArgumentException("dims " + Arrays.toString(dims) + " need " + numel(dims) + " values, got "
                    + bytes.length);
        }
        this.elemType = elemType;
        this.dims = dims;
        this.floats = null;
        this.ints = null;
        this.bytes = bytes;
    }

    /** ONNX {@code TensorProto.DataType} code. */
    public int elemType() {
        return elemType;
    }

    /** Shape; empty for a scalar. */
    public long[] dims() {
        return dims;
    }

    /** Values in C order for floating-point types, else null. */
    public float[] floats() {
        return floats;
    }

    /** Values in C order for integer and bool types, else null (a byte-backed tensor makes them on the first call). */
    public long[] ints() {
        long[] v = ints;
        if (v == null && bytes != null) {
            v = new long[bytes.length];
            if (elemType == DataTypes.INT8) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = bytes[i];
                }
            } else {
                for (int i = 0; i < v.length; i++) {
                    v[i] = bytes[i] & 0xFF;
                }
            }
            ints = v;
        }
        return v;
    }

    /**
     * The values of an int8 or uint8 tensor as bytes (two's complement, or unsigned), in C order. The array
     * of a tensor read from raw_data is shared, not copied: callers must not change it.
     */
    public byte[] int8Bytes() {
        if (elemType != DataTypes.INT8 && elemType != DataTypes.UINT8) {
            throw new IllegalStateException(DataTypes.name(elemType) + " tensor has no 8-bit codes");
        }
        if (bytes != null) {
            return bytes;
        }
        long[] v = ints;
        byte[] b = new byte[v.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    /** The same values with other dims of the same element count (no copy; a byte-backed tensor stays one). */
    public Tensor withDims(long[] newDims) {
        return bytes != null ? new Tensor(elemType, newDims, bytes) : new Tensor(elemType, newDims, floats, ints);
    }

    /** Float tensor (type FLOAT). */
    public static Tensor ofFloats(long[] dims, float... v) {
        return new Tensor(DataTypes.FLOAT, dims.clone(), v.clone(), null);
    }

    /** Integer tensor of the given integer type; values are stored as given. */
    public static Tensor ofInts(int elemType, long[] dims, long... v) {
        return new Tensor(elemType, dims.clone(), null, v.clone());
    }

    /** Product of dims (1 for a scalar). */
    public static long numel(long[] dims) {
        long n = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long size() {
        return floats != null ? floats.length : bytes != null ? bytes.length : ints.length;
    }

    /** Rank 0. A [1] or [1,1] tensor has size() 1 but is not a scalar. */
    public boolean isScalar() {
        return dims.length == 0;
    }

    public int rank() {
        return dims.length;
    }

    public boolean isFloat() {
        return floats != null;
    }

    /** Element i as float (integers converted). */
    public float floatAt(int i) {
        return floats != null ? floats[i] : (float) intAt(i);
    }

    /** Element i as long (floats truncated toward zero, as a C cast). */
    public long intAt(int i) {
        if (bytes != null) {
            return elemType == DataTypes.INT8 ? bytes[i] : bytes[i] & 0xFF;
        }
        return floats == null ? ints[i] : (long) floats[i];
    }

    /** All elements as longs (see {@link #intAt}). */
    public long[] toLongs() {
        if (floats == null) {
            return ints().clone();
        }
        long[] r = new long[floats.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = (long) floats[i];
        }
        return r;
    }

    /** All elements as floats. */
    public float[] toFloats() {
        if (floats != null) {
            return floats.clone();
        }
        long[] v = ints();
        float[] r = new float[v.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = v[i];
        }
        return r;
    }

    /**
     * Decodes a TensorProto. raw_data is little-endian; without it the typed field ONNX prescribes for
     * the type is read: float_data (FLOAT), double_data (DOUBLE), int64_data (INT64), uint64_data
     * (UINT32, UINT64), and int32_data for everything narrower: the 8/16-bit integers and bool one
     * value per entry, float16/bfloat16 as their 16 bits, int4/uint4 two per byte (onnx.proto comments).
     *
     * @param context names the tensor in messages, e.g. "initializer 'conv1.weight'"
     */
    public static Tensor fromProto(OnnxProto.TensorProto t, String context) {
        int type = t.getDataType();
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        for (long d : dims) {
            if (d < 0) {
                throw new IntbenchException.MalformedModel(context + ": negative dimension in " + Arrays.toString(dims));
            }
        }
        long count;
        try {
            count = numel(dims);
        } catch (ArithmeticException e) {
            throw new IntbenchException.MalformedModel(context + ": dims " + Arrays.toString(dims) + " overflow");
        }
        if (t.getDataLocation() == OnnxProto.TensorProto.DataLocation.EXTERNAL) {
            throw new IntbenchException.MalformedModel(context + ": data is stored externally and was not loaded"
                    + " (load the model from its file with OnnxLoader.load)");
        }
        if (DataTypes.bits(type) == 0) {
            throw new IntbenchException.UnsupportedModel(context + ": element type " + DataTypes.name(type)
                    + " is not supported");
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new IntbenchException.UnsupportedModel(context + ": " + count + " elements are too many");
        }
        int n = (int) count;
        if (t.hasRawData()) {
            return fromRaw(type, dims, n, t.getRawData(), context);
        }
        Tensor r = switch (type) {
            case DataTypes.FLOAT -> {
                checkCount(context, "float_data", t.getFloatDataCount(), n);
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = t.getFloatData(i);
                }
                yield new Tensor(type, dims, f, null);
            }
            case DataTypes.DOUBLE -> {
                checkCount(context, "double_data", t.getDoubleDataCount(), n);
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = (float) t.getDoubleData(i);
                }
                yield new Tensor(type, dims, f, null);
            }
            case DataTypes.FLOAT16, DataTypes.BFLOAT16 -> {
                checkCount(context, "int32_data", t.getInt32DataCount(), n);
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    int bits = t.getInt32Data(i) & 0xffff;
                    f[i] = type == DataTypes.FLOAT16 ? DataTypes.halfToFloat(bits) : DataTypes.bfloat16ToFloat(bits);
                }
                yield new Tensor(type, dims, f, null);
            }
            case DataTypes.INT64 -> {
                checkCount(context, "int64_data", t.getInt64DataCount(), n);
                yield new Tensor(type, dims, null, t.getInt64DataList().stream().mapToLong(Long::longValue).toArray());
            }
            case DataTypes.UINT32, DataTypes.UINT64 -> {
                checkCount(context, "uint64_data", t.getUint64DataCount(), n);
                long[] v = t.getUint64DataList().stream().mapToLong(Long::longValue).toArray();
                yield new Tensor(type, dims, null, v);
            }
            case DataTypes.INT4, DataTypes.UINT4 -> {
                checkCount(context, "int32_data", t.getInt32DataCount(), (n + 1) / 2);
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = DataTypes.wrap(type, t.getInt32Data(i / 2) >> (4 * (i % 2)));
                }
                yield new Tensor(type, dims, null, v);
            }
            default -> { // 8/16/32-bit integers and bool in int32_data
                checkCount(context, "int32_data", t.getInt32DataCount(), n);
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = DataTypes.wrap(type, t.getInt32Data(i));
                }
                yield new Tensor(type, dims, null, v);
            }
        };
        return r;
    }

    private static void checkCount(String context, String field, int have, int want) {
        if (have != want) {
            throw new IntbenchException.MalformedModel(context + ": " + field + " holds " + have
                    + " values, the dims need " + want);
        }
    }

    /**
     * Decodes little-endian raw_data. Weights are millions of elements and this runs in a cold JVM (the first
     * compile of a process), mostly interpreted or in C1: so the bytes are taken in bulk from the ByteString
     * and each element type has its own plain loop, with no switch or buffer call per element.
     */
    private static Tensor fromRaw(int type, long[] dims, int n, ByteString raw, String context) {
        int bits = DataTypes.bits(type);
        long want = ((long) n * bits + 7) / 8;
        if (raw.size() != want) {
            throw new IntbenchException.MalformedModel(context + ": raw_data holds " + raw.size() + " bytes, "
                    + n + " elements of " + DataTypes.name(type) + " need " + want);
        }
        ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (DataTypes.isFloat(type)) {
            float[] f = new float[n];
            switch (type) {
                case DataTypes.FLOAT -> b.asFloatBuffer().get(f);
                case DataTypes.DOUBLE -> {
                    double[] d = new double[n];
                    b.asDoubleBuffer().get(d);
                    for (int i = 0; i < n; i++) {
                        f[i] = (float) d[i];
                    }
                }
                default -> {
                    short[] h = new short[n];
                    b.asShortBuffer().get(h);
                    if (type == DataTypes.FLOAT16) {
                        for (int i = 0; i < n; i++) {
                            f[i] = DataTypes.halfToFloat(h[i] & 0xffff);
                        }
                    } else {
                        for (int i = 0; i < n; i++) {
                            f[i] = DataTypes.bfloat16ToFloat(h[i] & 0xffff);
                        }
                    }
                }
            }
            return new Tensor(type, dims, f, null);
        }
        if (bits == 8 && (type == DataTypes.INT8 || type == DataTypes.UINT8)) {
            byte[] p = new byte[n];
            b.get(p);
            return new Tensor(type, dims, p);                  // the bytes are the values (see the class comment)
        }
        long[] v = new long[n];
        switch (bits) {
            case 4 -> {
                byte[] p = new byte[(int) want];
                b.get(p);
                boolean signed = type == DataTypes.INT4;
                for (int i = 0; i < n; i++) {
                    int nibble = (p[i >> 1] >> (4 * (i & 1))) & 0xF;   // the first element in the low nibble
                    v[i] = signed ? (nibble ^ 8) - 8 : nibble;
                }
            }
            case 8 -> {
                byte[] p = new byte[n];
                b.get(p);
                for (int i = 0; i < n; i++) {
                    v[i] = DataTypes.wrap(type, p[i]);          // bool: any non-zero byte is 1
                }
            }
            case 16 -> {
                short[] p = new short[n];
                b.asShortBuffer().get(p);
                int mask = type == DataTypes.UINT16 ? 0xFFFF : -1;          // uint16 zero-extends, int16 keeps its sign
                for (int i = 0; i < n; i++) {
                    v[i] = p[i] & mask;
                }
            }
            case 32 -> {
                int[] p = new int[n];
                b.asIntBuffer().get(p);
                long mask = type == DataTypes.UINT32 ? 0xFFFF_FFFFL : -1L;
                for (int i = 0; i < n; i++) {
                    v[i] = p[i] & mask;
                }
            }
            default -> b.asLongBuffer().get(v);
        }
        return new Tensor(type, dims, null, v);
    }

    /** Encodes as a TensorProto with little-endian raw_data in this tensor's element type. */
    public OnnxProto.TensorProto toProto(String name) {
        int n = (int) size(), bits = DataTypes.bits(elemType);
        ByteBuffer b = ByteBuffer.allocate((int) (((long) n * bits + 7) / 8)).order(ByteOrder.LITTLE_ENDIAN);
        long[] ints = floats == null ? ints() : null;
        for (int i = 0; i < n; i++) {
            switch (elemType) {
                case DataTypes.FLOAT -> b.putFloat(floats[i]);
                case DataTypes.DOUBLE -> b.putDouble(floats[i]);
                case DataTypes.FLOAT16 -> b.putShort((short) DataTypes.floatToHalf(floats[i]));
                case DataTypes.BFLOAT16 -> b.putShort((short) DataTypes.floatToBfloat16(floats[i]));
                default -> {
                    switch (bits) {
                        case 4 -> b.put(i / 2, (byte) (b.get(i / 2) | ((ints[i] & 0xF) << (4 * (i % 2)))));
                        case 8 -> b.put((byte) ints[i]);
                        case 16 -> b.putShort((short) ints[i]);
                        case 32 -> b.putInt((int) ints[i]);
                        default -> b.putLong(ints[i]);
                    }
                }
            }
        }
        OnnxProto.TensorProto.Builder p = OnnxProto.TensorProto.newBuilder().setName(name).setDataType(elemType)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            p.addDims(d);
        }
        return p.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && t.elemType == elemType && Arrays.equals(t.dims, dims)
                && Arrays.equals(t.floats, floats) && Arrays.equals(t.ints(), ints());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims) * 31 + Arrays.hashCode(floats) + Arrays.hashCode(ints()) + elemType;
    }

    @Override
    public String toString() {
        long[] head = new long[(int) Math.min(8, size())];
        for (int i = 0; floats == null && i < head.length; i++) {
            head[i] = intAt(i);
        }
        String vals = floats != null ? Arrays.toString(Arrays.copyOf(floats, Math.min(8, floats.length)))
                : Arrays.toString(head);
        return "Tensor[" + DataTypes.name(elemType) + " " + Arrays.toString(dims) + " " + vals
                + (size() > 8 ? "..." : "") + "]";
    }
}
