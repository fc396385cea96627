package io.intbench.compiler.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Decoding of TensorProto per onnx.proto's rules for raw_data and the typed fields. */
class TensorTest {
    private static OnnxProto.TensorProto.Builder proto(int type, long... dims) {
        OnnxProto.TensorProto.Builder b = OnnxProto.TensorProto.newBuilder().setName("t").setDataType(type);
        for (long d : dims) {
            b.addDims(d);
        }
        return b;
    }

    private static Tensor decode(OnnxProto.TensorProto.Builder b) {
        return Tensor.fromProto(b.build(), "initializer 't'");
    }

    @Test
    void typedFields() {
        assertArrayEquals(new float[] {1.5f, -2}, decode(proto(DataTypes.FLOAT, 2).addFloatData(1.5f).addFloatData(-2)).floats());
        assertArrayEquals(new float[] {0.25f}, decode(proto(DataTypes.DOUBLE, 1).addDoubleData(0.25)).floats());
        // binary16 bit patterns (IEEE 754): 1.0, -2.0, largest finite 65504, smallest subnormal 2^-24
        Tensor h = decode(proto(DataTypes.FLOAT16, 4).addAllInt32Data(List.of(0x3C00, 0xC000, 0x7BFF, 0x0001)));
        assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f}, h.floats());
        assertEquals(DataTypes.FLOAT16, h.elemType());
        assertArrayEquals(new float[] {1f, -0.5f}, decode(proto(DataTypes.BFLOAT16, 2).addInt32Data(0x3F80).addInt32Data(0xBF00)).floats());
        assertArrayEquals(new long[] {-5, 127}, decode(proto(DataTypes.INT8, 2).addInt32Data(-5).addInt32Data(127)).ints());
        assertArrayEquals(new long[] {200}, decode(proto(DataTypes.UINT8, 1).addInt32Data(200)).ints());
        assertArrayEquals(new long[] {65535, -32768}, new long[] {
            decode(proto(DataTypes.UINT16).addInt32Data(65535)).intAt(0), decode(proto(DataTypes.INT16).addInt32Data(-32768)).intAt(0)});
        assertArrayEquals(new long[] {1L << 40}, decode(proto(DataTypes.INT64, 1).addInt64Data(1L << 40)).ints());
        assertArrayEquals(new long[] {4294967295L}, decode(proto(DataTypes.UINT32, 1).addUint64Data(4294967295L)).ints());
        assertArrayEquals(new long[] {1, 0}, decode(proto(DataTypes.BOOL, 2).addInt32Data(1).addInt32Data(0)).ints());
        assertArrayEquals(new long[] {-7}, decode(proto(DataTypes.INT32).addInt32Data(-7)).ints());
    }

    @Test
    void rawDataIsLittleEndian() {
        // 0x8001 as int16 is -32767; float 1.5 is 0x3FC00000
        Tensor s = decode(proto(DataTypes.INT16, 1).setRawData(ByteString.copyFrom(new byte[] {0x01, (byte) 0x80})));
        assertEquals(-32767, s.intAt(0));
        Tensor f = decode(proto(DataTypes.FLOAT, 1).setRawData(ByteString.copyFrom(new byte[] {0, 0, (byte) 0xC0, 0x3F})));
        assertEquals(1.5f, f.floatAt(0));
        // int4: two per byte, the first element in the low nibble (onnx.proto)
        Tensor q = decode(proto(DataTypes.INT4, 3).setRawData(ByteString.copyFrom(new byte[] {(byte) 0xF7, 0x08})));
        assertArrayEquals(new long[] {7, -1, -8}, q.ints());
        Tensor u = decode(proto(DataTypes.UINT8, 2).setRawData(ByteString.copyFrom(new byte[] {(byte) 0xFF, 1})));
        assertArrayEquals(new long[] {255, 1}, u.ints());
    }

    @Test
    void wrongSizesNameTheTensor() {
        var e = assertThrows(IntbenchException.MalformedModel.class,
                () -> decode(proto(DataTypes.FLOAT, 2, 2).setRawData(ByteString.copyFrom(new byte[12]))));
        assertTrue(e.getMessage().contains("'t'") && e.getMessage().contains("12 bytes") && e.getMessage().contains("16"),
                e.getMessage());
        e = assertThrows(IntbenchException.MalformedModel.class, () -> decode(proto(DataTypes.INT64, 3).addInt64Data(1)));
        assertTrue(e.getMessage().contains("'t'") && e.getMessage().contains("int64_data"), e.getMessage());
        assertThrows(IntbenchException.UnsupportedModel.class, () -> decode(proto(DataTypes.STRING, 1)));
    }

    @Test
    void protoRoundTripKeepsTypeAndValues() {
        List<Tensor> all = List.of(Tensor.ofFloats(new long[] {2, 2}, 1, -2.5f, 3e-5f, 7),
                Tensor.ofInts(DataTypes.INT8, new long[] {3}, -128, 0, 127),
                Tensor.ofInts(DataTypes.UINT8, new long[0], 255),
                Tensor.ofInts(DataTypes.INT32, new long[] {2}, Integer.MIN_VALUE, 5),
                Tensor.ofInts(DataTypes.INT64, new long[] {1}, Long.MAX_VALUE),
                Tensor.ofInts(DataTypes.UINT4, new long[] {3}, 15, 0, 9),
                new Tensor(DataTypes.FLOAT16, new long[] {2}, new float[] {1.5f, -65504f}, null));
        for (Tensor t : all) {
            assertEquals(t, Tensor.fromProto(t.toProto("x"), "x"), t.toString());
        }
    }

    @Test
    void halfRoundingIsToNearestEven() {
        assertEquals(0x3C00, DataTypes.floatToHalf(1 + 0x1p-11f)); // tie between 0x3C00 and 0x3C01: even
        assertEquals(0x3C02, DataTypes.floatToHalf(1 + 3 * 0x1p-11f)); // tie between 0x3C01 and 0x3C02: even
        assertEquals(0x7BFF, DataTypes.floatToHalf(65519f));
        assertEquals(0x7C00, DataTypes.floatToHalf(65520f));
        assertEquals(0x0001, DataTypes.floatToHalf(0x1p-24f));
        assertEquals(0x8000, DataTypes.floatToHalf(-0f));
    }

    @Test
    void scalarMeansRankZero() {
        assertTrue(Tensor.ofFloats(new long[0], 1).isScalar());
        Tensor one = Tensor.ofFloats(new long[] {1, 1}, 1);
        assertFalse(one.isScalar());
        assertEquals(1, one.size());
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats(new long[] {2}, 1));
        assertThrows(IllegalArgumentException.class, () -> new Tensor(DataTypes.INT8, new long[] {1}, new float[1], null));
    }

    /**
     * The bulk raw_data decoder (one loop per element type) gives what reading element by element with
     * ByteBuffer and {@link DataTypes#wrap} gives, for every storable type, on random bytes.
     */
    @Test
    void rawDataDecodesAsElementByElement() {
        Random r = new Random(7);
        int[] types = {DataTypes.FLOAT, DataTypes.DOUBLE, DataTypes.FLOAT16, DataTypes.BFLOAT16, DataTypes.UINT8,
            DataTypes.INT8, DataTypes.BOOL, DataTypes.UINT16, DataTypes.INT16, DataTypes.INT32, DataTypes.UINT32,
            DataTypes.INT64, DataTypes.UINT64, DataTypes.UINT4, DataTypes.INT4};
        for (int type : types) {
            for (int n : new int[] {0, 1, 7, 1000}) {
                int bits = DataTypes.bits(type);
                byte[] raw = new byte[(n * bits + 7) / 8];
                r.nextBytes(raw);
                Tensor t = decode(proto(type, n).setRawData(ByteString.copyFrom(raw)));
                if (type == DataTypes.INT8 || type == DataTypes.UINT8) {
                    assertArrayEquals(raw, t.int8Bytes(), DataTypes.name(type));    // held as its bytes
                    assertEquals(t, Tensor.ofInts(type, new long[] {n}, t.toLongs()));
                }
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    String at = DataTypes.name(type) + " element " + i + " of " + n;
                    if (DataTypes.isFloat(type)) {
                        float want = switch (type) {
                            case DataTypes.FLOAT -> b.getFloat();
                            case DataTypes.DOUBLE -> (float) b.getDouble();
                            case DataTypes.FLOAT16 -> DataTypes.halfToFloat(b.getShort() & 0xffff);
                            default -> DataTypes.bfloat16ToFloat(b.getShort() & 0xffff);
                        };
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(t.floats()[i]), at);
                    } else {
                        long x = switch (bits) {
                            case 4 -> b.get(i / 2) >> (4 * (i % 2));
                            case 8 -> b.get();
                            case 16 -> b.getShort();
                            case 32 -> b.getInt();
                            default -> b.getLong();
                        };
                        assertEquals(DataTypes.wrap(type, x), t.ints()[i], at);
                        assertEquals(DataTypes.wrap(type, x), t.intAt(i), at);
                    }
                }
            }
        }
    }
}
