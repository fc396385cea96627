package io.intbench.golden;

import io.intbench.compiler.Compiler;
import io.intbench.isa.DType;
import io.intbench.isa.HostTensor;
import io.intbench.isa.Program;
import io.intbench.isa.TensorDesc;
import io.intbench.onnx.OnnxProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime as the golden reference for one compiled model: sessions opened once, returning every
 * quantized tensor the program keeps. With optimisations on, uint8 tensors are exposed as extra graph
 * outputs of one session, and int8 tensors are read through sub-models that end in their
 * DequantizeLinear ({@link ProbeModels}), so ORT's optimised graph stays the one being checked.
 */
public final class OrtReference implements AutoCloseable {
    private record Probe(TensorDesc tensor, List<String> inputs, OrtRunner session) { }

    private final OrtRunner main;
    private final List<Probe> probes = new ArrayList<>();

    private OrtReference(OrtRunner main) {
        this.main = main;
    }

    public static OrtReference open(Compiler.Result c, int threads) {
        return open(c, true, threads);
    }

    /**
     * Opens the sessions: with optimisations, int8 tensors are read through sub-models (exposing them would
     * change the optimised graph); without, one session exposes every tensor.
     */
    public static OrtReference open(Compiler.Result c, boolean optimizedSession, int threads) {
        Program p = c.program();
        Map<String, DType> exposed = new LinkedHashMap<>();
        for (TensorDesc t : p.tensors()) {
            if (t.role() != TensorDesc.Role.INPUT) {
                exposed.putIfAbsent(t.name(), t.dtype());
            }
        }
        boolean int8 = optimizedSession && exposed.containsValue(DType.INT8);
        byte[] bytes = int8 ? c.model().toByteArray()
                : ExposeTensors.expose(c.model(), new ArrayList<>(exposed.keySet()), exposed).toByteArray();
        OrtReference r = new OrtReference(OrtRunner.open(bytes, optimizedSession, threads));
        try {
            if (int8) {
                java.util.Set<String> inMain = new java.util.HashSet<>(r.main.outputNames());
                java.util.Set<String> seen = new java.util.HashSet<>();
                for (TensorDesc t : p.tensors()) {
                    if (t.role() != TensorDesc.Role.INPUT && !inMain.contains(t.name()) && t.axis() < 0 && seen.add(t.name())) {
                        OnnxProto.ModelProto sub = ProbeModels.truncatedAt(c.model(), t.name(), t.scales()[0], t.zeroPoints()[0], t.dtype());
                        r.probes.add(new Probe(t, ProbeModels.inputs(sub), OrtRunner.open(sub.toByteArray(), true, threads)));
                    }
                }
            }
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    public Map<String, HostTensor> run(Map<String, HostTensor> in) {
        Map<String, HostTensor> optimized = new LinkedHashMap<>(main.run(in));
        for (Probe pr : probes) {
            Map<String, HostTensor> subIn = new LinkedHashMap<>();
            for (String name : pr.inputs()) {
                subIn.put(name, in.get(name));
            }
            TensorDesc t = pr.tensor();
            HostTensor f = pr.session().run(subIn).get(t.name() + ProbeModels.SUFFIX);
            optimized.put(t.name(), ProbeModels.codes(f, t.scales()[0], t.zeroPoints()[0], t.dtype()));
        }
        return optimized;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable s : allSessions()) {
            try {
                s.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private List<OrtRunner> allSessions() {
        List<OrtRunner> all = new ArrayList<>();
        all.add(main);
        for (Probe pr : probes) {
            all.add(pr.session());
        }
        return all;
    }
}
