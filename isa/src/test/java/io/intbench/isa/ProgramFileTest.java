package io.intbench.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramFileTest {

    static Program sample() {
        Descriptor.LutDesc lut = new Descriptor.LutDesc(16, 0, 0);
        List<Instruction> code = List.of(
                Instruction.of(Opcode.LOAD, Instruction.PUSH_NEXT, 256, 16, 0),
                Instruction.withDesc(Opcode.LUT, Instruction.POP_PREV | Instruction.PUSH_NEXT, 0, 256, 0, 320),
                Instruction.of(Opcode.STORE, Instruction.POP_PREV, 320, 16, 0),
                Instruction.of(Opcode.HALT, 0, 0, 0, 0));
        byte[] image = new byte[256];
        for (int i = 0; i < 256; i++) {
            image[i] = (byte) (255 - i);
        }
        List<TensorDesc> tensors = List.of(
                new TensorDesc("x_q", "x", TensorDesc.Role.INPUT, DType.UINT8, new long[] {1, 16}, 256, new float[] {0.5f}, new int[] {3}, -1),
                new TensorDesc("y_q", "", TensorDesc.Role.OUTPUT, DType.UINT8, new long[] {1, 16}, 320, new float[] {0.25f}, new int[] {0}, -1));
        return new Program("tiny", 0x1234_5678_9abc_def0L, Descriptor.REQUANT_ORT, "m.onnx", code, List.of(lut), 384, image,
                tensors, List.of(new Program.Layer("lut1", "Requantize", "Q1,DQ1", 0)), new int[] {0, 0, 0, -1});
    }

    @Test
    void roundTrips(@TempDir Path dir) throws Exception {
        Program p = sample();
        Path f = dir.resolve("p.ibc");
        ProgramFile.write(p, f);
        Program q = ProgramFile.read(f);
        assertArrayEquals(ProgramFile.toBytes(p), ProgramFile.toBytes(q));
        assertEquals(p.code(), q.code());
        assertEquals("tiny", q.configName());
        assertArrayEquals(p.image(), q.image());
        assertEquals(1, Files.list(dir).count(), "no temporary file left behind");
    }

    @Property(tries = 300)
    void everyTruncationIsRejected(@ForAll @IntRange(min = 0, max = 10_000) int cut) {
        byte[] b = ProgramFile.toBytes(sample());
        int len = cut % b.length;
        byte[] t = java.util.Arrays.copyOf(b, len);
        IntbenchException.InvalidProgram e = assertThrows(IntbenchException.InvalidProgram.class, () -> ProgramFile.parse(t, "t.ibc"));
        assertTrue(e.getMessage().contains("t.ibc") && e.getMessage().contains("byte offset"), e.getMessage());
    }

    @Property(tries = 1000)
    void everySingleBitFlipIsRejected(@ForAll @IntRange(min = 0, max = 1 << 20) int bit) {
        byte[] b = ProgramFile.toBytes(sample());
        int i = (bit >>> 3) % b.length;
        b[i] ^= (byte) (1 << (bit & 7));
        assertThrows(IntbenchException.InvalidProgram.class, () -> ProgramFile.parse(b, "flip.ibc"));
    }

    @Test
    void fieldsAreCheckedEvenWithAValidChecksum() {
        byte[] b = ProgramFile.toBytes(sample());
        // find the first instruction word (the LOAD) and point it outside DRAM, then fix the checksum
        byte[] word = new byte[16];
        long[] w = Instruction.of(Opcode.LOAD, Instruction.PUSH_NEXT, 256, 16, 0).encode();
        java.nio.ByteBuffer.wrap(word).putLong(w[0]).putLong(w[1]);
        int at = indexOf(b, word);
        assertTrue(at > 0);
        long[] bad = Instruction.of(Opcode.LOAD, Instruction.PUSH_NEXT, 100_000, 16, 0).encode();
        java.nio.ByteBuffer.wrap(b, at, 16).putLong(bad[0]).putLong(bad[1]);
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        java.nio.ByteBuffer.wrap(b, b.length - 4, 4).putInt((int) crc.getValue());
        IntbenchException.InvalidProgram e = assertThrows(IntbenchException.InvalidProgram.class, () -> ProgramFile.parse(b, "x"));
        assertTrue(e.getMessage().contains("pc 0") && e.getMessage().contains("outside DRAM"), e.getMessage());
    }

    @Test
    void notAProgram() {
        IntbenchException.InvalidProgram e = assertThrows(IntbenchException.InvalidProgram.class,
                () -> ProgramFile.parse("hello world, not a program".getBytes(), "hello.txt"));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
