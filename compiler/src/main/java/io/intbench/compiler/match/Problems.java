package io.intbench.compiler.match;

import io.intbench.compiler.graph.Node;
import io.intbench.isa.IntbenchException;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects every reason a model cannot be compiled before failing, so that one run lists all
 * unsupported nodes rather than the first (JavaParser's ParseResult/Problem pattern).
 */
public final class Problems {
    private final List<String> items = new ArrayList<>();

    public void add(Node n, String why) {
        items.add("node '" + n.name() + "' (op " + n.opType() + ", domain " + (n.domain().isEmpty() ? "ai.onnx" : n.domain())
                + ", opset " + n.opset() + "): " + why);
    }

    public void add(String why) {
        items.add(why);
    }

    public boolean isEmpty() { return items.isEmpty(); }

    public List<String> items() { return List.copyOf(items); }

    /** Throws an {@link IntbenchException.UnsupportedModel} listing every problem, if there are any. */
    public void throwIfAny(String model) {
        if (items.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder(model + ": " + items.size() + " problem" + (items.size() == 1 ? " prevents" : "s prevent")
                + " integer-only compilation:");
        for (String s : items) {
            sb.append("\n  - ").append(s);
        }
        throw new IntbenchException.UnsupportedModel(sb.toString());
    }
}
