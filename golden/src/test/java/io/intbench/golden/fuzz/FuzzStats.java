package io.intbench.golden.fuzz;

import io.intbench.golden.GoldenReport;
import io.intbench.onnx.OnnxProto.AttributeProto;
import io.intbench.onnx.OnnxProto.ModelProto;
import io.intbench.onnx.OnnxProto.NodeProto;
import io.intbench.onnx.OnnxProto.TensorProto;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts of a differential run: models, tensors and elements compared, mismatches, time; and the generator's
 * coverage, read from the ONNX models themselves (op types, Conv geometry), not from the specs, so that it
 * shows what actually reached the compiler and ONNX Runtime.
 */
final class FuzzStats {

    private long models;
    private long tensors;
    private long elements;
    private long mismatches;
    private long unoptimizedMismatches;
    private long floatInOrtTensors;
    private long floatInOrtElements;
    private long floatInOrtMismatches;
    private long fixedPointModels;
    private long fixedPointElements;
    private long fixedPointPerLayerDiffs;
    private long fixedPointMaxDiff;
    private long failures;
    private long nanos;
    private final long startNanos = System.nanoTime();
    private final Map<String, Long> coverage = new TreeMap<>();
    private final Map<String, Long> kernels = new TreeMap<>();

    synchronized void ortMode(GoldenReport.Totals optimized, GoldenReport.Totals unoptimized, long elapsedNanos) {
        models++;
        tensors += optimized.tensors();
        elements += optimized.elements();
        mismatches += optimized.elements() - optimized.exact();
        unoptimizedMismatches += unoptimized.elements() - unoptimized.exact();
        floatInOrtTensors += optimized.floatInOrtTensors();
        floatInOrtElements += optimized.floatInOrtElements();
        floatInOrtMismatches += optimized.floatInOrtMismatches();
        nanos += elapsedNanos;
    }

    synchronized void fixedPoint(GoldenReport.Totals perLayer, long elapsedNanos) {
        fixedPointModels++;
        fixedPointElements += perLayer.elements();
        fixedPointPerLayerDiffs += perLayer.elements() - perLayer.exact();
        fixedPointMaxDiff = Math.max(fixedPointMaxDiff, perLayer.maxAbsDiffLsb());
        nanos += elapsedNanos;
    }

    synchronized void failure() {
        failures++;
    }

    synchronized long models() {
        return models;
    }

    synchronized long mismatches() {
        return mismatches;
    }

    /** Records what one model contains: forms, ops, Conv geometry, activation and weight types. */
    synchronized void cover(ModelSpec spec, ModelProto m) {
        count("form " + spec.form() + " " + spec.act().name().toLowerCase());
        count("hw " + spec.hw());
        count("opset " + m.getOpsetImport(0).getVersion());
        Map<String, TensorProto> inits = new HashMap<>();
        for (TensorProto t : m.getGraph().getInitializerList()) {
            inits.put(t.getName(), t);
        }
        for (NodeProto n : m.getGraph().getNodeList()) {
            String op = n.getOpType();
            if (op.equals("QuantizeLinear") || op.equals("DequantizeLinear")) {
                continue;
            }
            count("op " + op);
            if (op.equals("Conv") || op.equals("QLinearConv")) {
                String wName = n.getInput(op.equals("Conv") ? 1 : 3);
                String base = wName.endsWith("_dq") ? wName.substring(0, wName.length() - 3) : wName;
                // fake-quantized weights: the float initializer behind QuantizeLinear
                TensorProto w = inits.getOrDefault(base, inits.get(base + "_float"));
                long group = intAttr(n, "group", 1);
                long perGroupIn = w != null ? w.getDims(1) : -1;
                if (group > 1 && perGroupIn == 1) {
                    count("conv depthwise");
                } else if (group > 1) {
                    count("conv grouped (1 < group, > 1 channel per group)");
                }
                List<Long> k = ints(n, "kernel_shape");
                kernels.merge(k.get(0) + "x" + k.get(1), 1L, Long::sum);
                List<Long> s = ints(n, "strides");
                if (s.get(0) > 1 || s.get(1) > 1) {
                    count("conv stride 2");
                }
                List<Long> d = ints(n, "dilations");
                if (d.get(0) > 1 || d.get(1) > 1) {
                    count("conv dilation 2");
                }
                List<Long> p = ints(n, "pads");
                String autoPad = strAttr(n, "auto_pad");
                if (autoPad != null) {
                    count("conv auto_pad " + autoPad);
                } else if (!p.get(0).equals(p.get(2)) || !p.get(1).equals(p.get(3))) {
                    count("conv asymmetric pads");
                } else if (p.stream().anyMatch(v -> v > 0)) {
                    count("conv symmetric pads");
                }
                if (w != null) {
                    count("conv weights " + (w.getDataType() == 3 ? "int8" : w.getDataType() == 2 ? "uint8" : "float (fake-quantized)"));
                }
                int biasIndex = op.equals("Conv") ? 2 : 8;
                count(n.getInputCount() > biasIndex ? (inits.containsKey(n.getInput(biasIndex)) && op.equals("Conv") ? "conv float bias"
                        : "conv int32 bias") : "conv no bias");
            }
            if (op.equals("Add") || op.equals("QLinearAdd")) {
                count("add (residual or broadcast)");
            }
        }
    }

    private void count(String key) {
        coverage.merge(key, 1L, Long::sum);
    }

    private static long intAttr(NodeProto n, String name, long dflt) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return dflt;
    }

    private static String strAttr(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getS().toStringUtf8();
            }
        }
        return null;
    }

    private static List<Long> ints(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getIntsList();
            }
        }
        return List.of(0L, 0L, 0L, 0L);
    }

    synchronized String summary() {
        StringBuilder sb = new StringBuilder();
        double wall = (System.nanoTime() - startNanos) / 1e9;
        sb.append(String.format("random-model differential run: %d models (ort mode) in %.1f s wall (%.1f s in compile+simulate+ORT,"
                        + " %.0f ms per model)%n", models, wall, nanos / 1e9, models == 0 ? 0.0 : nanos / 1e6 / models));
        sb.append(String.format("  vs ort-optimized: %d tensors, %d elements compared, %d mismatches%n", tensors, elements, mismatches));
        sb.append(String.format("    of which float in ORT (within 1 LSB): %d tensors, %d elements, %d mismatches%n", floatInOrtTensors,
                floatInOrtElements, floatInOrtMismatches));
        sb.append(String.format("  vs ort-unoptimized (reported, not judged: QDQ runs float kernels there): %d differing elements%n",
                unoptimizedMismatches));
        sb.append(String.format("  fixed-point mode: %d models, %d elements, %d differ per layer (max %d LSB)%n", fixedPointModels,
                fixedPointElements, fixedPointPerLayerDiffs, fixedPointMaxDiff));
        sb.append(String.format("  failing calls (incl. shrinking): %d%n", failures));
        sb.append("  generated specs filtered out by a still-excluded pattern (incl. shrinking candidates): ")
                .append(ModelSpecs.FILTERED.isEmpty() ? "none" : ModelSpecs.FILTERED.toString()).append('\n');
        sb.append("  generated specs run that contain a fixed pattern (incl. shrinking candidates): ")
                .append(ModelSpecs.SEEN.isEmpty() ? "none" : ModelSpecs.SEEN.toString()).append('\n');
        sb.append("  coverage (models or nodes):\n");
        coverage.forEach((k, v) -> sb.append(String.format("    %-52s %8d%n", k, v)));
        sb.append("    conv kernels:");
        kernels.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        sb.append('\n');
        return sb.toString();
    }
}
