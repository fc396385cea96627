package io.intbench.compiler.graph;

import com.google.protobuf.ByteString;
import io.intbench.onnx.OnnxProto;
import io.intbench.onnx.OnnxProto.AttributeProto;
import io.intbench.onnx.OnnxProto.AttributeProto.AttributeType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds small ONNX models in memory for the front-end tests. */
public final class TestModels {
    private TestModels() {
    }

    public static OnnxProto.NodeProto node(String op, List<String> in, List<String> out, AttributeProto... attrs) {
        return node("", op, in, out, attrs);
    }

    public static OnnxProto.NodeProto node(String domain, String op, List<String> in, List<String> out,
            AttributeProto... attrs) {
        return OnnxProto.NodeProto.newBuilder().setOpType(op).setDomain(domain).addAllInput(in).addAllOutput(out)
                .addAllAttribute(List.of(attrs)).build();
    }

    public static AttributeProto attr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(v).build();
    }

    public static AttributeProto attr(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    public static AttributeProto attr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(v).build();
    }

    public static AttributeProto attr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v)).build();
    }

    public static AttributeProto attr(String name, Tensor t) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.TENSOR).setT(t.toProto("")).build();
    }

    /** A value info; a String among dims is a dim_param, a Number a dim_value. */
    public static OnnxProto.ValueInfoProto vi(String name, int elemType, Object... dims) {
        OnnxProto.TensorShapeProto.Builder s = OnnxProto.TensorShapeProto.newBuilder();
        for (Object d : dims) {
            s.addDim(d instanceof String p ? OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimParam(p)
                    : OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return OnnxProto.ValueInfoProto.newBuilder().setName(name).setType(OnnxProto.TypeProto.newBuilder()
                .setTensorType(OnnxProto.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
    }

    public static OnnxProto.ValueInfoProto vi(String name) {
        return OnnxProto.ValueInfoProto.newBuilder().setName(name).build();
    }

    public static OnnxProto.ModelProto model(int opset, OnnxProto.GraphProto g) {
        return OnnxProto.ModelProto.newBuilder().setIrVersion(8).setProducerName("intbench-test")
                .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1))
                .setGraph(g).build();
    }

    /**
     * A graph around the given nodes: each entry of {@code feeds} is an initializer (Tensor value) or a graph
     * input (ValueInfoProto value); the outputs of the last node are the graph outputs.
     */
    public static OnnxProto.GraphProto graph(Map<String, Object> feeds, List<OnnxProto.NodeProto> nodes) {
        OnnxProto.GraphProto.Builder g = OnnxProto.GraphProto.newBuilder().setName("test").addAllNode(nodes);
        feeds.forEach((name, v) -> {
            if (v instanceof Tensor t) {
                g.addInitializer(t.toProto(name));
            } else {
                g.addInput(((OnnxProto.ValueInfoProto) v).toBuilder().setName(name));
            }
        });
        for (String o : nodes.get(nodes.size() - 1).getOutputList()) {
            if (!o.isEmpty()) {
                g.addOutput(vi(o));
            }
        }
        return g.build();
    }

    /** Prepares a one-node model and returns the graph. */
    public static Graph single(int opset, OnnxProto.NodeProto node, Object... feeds) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < feeds.length; i += 2) {
            m.put((String) feeds[i], feeds[i + 1]);
        }
        return GraphPreparer.prepare(model(opset, graph(m, List.of(node))), Map.of());
    }

    /** A float graph input of the given static shape. */
    public static OnnxProto.ValueInfoProto f32(long... dims) {
        return typed(DataTypes.FLOAT, dims);
    }

    public static OnnxProto.ValueInfoProto typed(int type, long... dims) {
        Object[] d = new Object[dims.length];
        for (int i = 0; i < dims.length; i++) {
            d[i] = dims[i];
        }
        return vi("", type, d);
    }
}
