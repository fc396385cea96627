package io.intbench.golden;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.IntbenchException;
import io.intbench.onnx.OnnxProto;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MIGraphX's QLinear* parser-test models (resources {@code migraphx-qlinear/}, see PROVENANCE.md there)
 * compiled, simulated on seeded random inputs and compared with ONNX Runtime's optimised graph.
 *
 * <p>MIGraphX's generator declares the com.microsoft contrib ops (QLinearAdd, QLinearMul,
 * QLinearAveragePool, QLinearConcat, QLinearGlobalAveragePool, QLinearLeakyRelu, QLinearSigmoid) in the
 * default ONNX domain, where ONNX Runtime has no such op and refuses the model. {@link #toMicrosoftDomain}
 * moves them to com.microsoft and imports that domain (version 1), which is what a model made by ONNX
 * Runtime's quantizer contains; QLinearConv and QLinearMatMul are standard ONNX ops and stay. Three
 * models made only of QLinearConv/QLinearMatMul import opset 25; intbench accepts 10..21, and both ops
 * last changed in opset 21 (new float8/int4 types only), so their import is lowered to 21.
 *
 * <p>Each model's outcome is pinned in {@link #EXPECTED}: {@code exact} (every compared element equal to
 * ORT's), or {@code refused: <reason>} naming who refuses (intbench's compiler or ORT) and a distinctive
 * part of the message. A model that changes outcome fails the test, so a fix or a regression is noticed.
 */
class OperatorCoverage2Test {

    static final String ROOT = "migraphx-qlinear/";

    static final Set<String> MICROSOFT_OPS = Set.of("QLinearAdd", "QLinearMul", "QLinearAveragePool", "QLinearConcat",
            "QLinearGlobalAveragePool", "QLinearLeakyRelu", "QLinearSigmoid", "QLinearSoftmax", "QGemm");

    /** File -> outcome kind, then fragments its message must contain. */
    static final Map<String, List<String>> EXPECTED = new LinkedHashMap<>();

    static {
        // exact: every element equal to ORT's optimised graph. The type/shape contradictions are bugs of the
        // generator (the declared output type or shape is not what the op produces); ORT refuses the type ones
        // too. ORT has no QLinearConv kernel for the two it refuses (their operand type combination).
        EXPECTED.put("qlinearadd_bcast_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearadd_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearaveragepool_1d_test.onnx", List.of("refused by intbench", "contradicts the type the model declares, float", "ORT refuses it too"));
        EXPECTED.put("qlinearaveragepool_2d_ceil_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearaveragepool_2d_dilations_test.onnx", List.of("refused by intbench", "AveragePool with dilations is not supported", "ORT refuses it too"));
        EXPECTED.put("qlinearaveragepool_2d_pads_count_include_pad_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearaveragepool_2d_same_lower_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearaveragepool_2d_same_upper_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearaveragepool_2d_strides_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearaveragepool_2d_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearaveragepool_3d_test.onnx", List.of("refused by intbench", "only 2-D average pooling (NCHW) is supported", "ORT loads it"));
        EXPECTED.put("qlinearaveragepool_notset_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearaveragepool_nt_cip_test.onnx", List.of("refused by intbench", "contradicts the type the model declares, float", "ORT refuses it too"));
        EXPECTED.put("qlinearconcat_3d_test.onnx", List.of("refused by intbench", "contradicts the type the model declares, uint8", "ORT refuses it too"));
        EXPECTED.put("qlinearconcat_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearconv_pad_0_test.onnx", List.of("refused by ORT", "Could not find an implementation for QLinearConv(10)"));
        EXPECTED.put("qlinearconv_pad_1_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearconv_perchannel_weightbias_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearconv_scale_1D_test.onnx", List.of("refused by ORT", "Could not find an implementation for QLinearConv(10)"));
        EXPECTED.put("qlinearconv_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearglobalavgpool_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearleakyrelu_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearmatmul_1D_test.onnx", List.of("refused by intbench", "inferred shape [] contradicts the shape the model declares, [1]", "ORT loads it"));
        EXPECTED.put("qlinearmatmul_2D_perchannel_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearmatmul_2D_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearmatmul_3D_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearmatmul_N_D_perchannel_test.onnx", List.of("refused by intbench", "per-axis parameters on activation 'A' are not supported", "ORT loads it"));
        EXPECTED.put("qlinearmul_bcast_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearmul_test.onnx", List.of("exact"));
        EXPECTED.put("qlinearsigmoid_test.onnx", List.of("exact"));
    }

