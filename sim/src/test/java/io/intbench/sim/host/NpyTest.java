package io.intbench.sim.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Reference files were written by NumPy 2.4 (see resources/npy/make_npy.py); values are recomputed here. */
class NpyTest {

    static Path resource(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static IntbenchException.InvalidInput invalid(Path file) {
        var e = assertThrows(IntbenchException.InvalidInput.class, () -> Npy.read(file));
        assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
        return e;
    }

    @Test
    void readsLenetInput() {
        HostTensor t = Npy.read(resource("lenet.input.npy"));
        assertEquals(DType.FLOAT32, t.dtype());
        assertArrayEquals(new long[] {1, 1, 28, 28}, t.shape());
        float[] v = t.toFloatArray();
        assertEquals(784, v.length);
        assertTrue(Arrays.stream(toDoubles(v)).allMatch(Double::isFinite));
    }

    @Test
    void float32Arange() {
        HostTensor t = Npy.read(resource("arange_f4.npy"));
        assertEquals(DType.FLOAT32, t.dtype());
        assertArrayEquals(new long[] {2, 3, 4}, t.shape());
        for (int i = 0; i < 24; i++) {
            assertEquals(i * 0.5f - 3f, t.getFloat(i));
        }
    }

    @Test
    void uint8Arange() {
        HostTensor t = Npy.read(resource("arange_u1.npy"));
        assertEquals(DType.UINT8, t.dtype());
        assertArrayEquals(new long[] {16, 16}, t.shape());
        for (int i = 0; i < 256; i++) {
            assertEquals(i, t.getInt(i));
        }
    }

    @Test
    void int8ArangeWithNegatives() {
        HostTensor t = Npy.read(resource("arange_i1.npy"));
        assertEquals(DType.INT8, t.dtype());
        assertArrayEquals(new long[] {4, 64}, t.shape());
        for (int i = 0; i < 256; i++) {
            assertEquals(i - 128, t.getInt(i));
        }
    }

    @Test
    void int32Arange() {
        HostTensor t = Npy.read(resource("arange_i4.npy"));
        assertEquals(DType.INT32, t.dtype());
        assertArrayEquals(new long[] {3, 4}, t.shape());
        for (int i = 0; i < 12; i++) {
            assertEquals(i * 1000003 - 5000000, t.getInt(i));
        }
    }

    @Test
    void int64ArangeBeyondInt32() {
        HostTensor t = Npy.read(resource("arange_i8.npy"));
        assertEquals(DType.INT64, t.dtype());
        assertArrayEquals(new long[] {6}, t.shape());
        ByteBuffer b = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) {
            assertEquals(-7L * i - 3_000_000_000L, b.getLong(i * 8));
        }
    }

    @Test
    void float64IsNarrowedToFloat32() {
        HostTensor t = Npy.read(resource("arange_f8.npy"));
        assertEquals(DType.FLOAT32, t.dtype());
        assertArrayEquals(new long[] {2, 5}, t.shape());
        for (int i = 0; i < 10; i++) {
            assertEquals((float) (i / 3.0), t.getFloat(i));
        }
    }

    @Test
    void scalar() {
        HostTensor t = Npy.read(resource("scalar_f4.npy"));
        assertArrayEquals(new long[0], t.shape());
        assertEquals(2.5f, t.getFloat(0));
    }

    @Test
    void versions2And3() {
        for (String f : new String[] {"v2_i4.npy", "v3_i4.npy"}) {
            HostTensor t = Npy.read(resource(f));
            assertArrayEquals(new long[] {5}, t.shape());
            assertArrayEquals(new int[] {0, 1, 2, 3, 4}, t.toIntArray(), f);
        }
    }

    @Test
    void fortranOrderIsRefused() {
        var e = invalid(resource("fortran_f4.npy"));
        assertTrue(e.getMessage().contains("Fortran order is not supported; save with np.ascontiguousarray"), e.getMessage());
    }

    @Test
    void bigEndianIsRefusedNamingTheDtype() {
        var e = invalid(resource("bigendian_f4.npy"));
        assertTrue(e.getMessage().contains("big-endian dtype '>f4'"), e.getMessage());
    }

    @Test
    void otherDtypesAreRefusedByName() {
        var e = invalid(resource("bool.npy"));
        assertTrue(e.getMessage().contains("dtype '|b1' is not supported"), e.getMessage());
    }

    @Test
    void missingFile(@TempDir Path dir) {
        var e = invalid(dir.resolve("absent.npy"));
        assertTrue(e.getMessage().contains("no such .npy file"), e.getMessage());
    }

    @Test
    void badMagic(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.npy");
        Files.writeString(f, "PK\u0003\u0004 this is a zip, not npy");
        assertTrue(invalid(f).getMessage().contains("magic"));
        Files.write(f, new byte[] {(byte) 0x93, 'N', 'U'});
        assertTrue(invalid(f).getMessage().contains("magic"));
    }

