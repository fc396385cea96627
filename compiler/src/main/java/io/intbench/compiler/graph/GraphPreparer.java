package io.intbench.compiler.graph;

import io.intbench.compiler.onnx.OnnxLoader;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Turns a loaded ModelProto into a {@link Graph} the compiler can lower: binds symbolic input
 * dims, sorts the nodes topologically, folds constant subgraphs, infers the static type and shape of
 * every tensor, and removes nodes that no graph output depends on.
 * <p>
 * Nodes are folded and inferred in one pass in topological order, so a Shape whose input shape has
 * just been inferred folds, and what depends on it folds in turn. Shapes stored in the model
 * (value_info, graph outputs) are only hints: inferred shapes win, and a contradiction is an error
 * because it means the model and intbench disagree about what the graph computes.
 */
public final class GraphPreparer implements Values {
    private final OnnxProto.ModelProto model;
    private final OnnxProto.GraphProto g;
    private final Map<String, Long> dims = new HashMap<>();
    private final Map<String, Long> opsets = new LinkedHashMap<>();
    private final Map<String, Tensor> constants = new LinkedHashMap<>();
    private final Map<String, ValueInfo> infos = new HashMap<>();
    /** Declared types/shapes; -1 marks a dim the model leaves symbolic and no binding resolves. */
    private final Map<String, ValueInfo> declared = new HashMap<>();
    private final List<String> inputs = new ArrayList<>();

    private GraphPreparer(OnnxProto.ModelProto model, Map<String, Long> dimBindings) {
        this.model = model;
        this.g = model.getGraph();
        dimBindings.forEach((k, v) -> {
            if (v == null || v <= 0) {
                throw new IntbenchException.InvalidInput("dimension binding " + k + "=" + v + " must be positive");
            }
        });
        dims.putAll(dimBindings);
    }

    /**
     * Prepares a model for compilation.
     *
     * @param model       a model as returned by {@link OnnxLoader}
     * @param dimBindings values for symbolic input dims by dim_param name; unbound ones become 1
     */
    public static Graph prepare(OnnxProto.ModelProto model, Map<String, Long> dimBindings) {
        OnnxLoader.validate(model, "model '" + model.getGraph().getName() + "'");
        return new GraphPreparer(model, dimBindings == null ? Map.of() : dimBindings).run();
    }

    @Override
    public ValueInfo info(String tensor) {
        return tensor.isEmpty() ? ValueInfo.UNKNOWN : infos.getOrDefault(tensor, ValueInfo.UNKNOWN);
    }

    @Override
    public Tensor constant(String tensor) {
        return constants.get(tensor);
    }

    private Graph run() {
        for (OnnxProto.OperatorSetIdProto o : model.getOpsetImportList()) {
            opsets.put(Node.normalizeDomain(o.getDomain()), o.getVersion());
        }
        for (OnnxProto.TensorProto t : g.getInitializerList()) {
            constants.put(t.getName(), Tensor.fromProto(t, "initializer '" + t.getName() + "'"));
        }
        for (OnnxProto.ValueInfoProto p : g.getInputList()) {
            if (!constants.containsKey(p.getName())) {
                inputs.add(p.getName());
                ValueInfo vi = declaredInfo(p, true);
                checkSize(p.getName(), vi);
                infos.put(p.getName(), vi);
            }
        }
        for (OnnxProto.ValueInfoProto p : g.getValueInfoList()) {
            declared.put(p.getName(), declaredInfo(p, false));
        }
        for (OnnxProto.ValueInfoProto p : g.getOutputList()) {
            declared.put(p.getName(), declaredInfo(p, false));
        }
        constants.forEach((name, t) -> infos.put(name, merge(name, new ValueInfo(t.elemType(), t.dims()))));

        List<Node> live = new ArrayList<>();
        for (Node n : sortedNodes()) {
            Tensor folded = ConstantFolder.fold(n, this);
            if (folded != null) {
                constants.put(n.output(0), folded);
                infos.put(n.output(0), merge(n.output(0), new ValueInfo(folded.elemType(), folded.dims())));
                continue;
            }
            ValueInfo[] vi = ShapeInference.infer(n, this);
            for (int i = 0; i < vi.length; i++) {
                if (!n.output(i).isEmpty()) {
                    infos.put(n.output(i), merge(n.output(i), vi[i]));
                }
            }
            live.add(n);
        }
        List<String> outputs = g.getOutputList().stream().map(OnnxProto.ValueInfoProto::getName).toList();
        Set<String> needed = new HashSet<>(outputs);
        List<Node> kept = new ArrayList<>();
        for (int i = live.size() - 1; i >= 0; i--) {
            Node n = live.get(i);
            if (n.outputs().stream().anyMatch(needed::contains)) {
                kept.add(n);
                needed.addAll(n.inputs());
            }
        }
        Collections.reverse(kept);
        constants.keySet().retainAll(needed);
        return new Graph(g.getName(), kept, constants, inputs, outputs, infos, opsets, model);
    }

