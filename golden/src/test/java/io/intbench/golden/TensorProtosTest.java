package io.intbench.golden;

import com.google.protobuf.ByteString;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorProtosTest {

    /**
     * The QuantizeLinear example of the ONNX operator documentation (docs/Operators.md):
     * x = [0, 2, 3, 1000, -254, -1000], y_scale = 2, y_zero_point = 128 -> y = [128, 129, 130, 255, 1, 0].
     */
    @Test
    void readsTheBackendTestFilesOfQuantizeLinear() {
        Path data = OnnxBackendNodeTest.caseDir("test_quantizelinear").resolve("test_data_set_0");
        HostTensor x = TensorProtos.read(data.resolve("input_0.pb"));
        assertEquals(DType.FLOAT32, x.dtype());
        assertArrayEquals(new long[] {6}, x.shape());
        assertArrayEquals(new float[] {0, 2, 3, 1000, -254, -1000}, x.toFloatArray());
        HostTensor scale = TensorProtos.read(data.resolve("input_1.pb"));
        assertArrayEquals(new long[] {}, scale.shape(), "scalar");
        assertEquals(2f, scale.getFloat(0));
        HostTensor zp = TensorProtos.read(data.resolve("input_2.pb"));
        assertEquals(DType.UINT8, zp.dtype());
        assertEquals(128, zp.getInt(0));
        HostTensor y = TensorProtos.read(data.resolve("output_0.pb"));
        assertEquals(DType.UINT8, y.dtype());
        assertArrayEquals(new int[] {128, 129, 130, 255, 1, 0}, y.toIntArray());
    }

    static OnnxProto.TensorProto.Builder tensor(String name, OnnxProto.TensorProto.DataType type, long... dims) {
        OnnxProto.TensorProto.Builder b = OnnxProto.TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
        for (long d : dims) {
            b.addDims(d);
        }
        return b;
    }

    @Test
    void readsTypedFields() {
        HostTensor u8 = TensorProtos.toHostTensor(tensor("u", OnnxProto.TensorProto.DataType.UINT8, 3)
                .addInt32Data(0).addInt32Data(200).addInt32Data(255).build());
        assertEquals(HostTensor.ofInts(DType.UINT8, new long[] {3}, new int[] {0, 200, 255}), u8);
        HostTensor i8 = TensorProtos.toHostTensor(tensor("s", OnnxProto.TensorProto.DataType.INT8, 2)
                .addInt32Data(-128).addInt32Data(127).build());
        assertArrayEquals(new int[] {-128, 127}, i8.toIntArray());
        HostTensor i32 = TensorProtos.toHostTensor(tensor("b", OnnxProto.TensorProto.DataType.INT32, 1, 2)
                .addInt32Data(Integer.MIN_VALUE).addInt32Data(-7).build());
        assertArrayEquals(new int[] {Integer.MIN_VALUE, -7}, i32.toIntArray());
        assertArrayEquals(new long[] {1, 2}, i32.shape());
        HostTensor i64 = TensorProtos.toHostTensor(tensor("l", OnnxProto.TensorProto.DataType.INT64, 1)
                .addInt64Data(-5_000_000_000L).build());
        assertArrayEquals(new byte[] {0x00, 0x0e, (byte) 0xfa, (byte) 0xd5, (byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff},
                i64.data(), "-5e9 little-endian");
        HostTensor f = TensorProtos.toHostTensor(tensor("f", OnnxProto.TensorProto.DataType.FLOAT).addFloatData(0.25f).build());
        assertArrayEquals(new long[] {}, f.shape());
        assertEquals(0.25f, f.getFloat(0));
    }

    @Test
    void readsRawDataAsLittleEndian() {
        HostTensor t = TensorProtos.toHostTensor(tensor("r", OnnxProto.TensorProto.DataType.INT32, 2)
                .setRawData(ByteString.copyFrom(new byte[] {1, 2, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff})).build());
        assertArrayEquals(new int[] {0x0201, -1}, t.toIntArray());
        HostTensor f = TensorProtos.toHostTensor(tensor("rf", OnnxProto.TensorProto.DataType.FLOAT, 1)
                .setRawData(ByteString.copyFrom(new byte[] {0, 0, (byte) 0x80, (byte) 0x3f})).build());
        assertEquals(1.0f, f.getFloat(0));
    }

    @Test
    void refusesOtherTypesAndInconsistentTensorsNamingTheTensor() {
        var f16 = assertThrows(IntbenchException.MalformedModel.class, () -> TensorProtos.toHostTensor(
                tensor("half", OnnxProto.TensorProto.DataType.FLOAT16, 1).setRawData(ByteString.copyFrom(new byte[2])).build()));
        assertTrue(f16.getMessage().contains("'half'") && f16.getMessage().contains("FLOAT16"), f16.getMessage());
        var i4 = assertThrows(IntbenchException.MalformedModel.class, () -> TensorProtos.toHostTensor(
                tensor("nibbles", OnnxProto.TensorProto.DataType.INT4, 2).build()));
        assertTrue(i4.getMessage().contains("'nibbles'") && i4.getMessage().contains("INT4"), i4.getMessage());
        var raw = assertThrows(IntbenchException.MalformedModel.class, () -> TensorProtos.toHostTensor(
                tensor("short", OnnxProto.TensorProto.DataType.INT32, 2).setRawData(ByteString.copyFrom(new byte[7])).build()));
        assertTrue(raw.getMessage().contains("'short'") && raw.getMessage().contains("8 bytes") && raw.getMessage().contains("found 7"),
                raw.getMessage());
        var count = assertThrows(IntbenchException.MalformedModel.class, () -> TensorProtos.toHostTensor(
                tensor("few", OnnxProto.TensorProto.DataType.FLOAT, 3).addFloatData(1f).build()));
        assertTrue(count.getMessage().contains("'few'") && count.getMessage().contains("float_data"), count.getMessage());
        var range = assertThrows(IntbenchException.MalformedModel.class, () -> TensorProtos.toHostTensor(
                tensor("big", OnnxProto.TensorProto.DataType.UINT8, 1).addInt32Data(256).build()));
        assertTrue(range.getMessage().contains("'big'") && range.getMessage().contains("256"), range.getMessage());
    }

    @Test
    void fileErrorsNameTheFile(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.pb");
        var e1 = assertThrows(IntbenchException.InvalidInput.class, () -> TensorProtos.read(missing));
        assertTrue(e1.getMessage().contains(missing.toString()), e1.getMessage());
        Path bad = dir.resolve("bad.pb");
        Files.write(bad, new byte[] {(byte) 0xff, (byte) 0xff});
        var e2 = assertThrows(IntbenchException.MalformedModel.class, () -> TensorProtos.read(bad));
        assertTrue(e2.getMessage().contains(bad.toString()), e2.getMessage());
        Path half = dir.resolve("half.pb");
        Files.write(half, tensor("h", OnnxProto.TensorProto.DataType.FLOAT16, 1).build().toByteArray());
        var e3 = assertThrows(IntbenchException.MalformedModel.class, () -> TensorProtos.read(half));
        assertTrue(e3.getMessage().contains(half.toString()) && e3.getMessage().contains("'h'"), e3.getMessage());
    }
}
