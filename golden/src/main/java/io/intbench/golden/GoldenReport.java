package io.intbench.golden;

import io.intbench.sim.SimReport;
import java.util.List;

/** The {@code golden --report} JSON of DESIGN.md. */
public record GoldenReport(String model, String requant, int toleranceLsb, Reference reference, SimReport simulation,
                           List<Comparison> comparisons, NoFloat noFloat) {

    public record Reference(String runtime, String version, String cpu) { }

    public record Comparison(String reference, Totals totals, List<TensorComparison> tensors) { }

    public record Totals(long tensors, long elements, long exact, long maxAbsDiffLsb) { }

    /**
     * One tensor compared element by element, in units of the tensor's quantization step (LSB).
     *
     * @param firstDiffIndex flat index of the first differing element, -1 when all agree
     */
    public record TensorComparison(String name, String dtype, long elements, long exact, long maxAbsDiffLsb,
                                   long firstDiffIndex, String note) { }

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
