package io.intbench.golden;

import io.intbench.isa.DType;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns intermediate tensors of a model into extra graph outputs, so that one ONNX Runtime run
 * returns every quantized tensor and golden can compare them with the simulator layer by layer.
 *
 * <p>Expose only the outputs of QuantizeLinear nodes (the quantized inter-layer tensors): ORT's
 * QDQ fusion ({@code DQ -> Conv -> Q} into QLinearConv, ...) replaces the Q node but keeps its
 * output name; exposing a float tensor inside a QDQ group (a Conv's float output) would make ORT
 * keep that float node and run a different computation than the one being checked.
 *
 * <p>Measured limit (ORT 1.29, x86-64; pinned by {@code ExposeTensorsTest}): with <em>uint8</em>
 * activations the fused graph is unchanged by exposure. With <em>int8</em> activations ORT first
 * rewrites int8 Q/DQ pairs to uint8 and only then fuses; an exposed Q output is not rewritten, so
 * the layers on both sides of it stay unfused ({@code DQ -> float op -> Q}, the NO_OPT arithmetic).
 * Any extra consumer (Identity, a second DequantizeLinear) has the same effect.
 */
public final class ExposeTensors {

    private ExposeTensors() {
    }

    /**
     * Returns a copy of {@code model} whose graph outputs are the original outputs, in their order,
     * followed by {@code tensorNames} in the given order (names that already are outputs, or repeat,
     * are skipped).
     *
     * <p>Each added output gets a {@code ValueInfoProto} with the element type from {@code types};
     * when the graph's {@code value_info} already describes the tensor (with its shape), that entry
     * is reused after checking that its element type agrees. The shape may be absent: ORT infers it.
     *
     * @throws IntbenchException.InvalidInput when a name is not produced by any node, graph input or
     *         initializer, has no type in {@code types}, or its type disagrees with the model's value_info
     */
    public static OnnxProto.ModelProto expose(OnnxProto.ModelProto model, List<String> tensorNames, Map<String, DType> types) {
        OnnxProto.GraphProto graph = model.getGraph();
        Set<String> existing = new HashSet<>();
        for (OnnxProto.ValueInfoProto o : graph.getOutputList()) {
            existing.add(o.getName());
        }
        Set<String> available = new HashSet<>();
        graph.getInputList().forEach(i -> available.add(i.getName()));
        graph.getInitializerList().forEach(i -> available.add(i.getName()));
        for (OnnxProto.NodeProto n : graph.getNodeList()) {
            available.addAll(n.getOutputList());
        }
        Map<String, OnnxProto.ValueInfoProto> valueInfo = new HashMap<>();
        for (OnnxProto.ValueInfoProto vi : graph.getValueInfoList()) {
            valueInfo.put(vi.getName(), vi);
        }

        OnnxProto.GraphProto.Builder g = graph.toBuilder();
        for (String name : new LinkedHashSet<>(tensorNames)) {
            if (existing.contains(name)) {
                continue;
            }
            if (name.isEmpty() || !available.contains(name)) {
                throw new IntbenchException.InvalidInput("cannot expose tensor '" + name
                        + "': no node, graph input or initializer of graph '" + graph.getName() + "' produces it");
            }
            DType dtype = types.get(name);
            if (dtype == null) {
                throw new IntbenchException.InvalidInput("cannot expose tensor '" + name + "': no element type given for it");
            }
            OnnxProto.ValueInfoProto known = valueInfo.get(name);
            if (known != null && known.getType().hasTensorType() && known.getType().getTensorType().hasElemType()) {
                int declared = known.getType().getTensorType().getElemType();
                if (declared != dtype.onnxCode()) {
                    throw new IntbenchException.InvalidInput("cannot expose tensor '" + name + "' as " + dtype
                            + ": the model's value_info declares element type " + declared);
                }
                g.addOutput(known);
            } else {
                g.addOutput(OnnxProto.ValueInfoProto.newBuilder()
                        .setName(name)
                        .setType(OnnxProto.TypeProto.newBuilder()
                                .setTensorType(OnnxProto.TypeProto.Tensor.newBuilder().setElemType(dtype.onnxCode()))));
            }
        }
        return model.toBuilder().setGraph(g).build();
    }
}
