package io.intbench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.compiler.Compiler;
import io.intbench.compiler.testing.ConvSpec;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.isa.Descriptor;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Instruction;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.Opcode;
import io.intbench.isa.Program;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tiling of CONV/MATMUL layers to the scratchpad and accumulator, double buffered: every tile fits, the
 * token protocol is balanced (Timing throws on a left-over token or a deadlock), tiles cost at least the
 * untiled layer, double buffering overlaps transfers with compute, and a layer no tiling fits is refused.
 */
class TilingTest {
    /** The real models live in the compiler module's test resources (same repository). */
    static final Path MODELS = Path.of("..", "compiler", "src", "test", "resources", "models");

    static Program conv(HardwareConfig cfg, int inC, int hw, int outC) {
        QdqModelBuilder b = QdqModelBuilder.create(7);
        QdqModelBuilder.Act x = b.input("x", 0.02f, 128, 1, inC, hw, hw);
        b.output(b.conv(x, ConvSpec.of(outC, 3, 3).pads(1, 1, 1, 1)), "y");
        return Compiler.compile(b.build(), "conv", cfg, Compiler.Options.defaults()).program();
    }

    /** Checks what a tiled program must satisfy on {@code cfg}; returns the number of TILE instructions. */
    static int checkTiles(Program p, HardwareConfig cfg) {
        int tiles = 0;
        long[] lat = Costs.latencies(p, cfg);
        long[] tileSum = new long[p.layers().size()];
        for (int pc = 0; pc < p.code().size(); pc++) {
            Instruction i = p.code().get(pc);
            if (i.op() == Opcode.TILE) {
                tiles++;
                tileSum[p.pcLayer()[pc]] += lat[pc];
                Descriptor d = p.descriptors().get(i.desc());
                long acc = 2L * i.operand(0) * i.operand(1) * 4 * (d instanceof Descriptor.ConvDesc c ? c.batch() : 1);
                assertTrue(acc <= cfg.accumulator().bytes(), "pc " + pc + ": double-buffered partial sums " + acc + " fit");
            }
        }
        for (int pc = 0; pc < p.code().size(); pc++) {
            Instruction i = p.code().get(pc);
            int l = p.pcLayer()[pc];
            if ((i.op() == Opcode.CONV || i.op() == Opcode.MATMUL) && tileSum[l] > 0) {
                assertEquals(0, lat[pc], "a tiled layer's own instruction is charged nothing");
                assertTrue(tileSum[l] >= Costs.latency(p, i, cfg), "layer " + p.layers().get(l).name()
                        + ": tiles cost at least the untiled layer (each pays its fill and drain)");
            }
        }
        return tiles;
    }

    @Test
    void realModelsCompileAndSimulateOnEveryPresetWithBalancedTokens() {
        List<String> presets = new ArrayList<>(HardwareConfig.presetNames());
        for (String model : List.of("lenet.seed.qdq.onnx", "mobilenetv2-12-int8.onnx")) {
            for (String preset : presets) {
                HardwareConfig cfg = HardwareConfig.preset(preset);
                Program p = Compiler.compile(MODELS.resolve(model), cfg, Compiler.Options.defaults()).program();
                int tiles = checkTiles(p, cfg);
                SimReport rep = Simulator.timingOnly(p, cfg);     // throws on deadlock or unbalanced tokens
                assertTrue(rep.totals().cycles() > 0, model + " on " + preset);
                if (preset.startsWith("tiny") && model.startsWith("mobilenet")) {
                    assertTrue(tiles > 100, "mobilenet needs many tiles in 16 KiB of scratchpad: " + tiles);
                }
            }
        }
    }

    @Test
    void doubleBufferingOverlapsTransfersWithCompute() {
        // a conv far larger than the edge preset's memories, with slow DRAM: the tiles' loads and stores
        // overlap the other tiles' compute, so the layer takes about max(compute, memory), not their sum
        for (int bw : new int[] {1, 2, 4, 16}) {
            HardwareConfig cfg = HardwareConfig.preset("edge-16x16-ws").withOverrides(List.of("dram.bytesPerCycle=" + bw));
            Program p = conv(cfg, 64, 64, 64);
            assertTrue(checkTiles(p, cfg) >= 4, "the layer is tiled");
            SimReport rep = Simulator.timingOnly(p, cfg);
            long compute = rep.layers().get(0).computeBoundCycles();
            long memory = rep.layers().get(0).memoryBoundCycles();
            long cycles = rep.totals().cycles();
            assertTrue(cycles >= Math.max(compute, memory), "physics: " + cycles);
            assertTrue(cycles <= 1.2 * Math.max(compute, memory), bw + " B/cycle: " + cycles + " cycles vs compute "
                    + compute + ", memory " + memory);
            assertTrue(cycles <= compute + memory - Math.min(compute, memory) / 2,
                    bw + " B/cycle: at least half of the shorter of compute and memory is hidden under the other");
        }
    }

    @Test
    void aLayerNoTilingFitsIsRefusedByName() {
        HardwareConfig cfg = HardwareConfig.preset("tiny-4x4").withOverrides(List.of("scratchpad.kib=1", "scratchpad.banks=1"));
        IntbenchException.UnsupportedModel e = assertThrows(IntbenchException.UnsupportedModel.class, () -> conv(cfg, 64, 8, 8));
        assertTrue(e.getMessage().contains("no tiling fits the scratchpad of 1024 bytes"), e.getMessage());
        assertTrue(e.getMessage().matches("(?s)layer \\S+: .*"), e.getMessage());
    }
}
