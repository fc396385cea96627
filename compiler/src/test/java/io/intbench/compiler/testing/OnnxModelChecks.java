package io.intbench.compiler.testing;

import io.intbench.onnx.OnnxProto.GraphProto;
import io.intbench.onnx.OnnxProto.ModelProto;
import io.intbench.onnx.OnnxProto.NodeProto;
import io.intbench.onnx.OnnxProto.OperatorSetIdProto;
import io.intbench.onnx.OnnxProto.TensorProto;
import io.intbench.onnx.OnnxProto.ValueInfoProto;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Structural checks of an ONNX model that ONNX's own checker would also make (onnx/checker.cc: SSA names,
 * topological node order, declared opset domains, outputs produced), for tests that generate models
 * (builder tests, the fuzzer) without Python's onnx package. Collects every problem, then fails once.
 */
public final class OnnxModelChecks {

    private OnnxModelChecks() { }

    /** Every problem found, empty when the model is well formed. */
    public static List<String> problems(ModelProto m) {
        List<String> p = new ArrayList<>();
        if (m.getIrVersion() < 3) {
            p.add("ir_version " + m.getIrVersion() + " < 3 (opset_import needs IR 3)");
        }
        Set<String> domains = new HashSet<>();
        for (OperatorSetIdProto o : m.getOpsetImportList()) {
            if (!domains.add(o.getDomain())) {
                p.add("opset_import lists domain '" + o.getDomain() + "' twice");
            }
        }
        if (!domains.contains("")) {
            p.add("opset_import has no default domain");
        }
        GraphProto g = m.getGraph();
        Set<String> defined = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            if (!defined.add(t.getName())) {
                p.add("initializer " + t.getName() + " defined twice");
            }
            if (t.getDataType() == 0) {
                p.add("initializer " + t.getName() + " has no data_type");
            }
        }
        for (ValueInfoProto v : g.getInputList()) {
            // IR >= 4 lets initializers be absent from graph inputs; a name in both is allowed (a default value).
            if (!defined.add(v.getName()) && g.getInitializerList().stream().noneMatch(t -> t.getName().equals(v.getName()))) {
                p.add("graph input " + v.getName() + " declared twice");
            }
        }
        Set<String> nodeNames = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            String where = "node '" + n.getName() + "' (" + n.getOpType() + ")";
            if (n.getName().isEmpty()) {
                p.add("a " + n.getOpType() + " node has no name");
            } else if (!nodeNames.add(n.getName())) {
                p.add(where + ": node name used twice");
            }
            if (!domains.contains(n.getDomain())) {
                p.add(where + ": domain '" + n.getDomain() + "' is not in opset_import");
            }
            for (String in : n.getInputList()) {
                if (!in.isEmpty() && !defined.contains(in)) {
                    p.add(where + ": input " + in + " is not an initializer, a graph input or an earlier node's output");
                }
            }
            for (String out : n.getOutputList()) {
                if (out.isEmpty()) {
                    continue;
                }
                if (!defined.add(out)) {
                    p.add(where + ": output " + out + " is already defined (names must be assigned once)");
                }
            }
        }
        for (ValueInfoProto o : g.getOutputList()) {
            if (!defined.contains(o.getName())) {
                p.add("graph output " + o.getName() + " is produced by nothing");
            }
            if (!o.getType().hasTensorType() || o.getType().getTensorType().getElemType() == 0) {
                p.add("graph output " + o.getName() + " has no tensor element type");
            }
        }
        for (ValueInfoProto v : g.getValueInfoList()) {
            if (!defined.contains(v.getName())) {
                p.add("value_info " + v.getName() + " names no tensor");
            }
        }
        return p;
    }

    /** Throws an AssertionError listing every problem of {@link #problems}. */
    public static void assertWellFormed(ModelProto m) {
        List<String> p = problems(m);
        if (!p.isEmpty()) {
            throw new AssertionError("model " + m.getGraph().getName() + " is malformed:\n  " + String.join("\n  ", p));
        }
    }
}