    /**
     * A graph input must fit in one Java array (at most 2^31-1 elements): a larger declared shape is refused from
     * the header, before anything is allocated, and before lowering narrows its dims to int (found by
     * OnnxFuzzTest, where a dim of 2^32 became 0).
     */
    private static void checkSize(String name, ValueInfo vi) {
        if (vi.shape() == null) {
            return;
        }
        long n = 1;
        for (long d : vi.shape()) {
            if (d > Integer.MAX_VALUE || (d > 0 && n > Integer.MAX_VALUE / d)) {
                throw new IntbenchException.UnsupportedModel("graph input '" + name + "' declares shape "
                        + Arrays.toString(vi.shape()) + ", more than the 2^31-1 elements a tensor may hold");
            }
            n *= Math.max(d, 0);
        }
    }

    /** Kahn's algorithm, taking ready nodes in model order; checks that every input has a source. */
    private List<Node> sortedNodes() {
        List<OnnxProto.NodeProto> protos = g.getNodeList();
        Set<String> names = new HashSet<>();
        protos.forEach(p -> names.add(p.getName()));
        Set<String> taken = new HashSet<>();
        Map<String, Integer> producer = new HashMap<>();
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < protos.size(); i++) {
            OnnxProto.NodeProto p = protos.get(i);
            String name = p.getName();
            if (name.isEmpty() || !taken.add(name)) { // synthesise a name no node carries
                String base = p.getOpType() + "_" + i;
                name = base;
                for (int k = 1; names.contains(name) || !taken.add(name); k++) {
                    name = base + "_" + k;
                }
            }
            Node n = new Node(p, name, i, (int) (long) opsets.getOrDefault(Node.normalizeDomain(p.getDomain()), 0L));
            nodes.add(n);
            for (String o : n.outputs()) {
                if (o.isEmpty()) {
                    continue;
                }
                Integer other = producer.put(o, i);
                if (other != null) {
                    throw new IntbenchException.MalformedModel("tensor '" + o + "' is produced by both node "
                            + nodes.get(other) + " and node " + n);
                }
                if (constants.containsKey(o) || inputs.contains(o)) {
                    throw new IntbenchException.MalformedModel("node " + n + " writes '" + o
                            + "', which is already a graph input or initializer");
                }
            }
        }
        int[] pending = new int[nodes.size()];
        List<List<Integer>> users = new ArrayList<>();
        nodes.forEach(n -> users.add(new ArrayList<>()));
        for (Node n : nodes) {
            for (String in : new HashSet<>(n.inputs())) {
                if (in.isEmpty() || constants.containsKey(in) || inputs.contains(in)) {
                    continue;
                }
                Integer p = producer.get(in);
                if (p == null) {
                    throw new IntbenchException.MalformedModel("node " + n + ": input '" + in
                            + "' is not produced by any node, initializer or graph input");
                }
                users.get(p).add(n.index());
                pending[n.index()]++;
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < pending.length; i++) {
            if (pending[i] == 0) {
                ready.add(i);
            }
        }
        List<Node> sorted = new ArrayList<>();
        while (!ready.isEmpty()) {
            int i = ready.poll();
            sorted.add(nodes.get(i));
            for (int u : users.get(i)) {
                if (--pending[u] == 0) {
                    ready.add(u);
                }
            }
        }
        if (sorted.size() < nodes.size()) {
            List<String> stuck = new ArrayList<>();
            for (int i = 0; i < pending.length && stuck.size() < 5; i++) {
                if (pending[i] > 0) {
                    stuck.add(nodes.get(i).toString());
                }
            }
            throw new IntbenchException.MalformedModel("the graph has a cycle: " + (nodes.size() - sorted.size())
                    + " node(s) wait on each other, e.g. " + String.join(", ", stuck));
        }
        for (String o : g.getOutputList().stream().map(OnnxProto.ValueInfoProto::getName).toList()) {
            if (!producer.containsKey(o) && !constants.containsKey(o) && !inputs.contains(o)) {
                throw new IntbenchException.MalformedModel("graph output '" + o + "' is not produced by any node");
            }
        }
        return sorted;
    }

