package io.intbench.golden;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import com.google.protobuf.InvalidProtocolBufferException;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import com.google.protobuf.InvalidProtocolBufferException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The golden reference: one ONNX Runtime session (the real native runtime through its Java API)
 * that takes and returns {@link HostTensor}s.
 *
 * <p>Why these session settings (see NUMERICS.md, "ONNX Runtime Java API notes"):
 * <ul>
 *   <li>{@code session.x64quantprecision = 1} always: on x86 CPUs with AVX2 but without VNNI,
 *       ORT's u8s8 kernels otherwise saturate 16-bit pair sums and return wrong integers;</li>
 *   <li>sequential execution, one inter-op thread, a caller-chosen intra-op thread count: the
 *       reference must be reproducible run to run;</li>
 *   <li>{@code optimized = true} is ORT's default level (ALL_OPT, QDQ groups fused into integer
 *       kernels such as QLinearConv); {@code false} is NO_OPT, which runs {@code DQ -> float op -> Q}
 *       literally. Golden compares against both because the two ORT paths differ by ±1 LSB on some
 *       outputs (DESIGN.md).</li>
 * </ul>
 * Tensors cross as little-endian bytes ({@link HostTensor}); ORT works in native byte order, so
 * the bytes are swapped on big-endian hosts.
 */
public final class OrtRunner implements AutoCloseable {

    /** Session config key that makes ORT's x64 quantized GEMM exact (onnxruntime_session_options_config_keys.h). */
    static final String X64_QUANT_PRECISION = "session.x64quantprecision";

    private final OrtEnvironment env;
    private final OrtSession session;
    private final List<String> inputNames;
    private final List<String> outputNames;
    private final Map<String, long[]> inputShapes;
    private final Map<String, DType> inputTypes;

