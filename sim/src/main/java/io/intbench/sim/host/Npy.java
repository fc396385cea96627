package io.intbench.sim.host;

import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes NumPy {@code .npy} files, the host's format for model inputs and outputs.
 *
 * <p>Format (NumPy Enhancement Proposal 1, {@code numpy/lib/format.py}): the magic {@code \x93NUMPY},
 * a major and minor version byte, the header length (2 bytes little-endian in version 1.0, 4 bytes in
 * 2.0 and 3.0), then a Python dict literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }} padded with spaces and
 * ending in a newline, then the raw elements. Version 3.0 only changes the header's encoding from
 * Latin-1 to UTF-8.
 *
 * <p>Supported element types: {@code <f4}, {@code |u1}/{@code <u1}, {@code |i1}/{@code <i1},
 * {@code <i4}, {@code <i8}, and {@code <f8}, which is <b>converted to float32</b> (round to nearest)
 * on reading because intbench carries no float64 tensors; a float64 file therefore reads back as a
 * FLOAT32 tensor. Only C (row-major) order and little-endian data are accepted; anything else is an
 * {@link IntbenchException.InvalidInput} naming the file and what to do about it, never a silent
 * reinterpretation.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy refuses headers above 10000 bytes by default (max_header_size); a little more room here. */
    private static final int MAX_HEADER_BYTES = 65536;
    /** A Java byte array holds at most this many bytes; larger tensors cannot be held as a HostTensor. */
    private static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 8;
    /** NumPy pads the whole preamble to a multiple of 64 bytes (format.ARRAY_ALIGN) so data can be mapped aligned. */
    private static final int ALIGN = 64;

    private Npy() {}

    /** How a descr maps to a host type: element size in the file and the tensor type it becomes. */
    private record Source(DType dtype, int fileBytes, boolean float64) {}

    /** Reads a {@code .npy} file into a host tensor (float64 is narrowed to float32). */
    public static HostTensor read(Path file) {
        byte[] bytes;
        try {
            // Check the size first so that a huge file is refused before it is read into memory.
            long size = Files.size(file);
            if (size > MAX_DATA_BYTES + MAX_HEADER_BYTES) {
                throw invalid(file, "file is " + size + " bytes; intbench holds tensors in memory and accepts at most "
                        + MAX_DATA_BYTES + " bytes of data");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IntbenchException.InvalidInput(file + ": no such .npy file", e);
        } catch (IOException e) {
            throw new IntbenchException.InvalidInput(file + ": cannot read .npy file: " + e, e);
        }
        return parse(file, bytes);
    }

    private static HostTensor parse(Path file, byte[] b) {
        if (b.length < MAGIC.length + 2 || !java.util.Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw invalid(file, "not a .npy file: it does not start with the magic bytes \\x93NUMPY");
        }
        int major = b[6] & 0xFF;
        int minor = b[7] & 0xFF;
        int lenBytes = switch (major) {
            case 1 -> 2;
            case 2, 3 -> 4;
            default -> throw invalid(file, "unsupported .npy format version " + major + "." + minor
                    + "; supported: 1.0, 2.0, 3.0");
        };
        if (minor != 0) {
            throw invalid(file, "unsupported .npy format version " + major + "." + minor + "; supported: 1.0, 2.0, 3.0");
        }
        int headerStart = 8 + lenBytes;
        if (b.length < headerStart) {
            throw invalid(file, "file ends inside the header length field (" + b.length + " bytes)");
        }
        long headerLen = lenBytes == 2
                ? (b[8] & 0xFF) | (b[9] & 0xFF) << 8
                : ByteBuffer.wrap(b, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
        if (headerLen > MAX_HEADER_BYTES) {
            throw invalid(file, "header length " + headerLen + " exceeds the limit of " + MAX_HEADER_BYTES
                    + " bytes; real headers are under 200 bytes, so the file is corrupt");
        }
        if (headerStart + headerLen > b.length) {
            throw invalid(file, "header says it is " + headerLen + " bytes but the file has only "
                    + (b.length - headerStart) + " bytes after the header length field");
        }
        String header = new String(b, headerStart, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict;
        try {
            dict = new HeaderParser(header).parseDict();
        } catch (IllegalArgumentException e) {
            throw invalid(file, "malformed header " + quote(header) + ": " + e.getMessage());
        }
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) {
                throw invalid(file, "header " + quote(header) + " has no '" + key + "' entry");
            }
        }
        if (dict.size() != 3) {
            throw invalid(file, "header " + quote(header) + " has keys other than descr, fortran_order, shape");
        }
        if (!(dict.get("descr") instanceof String descr)) {
            // A list descr is a structured (record) dtype.
            throw invalid(file, "structured dtype " + dict.get("descr") + " is not supported; save a plain numeric array");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw invalid(file, "header " + quote(header) + ": fortran_order must be True or False");
        }
        if (fortran) {
            throw invalid(file, "Fortran order is not supported; save with np.ascontiguousarray");
        }
        if (!(dict.get("shape") instanceof long[] shape)) {
            throw invalid(file, "header " + quote(header) + ": shape must be a tuple of integers");
        }
        Source src = source(file, descr);
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw invalid(file, "shape " + shapeText(shape) + " has a negative dimension");
            }
            if (d != 0 && elements > MAX_DATA_BYTES / d) {
                throw invalid(file, "shape " + shapeText(shape) + " has more elements than fit in memory");
            }
            elements *= d;
        }
        if (elements > MAX_DATA_BYTES / src.fileBytes()) {
            throw invalid(file, "shape " + shapeText(shape) + " of " + descr + " needs more than " + MAX_DATA_BYTES
                    + " bytes; intbench holds tensors in memory");
        }
        long expected = elements * src.fileBytes();
        long dataStart = headerStart + headerLen;
        long found = b.length - dataStart;
        if (found < expected) {
            throw invalid(file, "data is truncated: shape " + shapeText(shape) + " of " + descr + " needs " + expected
                    + " bytes after the " + dataStart + "-byte header, found " + found);
        }
        if (found > expected) {
            throw invalid(file, "file has " + (found - expected) + " bytes after the " + expected
                    + " data bytes that shape " + shapeText(shape) + " of " + descr + " accounts for");
        }
        byte[] data;
        if (src.float64()) {
            int n = (int) elements;
            ByteBuffer in = ByteBuffer.wrap(b, (int) dataStart, (int) expected).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer out = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                out.putFloat((float) in.getDouble());
            }
            data = out.array();
        } else {
            data = java.util.Arrays.copyOfRange(b, (int) dataStart, (int) (dataStart + expected));
        }
        return new HostTensor(src.dtype(), shape, data);
    }

    private static Source source(Path file, String descr) {
        return switch (descr) {
            case "<f4" -> new Source(DType.FLOAT32, 4, false);
            case "<f8" -> new Source(DType.FLOAT32, 8, true);
            case "|u1", "<u1" -> new Source(DType.UINT8, 1, false);
            case "|i1", "<i1" -> new Source(DType.INT8, 1, false);
            case "<i4" -> new Source(DType.INT32, 4, false);
            case "<i8" -> new Source(DType.INT64, 8, false);
            default -> {
                if (descr.startsWith(">")) {
                    throw invalid(file, "big-endian dtype '" + descr + "' is not supported; save with arr.astype('<"
                            + descr.substring(1) + "')");
                }
                throw invalid(file, "dtype '" + descr + "' is not supported; supported: <f4, <f8 (read as float32), "
                        + "|u1, |i1, <i4, <i8");
            }
        };
    }

    /**
     * Writes a tensor as a version 1.0 {@code .npy} file. The file is written under a temporary name in
     * the same folder and then moved over {@code file}, so a reader never sees a half-written file.
     */
    public static void write(Path file, HostTensor t) {
        String dict = "{'descr': '" + t.dtype().npyDescr() + "', 'fortran_order': False, 'shape': "
                + shapeText(t.shape()) + ", }";
        // Preamble = magic(6) + version(2) + length(2) + dict + padding + '\n', a multiple of ALIGN.
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int padded = (unpadded + ALIGN - 1) / ALIGN * ALIGN;
        int headerLen = padded - 10;
        if (headerLen > 0xFFFF) {
            throw new IntbenchException(file + ": shape " + shapeText(t.shape()) + " makes a header too long for .npy 1.0");
        }
        StringBuilder header = new StringBuilder(dict);
        header.append(" ".repeat(padded - unpadded)).append('\n');
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(MAGIC);
                out.write(new byte[] {1, 0, (byte) headerLen, (byte) (headerLen >>> 8)});
                out.write(header.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.write(t.data());
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new IntbenchException(file + ": cannot write .npy file: " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The write already failed and that failure is being reported; a stray temp file is secondary.
                }
            }
        }
    }

    /** Python's tuple repr, as NumPy writes it: {@code ()}, {@code (5,)}, {@code (1, 3)}. */
    private static String shapeText(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return s.append(')').toString();
    }

    private static IntbenchException.InvalidInput invalid(Path file, String what) {
        return new IntbenchException.InvalidInput(file + ": " + what);
    }

    private static String quote(String header) {
        String h = header.strip();
        return "\"" + (h.length() > 200 ? h.substring(0, 200) + "..." : h) + "\"";
    }

    /**
     * The subset of Python literal syntax that NumPy headers use: a dict of string keys to strings,
     * True/False, integer tuples, and lists (structured dtypes, reported as unsupported).
     */
    private static final class HeaderParser {
        private final String s;
        private int i;

        HeaderParser(String s) {
            this.s = s;
        }

        Map<String, Object> parseDict() {
            skip();
            expect('{');
            Map<String, Object> out = new LinkedHashMap<>();
            skip();
            while (peek() != '}') {
                Object key = value();
                if (!(key instanceof String k)) {
                    throw new IllegalArgumentException("dict key at offset " + i + " is not a string");
                }
                skip();
                expect(':');
                Object v = value();
                if (out.put(k, v) != null) {
                    throw new IllegalArgumentException("key '" + k + "' appears twice");
                }
                skip();
                if (peek() == ',') {
                    i++;
                    skip();
                } else if (peek() != '}') {
                    throw new IllegalArgumentException("expected ',' or '}' at offset " + i);
                }
            }
            i++;
            skip();
            if (i != s.length()) {
                throw new IllegalArgumentException("unexpected text after the dict at offset " + i);
            }
            return out;
        }

        private Object value() {
            skip();
            char c = peek();
            if (c == '\'' || c == '"') {
                int end = s.indexOf(c, i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated string at offset " + i);
                }
                String v = s.substring(i + 1, end);
                i = end + 1;
                return v;
            }
            if (c == '(' || c == '[') {
                char close = c == '(' ? ')' : ']';
                i++;
                List<Object> items = new ArrayList<>();
                skip();
                while (peek() != close) {
                    items.add(value());
                    skip();
                    if (peek() == ',') {
                        i++;
                        skip();
                    } else if (peek() != close) {
                        throw new IllegalArgumentException("expected ',' or '" + close + "' at offset " + i);
                    }
                }
                i++;
                if (c == '(' && items.stream().allMatch(o -> o instanceof Long)) {
                    return items.stream().mapToLong(o -> (Long) o).toArray();
                }
                return items;
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            int start = i;
            if (c == '-') {
                i++;
            }
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == start || (c == '-' && i == start + 1)) {
                throw new IllegalArgumentException("unexpected character '" + c + "' at offset " + start);
            }
            String digits = s.substring(start, i);
            if (i < s.length() && s.charAt(i) == 'L') {
                i++; // Python 2 long literal, as written by old NumPy versions
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("integer " + digits + " at offset " + start + " is out of range");
            }
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private char peek() {
            if (i >= s.length()) {
                throw new IllegalArgumentException("header ends early");
            }
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw new IllegalArgumentException("expected '" + c + "' at offset " + i + ", found '" + peek() + "'");
            }
            i++;
        }
    }
}
