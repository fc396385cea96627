package io.intbench.compiler.graph;

import io.intbench.onnx.OnnxProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A prepared ONNX graph: nodes in topological order after constant folding and dead-node removal,
 * constants by tensor name, and a static type and shape for every tensor inference could resolve.
 * Built by {@link GraphPreparer}; later stages read it and never mutate it.
 */
public final class Graph {
    private final String name;
    private final List<Node> nodes;
    private final Map<String, Tensor> constants;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, ValueInfo> valueInfos;
    private final Map<String, Long> opsets;
    private final OnnxProto.ModelProto model;
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();

    Graph(String name, List<Node> nodes, Map<String, Tensor> constants, List<String> inputs, List<String> outputs,
            Map<String, ValueInfo> valueInfos, Map<String, Long> opsets, OnnxProto.ModelProto model) {
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.constants = Collections.unmodifiableMap(constants);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.valueInfos = Collections.unmodifiableMap(valueInfos);
        this.opsets = Collections.unmodifiableMap(opsets);
        this.model = model;
        for (Node n : this.nodes) {
            for (String o : n.outputs()) {
                if (!o.isEmpty()) {
                    producers.put(o, n);
                }
            }
            for (String i : n.inputs()) {
                if (!i.isEmpty()) {
                    List<Node> c = consumers.computeIfAbsent(i, k -> new ArrayList<>());
                    if (!c.contains(n)) {
                        c.add(n);
                    }
                }
            }
        }
    }

    public String name() {
        return name;
    }

    /** Nodes in topological order (stable with respect to the model's order where possible). */
    public List<Node> nodes() {
        return nodes;
    }

    /** Initializers and folded values still used, by tensor name. */
    public Map<String, Tensor> constants() {
        return constants;
    }

    /** Graph inputs that are not initializers: what the caller feeds. */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** Static type and shape of a tensor; {@link ValueInfo#UNKNOWN} when not known, never null. */
    public ValueInfo valueInfo(String tensor) {
        return valueInfos.getOrDefault(tensor, ValueInfo.UNKNOWN);
    }

    /** The node producing a tensor, null for graph inputs and constants. */
    public Node producer(String tensor) {
        return producers.get(tensor);
    }

    /** Nodes reading a tensor, each once, in topological order. */
    public List<Node> consumers(String tensor) {
        return Collections.unmodifiableList(consumers.getOrDefault(tensor, List.of()));
    }

    public boolean isConstant(String tensor) {
        return constants.containsKey(tensor);
    }

    /** The constant value of a tensor, null when it is not constant. */
    public Tensor constant(String tensor) {
        return constants.get(tensor);
    }

    public boolean isGraphOutput(String tensor) {
        return outputs.contains(tensor);
    }

    /** Opset version by domain ("" for the default ONNX domain). */
    public Map<String, Long> opsets() {
        return opsets;
    }

    /** The model as loaded (before folding), e.g. to run it in ONNX Runtime. */
    public OnnxProto.ModelProto model() {
        return model;
    }
}