    private OrtRunner(OrtEnvironment env, OrtSession session, Set<String> unknownRank) throws OrtException {
        this.env = env;
        this.session = session;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, DType> types = new LinkedHashMap<>();
        // getInputInfo/getOutputInfo are LinkedHashMaps in the model's declaration order.
        for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
            TensorInfo ti = tensorInfo(e.getValue(), "input");
            types.put(e.getKey(), dtypeOf(ti, "input", e.getKey()));
            // ORT's Java API reports an input without a declared shape as rank 0, like a scalar.
            if (!unknownRank.contains(e.getKey())) {
                shapes.put(e.getKey(), ti.getShape());
            }
        }
        this.inputNames = List.copyOf(types.keySet());
        this.outputNames = List.copyOf(session.getOutputInfo().keySet());
        this.inputShapes = Collections.unmodifiableMap(shapes);
        this.inputTypes = Collections.unmodifiableMap(types);
    }

    /**
     * Creates a session for a serialized ONNX model.
     *
     * @param modelBytes     the model file's bytes
     * @param optimized      true: ORT's default optimisation level (ALL_OPT, QDQ fusion);
     *                       false: NO_OPT, the graph run node by node as written
     * @param intraOpThreads threads for one kernel (1 for the most reproducible timing)
     * @throws IntbenchException.UnsupportedModel when ONNX Runtime refuses the model (its message is kept)
     */
    public static OrtRunner open(byte[] modelBytes, boolean optimized, int intraOpThreads) {
        if (intraOpThreads < 1) {
            throw new IntbenchException.InvalidConfig("intraOpThreads must be >= 1, got " + intraOpThreads);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (SessionOptions opts = sessionOptions(optimized, intraOpThreads)) {
            OrtSession session = env.createSession(modelBytes, opts);
            try {
                return new OrtRunner(env, session, inputsOfUnknownRank(modelBytes));
            } catch (OrtException | RuntimeException e) {
                closeQuietly(session, e);
                throw e;
            }
        } catch (OrtException e) {
            throw new IntbenchException.UnsupportedModel("ONNX Runtime could not load the model: " + e.getMessage());
        }
    }

    /** Graph inputs whose type carries no shape; ORT has already accepted the bytes, so they parse. */
    private static Set<String> inputsOfUnknownRank(byte[] modelBytes) {
        Set<String> out = new HashSet<>();
        try {
            for (OnnxProto.ValueInfoProto vi : OnnxProto.ModelProto.parseFrom(modelBytes).getGraph().getInputList()) {
                if (!vi.getType().getTensorType().hasShape()) {
                    out.add(vi.getName());
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw new IntbenchException.MalformedModel("ONNX Runtime loaded the model but it is not a valid ModelProto: "
                    + e.getMessage(), e);
        }
        return out;
    }

    private static SessionOptions sessionOptions(boolean optimized, int intraOpThreads) throws OrtException {
        SessionOptions opts = new SessionOptions();
        try {
            opts.addConfigEntry(X64_QUANT_PRECISION, "1");
            opts.setIntraOpNumThreads(intraOpThreads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(optimized ? OptLevel.ALL_OPT : OptLevel.NO_OPT);
            return opts;
        } catch (OrtException | RuntimeException e) {
            opts.close();
            throw e;
        }
    }

    /**
     * Writes the graph ORT actually runs at its default optimisation level (fused QLinearConv,
     * QGemm, dropped Q/DQ pairs) to {@code out}; {@code explain} shows it next to intbench's own
     * matching. The file may use ORT-internal ops and layouts and is meant for reading, not for
     * running elsewhere.
     */
    public static void writeOptimizedModel(byte[] model, Path out) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (SessionOptions opts = sessionOptions(true, 1)) {
            opts.setOptimizedModelFilePath(out.toAbsolutePath().toString());
            // ORT warns on every such call that an ALL_OPT graph holds hardware-specific (NCHWc)
            // rewrites; that is expected here, the file documents this machine's execution.
            opts.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            // Creating the session performs the optimisation and writes the file; nothing is run.
            env.createSession(model, opts).close();
        } catch (OrtException e) {
            throw new IntbenchException.UnsupportedModel("ONNX Runtime could not load the model: " + e.getMessage());
        }
    }

    /** The ONNX Runtime version of the native library in use, e.g. {@code 1.29.0}. */
    public static String version() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    /** The model's inputs (without initializers), in declaration order. */
    public List<String> inputNames() { return inputNames; }

    /** The model's outputs, in declaration order. */
    public List<String> outputNames() { return outputNames; }

    /**
     * Input shapes as ORT reports them, in declaration order; a symbolic or unknown dimension is -1.
     * An input whose model declares no shape at all (unknown rank) is absent.
     */
    public Map<String, long[]> inputShapes() {
        Map<String, long[]> copy = new LinkedHashMap<>();
        inputShapes.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    /** Input element types. */
    public Map<String, DType> inputTypes() { return inputTypes; }

    /**
     * Runs the model once.
     *
     * @param inputs one tensor per model input, by name, of the declared type and (where static) shape
     * @return every graph output, in declaration order
     * @throws IntbenchException.InvalidInput when an input is missing, unknown, or of the wrong type or shape
     */
    public Map<String, HostTensor> run(Map<String, HostTensor> inputs) {
        checkInputs(inputs);
        Map<String, OnnxTensor> ortInputs = new LinkedHashMap<>();
        try {
            for (String name : inputNames) {
                ortInputs.put(name, toOrt(inputs.get(name)));
            }
            try (OrtSession.Result result = session.run(ortInputs)) {
                Map<String, HostTensor> out = new LinkedHashMap<>();
                for (String name : outputNames) {
                    Optional<OnnxValue> v = result.get(name);
                    if (v.isEmpty() || !(v.get() instanceof OnnxTensor t)) {
                        throw new IntbenchException.UnsupportedModel("ONNX Runtime output '" + name
                                + "' is not a dense tensor (found " + v.map(x -> x.getType().toString()).orElse("nothing") + ")");
                    }
                    out.put(name, fromOrt(t, name));
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IntbenchException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
        } finally {
            ortInputs.values().forEach(OnnxTensor::close);
        }
    }

    private void checkInputs(Map<String, HostTensor> inputs) {
        for (String given : inputs.keySet()) {
            if (!inputTypes.containsKey(given)) {
                throw new IntbenchException.InvalidInput("the model has no input named '" + given
                        + "'; its inputs are " + inputNames);
            }
        }
        for (String name : inputNames) {
            HostTensor t = inputs.get(name);
            if (t == null) {
                throw new IntbenchException.InvalidInput("missing value for model input '" + name + "' ("
                        + inputTypes.get(name) + " " + (inputShapes.containsKey(name) ? Arrays.toString(inputShapes.get(name)) : "of any shape") + ")");
            }
            if (t.dtype() != inputTypes.get(name)) {
                throw new IntbenchException.InvalidInput("model input '" + name + "' is " + inputTypes.get(name)
                        + ", found " + t.dtype());
            }
            long[] want = inputShapes.get(name);
            if (want == null) {
                continue;   // unknown rank: ORT checks what its kernels need
            }
            boolean fits = want.length == t.shape().length;
            for (int i = 0; fits && i < want.length; i++) {
                fits = want[i] < 0 || want[i] == t.shape()[i];
            }
            if (!fits) {
                throw new IntbenchException.InvalidInput("model input '" + name + "' has shape " + Arrays.toString(want)
                        + " (-1 = any), found " + Arrays.toString(t.shape()));
            }
        }
    }

    private OnnxTensor toOrt(HostTensor t) throws OrtException {
        // A direct buffer is handed to ORT without a copy; it must hold the elements in native order.
        ByteBuffer buf = ByteBuffer.allocateDirect(t.data().length).order(ByteOrder.nativeOrder());
        buf.put(toNativeOrder(t.data(), t.dtype().bytes()));
        buf.rewind();
        return OnnxTensor.createTensor(env, buf, t.shape(), javaType(t.dtype()));
    }

    private static HostTensor fromOrt(OnnxTensor t, String name) {
        TensorInfo info = t.getInfo();
        DType dtype = dtypeOf(info, "output", name);
        // getByteBuffer() copies the native memory: native byte order whatever the buffer's order flag says.
        ByteBuffer b = t.getByteBuffer();
        byte[] raw = new byte[b.remaining()];
        b.get(raw);
        return new HostTensor(dtype, info.getShape(), toNativeOrder(raw, dtype.bytes()));
    }

    /** Little-endian to native order and back (the same swap); a no-op on little-endian hosts. */
    private static byte[] toNativeOrder(byte[] data, int elementBytes) {
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN || elementBytes == 1) {
            return data;
        }
        byte[] out = new byte[data.length];
        for (int i = 0; i < data.length; i += elementBytes) {
            for (int j = 0; j < elementBytes; j++) {
                out[i + j] = data[i + elementBytes - 1 - j];
            }
        }
        return out;
    }

    private static OnnxJavaType javaType(DType d) {
        return switch (d) {
            case FLOAT32 -> OnnxJavaType.FLOAT;
            case UINT8 -> OnnxJavaType.UINT8;
            case INT8 -> OnnxJavaType.INT8;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
        };
    }

    private static TensorInfo tensorInfo(NodeInfo node, String role) {
        ValueInfo vi = node.getInfo();
        if (!(vi instanceof TensorInfo ti)) {
            throw new IntbenchException.UnsupportedModel("model " + role + " '" + node.getName()
                    + "' is not a tensor (found " + vi + ")");
        }
        return ti;
    }

    /**
     * Maps ORT's element type to the host type by name: {@code OnnxTensorType.value} is ORT's own
     * numbering in the Java API, not ONNX's TensorProto.DataType code, so it is not compared with
     * {@link DType#onnxCode()}.
     */
    private static DType dtypeOf(TensorInfo ti, String role, String name) {
        DType d = switch (ti.onnxType) {
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT -> DType.FLOAT32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 -> DType.UINT8;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 -> DType.INT8;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 -> DType.INT32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 -> DType.INT64;
            default -> null;
        };
        if (d == null) {
            throw new IntbenchException.UnsupportedModel("model " + role + " '" + name + "' has element type "
                    + ti.onnxType + "; intbench carries only float32, uint8, int8, int32 and int64 tensors");
        }
        return d;
    }

    private static void closeQuietly(AutoCloseable c, Throwable primary) {
        try {
            c.close();
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }

    /** Closes the ORT session; the shared environment stays open for other sessions. */
    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IntbenchException("ONNX Runtime could not close the session: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "OrtRunner[inputs=" + inputNames + ", outputs=" + outputNames + "]";
    }
}
