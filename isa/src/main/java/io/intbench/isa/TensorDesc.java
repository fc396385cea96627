package io.intbench.isa;

import java.util.Arrays;

/**
 * A tensor the host can see in the program's DRAM: a model input it writes, an output it reads, or an
 * intermediate quantized tensor kept for layer-by-layer comparison.
 *
 * <p>Scales are float32 because the host uses them, outside the integer program, to quantize the
 * model's float input and to dequantize its float outputs; the accelerator never reads them.
 *
 * @param name     the ONNX name of the quantized tensor
 * @param onnxName the ONNX graph input/output this tensor is the quantized form of ("" for probes and
 *                 for inputs/outputs that are integer in the ONNX model itself)
 * @param axis     quantization axis for per-axis scales, -1 for per-tensor
 * @param epilogueBias for a float output only: a float bias the host adds, after dequantizing, along the last
 *                 axis (one value, or one per element of that axis), as ONNX Runtime's float {@code Add} after the
 *                 model's last DequantizeLinear does; empty for none. Like the dequantization, outside the program.
 */
public record TensorDesc(String name, String onnxName, Role role, DType dtype, long[] shape, int addr,
                         float[] scales, int[] zeroPoints, int axis, float[] epilogueBias) {

    /** What the host does with a tensor. */
    public enum Role { INPUT, OUTPUT, PROBE }

    public TensorDesc(String name, String onnxName, Role role, DType dtype, long[] shape, int addr, float[] scales,
                      int[] zeroPoints, int axis) {
        this(name, onnxName, role, dtype, shape, addr, scales, zeroPoints, axis, new float[0]);
    }

    public TensorDesc {
        if (epilogueBias.length > 0 && (role != Role.OUTPUT || onnxName.isEmpty() || shape.length == 0
                || (epilogueBias.length != 1 && epilogueBias.length != shape[shape.length - 1]))) {
            throw new IllegalArgumentException(name + ": an epilogue bias of " + epilogueBias.length
                    + " values needs a float output whose last axis has that many elements (or one value)");
        }
        if (scales.length != zeroPoints.length || scales.length == 0) {
            throw new IllegalArgumentException(name + ": " + scales.length + " scales and " + zeroPoints.length + " zero points");
        }
        if (axis < -1 || axis >= shape.length) {
            throw new IllegalArgumentException(name + ": axis " + axis + " outside the rank " + shape.length);
        }
        if (axis >= 0 && shape[axis] != scales.length) {
            throw new IllegalArgumentException(name + ": " + scales.length + " scales for axis of size " + shape[axis]);
        }
    }

    public long elements() { return HostTensor.elementCount(shape); }

    public long bytes() { return elements() * dtype.bytes(); }

    /** True when the ONNX boundary tensor is float and the host (de)quantizes it. */
    public boolean floatBoundary() { return !onnxName.isEmpty(); }

    @Override
    public String toString() {
        return role + " " + name + (onnxName.isEmpty() ? "" : " (" + onnxName + ")") + " " + dtype + Arrays.toString(shape)
                + " @0x" + Integer.toHexString(addr) + " scale=" + (scales.length == 1 ? String.valueOf(scales[0]) : scales.length + " values")
                + " zp=" + (zeroPoints.length == 1 ? String.valueOf(zeroPoints[0]) : "per-axis");
    }
}
