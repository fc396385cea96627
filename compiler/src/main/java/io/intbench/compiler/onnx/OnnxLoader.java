package io.intbench.compiler.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads ONNX model files: parses the protobuf, checks that it is an ONNX model of an opset intbench
 * supports, and inlines external tensor data so that later stages see self-contained initializers.
 * Every failure names the file and what is wrong with it ("malformed" for broken files,
 * "unsupported" for valid models intbench does not handle).
 */
public final class OnnxLoader {
    /** Default-domain opsets intbench's operator semantics are written for. */
    public static final int MIN_OPSET = 10, MAX_OPSET = 21;

    private OnnxLoader() {
    }

    /** Loads a model file; external data is read relative to the file's folder. */
    public static OnnxProto.ModelProto load(Path file) {
        byte[] bytes;
        try {
            bytes = readFile(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IntbenchException.InvalidInput("model file " + file + " does not exist", e);
        } catch (IOException | SecurityException e) {
            throw new IntbenchException.InvalidInput("cannot read model file " + file + ": " + describe(e), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(bytes, file.toString(), dir, true);
    }

    /** Bytes read from the file per call: a small buffer the JDK reuses. */
    private static final int READ_CHUNK = 1 << 16;

    /**
     * The file's bytes, read in {@value #READ_CHUNK}-byte pieces straight into one array of the file's size.
     * {@link Files#readAllBytes} reads through a temporary native buffer as large as the file, and in a fresh
     * JVM touching the pages of a new buffer costs about 3 ms per MB (the compile of a 12 MB model, ~35 ms).
     */
    private static byte[] readFile(Path file) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 8) {
                return Files.readAllBytes(file);            // refuses it as it refuses any too large file
            }
            byte[] bytes = new byte[(int) size];
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.position() < bytes.length) {
                b.limit(Math.min(bytes.length, b.position() + READ_CHUNK));
                if (ch.read(b) < 0) {
                    return Arrays.copyOf(bytes, b.position());  // it shrank while being read
                }
            }
            return ch.read(ByteBuffer.allocate(1)) > 0 ? Files.readAllBytes(file) : bytes;  // it grew: read it again
        }
    }

    /** Parses an in-memory model; one with external data fails (it has no folder to read it from). */
    public static OnnxProto.ModelProto parse(byte[] bytes, String sourceName) {
        return parse(bytes, sourceName, null);
    }

    /**
     * Parses a model, validates it and inlines external data.
     *
     * @param baseDir folder external data locations are relative to, or null when there is none
     */
    public static OnnxProto.ModelProto parse(byte[] bytes, String sourceName, Path baseDir) {
        return parse(bytes, sourceName, baseDir, false);
    }

    /**
     * As {@link #parse(byte[], String, Path)}; with {@code alias} the model's bytes fields (raw_data: the
     * weights) are views of {@code bytes} instead of copies, which saves copying most of the file; only for an
     * array nobody changes afterwards (one read from a file here).
     */
    private static OnnxProto.ModelProto parse(byte[] bytes, String sourceName, Path baseDir, boolean alias) {
        // protobuf aliases bytes fields only when reading input it is told is immutable
        CodedInputStream in = alias ? UnsafeByteOperations.unsafeWrap(bytes).newCodedInput() : CodedInputStream.newInstance(bytes);
        in.enableAliasing(alias);
        in.setSizeLimit(Integer.MAX_VALUE);
        in.setRecursionLimit(1000); // subgraphs nest; protobuf's default of 100 is for untrusted RPC messages
        OnnxProto.ModelProto model;
        try {
            model = OnnxProto.ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new IntbenchException.MalformedModel(sourceName + " (" + bytes.length + " bytes) is not a valid"
                    + " ONNX protobuf: " + e.getMessage() + " (near byte offset " + in.getTotalBytesRead() + ")", e);
        } catch (IOException e) {
            throw new IntbenchException.MalformedModel(sourceName + " (" + bytes.length + " bytes) cannot be parsed: "
                    + describe(e), e);
        }
        validate(model, sourceName);
        return inlineExternalData(model, sourceName, baseDir);
    }

    /**
     * Checks what makes a parsed protobuf an ONNX model intbench can read: ir_version and graph present
     * (protobuf happily parses many unrelated files into an empty message), default-domain opset in
     * [{@value #MIN_OPSET}, {@value #MAX_OPSET}].
     */
    public static void validate(OnnxProto.ModelProto model, String sourceName) {
        if (!model.hasIrVersion() || !model.hasGraph()) {
            throw new IntbenchException.MalformedModel(sourceName + " parses as protobuf but is not an ONNX model: "
                    + (model.hasIrVersion() ? "" : "no ir_version") + (!model.hasIrVersion() && !model.hasGraph() ? ", " : "")
                    + (model.hasGraph() ? "" : "no graph"));
        }
        Long opset = null;
        for (OnnxProto.OperatorSetIdProto o : model.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                opset = o.getVersion();
            }
        }
        if (opset == null) {
            throw new IntbenchException.MalformedModel(sourceName + " imports no opset of the default ONNX domain");
        }
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new IntbenchException.UnsupportedModel(sourceName + " uses ONNX opset " + opset + "; intbench supports"
                    + " opsets " + MIN_OPSET + " to " + MAX_OPSET + " (convert the model with onnx.version_converter)");
        }
    }

    /** Replaces every EXTERNAL initializer by one with raw_data read from its file (ONNX external-data spec). */
    private static OnnxProto.ModelProto inlineExternalData(OnnxProto.ModelProto model, String sourceName, Path baseDir) {
        OnnxProto.GraphProto g = model.getGraph();
        boolean any = g.getInitializerList().stream()
                .anyMatch(t -> t.getDataLocation() == OnnxProto.TensorProto.DataLocation.EXTERNAL);
        if (!any) {
            return model;
        }
        OnnxProto.GraphProto.Builder gb = g.toBuilder();
        for (int i = 0; i < gb.getInitializerCount(); i++) {
            OnnxProto.TensorProto t = gb.getInitializer(i);
            if (t.getDataLocation() == OnnxProto.TensorProto.DataLocation.EXTERNAL) {
                gb.setInitializer(i, readExternal(t, sourceName, baseDir));
            }
        }
        return model.toBuilder().setGraph(gb).build();
    }

    private static OnnxProto.TensorProto readExternal(OnnxProto.TensorProto t, String sourceName, Path baseDir) {
        String what = "initializer '" + t.getName() + "' of " + sourceName;
        String location = null;
        long offset = 0, length = -1;
        for (OnnxProto.StringStringEntryProto e : t.getExternalDataList()) {
            try {
                switch (e.getKey()) {
                    case "location" -> location = e.getValue();
                    case "offset" -> offset = Long.parseLong(e.getValue());
                    case "length" -> length = Long.parseLong(e.getValue());
                    default -> { } // checksum and future keys are not needed to read the bytes
                }
            } catch (NumberFormatException x) {
                throw new IntbenchException.MalformedModel(what + ": external_data " + e.getKey() + " '"
                        + e.getValue() + "' is not a number");
            }
        }
        if (location == null || location.isEmpty()) {
            throw new IntbenchException.MalformedModel(what + ": external data without a location");
        }
        if (baseDir == null) {
            throw new IntbenchException.MalformedModel(what + ": external data file '" + location
                    + "' cannot be read for a model parsed from memory");
        }
        Path base = baseDir.toAbsolutePath().normalize();
        Path file = base.resolve(location).normalize();
        // The ONNX spec makes locations relative to the model's folder; refusing escapes keeps a model from
        // reading arbitrary files of the machine it is compiled on.
        if (Path.of(location).isAbsolute() || location.replace('\\', '/').matches("(.*/)?\\.\\.(/.*)?") || !file.startsWith(base)) {
            throw new IntbenchException.MalformedModel(what + ": external data location '" + location
                    + "' leaves the model's folder " + base);
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long size = f.length();
            if (length < 0) {
                length = size - offset;
            }
            if (offset < 0 || length < 0 || offset > size || length > size - offset) {
                throw new IntbenchException.MalformedModel(what + ": external data offset " + offset + " + length "
                        + length + " is beyond the end of " + file + " (" + size + " bytes)");
            }
            if (length > Integer.MAX_VALUE - 8) {
                throw new IntbenchException.UnsupportedModel(what + ": " + length + " bytes of external data are too many");
            }
            byte[] data = new byte[(int) length];
            f.seek(offset);
            f.readFully(data);
            return t.toBuilder().clearExternalData().clearDataLocation().setRawData(ByteString.copyFrom(data)).build();
        } catch (IOException e) {
            throw new IntbenchException.MalformedModel(what + ": cannot read external data file " + file + ": "
                    + describe(e), e);
        }
    }

    private static String describe(Exception e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }
}
