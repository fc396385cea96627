package io.intbench.sim.host;

import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.IntbenchException;
import java.util.Arrays;

/**
 * The host side of the integer-only boundary: quantizes the model's float input before the integer
 * program runs and dequantizes its outputs afterwards, exactly as ONNX Runtime's QuantizeLinear and
 * DequantizeLinear kernels do. Float arithmetic is allowed here because this code is not part of the
 * simulated hardware; it plays the role of the host CPU that feeds the accelerator.
 *
 * <p>Exactness notes. QuantizeLinear is {@code MlasQuantizeLinear}
 * ({@code onnxruntime/core/mlas/lib/quantize.cpp}, SSE2 kernel used on x86-64): a true float32
 * division {@code x / scale}, clamp to {@code [qmin - zp, qmax - zp]} with {@code MAXPS}/{@code MINPS},
 * conversion with round-to-nearest-even ({@code cvtps2dq}), then {@code + zp}. DequantizeLinear is
 * {@code float(int32(q) - zp) * scale} in float32.
 */
public final class Boundary {

    private Boundary() {
    }

    /**
     * One element of ONNX Runtime's QuantizeLinear: {@code saturate(roundHalfEven(x / scale) + zp)}
     * with the division in float32.
     *
     * <p>Special values follow the x86 SSE kernel: {@code +-infinity} (also from a zero scale)
     * saturates to {@code qmax} / {@code qmin}; NaN gives {@code qmin}, because {@code MAXPS} returns its
     * second operand (the lower bound) when the first is NaN. (ORT's portable C++ fallback leaves NaN
     * undefined; the ARM64 kernel also yields the lower bound.) The clamp bounds are exact here; ORT
     * forms them as {@code float(qmin - zp)}, which is the same for every 8- and 16-bit type.
     */
    public static int quantizeLinear(float x, float scale, int zp, int qmin, int qmax) {
        if (qmin > qmax) {
            throw new IllegalArgumentException("qmin " + qmin + " > qmax " + qmax);
        }
        float q = x / scale;                                  // float32 division, as MlasDivideFloat32x4
        if (Float.isNaN(q)) {
            return qmin;
        }
        double lo = (double) qmin - zp;
        double hi = (double) qmax - zp;
        double clamped = Math.max(lo, Math.min(hi, q));       // bounds are integers: clamp and rounding commute
        return (int) (Math.rint(clamped) + zp);               // rint: round half to even, like cvtps2dq
    }

    /** One element of ONNX Runtime's DequantizeLinear: {@code (float) (q - zp) * scale} in float32. */
    public static float dequantizeLinear(int q, int zp, float scale) {
        return (float) ((long) q - zp) * scale;
    }

    /**
     * QuantizeLinear over a float32 tensor, per tensor ({@code scales.length == 1}; {@code axis} is
     * then ignored) or per axis ({@code scales.length == shape[axis]}, ONNX opset 13 semantics; a
     * negative axis counts from the end).
     *
     * @param zps one zero point per scale, in the range of {@code outType}
     * @param outType {@link DType#UINT8} or {@link DType#INT8}
     * @throws IntbenchException.InvalidInput if the tensor or the parameters do not fit together
     */
    public static HostTensor quantize(HostTensor floatIn, float[] scales, int[] zps, int axis, DType outType) {
        if (floatIn.dtype() != DType.FLOAT32) {
            throw new IntbenchException.InvalidInput("quantize: input tensor is " + floatIn.dtype() + ", expected FLOAT32");
        }
        if (!outType.isQuant8()) {
            throw new IntbenchException.InvalidInput("quantize: output type " + outType + " is not UINT8 or INT8");
        }
        for (int i = 0; i < zps.length; i++) {
            if (zps[i] < outType.qmin() || zps[i] > outType.qmax()) {
                throw new IntbenchException.InvalidInput("quantize: zero point [" + i + "] = " + zps[i]
                        + " is outside the range of " + outType + " [" + outType.qmin() + ", " + outType.qmax() + "]");
            }
        }
        Layout layout = Layout.of("quantize", floatIn.shape(), scales, zps, axis);
        float[] in = floatIn.toFloatArray();
        byte[] out = new byte[in.length];
        int qmin = outType.qmin();
        int qmax = outType.qmax();
        // runs of one channel: [i, i + inner) share a scale and a zero point
        int inner = (int) Math.max(1, layout.channels() == 1 ? in.length : Math.min(in.length, layout.inner()));
        for (int i = 0; i < in.length; i += inner) {
            int c = layout.channel(i);
            float scale = scales[c];
            int zp = zps[c];
            for (int j = i; j < Math.min(in.length, i + inner); j++) {
                out[j] = (byte) quantizeLinear(in[j], scale, zp, qmin, qmax);
            }
        }
        return new HostTensor(outType, floatIn.shape().clone(), out);
    }

    /**
     * DequantizeLinear of a UINT8, INT8 or INT32 tensor to float32, per tensor or per axis as
     * {@link #quantize}.
     *
     * @throws IntbenchException.InvalidInput if the tensor or the parameters do not fit together
     */
    public static HostTensor dequantize(HostTensor qIn, float[] scales, int[] zps, int axis) {
        DType t = qIn.dtype();
        if (t != DType.UINT8 && t != DType.INT8 && t != DType.INT32) {
            throw new IntbenchException.InvalidInput("dequantize: input tensor is " + t + ", expected UINT8, INT8 or INT32");
        }
        Layout layout = Layout.of("dequantize", qIn.shape(), scales, zps, axis);
        int[] in = qIn.toIntArray();
        float[] out = new float[in.length];
        for (int i = 0; i < in.length; i++) {
            int c = layout.channel(i);
            out[i] = dequantizeLinear(in[i], zps[c], scales[c]);
        }
        return HostTensor.ofFloats(qIn.shape(), out);
    }

    /**
     * The host epilogue after the output dequantization: {@code y[..., j] = x[..., j] + bias[j]} (or {@code + bias[0]}),
     * one float32 addition per element, as ONNX Runtime's float Add of a constant bias after the model's last
     * DequantizeLinear computes it.
     */
    public static HostTensor addBias(HostTensor x, float[] bias) {
        float[] v = x.toFloatArray();
        long[] s = x.shape();
        int last = s.length == 0 ? 1 : (int) s[s.length - 1];
        for (int i = 0; i < v.length; i++) {
            v[i] += bias[bias.length == 1 ? 0 : i % last];
        }
        return HostTensor.ofFloats(s, v);
    }

    /** Maps a flat C-order element index to its quantization channel. */
    private record Layout(long channels, long inner) {

        static Layout of(String what, long[] shape, float[] scales, int[] zps, int axis) {
            if (scales.length == 0 || scales.length != zps.length) {
                throw new IntbenchException.InvalidInput(what + ": " + scales.length + " scales and " + zps.length
                        + " zero points; expected the same non-zero number");
            }
            if (scales.length == 1) {
                return new Layout(1, 1);
            }
            int rank = shape.length;
            int a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) {
                throw new IntbenchException.InvalidInput(what + ": axis " + axis + " is out of range for shape "
                        + Arrays.toString(shape));
            }
            if (shape[a] != scales.length) {
                throw new IntbenchException.InvalidInput(what + ": " + scales.length + " scales for axis " + axis
                        + " of size " + shape[a] + " (shape " + Arrays.toString(shape) + ")");
            }
            long inner = 1;
            for (int d = a + 1; d < rank; d++) {
                inner *= shape[d];
            }
            return new Layout(shape[a], inner);
        }

        int channel(int flatIndex) {
            return (int) ((flatIndex / inner) % channels);
        }
    }
}
