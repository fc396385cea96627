package io.intbench.compiler.match;

import io.intbench.compiler.graph.Node;
import io.intbench.isa.DType;

/**
 * Predicts which QDQ groups ONNX Runtime (default optimisation level) does not fuse into an integer kernel and
 * computes in float. Its QDQ selectors fuse {@code DQ -> Conv | Gemm | MatMul -> Q} only when the op's output goes
 * straight to the QuantizeLinear; an activation in between must first be removed by one of two rewrite rules
 * (onnxruntime/core/optimizer/qdq_transformer/): ReluQuantFusion removes a Relu whose QuantizeLinear's zero point is
 * qmin, ClipQuantFusion a Clip whose bounds cover the QuantizeLinear's whole range up to float epsilon. There is no
 * such rule for LeakyRelu. Where the activation stays, ORT runs the op in float (FusedConv with the activation,
 * float accumulation), and its float rounding can differ from any integer requantization by one step at near-ties.
 * Compile time only (reads float scales); the prediction is checked against ORT by the golden tests.
 *
 * <p>Newer ORT sources also let the QDQ selector itself skip a Clip whose quantized bounds
 * {@code rint(min / scale) + zp <= qmin} and {@code rint(max / scale) + zp >= qmax} ({@code IsClipMadeRedundantByQ}
 * in qdq_util.cc), which also accepts a Clip cutting less than half a step off the range. The two rules differ only
 * for Clip bounds within half a step of the range's ends, and there ONNX Runtime 1.29 refuses to load the model
 * ("two nodes with same node name", measured with Clip(0, 6) over [0, 6.01], {@code FloatInOrtTest}); outside that
 * band both agree, and the tests check the prediction against ORT's optimised graph.
 */
public final class OrtFusion {
    private OrtFusion() { }

    /** The reason recorded for Conv -> LeakyRelu -> Q. */
    public static final String LEAKY_RELU = "ONNX Runtime has no QDQ fusion of Conv + LeakyRelu";

    /**
     * Why ORT keeps the Relu or Clip {@code act} before a QuantizeLinear with {@code scale}, {@code zp} of type
     * {@code t}, or null when one of its rules removes it.
     *
     * @param clip Clip's float bounds {min, max}; null for Relu
     */
    public static String whyActivationKept(Node act, float[] clip, float scale, int zp, DType t) {
        if (clip == null) {
            // ReluQuantFusion: the zero point must be -128 (int8) or 0 (uint8)
            return zp == t.qmin() ? null : "ReluQuantFusion does not remove Relu '" + act.name() + "': the output zero point "
                    + zp + " is not qmin " + t.qmin();
        }
        // ClipQuantFusion, in float32 as ORT computes it: lower = scale * (qmin - zp), upper = scale * (qmax - zp)
        float lower = scale * (float) (t.qmin() - zp);
        float upper = scale * (float) (t.qmax() - zp);
        float eps = Math.ulp(1f);
        if (clip[0] - lower <= eps && upper - clip[1] <= eps) {
            return null;
        }
        return "ClipQuantFusion does not remove Clip '" + act.name() + "': its bounds [" + clip[0] + ", " + clip[1]
                + "] cut inside the output range [" + lower + ", " + upper + "]";
    }

    /** The consequence, appended to a reason: which op ORT computes in float. */
    public static String floatGroup(String op) {
        return ", so ONNX Runtime does not fuse the group into an integer " + switch (op) {
            case "Conv" -> "QLinearConv";
            case "Gemm" -> "QGemm";
            default -> "QLinearMatMul";
        } + " and computes the " + op + " in float";
    }
}