    static OnnxProto.ModelProto toMicrosoftDomain(OnnxProto.ModelProto m) {
        OnnxProto.GraphProto.Builder g = m.getGraph().toBuilder();
        boolean moved = false;
        for (int i = 0; i < g.getNodeCount(); i++) {
            OnnxProto.NodeProto n = g.getNode(i);
            if (MICROSOFT_OPS.contains(n.getOpType()) && n.getDomain().isEmpty()) {
                g.setNode(i, n.toBuilder().setDomain("com.microsoft"));
                moved = true;
            }
        }
        OnnxProto.ModelProto.Builder mb = m.toBuilder().setGraph(g);
        boolean onlyQLinearConvMatMul = g.getNodeList().stream()
                .allMatch(n -> n.getOpType().equals("QLinearConv") || n.getOpType().equals("QLinearMatMul"));
        for (int i = 0; i < mb.getOpsetImportCount(); i++) {
            OnnxProto.OperatorSetIdProto o = mb.getOpsetImport(i);
            if (o.getDomain().isEmpty() && o.getVersion() > 21 && onlyQLinearConvMatMul) {
                // QLinearConv and QLinearMatMul last changed in opset 21, which only added float8/int4 types
                // (onnx/docs/Changelog.md); for 8-bit integer models opsets 21..25 define the same function
                mb.setOpsetImport(i, o.toBuilder().setVersion(21));
            }
        }
        if (moved && mb.getOpsetImportList().stream().noneMatch(o -> o.getDomain().equals("com.microsoft"))) {
            mb.addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1));
        }
        return mb.build();
    }

    /** "exact", "differs: N of M elements (max D LSB)", or "refused by intbench|ORT: message". */
    static String outcome(String file) throws IOException {
        Path p = GoldenModelsTest.resource(ROOT + file);
        OnnxProto.ModelProto m = toMicrosoftDomain(OnnxProto.ModelProto.parseFrom(Files.readAllBytes(p)));
        HardwareConfig cfg = HardwareConfig.defaultConfig();
        Compiler.Result c;
        try {
            c = Compiler.compile(m, file, cfg, Compiler.Options.defaults().withMode(RequantMode.ORT));
        } catch (IntbenchException e) {
            String ort;
            try (OrtRunner o = OrtRunner.open(m.toByteArray(), true, 1)) {
                ort = "ORT loads it (" + o.outputNames().size() + " outputs)";
            } catch (IntbenchException oe) {
                ort = "ORT refuses it too: " + oe.getMessage().replace('\n', ' ');
            }
            return "refused by intbench: " + e.getMessage().replace('\n', ' ') + " | " + ort;
        }
        Golden.Result r;
        try {
            r = Golden.run(c, cfg, null, 7L, 0, 1);
        } catch (IntbenchException e) {
            return "refused by ORT: " + e.getMessage().replace('\n', ' ');
        }
        GoldenReport.Totals t = r.report().comparison(Golden.ORT_OPTIMIZED).totals();
        if (t.elements() > 0 && t.elements() == t.exact()) {
            return "exact (" + t.elements() + " elements)";
        }
        return "differs: " + (t.elements() - t.exact()) + " of " + t.elements() + " elements (max " + t.maxAbsDiffLsb() + " LSB)";
    }

    static List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(GoldenModelsTest.resource(ROOT))) {
            return s.map(x -> x.getFileName().toString()).filter(n -> n.endsWith(".onnx")).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void everyModelHasItsPinnedOutcome() throws IOException {
        assertEquals(EXPECTED.keySet(), new java.util.TreeSet<>(files()), "every model is pinned");
        StringBuilder report = new StringBuilder();
        List<String> wrong = new java.util.ArrayList<>();
        for (String f : files()) {
            String o = outcome(f);
            report.append(String.format("%-52s %s%n", f, o));
            List<String> want = EXPECTED.get(f);
            if (!o.startsWith(want.get(0)) || !want.subList(1, want.size()).stream().allMatch(o::contains)) {
                wrong.add(f + ": expected " + want + ", got " + o);
            }
        }
        System.out.print(report);
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }
}
