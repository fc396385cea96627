package io.intbench.compiler;

import io.intbench.isa.Descriptor;

/** The two requantization modes of DESIGN.md. */
public enum RequantMode {
    /** Integer emulation of ONNX Runtime's float32 requantization: bit-exact with ORT. */
    ORT("ort", Descriptor.REQUANT_ORT),
    /** gemmlowp / TFLite fixed-point multiplier and rounding shift: what most accelerators implement. */
    FIXED_POINT("fixed-point", Descriptor.REQUANT_FIXED_POINT);

    private final String cliName;
    private final int code;

    RequantMode(String cliName, int code) {
        this.cliName = cliName;
        this.code = code;
    }

    public String cliName() { return cliName; }

    public int code() { return code; }

    public static RequantMode parse(String s) {
        for (RequantMode m : values()) {
            if (m.cliName.equals(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("requant mode '" + s + "' is neither 'ort' nor 'fixed-point'");
    }

    @Override
    public String toString() { return cliName; }
}
