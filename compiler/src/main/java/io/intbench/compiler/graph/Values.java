package io.intbench.compiler.graph;

/** What folding and inference may ask about the tensors already processed. */
interface Values {
    /** Type and shape, {@link ValueInfo#UNKNOWN} for unknown or absent ("") tensors. */
    ValueInfo info(String tensor);

    /** Constant value, or null. */
    Tensor constant(String tensor);
}
