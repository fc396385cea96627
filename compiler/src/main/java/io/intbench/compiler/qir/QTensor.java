package io.intbench.compiler.qir;

import io.intbench.isa.DType;
import java.util.Arrays;

/**
 * A quantized activation tensor as one op sees it: storage name, 8-bit type, shape and the per-tensor
 * (scale, zero point) the op interprets it with. {@code constant} holds the codes of a constant
 * operand (a quantized bias added by QLinearAdd, say), null for activations.
 */
public record QTensor(String name, DType type, long[] shape, float scale, int zeroPoint, byte[] constant) {

    public QTensor {
        if (!type.isQuant8()) {
            throw new IllegalArgumentException(name + ": quantized activations must be uint8 or int8, not " + type);
        }
    }

    public QTensor(String name, DType type, long[] shape, float scale, int zeroPoint) {
        this(name, type, shape, scale, zeroPoint, null);
    }

    public long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public boolean signed() { return type == DType.INT8; }

    /** Same interpretation (type, scale bits, zero point). */
    public boolean sameParams(QTensor o) {
        return type == o.type && Float.floatToRawIntBits(scale) == Float.floatToRawIntBits(o.scale) && zeroPoint == o.zeroPoint;
    }

    @Override
    public String toString() {
        return name + ":" + type + Arrays.toString(shape) + " s=" + scale + " zp=" + zeroPoint;
    }
}
