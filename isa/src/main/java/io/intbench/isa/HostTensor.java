package io.intbench.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense tensor as the host sees it: element type, shape and the elements in C order as
 * little-endian bytes. The one container that crosses between .npy files, ONNX Runtime, the
 * program's tensor descriptors and the simulator's DRAM.
 */
public record HostTensor(DType dtype, long[] shape, byte[] data) {

    public HostTensor {
        long n = elementCount(shape);
        if (n * dtype.bytes() != data.length) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " and type " + dtype
                    + " needs " + n * dtype.bytes() + " bytes, got " + data.length);
        }
    }

    /** Number of elements of a shape (1 for a scalar). */
    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long elements() { return elementCount(shape); }

    /** Element {@code i} as an integer (integer types only). */
    public int getInt(int i) {
        return switch (dtype) {
            case UINT8 -> data[i] & 0xFF;
            case INT8 -> data[i];
            case INT32 -> ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt(i * 4);
            case INT64 -> Math.toIntExact(ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getLong(i * 8));
            case FLOAT32 -> throw new IllegalStateException("float32 tensor read as integer");
        };
    }

    /** Element {@code i} as a float32 (float32 tensors only). */
    public float getFloat(int i) {
        if (dtype != DType.FLOAT32) {
            throw new IllegalStateException(dtype + " tensor read as float");
        }
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getFloat(i * 4);
    }

    /** All elements as floats (float32 tensors only). */
    public float[] toFloatArray() {
        if (dtype != DType.FLOAT32) {
            throw new IllegalStateException(dtype + " tensor read as float");
        }
        float[] out = new float[data.length / 4];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** All elements as ints (integer types only). */
    public int[] toIntArray() {
        int n = Math.toIntExact(elements());
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = getInt(i);
        }
        return out;
    }

    public static HostTensor ofFloats(long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new HostTensor(DType.FLOAT32, shape.clone(), b.array());
    }

    /** Integer values stored as {@code dtype}; values must already be in its range. */
    public static HostTensor ofInts(DType dtype, long[] shape, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            switch (dtype) {
                case UINT8, INT8 -> b.put((byte) v);
                case INT32 -> b.putInt(v);
                case INT64 -> b.putLong(v);
                case FLOAT32 -> throw new IllegalArgumentException("use ofFloats for float32");
            }
        }
        return new HostTensor(dtype, shape.clone(), b.array());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostTensor t && t.dtype == dtype && Arrays.equals(t.shape, shape) && Arrays.equals(t.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "HostTensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
