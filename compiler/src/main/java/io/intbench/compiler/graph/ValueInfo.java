package io.intbench.compiler.graph;

import java.util.Arrays;

/**
 * What static inference knows about a tensor: element type and shape. The compiler needs both
 * fully known for every tensor it lowers; unknown parts stay visible so that a later check can
 * name the tensor instead of guessing.
 *
 * @param elemType ONNX {@code TensorProto.DataType} code, 0 when unknown
 * @param shape    static dims, null when unknown
 */
public record ValueInfo(int elemType, long[] shape) {
    /** Nothing known. */
    public static final ValueInfo UNKNOWN = new ValueInfo(0, null);

    public boolean hasShape() {
        return shape != null;
    }

    public int rank() {
        return shape == null ? -1 : shape.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ValueInfo v && v.elemType == elemType && Arrays.equals(v.shape, shape);
    }

    @Override
    public int hashCode() {
        return 31 * elemType + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return DataTypes.name(elemType) + (shape == null ? "[?]" : Arrays.toString(shape));
    }
}
