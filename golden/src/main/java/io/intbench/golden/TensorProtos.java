package io.intbench.golden;

import com.google.protobuf.InvalidProtocolBufferException;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads ONNX {@code TensorProto}s, the format of the ONNX backend tests' {@code input_N.pb} /
 * {@code output_N.pb} files, into {@link HostTensor}s.
 *
 * <p>ONNX stores a tensor's elements either in {@code raw_data} (little-endian, C order, as
 * onnx.proto specifies) or in the typed field for its type: {@code float_data} for float,
 * {@code int32_data} for int32 and for the 8-bit types (one element per int32, the value stored
 * as-is), {@code int64_data} for int64. Only the types intbench carries are accepted.
 */
public final class TensorProtos {

    private TensorProtos() {
    }

    /** Parses a serialized TensorProto file. */
    public static HostTensor read(Path pbFile) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(pbFile);
        } catch (IOException e) {
            throw new IntbenchException.InvalidInput("cannot read tensor file " + pbFile + ": " + e.getMessage(), e);
        }
        OnnxProto.TensorProto t;
        try {
            t = OnnxProto.TensorProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IntbenchException.MalformedModel("tensor file " + pbFile + " is not a TensorProto: " + e.getMessage(), e);
        }
        try {
            return toHostTensor(t);
        } catch (IntbenchException.MalformedModel e) {
            throw new IntbenchException.MalformedModel(pbFile + ": " + e.getMessage(), e);
        }
    }

    /** Converts a TensorProto of type float, uint8, int8, int32 or int64 to a host tensor. */
    public static HostTensor toHostTensor(OnnxProto.TensorProto t) {
        String name = t.hasName() ? "'" + t.getName() + "'" : "(unnamed)";
        DType dtype = DType.fromOnnx(t.getDataType());
        if (dtype == null) {
            throw new IntbenchException.MalformedModel("tensor " + name + " has data_type " + t.getDataType()
                    + " (" + typeName(t.getDataType()) + "); intbench reads only FLOAT, UINT8, INT8, INT32 and INT64");
        }
        if (t.getDataLocation() == OnnxProto.TensorProto.DataLocation.EXTERNAL) {
            throw new IntbenchException.MalformedModel("tensor " + name + " keeps its data in an external file;"
                    + " intbench reads only tensors stored inline");
        }
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long n;
        try {
            n = HostTensor.elementCount(shape);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IntbenchException.MalformedModel("tensor " + name + " has invalid dims " + Arrays.toString(shape));
        }
        if (n * dtype.bytes() > Integer.MAX_VALUE) {
            throw new IntbenchException.MalformedModel("tensor " + name + " of dims " + Arrays.toString(shape)
                    + " is too large (" + n + " elements)");
        }
        int count = (int) n;
        byte[] data;
        if (t.hasRawData()) {
            data = t.getRawData().toByteArray();
            if (data.length != count * dtype.bytes()) {
                throw new IntbenchException.MalformedModel("tensor " + name + " of type " + dtype + " and dims "
                        + Arrays.toString(shape) + " needs " + count * dtype.bytes() + " bytes of raw_data, found " + data.length);
            }
        } else {
            data = fromTypedField(t, dtype, count, name);
        }
        return new HostTensor(dtype, shape, data);
    }

    private static byte[] fromTypedField(OnnxProto.TensorProto t, DType dtype, int count, String name) {
        String field = switch (dtype) {
            case FLOAT32 -> "float_data";
            case UINT8, INT8, INT32 -> "int32_data";
            case INT64 -> "int64_data";
        };
        int found = switch (dtype) {
            case FLOAT32 -> t.getFloatDataCount();
            case UINT8, INT8, INT32 -> t.getInt32DataCount();
            case INT64 -> t.getInt64DataCount();
        };
        if (found != count) {
            throw new IntbenchException.MalformedModel("tensor " + name + " of type " + dtype + " needs " + count
                    + " elements in " + field + ", found " + found);
        }
        ByteBuffer b = ByteBuffer.allocate(count * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            switch (dtype) {
                case FLOAT32 -> b.putFloat(t.getFloatData(i));
                case UINT8, INT8 -> {
                    int v = t.getInt32Data(i);
                    if (v < dtype.qmin() || v > dtype.qmax()) {
                        throw new IntbenchException.MalformedModel("tensor " + name + " element " + i + " = " + v
                                + " is out of range for " + dtype);
                    }
                    b.put((byte) v);
                }
                case INT32 -> b.putInt(t.getInt32Data(i));
                case INT64 -> b.putLong(t.getInt64Data(i));
            }
        }
        return b.array();
    }

    private static String typeName(int code) {
        OnnxProto.TensorProto.DataType d = OnnxProto.TensorProto.DataType.forNumber(code);
        return d == null ? "unknown" : d.name();
    }
}