    private static byte[] withHeader(int major, String dict, byte[] data) {
        int lenBytes = major == 1 ? 2 : 4;
        byte[] h = dict.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(8 + lenBytes + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (lenBytes == 2) {
            b.putShort((short) h.length);
        } else {
            b.putInt(h.length);
        }
        return b.put(h).put(data).array();
    }

    @Test
    void unsupportedVersion(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("v4.npy");
        Files.write(f, withHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", new byte[4]));
        byte[] b = Files.readAllBytes(f);
        b[6] = 4;
        Files.write(f, b);
        assertTrue(invalid(f).getMessage().contains("unsupported .npy format version 4.0"));
    }

    @Test
    void malformedHeaderIsQuoted(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.npy");
        Files.write(f, withHeader(1, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }\n", new byte[4]));
        var e = invalid(f);
        assertTrue(e.getMessage().contains("malformed header \"{'descr': '<f4', 'fortran_order': Maybe"), e.getMessage());
        Files.write(f, withHeader(1, "{'descr': '<f4', 'shape': (1,), }\n", new byte[4]));
        assertTrue(invalid(f).getMessage().contains("no 'fortran_order' entry"));
    }

    @Test
    void truncatedDataSaysExpectedAndFound(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.npy");
        Files.write(f, withHeader(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }\n", new byte[20]));
        var e = invalid(f);
        assertTrue(e.getMessage().contains("needs 24 bytes") && e.getMessage().contains("found 20"), e.getMessage());
    }

    @Test
    void trailingBytesAreRefused(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.npy");
        Files.write(f, withHeader(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n", new byte[3]));
        assertTrue(invalid(f).getMessage().contains("1 bytes after the 2 data bytes"));
    }

    @Test
    void absurdSizesAreRefusedBeforeAllocating(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("big.npy");
        Files.write(f, withHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000, 1000), }\n", new byte[4]));
        assertTrue(invalid(f).getMessage().contains("needs more than 2147483639 bytes"));
        Files.write(f, withHeader(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }\n", new byte[4]));
        assertTrue(invalid(f).getMessage().contains("more elements than fit in memory"));
        // A version 2.0 header claiming 4 GiB of header text.
        byte[] b = withHeader(2, "{}", new byte[0]);
        b[8] = b[9] = b[10] = b[11] = (byte) 0xFF;
        Files.write(f, b);
        assertTrue(invalid(f).getMessage().contains("header length 4294967295 exceeds the limit"));
    }

    private static HostTensor sample(DType d) {
        long[] shape = {2, 3, 5};
        if (d == DType.FLOAT32) {
            float[] v = new float[30];
            for (int i = 0; i < v.length; i++) {
                v[i] = (i - 15) * 0.37f;
            }
            v[0] = Float.NaN;
            v[1] = Float.NEGATIVE_INFINITY;
            return HostTensor.ofFloats(shape, v);
        }
        int[] v = new int[30];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (d) {
                case UINT8 -> i * 8;
                case INT8 -> i * 8 - 120;
                default -> i * 123457 - 2_000_000;
            };
        }
        return HostTensor.ofInts(d, shape, v);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void roundTripEveryDtype(DType d, @TempDir Path dir) throws IOException {
        HostTensor t = sample(d);
        Path f = dir.resolve(d + ".npy");
        Npy.write(f, t);
        assertEquals(t, Npy.read(f));
        byte[] bytes = Files.readAllBytes(f);
        int headerLen = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
        assertEquals(1, bytes[6]);
        assertEquals(0, (10 + headerLen) % 64, "data starts 64-byte aligned");
        assertEquals('\n', bytes[10 + headerLen - 1]);
        String header = new String(bytes, 10, headerLen, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '" + d.npyDescr() + "', 'fortran_order': False, 'shape': (2, 3, 5), }"),
                header);
        assertEquals(bytes.length, 10 + headerLen + t.data().length);
    }

    @Test
    void oneDimensionalShapeIsWrittenAsAPythonTuple(@TempDir Path dir) throws IOException {
        HostTensor ref = Npy.read(resource("v2_i4.npy"));
        Path f = dir.resolve("one.npy");
        Npy.write(f, ref);
        byte[] bytes = Files.readAllBytes(f);
        String header = new String(bytes, 10, (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }"), header);
        assertEquals(ref, Npy.read(f));
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTempFiles(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("out.npy");
        Files.writeString(f, "old contents");
        HostTensor scalar = HostTensor.ofFloats(new long[0], new float[] {1.5f});
        Npy.write(f, scalar);
        assertEquals(scalar, Npy.read(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "only the target file remains");
        }
        // Writing into a folder that does not exist fails with the file named and creates nothing.
        Path bad = dir.resolve("no-such-dir").resolve("x.npy");
        var e = assertThrows(IntbenchException.class, () -> Npy.write(bad, scalar));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        assertFalse(Files.exists(bad));
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
