package io.intbench.compiler.graph;

import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import io.intbench.onnx.OnnxProto.AttributeProto.AttributeType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator of the graph: a read-only view of its NodeProto with a unique name, its domain
 * normalised ("ai.onnx" is ""), the opset version that governs its semantics, and typed attribute
 * accessors that name the node when an attribute has the wrong type.
 */
public final class Node {
    private final OnnxProto.NodeProto proto;
    private final String name;
    private final String domain;
    private final int opset;
    private final int index;
    private final Map<String, OnnxProto.AttributeProto> attrs = new LinkedHashMap<>();

    /**
     * @param name  unique node name (the proto's, or one synthesised by the graph builder)
     * @param index position of the node in the model's node list
     * @param opset version of the node's domain in the model's opset_import (0 if not imported)
     */
    public Node(OnnxProto.NodeProto proto, String name, int index, int opset) {
        this.proto = proto;
        this.name = name;
        this.index = index;
        this.opset = opset;
        this.domain = normalizeDomain(proto.getDomain());
        for (OnnxProto.AttributeProto a : proto.getAttributeList()) {
            attrs.put(a.getName(), a);
        }
    }

    /** "" for the default ONNX domain, whichever way the model spells it. */
    public static String normalizeDomain(String d) {
        return d.equals("ai.onnx") ? "" : d;
    }

    public String name() {
        return name;
    }

    public String opType() {
        return proto.getOpType();
    }

    public String domain() {
        return domain;
    }

    public int opset() {
        return opset;
    }

    /** Position in the model's original node list. */
    public int index() {
        return index;
    }

    public OnnxProto.NodeProto proto() {
        return proto;
    }

    /** Input names; an omitted optional input is "". */
    public List<String> inputs() {
        return Collections.unmodifiableList(proto.getInputList());
    }

    public List<String> outputs() {
        return Collections.unmodifiableList(proto.getOutputList());
    }

    /** Input i, or "" when the node has fewer inputs or the optional input is omitted. */
    public String input(int i) {
        return i < proto.getInputCount() ? proto.getInput(i) : "";
    }

    /** Number of inputs up to and including the last non-empty one. */
    public int inputCount() {
        int n = proto.getInputCount();
        while (n > 0 && proto.getInput(n - 1).isEmpty()) {
            n--;
        }
        return n;
    }

    /** Output i, or "" when absent. */
    public String output(int i) {
        return i < proto.getOutputCount() ? proto.getOutput(i) : "";
    }

    public boolean hasAttr(String a) {
        return attrs.containsKey(a);
    }

    public long attrInt(String a, long dflt) {
        OnnxProto.AttributeProto p = attr(a, AttributeType.INT);
        return p == null ? dflt : p.getI();
    }

    public long[] attrInts(String a, long[] dflt) {
        OnnxProto.AttributeProto p = attr(a, AttributeType.INTS);
        return p == null ? dflt : p.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    public float attrFloat(String a, float dflt) {
        OnnxProto.AttributeProto p = attr(a, AttributeType.FLOAT);
        return p == null ? dflt : p.getF();
    }

    public float[] attrFloats(String a, float[] dflt) {
        OnnxProto.AttributeProto p = attr(a, AttributeType.FLOATS);
        if (p == null) {
            return dflt;
        }
        float[] r = new float[p.getFloatsCount()];
        for (int i = 0; i < r.length; i++) {
            r[i] = p.getFloats(i);
        }
        return r;
    }

    public String attrString(String a, String dflt) {
        OnnxProto.AttributeProto p = attr(a, AttributeType.STRING);
        return p == null ? dflt : p.getS().toStringUtf8();
    }

    /** The tensor attribute decoded, or null when absent. */
    public Tensor attrTensor(String a) {
        OnnxProto.AttributeProto p = attr(a, AttributeType.TENSOR);
        return p == null ? null : Tensor.fromProto(p.getT(), "attribute '" + a + "' of node " + this);
    }

    private OnnxProto.AttributeProto attr(String a, AttributeType want) {
        OnnxProto.AttributeProto p = attrs.get(a);
        if (p == null) {
            return null;
        }
        AttributeType have = p.hasType() ? p.getType() : guessType(p);
        if (have != want) {
            throw new IntbenchException.MalformedModel("node " + this + ": attribute '" + a + "' is " + have
                    + ", expected " + want);
        }
        return p;
    }

    /** Models older than IR version 2 may omit the type field; infer it from the field that is set. */
    private static AttributeType guessType(OnnxProto.AttributeProto p) {
        if (p.hasT()) return AttributeType.TENSOR;
        if (p.hasS()) return AttributeType.STRING;
        if (p.hasF()) return AttributeType.FLOAT;
        if (p.hasI()) return AttributeType.INT;
        if (p.getFloatsCount() > 0) return AttributeType.FLOATS;
        if (p.getIntsCount() > 0) return AttributeType.INTS;
        return AttributeType.UNDEFINED;
    }

    /** "name (Op)" or "name (domain:Op)": the form used in every message. */
    @Override
    public String toString() {
        return "'" + name + "' (" + (domain.isEmpty() ? "" : domain + ":") + opType() + ")";
    }
}
