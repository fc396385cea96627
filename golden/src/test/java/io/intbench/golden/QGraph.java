package io.intbench.golden;

import com.google.protobuf.ByteString;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.onnx.OnnxProto.AttributeProto;
import io.intbench.onnx.OnnxProto.GraphProto;
import io.intbench.onnx.OnnxProto.ModelProto;
import io.intbench.onnx.OnnxProto.NodeProto;
import io.intbench.onnx.OnnxProto.OperatorSetIdProto;
import io.intbench.onnx.OnnxProto.TensorProto;
import io.intbench.onnx.OnnxProto.TensorShapeProto;
import io.intbench.onnx.OnnxProto.TypeProto;
import io.intbench.onnx.OnnxProto.ValueInfoProto;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A minimal ONNX graph writer for golden tests of single quantized ops whose layout the
 * {@link io.intbench.compiler.testing.QdqModelBuilder} does not write (several quantized graph inputs, an
 * activation as MatMul's B, batched constant B, Gather/Pad/Resize with their constant inputs). Each graph
 * input is float and quantized by a QuantizeLinear whose parameters {@link #quantInput} records, so random
 * inputs can span exactly the representable range.
 */
final class QGraph {
    /** A quantized tensor: its name, parameter initializers, values and shape. */
    record Q(String name, String scale, String zp, float s, int z, DType type, long[] shape) {
        double lo() { return (double) s * (type.qmin() - z); }

        double hi() { return (double) s * (type.qmax() - z); }
    }

    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> inits = new ArrayList<>();
    private final List<ValueInfoProto> inputs = new ArrayList<>();
    private final List<ValueInfoProto> outputs = new ArrayList<>();
    private final Map<String, Q> quantInputs = new LinkedHashMap<>();
    private boolean ms;
    private int counter;

    private String fresh(String base) {
        return base + "_" + (counter++);
    }

    /** A float graph input {@code name} of {@code shape}, quantized with (s, z) of type t. */
    Q quantInput(String name, DType t, float s, int z, long... shape) {
        inputs.add(valueInfo(name, DType.FLOAT32.onnxCode(), shape));
        Q q = quantize(name, t, s, z, shape);
        quantInputs.put(name, q);
        return q;
    }

    /** {@code QuantizeLinear(x, s, z)} of the float tensor x. */
    Q quantize(String x, DType t, float s, int z, long... shape) {
        String sn = floatScalar(fresh(x + "_scale"), s);
        String zn = codes(fresh(x + "_zp"), t, new long[0], new int[] {z});
        String out = fresh(x + "_q");
        node("QuantizeLinear", "", List.of(x, sn, zn), List.of(out));
        return new Q(out, sn, zn, s, z, t, shape);
    }

    /** {@code DequantizeLinear(q)}: a float tensor. */
    String dequantize(Q q) {
        String out = fresh(q.name() + "_dq");
        node("DequantizeLinear", "", List.of(q.name(), q.scale(), q.zp()), List.of(out));
        return out;
    }

    /** A constant quantized tensor (codes with per-tensor parameters). */
    Q constQ(String name, DType t, float s, int z, long[] shape, int[] codes) {
        String c = codes(name, t, shape, codes);
        String sn = floatScalar(fresh(name + "_scale"), s);
        String zn = codes(fresh(name + "_zp"), t, new long[0], new int[] {z});
        return new Q(c, sn, zn, s, z, t, shape);
    }

    /** A node with one output; returns the output's name. */
    String op(String opType, String domain, List<String> ins, AttributeProto... attrs) {
        String out = fresh(opType.toLowerCase());
        node(opType, domain, ins, List.of(out), attrs);
        return out;
    }

    void node(String opType, String domain, List<String> ins, List<String> outs, AttributeProto... attrs) {
        ms |= domain.equals("com.microsoft");
        NodeProto.Builder n = NodeProto.newBuilder().setName(fresh(opType)).setOpType(opType).setDomain(domain)
                .addAllInput(ins).addAllOutput(outs);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        nodes.add(n.build());
    }

    /** {@code DequantizeLinear(q)} as the float graph output {@code name}. */
    void output(Q q, String name) {
        node("DequantizeLinear", "", List.of(q.name(), q.scale(), q.zp()), List.of(name));
        outputs.add(valueInfo(name, DType.FLOAT32.onnxCode(), q.shape()));
    }

    String floatScalar(String name, float v) {
        inits.add(TensorProto.newBuilder().setName(name).setDataType(DType.FLOAT32.onnxCode()).addFloatData(v).build());
        return name;
    }

    String floats(String name, long[] shape, float... v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(DType.FLOAT32.onnxCode());
        for (long d : shape) {
            t.addDims(d);
        }
        for (float f : v) {
            t.addFloatData(f);
        }
        inits.add(t.build());
        return name;
    }

    String int64s(String name, long[] shape, long... v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(DType.INT64.onnxCode());
        for (long d : shape) {
            t.addDims(d);
        }
        for (long x : v) {
            t.addInt64Data(x);
        }
        inits.add(t.build());
        return name;
    }

    String codes(String name, DType t, long[] shape, int[] v) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(t.onnxCode());
        for (long d : shape) {
            b.addDims(d);
        }
        inits.add(b.setRawData(ByteString.copyFrom(HostTensor.ofInts(t, shape, v).data())).build());
        return name;
    }

    /** Random codes of type t. */
    static int[] randomCodes(Random r, DType t, long n) {
        int[] v = new int[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.qmin() + r.nextInt(t.qmax() - t.qmin() + 1);
        }
        return v;
    }

    ModelProto build(int opset) {
        GraphProto g = GraphProto.newBuilder().setName("intbench_qgraph").addAllNode(nodes).addAllInitializer(inits)
                .addAllInput(inputs).addAllOutput(outputs).build();
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(opset >= 21 ? 10 : 8).setProducerName("intbench.QGraph")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
        if (ms) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1));
        }
        return m.setGraph(g).build();
    }

    /** Uniform random float inputs spanning each input's quantization range (and a little beyond, to saturate). */
    Map<String, HostTensor> randomInputs(long seed) {
        Random r = new Random(seed);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Q> e : quantInputs.entrySet()) {
            Q q = e.getValue();
            float[] v = new float[Math.toIntExact(HostTensor.elementCount(q.shape()))];
            double span = q.hi() - q.lo();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (q.lo() - 0.02 * span + 1.04 * span * r.nextDouble());
            }
            out.put(e.getKey(), HostTensor.ofFloats(q.shape(), v));
        }
        return out;
    }

    static ValueInfoProto valueInfo(String name, int elemType, long[] shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : shape) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s)))
                .build();
    }

    static AttributeProto attr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto attrs(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    static AttributeProto attr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v)).build();
    }

    static AttributeProto attr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }
}
