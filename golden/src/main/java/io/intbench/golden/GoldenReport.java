package io.intbench.golden;

import io.intbench.sim.SimReport;
import java.util.List;

/** The {@code golden --report} JSON of DESIGN.md. */
public record GoldenReport(String model, String requant, int toleranceLsb, Reference reference, SimReport simulation,
                           List<Comparison> comparisons, NoFloat noFloat) {

    public record Reference(String runtime, String version, String cpu) { }

    public record Comparison(String reference, Totals totals, List<TensorComparison> tensors) { }

    /**
     * Sums over the tensors of one comparison.
     *
     * @param floatInOrtTensors    tensors of groups ONNX Runtime computes in float (judged within 1 LSB)
     * @param floatInOrtElements   their elements
     * @param floatInOrtMismatches how many of those elements differ
     */
    public record Totals(long tensors, long elements, long exact, long maxAbsDiffLsb, long mismatches, double mismatchRate,
                         long floatInOrtTensors, long floatInOrtElements, long floatInOrtMismatches,
                         double floatInOrtMismatchRate, long floatInOrtMaxAbsDiffLsb) {
        public Totals(long tensors, long elements, long exact, long maxAbsDiffLsb) {
            this(tensors, elements, exact, maxAbsDiffLsb, elements - exact, rate(elements - exact, elements), 0, 0, 0, 0, 0);
        }
    }

    /**
     * One tensor compared element by element, in units of the tensor's quantization step (LSB).
     *
     * @param firstDiffIndex flat index of the first differing element, -1 when all agree
     * @param floatInOrt     why ONNX Runtime computes this tensor's group in float ("" when it runs an integer
     *                       kernel and the tensor must agree exactly)
     */
    public record TensorComparison(String name, String dtype, long elements, long exact, long maxAbsDiffLsb,
                                   long firstDiffIndex, String note, long mismatches, double mismatchRate, String floatInOrt) {
        public TensorComparison(String name, String dtype, long elements, long exact, long maxAbsDiffLsb, long firstDiffIndex,
                                String note) {
            this(name, dtype, elements, exact, maxAbsDiffLsb, firstDiffIndex, note, elements - exact,
                    rate(elements - exact, elements), "");
        }

        public boolean inFloatGroup() { return !floatInOrt.isEmpty(); }

        TensorComparison floatInOrt(String reason) {
            return new TensorComparison(name, dtype, elements, exact, maxAbsDiffLsb, firstDiffIndex, note, mismatches,
                    mismatchRate, reason);
        }
    }

    static double rate(long part, long whole) {
        return whole == 0 ? 0 : (double) part / whole;
    }

    /**
     * The no-float audit: how many floating-point operations the compiled program performs between the
     * model's input quantization and its output dequantization, and the types of the tensors that
     * pass between layers.
     */
    public record NoFloat(int floatOpsBetweenLayers, List<String> interLayerTensorTypes, int softFloatInstructions) {
        public NoFloat(int floatOpsBetweenLayers, List<String> interLayerTensorTypes) {
            this(floatOpsBetweenLayers, interLayerTensorTypes, 0);
        }
    }

    public Comparison comparison(String reference) {
        return comparisons.stream().filter(c -> c.reference().equals(reference)).findFirst().orElse(null);
    }
}
