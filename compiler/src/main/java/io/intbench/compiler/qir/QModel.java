package io.intbench.compiler.qir;

import java.util.List;
import java.util.Map;

/**
 * The model after matching: integer-only ops between the boundary quantization of the float inputs
 * and the boundary dequantization of the float outputs.
 *
 * @param probes quantized tensors worth comparing with ONNX Runtime (outputs of QuantizeLinear and QLinear* ops)
 * @param floatInOrt quantized tensors of groups ONNX Runtime does not fuse into an integer kernel but computes in
 *                   float before its QuantizeLinear, each with the reason (the ORT rule that does not apply); the
 *                   compiler's integer result may differ from ORT's float rounding by one step on such tensors
 *                   (intermediate tensors of a float chain, which ORT never quantizes, are listed too)
 */
public record QModel(String name, List<Input> inputs, List<QOp> ops, List<Output> outputs, List<String> probes,
                     Map<String, String> floatInOrt) {

    public QModel(String name, List<Input> inputs, List<QOp> ops, List<Output> outputs, List<String> probes) {
        this(name, inputs, ops, outputs, probes, Map.of());
    }

    /**
     * A model input: the ONNX graph input {@code onnxName} quantized into {@code q} by the host. When the
     * ONNX input is already integer, {@code onnxName} equals {@code q.name()} and {@code floatInput} is false.
     */
    public record Input(String onnxName, boolean floatInput, QTensor q, float[] scales, int[] zeroPoints, int axis) { }

    /**
     * A model output: {@code q} as is, or dequantized by the host to the float ONNX output
     * {@code onnxName} with the given (possibly per-axis) parameters, then, when {@code epilogueBias} is not
     * empty, plus that float bias along the last axis (a float Add after the model's last DequantizeLinear,
     * such as a Gemm's bias that the exporter left outside the quantized MatMul), also on the host.
     */
    public record Output(String onnxName, boolean floatOutput, QTensor q, float[] scales, int[] zeroPoints, int axis,
                         float[] epilogueBias) {
        public Output(String onnxName, boolean floatOutput, QTensor q, float[] scales, int[] zeroPoints, int axis) {
            this(onnxName, floatOutput, q, scales, zeroPoints, axis, new float[0]);
        }
    }
}
