package io.intbench.isa;

/**
 * Root of intbench's failures. Subtypes name the failure class; each maps to an exit status of the
 * command-line contract (3 for invalid or unsupported input).
 */
public class IntbenchException extends RuntimeException {
    public IntbenchException(String message) {
        super(message);
    }

    public IntbenchException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The file is not a well-formed model (bad protobuf, missing fields, wrong sizes). */
    public static class MalformedModel extends IntbenchException {
        public MalformedModel(String message) { super(message); }
        public MalformedModel(String message, Throwable cause) { super(message, cause); }
    }

    /** The model is well-formed but cannot run integer-only (unsupported ops, not statically quantized). */
    public static class UnsupportedModel extends IntbenchException {
        public UnsupportedModel(String message) { super(message); }
    }

    /** A hardware configuration breaks a rule. */
    public static class InvalidConfig extends IntbenchException {
        public InvalidConfig(String message) { super(message); }
        public InvalidConfig(String message, Throwable cause) { super(message, cause); }
    }

    /** A program file is corrupt, truncated or for another configuration. */
    public static class InvalidProgram extends IntbenchException {
        public InvalidProgram(String message) { super(message); }
    }

    /** An input file (npy, image) is unreadable or does not fit the model. */
    public static class InvalidInput extends IntbenchException {
        public InvalidInput(String message) { super(message); }
        public InvalidInput(String message, Throwable cause) { super(message, cause); }
    }

    /** The simulated hardware reached an illegal state (out-of-bounds address, token underflow). */
    public static class SimulationTrap extends IntbenchException {
        public SimulationTrap(String message) { super(message); }
    }
}
