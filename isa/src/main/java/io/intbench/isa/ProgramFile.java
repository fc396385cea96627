package io.intbench.isa;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The program file ({@code .ibc}) format, big-endian:
 * <pre>
 * magic "IBC1" | u16 version | config name (u16 length + UTF-8) | u64 config hash | u8 requant mode
 * | model name | u32 DRAM size | u32 image length + image bytes
 * | u32 descriptor count + each: u8 kind, u8 field count, i32 fields...
 * | u32 instruction count + each: u64 lo, u64 hi
 * | u32 pc-table entries (i32 layer index per instruction)
 * | u32 layer count + each: name, op, onnx nodes (strings), u64 macs
 * | u32 tensor count + each: name, onnx name, u8 role, u8 dtype, u8 rank, u64 dims..., u32 addr, i32 axis,
 *   u32 scale count, f32 scales..., i32 zero points..., u32 epilogue bias count, f32 biases...
 * | u32 CRC-32 of every preceding byte
 * </pre>
 * Reading checks the magic, version, checksum, every count against the bytes left before
 * allocating, every instruction and descriptor field, and every address against the DRAM size.
 */
public final class ProgramFile {
    public static final byte[] MAGIC = {'I', 'B', 'C', '1'};
    public static final int VERSION = 3;  // 2: the TILE opcode; 3: CONV negRequant (fused LeakyRelu), VTILE, RESIZE, output epilogue bias

    private ProgramFile() { }