    /**
     * Type and shape as the model declares them. Symbolic dims resolve through the bindings; at graph
     * inputs ({@code bind}) an unbound one becomes 1 and that choice holds for the same name elsewhere.
     */
    private ValueInfo declaredInfo(OnnxProto.ValueInfoProto p, boolean bind) {
        if (!p.hasType() || !p.getType().hasTensorType()) {
            return ValueInfo.UNKNOWN;
        }
        OnnxProto.TypeProto.Tensor t = p.getType().getTensorType();
        if (!t.hasShape()) {
            return new ValueInfo(t.getElemType(), null);
        }
        long[] s = new long[t.getShape().getDimCount()];
        for (int i = 0; i < s.length; i++) {
            OnnxProto.TensorShapeProto.Dimension d = t.getShape().getDim(i);
            String param = d.getDimParam();
            if (d.hasDimValue() && d.getDimValue() >= 0) {
                s[i] = d.getDimValue();
            } else if (dims.containsKey(param)) {
                s[i] = dims.get(param);
            } else if (bind) {
                s[i] = 1;
                if (!param.isEmpty()) {
                    dims.put(param, 1L);
                }
            } else {
                s[i] = -1;
            }
        }
        return new ValueInfo(t.getElemType(), s);
    }

    /** Inferred facts win; declared ones fill gaps; a contradiction between both is an error. */
    private ValueInfo merge(String tensor, ValueInfo inferred) {
        ValueInfo d = declared.get(tensor);
        if (d == null) {
            return inferred;
        }
        long[] s = inferred.shape(), ds = d.shape();
        if (s != null && ds != null) {
            boolean ok = s.length == ds.length;
            for (int i = 0; ok && i < s.length; i++) {
                ok = ds[i] < 0 || ds[i] == s[i];
            }
            if (!ok) {
                throw new IntbenchException.MalformedModel("tensor '" + tensor + "': inferred shape "
                        + Arrays.toString(s) + " contradicts the shape the model declares, " + show(ds));
            }
        }
        int t = inferred.elemType();
        if (t != 0 && d.elemType() != 0 && t != d.elemType()) {
            throw new IntbenchException.MalformedModel("tensor '" + tensor + "': inferred type " + DataTypes.name(t)
                    + " contradicts the type the model declares, " + DataTypes.name(d.elemType()));
        }
        if (s == null && ds != null && Arrays.stream(ds).allMatch(x -> x >= 0)) {
            s = ds;
        }
        return new ValueInfo(t != 0 ? t : d.elemType(), s);
    }

    private static String show(long[] s) {
        return Arrays.toString(Arrays.stream(s).mapToObj(x -> x < 0 ? "?" : Long.toString(x)).toArray());
    }
}
