package io.intbench.compiler.quant;

/**
 * Unary float32 functions computed exactly as ONNX Runtime's CPU kernels compute them (x86-64 with AVX2 and
 * FMA3), for the compile-time tables of groups ORT leaves in float, where the function's float32 result feeds
 * further float arithmetic (a pooling sum) before any quantization, so that "correct to within the last bit"
 * is not enough: the table must hold ORT's exact bits. Only functions whose ORT kernel is known and reproduced
 * bit for bit are offered; {@link #of} returns null for the others.
 */
public final class OrtFloat {
    private OrtFloat() { }

    /** A float32 function. */
    @FunctionalInterface
    public interface Function {
        float apply(float x);
    }

    /** ORT's float function of a unary ONNX op, or null when no bit-exact model of its kernel is known. */
    public static Function of(String opType) {
        return switch (opType) {
            case "Tanh" -> OrtFloat::tanh;
            case "Relu" -> x -> x > 0f ? x : 0f;
            case "Neg" -> x -> -x;
            case "Abs" -> Math::abs;
            case "Identity" -> x -> x;
            default -> null;
        };
    }

    // MlasTanhConstants (onnxruntime/core/mlas/lib/tanh.cpp): Eigen's rational approximation on [-9, 9]
    private static final float LOWER = -9.0f;
    private static final float UPPER = 9.0f;
    private static final float ALPHA_13 = -2.76076847742355e-16f;
    private static final float ALPHA_11 = 2.00018790482477e-13f;
    private static final float ALPHA_9 = -8.60467152213735e-11f;
    private static final float ALPHA_7 = 5.12229709037114e-08f;
    private static final float ALPHA_5 = 1.48572235717979e-05f;
    private static final float ALPHA_3 = 6.37261928875436e-04f;
    private static final float ALPHA_1 = 4.89352455891786e-03f;
    private static final float BETA_6 = 1.19825839466702e-06f;
    private static final float BETA_4 = 1.18534705686654e-04f;
    private static final float BETA_2 = 2.26843463243900e-03f;
    private static final float BETA_0 = 4.89352518554385e-03f;

    /**
     * ONNX Runtime's float Tanh (MlasComputeTanh; on x86-64 with FMA3 its TanhKernelFma3): clamp to [-9, 9],
     * {@code p = x * P(x^2)} and {@code q = Q(x^2)} by Horner's rule with fused multiply-adds, then {@code p / q}.
     * Not libm's tanh: it differs from the correctly rounded value by a few ulps.
     */
    public static float tanh(float x) {
        float v = Math.min(UPPER, Math.max(LOWER, x));
        float v2 = v * v;
        float p = Math.fma(v2, ALPHA_13, ALPHA_11);
        p = Math.fma(p, v2, ALPHA_9);
        p = Math.fma(p, v2, ALPHA_7);
        p = Math.fma(p, v2, ALPHA_5);
        p = Math.fma(p, v2, ALPHA_3);
        p = Math.fma(p, v2, ALPHA_1);
        p = p * v;
        float q = Math.fma(v2, BETA_6, BETA_4);
        q = Math.fma(q, v2, BETA_2);
        q = Math.fma(q, v2, BETA_0);
        return p / q;
    }
}
