package io.intbench.golden;

import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.onnx.OnnxProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sub-models that end in one quantized tensor, for reading intermediate tensors out of ONNX Runtime
 * without changing how it optimises the layers that produce them.
 *
 * <p>Why: with int8 activations, exposing a QuantizeLinear output as a graph output stops ORT's x86
 * int8-to-uint8 rewrite around it and with it the fusion into QLinearConv and friends (see
 * {@link ExposeTensors}). A sub-model that keeps only the nodes the tensor depends on and ends in
 * {@code Q -> DequantizeLinear -> output}, like the full model's own outputs, is optimised exactly
 * as the full model is. The float output is then turned back into the integer code:
 * {@code round(f / scale) + zp} recovers it exactly, because {@code f = float(q - zp) * scale}
 * differs from {@code (q - zp) * scale} by far less than half a step.
 */
final class ProbeModels {
    private ProbeModels() { }

    static final String SUFFIX = "__intbench_probe";

    /** The sub-model computing {@code tensor}, ending in a DequantizeLinear with the given parameters. */
    static OnnxProto.ModelProto truncatedAt(OnnxProto.ModelProto model, String tensor, float scale, int zp, DType type) {
        OnnxProto.GraphProto g = model.getGraph();
        Map<String, OnnxProto.NodeProto> producer = new HashMap<>();
        for (OnnxProto.NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                producer.put(o, n);
            }
        }
        Set<OnnxProto.NodeProto> keep = new HashSet<>();
        Set<String> needed = new HashSet<>();
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(tensor));
        while (!todo.isEmpty()) {
            String t = todo.pop();
            if (t.isEmpty() || !needed.add(t)) {
                continue;
            }
            OnnxProto.NodeProto p = producer.get(t);
            if (p != null && keep.add(p)) {
                todo.addAll(p.getInputList());
                for (OnnxProto.AttributeProto a : p.getAttributeList()) {
                    if (a.hasG()) {
                        throw new IllegalArgumentException("subgraph attributes are not supported in probes");
                    }
                }
            }
        }
        OnnxProto.GraphProto.Builder b = g.toBuilder().clearNode().clearInitializer().clearInput().clearOutput();
        for (OnnxProto.NodeProto n : g.getNodeList()) {
            if (keep.contains(n)) {
                b.addNode(n);
            }
        }
        for (OnnxProto.TensorProto t : g.getInitializerList()) {
            if (needed.contains(t.getName())) {
                b.addInitializer(t);
            }
        }
        for (OnnxProto.ValueInfoProto i : g.getInputList()) {
            if (needed.contains(i.getName())) {
                b.addInput(i);
            }
        }
        String s = tensor + SUFFIX + "_scale";
        String z = tensor + SUFFIX + "_zp";
        String out = tensor + SUFFIX;
        b.addInitializer(OnnxProto.TensorProto.newBuilder().setName(s).setDataType(DType.FLOAT32.onnxCode()).addFloatData(scale));
        b.addInitializer(OnnxProto.TensorProto.newBuilder().setName(z).setDataType(type.onnxCode()).addInt32Data(zp));
        b.addNode(OnnxProto.NodeProto.newBuilder().setOpType("DequantizeLinear").setName(out).addInput(tensor).addInput(s)
                .addInput(z).addOutput(out));
        b.addOutput(OnnxProto.ValueInfoProto.newBuilder().setName(out).setType(OnnxProto.TypeProto.newBuilder()
                .setTensorType(OnnxProto.TypeProto.Tensor.newBuilder().setElemType(DType.FLOAT32.onnxCode()))));
        // Cutting the graph removes consumers, and a QuantizeLinear left with a single DequantizeLinear consumer would be
        // rewritten to uint8 (and its groups fused) where the full model keeps it int8 and runs them in float. Exposing
        // such a tensor as a graph output keeps it int8 in the sub-model too, so ORT optimises it as the full model.
        Map<String, DType> keptInt8 = new java.util.LinkedHashMap<>();
        for (OnnxProto.NodeProto n : g.getNodeList()) {
            if (keep.contains(n) && n.getOpType().equals("QuantizeLinear") && keepsInt8InFullModel(g, n)) {
                keptInt8.put(n.getOutput(0), DType.INT8);
            }
        }
        OnnxProto.ModelProto sub = model.toBuilder().setGraph(b).build();
        return keptInt8.isEmpty() ? sub : ExposeTensors.expose(sub, new ArrayList<>(keptInt8.keySet()), keptInt8);
    }

    /**
     * Whether ONNX Runtime's x86 QDQS8ToU8Transformer leaves the int8 output of QuantizeLinear {@code q} int8 in the
     * full graph {@code g}: it rewrites a Q -> DQ pair only when the Q's output has exactly one consumer edge, a DQ
     * with the same constant scalar zero point, and (after EnsureUniqueDQForNodeUnit gives each of a DQ's consumers its
     * own copy) that DQ has at most one consumer edge; neither may be a graph output, except the DQ without consumers.
     */
    static boolean keepsInt8InFullModel(OnnxProto.GraphProto g, OnnxProto.NodeProto q) {
        if (q.getInputCount() < 3) {
            return false;
        }
        Map<String, OnnxProto.TensorProto> inits = new HashMap<>();
        for (OnnxProto.TensorProto t : g.getInitializerList()) {
            inits.put(t.getName(), t);
        }
        OnnxProto.TensorProto qz = inits.get(q.getInput(2));
        if (qz == null || qz.getDataType() != DType.INT8.onnxCode()) {
            return false;
        }
        String t = q.getOutput(0);
        if (isOutput(g, t) || edges(g, t) != 1) {
            return true;
        }
        OnnxProto.NodeProto dq = null;
        for (OnnxProto.NodeProto n : g.getNodeList()) {
            if (n.getInputList().contains(t)) {
                dq = n;
            }
        }
        if (dq == null || !dq.getOpType().equals("DequantizeLinear") || dq.getInputCount() < 3) {
            return true;
        }
        OnnxProto.TensorProto dz = inits.get(dq.getInput(2));
        if (dz == null || !sameScalar(qz, dz)) {
            return true;
        }
        int dEdges = edges(g, dq.getOutput(0));
        return dEdges + (isOutput(g, dq.getOutput(0)) && dEdges > 0 ? 1 : 0) > 1;
    }

    private static boolean sameScalar(OnnxProto.TensorProto a, OnnxProto.TensorProto b) {
        if (a.getDataType() != b.getDataType()) {
            return false;
        }
        HostTensor ha = TensorProtos.toHostTensor(a);
        HostTensor hb = TensorProtos.toHostTensor(b);
        return ha.elements() == 1 && hb.elements() == 1 && ha.getInt(0) == hb.getInt(0);
    }

    private static boolean isOutput(OnnxProto.GraphProto g, String t) {
        return g.getOutputList().stream().anyMatch(o -> o.getName().equals(t));
    }

    /** Consumer edges of a tensor: one per node input reading it. */
    private static int edges(OnnxProto.GraphProto g, String t) {
        int e = 0;
        for (OnnxProto.NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) {
                e += in.equals(t) ? 1 : 0;
            }
        }
        return e;
    }

    /** The graph inputs a sub-model reads. */
    static List<String> inputs(OnnxProto.ModelProto m) {
        List<String> out = new ArrayList<>();
        m.getGraph().getInputList().forEach(i -> out.add(i.getName()));
        return out;
    }

    /** Integer codes back from the dequantized float output. */
    static HostTensor codes(HostTensor f, float scale, int zp, DType type) {
        float[] v = f.toFloatArray();
        int[] q = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            long c = (long) Math.rint(v[i] / scale) + zp;
            q[i] = (int) Math.max(type.qmin(), Math.min(type.qmax(), c));
        }
        return HostTensor.ofInts(type, f.shape(), q);
    }
}
