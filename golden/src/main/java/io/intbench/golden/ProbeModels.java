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
        return model.toBuilder().setGraph(b).build();
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