    /** The program's bytes. */
    public static byte[] toBytes(Program p) {
        byte[][] pieces = pieces(p);
        int n = 0;
        for (byte[] b : pieces) {
            n += b.length;
        }
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] b : pieces) {
            System.arraycopy(b, 0, all, at, b.length);
            at += b.length;
        }
        return all;
    }

    /**
     * The program's bytes in four pieces: the fields before the image, the image itself (not copied: most of
     * a program, a model's weights), the fields after it, the checksum. So the file is written without an
     * array of its size, whose pages cost milliseconds per MB to touch in a fresh JVM.
     */
    private static byte[][] pieces(Program p) {
        try {
            ByteArrayOutputStream headBytes = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(headBytes);
            out.write(MAGIC);
            out.writeShort(VERSION);
            str(out, p.configName());
            out.writeLong(p.configHash());
            out.writeByte(p.requantMode());
            str(out, p.modelName());
            out.writeInt(p.dramSize());
            out.writeInt(p.image().length);
            out.flush();
            ByteArrayOutputStream tailBytes = new ByteArrayOutputStream(64 + 20 * p.code().size() + 64 * p.descriptors().size());
            out = new DataOutputStream(tailBytes);
            out.writeInt(p.descriptors().size());
            for (Descriptor d : p.descriptors()) {
                int[] f = d.fields();
                out.writeByte(Descriptor.Kind.of(d).code);
                out.writeByte(f.length);
                for (int v : f) {
                    out.writeInt(v);
                }
            }
            out.writeInt(p.code().size());
            for (Instruction i : p.code()) {
                long[] w = i.encode();
                out.writeLong(w[0]);
                out.writeLong(w[1]);
            }
            out.writeInt(p.pcLayer().length);
            for (int l : p.pcLayer()) {
                out.writeInt(l);
            }
            out.writeInt(p.layers().size());
            for (Program.Layer l : p.layers()) {
                str(out, l.name());
                str(out, l.op());
                str(out, l.onnxNodes());
                out.writeLong(l.macs());
            }
            out.writeInt(p.tensors().size());
            for (TensorDesc t : p.tensors()) {
                str(out, t.name());
                str(out, t.onnxName());
                out.writeByte(t.role().ordinal());
                out.writeByte(t.dtype().onnxCode());
                out.writeByte(t.shape().length);
                for (long d : t.shape()) {
                    out.writeLong(d);
                }
                out.writeInt(t.addr());
                out.writeInt(t.axis());
                out.writeInt(t.scales().length);
                for (float s : t.scales()) {
                    out.writeFloat(s);
                }
                for (int z : t.zeroPoints()) {
                    out.writeInt(z);
                }
                out.writeInt(t.epilogueBias().length);
                for (float b : t.epilogueBias()) {
                    out.writeFloat(b);
                }
            }
            out.flush();
            byte[] head = headBytes.toByteArray();
            byte[] tail = tailBytes.toByteArray();
            CRC32 crc = new CRC32();
            crc.update(head);
            crc.update(p.image());
            crc.update(tail);
            byte[] sum = ByteBuffer.allocate(4).putInt((int) crc.getValue()).array();   // big-endian, as writeInt
            return new byte[][] {head, p.image(), tail, sum};
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes atomically: a temporary file in the same folder, then a rename. */
    public static void write(Program p, Path file) {
        writeAtomically(file, pieces(p));
    }

    /** Writes bytes to a temporary file beside {@code file} and renames it, so no half-written file is ever left. */
    public static void writeAtomically(Path file, byte[] bytes) {
        writeAtomically(file, new byte[][] {bytes});
    }

    /** Bytes handed to the file per write call: the JDK copies each through a native buffer of that size. */
    private static final int WRITE_CHUNK = 1 << 16;

    /** As {@link #writeAtomically(Path, byte[])}, for the pieces one after another. */
    private static void writeAtomically(Path file, byte[][] pieces) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IntbenchException.InvalidInput("cannot write " + file + ": the folder " + dir + " does not exist");
        }
        try {
            tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
            try {
                // createTempFile makes the file owner-only; reports and programs are meant to be shared
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // not a POSIX file system: keep its default permissions
            }
            try (OutputStream out = Files.newOutputStream(tmp)) {
                for (byte[] b : pieces) {
                    for (int at = 0; at < b.length; at += WRITE_CHUNK) {
                        out.write(b, at, Math.min(WRITE_CHUNK, b.length - at));
                    }
                }
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one worth reporting
                }
            }
            throw new IntbenchException.InvalidInput("cannot write " + file + ": " + e.getClass().getSimpleName()
                    .replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase() + " " + e.getMessage(), e);
        }
    }

    public static Program read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IntbenchException.InvalidInput("program file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new IntbenchException.InvalidInput("cannot read program file " + file + ": " + e.getMessage(), e);
        }
        return parse(bytes, file.toString());
    }

    public static Program parse(byte[] bytes, String source) {
        Reader r = new Reader(bytes, source);
        return r.program();
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("string longer than 65535 bytes: " + s.substring(0, 40) + "...");
        }
        out.writeShort(b.length);
        out.write(b);
    }

    private static final class Reader {
        final ByteBuffer buf;
        final String source;
        String section = "header";

        Reader(byte[] bytes, String source) {
            this.buf = ByteBuffer.wrap(bytes);
            this.source = source;
        }

        IntbenchException.InvalidProgram bad(String what) {
            return new IntbenchException.InvalidProgram("invalid program file " + source + " at byte offset " + buf.position()
                    + " (" + section + "): " + what);
        }

        int count(int bytesEach, String what) {
            int n = buf.getInt();
            if (n < 0 || (long) n * bytesEach > buf.remaining()) {
                throw bad(what + " count " + Integer.toUnsignedString(n) + " needs more bytes than the " + buf.remaining() + " left");
            }
            return n;
        }

        String str() {
            int n = Short.toUnsignedInt(buf.getShort());
            if (n > buf.remaining()) {
                throw bad("string length " + n + " beyond the end of the file");
            }
            byte[] b = new byte[n];
            buf.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }

        /**
         * The constant arrays a descriptor points at (zero points, biases, requant pairs, offsets, tables) must lie
         * inside DRAM: their lengths come from descriptor fields, so without this a damaged count would make the
         * simulator allocate gigabytes (found by CliFuzzTest). Lengths as the simulator's kernels read them.
         */
        void constantsInDram(int i, Descriptor d, int dramSize) {
            if (d instanceof Descriptor.ConvDesc c) {
                region(i, "wZpAddr", c.wZpAddr(), 4L * c.outC(), dramSize);
                region(i, "biasAddr", c.biasAddr(), 4L * c.outC(), dramSize);
                region(i, "requantAddr", c.requantAddr(), 8L * c.outC() * (1 + c.negRequant()), dramSize);
            } else if (d instanceof Descriptor.MatMulDesc m) {
                region(i, "wZpAddr", m.wZpAddr(), 4L * m.n(), dramSize);
                region(i, "biasAddr", m.biasAddr(), 4L * m.n(), dramSize);
                region(i, "requantAddr", m.requantAddr(), 8L * m.n(), dramSize);
            } else if (d instanceof Descriptor.GapDesc g) {
                region(i, "requantAddr", g.requantAddr(), 8L, dramSize);
            } else if (d instanceof Descriptor.GatherDesc g) {
                region(i, "offAddr", g.offAddr(), 4L * ((long) g.d0() + g.d1() + g.d2() + g.d3()), dramSize);
            } else if (d instanceof Descriptor.AvgPoolDesc a) {
                region(i, "dqAddr", a.dqAddr(), 4L * 256, dramSize);
            }
        }

        void region(int i, String field, int addr, long bytes, int dramSize) {
            if (addr < 0 || bytes < 0 || bytes > dramSize - (long) addr) {
                throw bad("descriptor " + i + " field " + field + " = 0x" + Integer.toHexString(addr) + " with " + bytes
                        + " bytes lies outside DRAM of " + dramSize + " bytes");
            }
        }

        Program program() {
            byte[] bytes = buf.array();
            if (bytes.length < MAGIC.length + 6) {
                throw bad("file of " + bytes.length + " bytes is too short to be a program");
            }
            for (int i = 0; i < MAGIC.length; i++) {
                if (bytes[i] != MAGIC[i]) {
                    throw bad("not an intbench program (magic is not \"IBC1\")");
                }
            }
            CRC32 crc = new CRC32();
            crc.update(bytes, 0, bytes.length - 4);
            int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
            if ((int) crc.getValue() != stored) {
                buf.position(bytes.length - 4);
                throw bad("checksum mismatch (stored 0x" + Integer.toHexString(stored) + ", computed 0x"
                        + Long.toHexString(crc.getValue()) + "): the file is corrupt or truncated");
            }
            ByteBuffer whole = buf;
            whole.limit(bytes.length - 4);
            try {
                whole.position(MAGIC.length);
                int version = Short.toUnsignedInt(whole.getShort());
                if (version != VERSION) {
                    throw bad("format version " + version + ", this intbench reads version " + VERSION);
                }
                String configName = str();
                long configHash = whole.getLong();
                int mode = whole.get();
                if (mode != Descriptor.REQUANT_ORT && mode != Descriptor.REQUANT_FIXED_POINT) {
                    throw bad("requant mode " + mode + " is neither 0 (ort) nor 1 (fixed-point)");
                }
                String model = str();
                section = "DRAM image";
                int dramSize = whole.getInt();
                if (dramSize < 0) {
                    throw bad("DRAM size " + Integer.toUnsignedString(dramSize) + " exceeds 2 GiB");
                }
                int imageLen = count(1, "image byte");
                if (imageLen > dramSize) {
                    throw bad("image of " + imageLen + " bytes exceeds DRAM size " + dramSize);
                }
                byte[] image = new byte[imageLen];
                whole.get(image);
                section = "descriptors";
                int nd = count(2, "descriptor");
                List<Descriptor> descs = new ArrayList<>(nd);
                for (int i = 0; i < nd; i++) {
                    int kindCode = whole.get() & 0xFF;
                    Descriptor.Kind kind = Descriptor.Kind.fromCode(kindCode);
                    if (kind == null) {
                        throw bad("descriptor " + i + " has unknown kind " + kindCode);
                    }
                    int nf = whole.get() & 0xFF;
                    if (nf != kind.fieldCount()) {
                        throw bad("descriptor " + i + " (" + kind + ") has " + nf + " fields, expected " + kind.fieldCount());
                    }
                    int[] f = new int[nf];
                    for (int j = 0; j < nf; j++) {
                        f[j] = whole.getInt();
                    }
                    Descriptor d;
                    try {
                        d = kind.decode(f);
                    } catch (IllegalArgumentException e) {
                        throw bad("descriptor " + i + " (" + kind + "): " + e.getMessage());
                    }
                    constantsInDram(i, d, dramSize);
                    descs.add(d);
                }
                section = "instructions";
                int ni = count(16, "instruction");
                List<Instruction> code = new ArrayList<>(ni);
                for (int pc = 0; pc < ni; pc++) {
                    long lo = whole.getLong();
                    long hi = whole.getLong();
                    Instruction ins;
                    try {
                        ins = Instruction.decode(lo, hi);
                    } catch (IllegalArgumentException e) {
                        throw bad("instruction at pc " + pc + ": " + e.getMessage());
                    }
                    if (ins.op().usesDescriptor() && ins.desc() >= nd) {
                        throw bad("instruction at pc " + pc + " (" + ins.op() + ") uses descriptor " + ins.desc() + " of " + nd);
                    }
                    for (int k = 0; k < 3; k++) {
                        if (!ins.op().operandName(k).isEmpty() && !ins.op().operandName(k).equals("bytes")
                                && ins.operand(k) >= dramSize) {
                            throw bad("instruction at pc " + pc + " (" + ins.op() + ") operand " + ins.op().operandName(k)
                                    + " = 0x" + Long.toHexString(ins.operand(k)) + " is outside DRAM of " + dramSize + " bytes");
                        }
                    }
                    code.add(ins);
                }
                section = "pc table";
                int np = count(4, "pc table entry");
                if (np != ni) {
                    throw bad("pc table has " + np + " entries for " + ni + " instructions");
                }
                int[] pcLayer = new int[np];
                for (int i = 0; i < np; i++) {
                    pcLayer[i] = whole.getInt();
                }
                section = "layers";
                int nl = count(14, "layer");
                List<Program.Layer> layers = new ArrayList<>(nl);
                for (int i = 0; i < nl; i++) {
                    layers.add(new Program.Layer(str(), str(), str(), whole.getLong()));
                }
                for (int i = 0; i < np; i++) {
                    if (pcLayer[i] < -1 || pcLayer[i] >= nl) {
                        throw bad("pc " + i + " names layer " + pcLayer[i] + " of " + nl);
                    }
                }
                section = "tensors";
                int nt = count(20, "tensor");
                List<TensorDesc> tensors = new ArrayList<>(nt);
                for (int i = 0; i < nt; i++) {
                    String name = str();
                    String onnx = str();
                    int role = whole.get();
                    DType dt = DType.fromOnnx(whole.get());
                    if (role < 0 || role >= TensorDesc.Role.values().length || dt == null) {
                        throw bad("tensor " + name + " has an unknown role or type");
                    }
                    int rank = whole.get();
                    if (rank < 0 || rank > 8 || rank * 8 > whole.remaining()) {
                        throw bad("tensor " + name + " has rank " + rank);
                    }
                    long[] shape = new long[rank];
                    for (int j = 0; j < rank; j++) {
                        shape[j] = whole.getLong();
                        // a dim beyond DRAM cannot be stored; checked here so that the element count cannot
                        // overflow a long (found by ProgramFuzzTest)
                        if (shape[j] < 0 || shape[j] > dramSize) {
                            throw bad("tensor " + name + " dim " + j + " = " + shape[j] + " is negative or exceeds DRAM of "
                                    + dramSize + " bytes");
                        }
                    }
                    int addr = whole.getInt();
                    int axis = whole.getInt();
                    int ns = count(8, "scale");
                    float[] scales = new float[ns];
                    int[] zps = new int[ns];
                    for (int j = 0; j < ns; j++) {
                        scales[j] = whole.getFloat();
                    }
                    for (int j = 0; j < ns; j++) {
                        zps[j] = whole.getInt();
                    }
                    int nb = count(4, "epilogue bias");
                    float[] bias = new float[nb];
                    for (int j = 0; j < nb; j++) {
                        bias[j] = whole.getFloat();
                    }
                    TensorDesc t;
                    try {
                        t = new TensorDesc(name, onnx, TensorDesc.Role.values()[role], dt, shape, addr, scales, zps, axis, bias);
                    } catch (IllegalArgumentException e) {
                        throw bad("tensor " + name + ": " + e.getMessage());
                    }
                    long tensorBytes;
                    try {
                        tensorBytes = t.bytes();
                    } catch (ArithmeticException e) {
                        throw bad("tensor " + name + " of shape " + Arrays.toString(shape) + " has more elements than a long holds");
                    }
                    if (addr < 0 || tensorBytes > dramSize - (long) addr) {
                        throw bad("tensor " + name + " at 0x" + Integer.toHexString(addr) + " of " + tensorBytes
                                + " bytes lies outside DRAM of " + dramSize + " bytes");
                    }
                    tensors.add(t);
                }
                if (whole.remaining() != 0) {
                    throw bad(whole.remaining() + " unexpected bytes after the last section");
                }
                return new Program(configName, configHash, mode, model, code, descs, dramSize, image, tensors, layers, pcLayer);
            } catch (BufferUnderflowException e) {
                throw bad("file ends in the middle of a field");
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
        }
    }
}
