package io.intbench.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.RequantMode;
import io.intbench.compiler.testing.ConvSpec;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.compiler.testing.QdqModelBuilder.Act;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Instruction;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.Opcode;
import io.intbench.isa.Program;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A 480x640 model (conv + ReLU, max pool, conv, residual add, sigmoid table, global average pool) on the
 * tiny-4x4 preset, whose 16 KiB scratchpad holds less than one input channel: every layer, array or
 * vector, is split into tiles whose transfers fit half the scratchpad (double buffered), and every
 * quantized tensor still equals ONNX Runtime's.
 */
class LargeInputTilingTest {
    static QdqModelBuilder model() {
        QdqModelBuilder b = QdqModelBuilder.create(21);
        Act x = b.input("input", 0.02f, 128, 1, 3, 480, 640);
        Act c = b.conv(x, ConvSpec.of(8, 3, 3).pads(1, 1, 1, 1).relu(true));
        Act p = b.maxPool(c, 3, 2, 1);
        Act d = b.conv(p, ConvSpec.of(8, 3, 3).pads(1, 1, 1, 1));
        Act s = b.floatOp(b.add(p, d), "Sigmoid", new long[] {1, 8, 240, 320});
        b.output(b.globalAveragePool(s), "output");
        return b;
    }

    @Test
    void a480x640ModelTilesOnTheTinyPresetAndEqualsOnnxRuntime() {
        HardwareConfig cfg = HardwareConfig.preset("tiny-4x4");
        QdqModelBuilder b = model();
        Compiler.Result compiled = Compiler.compile(b.build(), "large480x640", cfg, Compiler.Options.defaults().withMode(RequantMode.ORT));
        Program p = compiled.program();
        assertEquals(6, p.layers().size());
        for (Program.Layer l : p.layers()) {
            assertTrue(l.op().contains("[tiles "), "layer " + l.name() + " is tiled: " + l.op());
        }
        checkTransfersFit(p, cfg);

        Golden.Result r = Golden.run(compiled, cfg, b.randomInputs(7), 7, 0, 1);
        GoldenReport.Totals t = r.report().comparison(Golden.ORT_OPTIMIZED).totals();
        assertEquals(6, t.tensors(), "every layer's quantized output compared");
        assertEquals(t.elements(), t.exact(), () -> "differs from ONNX Runtime:\n" + Golden.table(r.report()));
        assertTrue(r.pass());
    }

    /**
     * Each tile's loads (those issued since the previous tile instruction; a tiled layer's first load of
     * its resident constants excluded) and its store fit half the scratchpad.
     */
    static void checkTransfersFit(Program p, HardwareConfig cfg) {
        long half = cfg.scratchpad().bytes() / 2;
        long loads = 0;
        int tiles = 0;
        int prevLayer = -1;
        boolean firstOfLayer = true;
        for (int pc = 0; pc < p.code().size(); pc++) {
            Instruction i = p.code().get(pc);
            int layer = p.pcLayer()[pc];
            if (layer != prevLayer) {
                loads = 0;
                firstOfLayer = true;
                prevLayer = layer;
            }
            if (i.op() == Opcode.LOAD) {
                boolean residentConstants = firstOfLayer && i.operand(0) < p.image().length
                        && p.code().get(pc + 1).op() == Opcode.LOAD;
                loads += residentConstants ? 0 : i.operand(1);
                firstOfLayer = false;
            } else if (i.op() == Opcode.TILE || i.op() == Opcode.VTILE) {
                tiles++;
                Instruction store = p.code().get(pc + 1);
                assertEquals(Opcode.STORE, store.op(), "pc " + (pc + 1));
                assertTrue(loads + store.operand(1) <= half, "pc " + pc + " (" + p.layers().get(layer).name() + "): "
                        + loads + " bytes loaded + " + store.operand(1) + " stored > " + half);
                loads = 0;
            }
        }
        assertTrue(tiles > 1000, "tiles: " + tiles);
    }

    @Test
    void aVectorLayerNoTilingFitsIsRefusedNamingItAndTheSizes() {
        // 1 KiB of scratchpad: one output row of a 3x3 max pool over 400 columns needs 3 input rows
        // (1,200 bytes) and its output row, more than the 512 bytes of half the scratchpad
        QdqModelBuilder b = QdqModelBuilder.create(3);
        Act x = b.input("input", 0.02f, 128, 1, 1, 8, 400);
        b.output(b.maxPool(x, 3, 1, 1), "output");
        HardwareConfig cfg = HardwareConfig.preset("tiny-4x4").withOverrides(List.of("scratchpad.kib=1", "scratchpad.banks=1"));
        IntbenchException.UnsupportedModel e = assertThrows(IntbenchException.UnsupportedModel.class,
                () -> Compiler.compile(b.build(), "pool", cfg, Compiler.Options.defaults()));
        assertTrue(e.getMessage().matches("(?s)layer \\S+ \\(POOL\\): no tiling fits the scratchpad of 1024 bytes: .*"), e.getMessage());
        assertTrue(e.getMessage().contains("1600 bytes") || e.getMessage().contains("3 x 400"), e.getMessage());
    }
}
