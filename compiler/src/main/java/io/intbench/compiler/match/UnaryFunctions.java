package io.intbench.compiler.match;

import io.intbench.compiler.graph.Node;
import java.util.function.DoubleUnaryOperator;

/**
 * The float functions of unary ONNX ops, for compile-time tables. Where ONNX defines the op with
 * float32 steps (HardSigmoid's {@code alpha * x + beta}) the steps are done in float32, as ONNX
 * Runtime's kernels do them; Tanh is ONNX Runtime's own approximation ({@link io.intbench.compiler.quant.OrtFloat#tanh});
 * the other transcendental functions are evaluated in double.
 */
final class UnaryFunctions {
    private UnaryFunctions() { }

    static DoubleUnaryOperator of(Node n) {
        // QLinearSigmoid / QLinearLeakyRelu (com.microsoft) tabulate the same float functions
        String op = n.opType().startsWith("QLinear") ? n.opType().substring("QLinear".length()) : n.opType();
        return switch (op) {
            // ORT's float Tanh is MLAS's rational approximation, not libm's (OrtFloat.tanh, pinned by FloatGroupsTest)
            case "Tanh" -> x -> io.intbench.compiler.quant.OrtFloat.tanh((float) x);
            case "Sigmoid" -> x -> 1.0 / (1.0 + Math.exp(-x));
            case "Exp" -> Math::exp;
            // ORT's float Erf (MlasComputeErf) is faithfully rounded (within 1 ulp): a double-precision erf gives
            // the same table unless a code's value lies within 1 ulp of a rounding boundary
            case "Erf" -> org.apache.commons.math3.special.Erf::erf;
            // ONNX Gelu (opset 20), approximate "none", in ORT's float steps: (x * 0.5f) * (erf(x * (float) M_SQRT1_2) + 1f)
            case "Gelu" -> {
                String approximate = n.attrString("approximate", "none");
                float sqrtHalf = (float) Math.sqrt(0.5);
                yield x -> {
                    float v = (float) x;
                    float e = (float) org.apache.commons.math3.special.Erf.erf(v * sqrtHalf);
                    return (v * 0.5f) * (e + 1f);
                };
            }
            case "Abs" -> Math::abs;
            case "Neg" -> x -> -x;
            case "Sqrt" -> Math::sqrt;
            case "Softplus" -> x -> Math.log1p(Math.exp(x));
            case "Identity" -> x -> x;
            case "HardSigmoid" -> {
                float alpha = n.attrFloat("alpha", 0.2f);
                float beta = n.attrFloat("beta", 0.5f);
                yield x -> Math.max(0f, Math.min(1f, alpha * (float) x + beta));
            }
            // HardSwish(x) = x * HardSigmoid(x) with alpha = 1/6, beta = 0.5 (ONNX opset 14)
            case "HardSwish" -> x -> (float) x * Math.max(0f, Math.min(1f, (float) x / 6f + 0.5f));
            case "LeakyRelu" -> {
                float alpha = n.attrFloat("alpha", 0.01f);
                yield x -> x >= 0 ? x : alpha * (float) x;
            }
            case "Elu" -> {
                float alpha = n.attrFloat("alpha", 1f);
                yield x -> x >= 0 ? x : alpha * (Math.exp(x) - 1);
            }
            default -> throw new IllegalArgumentException("no table function for " + n.opType());
        };
    }
}
