package io.intbench.isa;

import java.util.List;

/** Prints a program readably: header, tensors, layers, and one line per instruction with its descriptor and ONNX layer. */
public final class Disassembler {
    private Disassembler() { }

    /** One instruction in assembler syntax, e.g. {@code conv.pp d3 in=0x100 weights=0x0 out=0x4000}. */
    public static String format(Instruction i) {
        StringBuilder sb = new StringBuilder(i.op().name().toLowerCase());
        String flags = (i.has(Instruction.POP_PREV) ? "<p" : "") + (i.has(Instruction.POP_NEXT) ? "<n" : "")
                + (i.has(Instruction.PUSH_PREV) ? ">p" : "") + (i.has(Instruction.PUSH_NEXT) ? ">n" : "");
        if (!flags.isEmpty()) {
            sb.append(" [").append(flags).append(']');
        }
        if (i.op().usesDescriptor()) {
            sb.append(" d").append(i.desc());
        }
        for (int k = 0; k < 3; k++) {
            String n = i.op().operandName(k);
            if (!n.isEmpty()) {
                sb.append(' ').append(n).append('=').append(n.equals("bytes") ? Long.toString(i.operand(k)) : "0x" + Long.toHexString(i.operand(k)));
            }
        }
        return sb.toString();
    }

    public static String disassemble(Program p) {
        StringBuilder sb = new StringBuilder();
        sb.append("; intbench program for config ").append(p.configName())
                .append(String.format(" (hash %016x)", p.configHash()))
                .append(", requant ").append(p.requantModeName()).append(", model ").append(p.modelName()).append('\n');
        sb.append("; DRAM ").append(p.dramSize()).append(" bytes, constants image ").append(p.image().length)
                .append(" bytes, ").append(p.code().size()).append(" instructions, ")
                .append(p.descriptors().size()).append(" descriptors\n");
        sb.append("\n.tensors\n");
        for (TensorDesc t : p.tensors()) {
            sb.append("  ").append(t).append('\n');
        }
        sb.append("\n.descriptors\n");
        List<Descriptor> ds = p.descriptors();
        for (int i = 0; i < ds.size(); i++) {
            sb.append(String.format("  d%-4d %s%n", i, ds.get(i).describe()));
        }
        sb.append("\n.code\n");
        int last = -2;
        for (int pc = 0; pc < p.code().size(); pc++) {
            int l = p.pcLayer()[pc];
            if (l != last && l >= 0) {
                Program.Layer layer = p.layers().get(l);
                sb.append("; layer ").append(l).append(' ').append(layer.name()).append(" (").append(layer.op())
                        .append(", ").append(layer.macs()).append(" MACs) <- ").append(layer.onnxNodes()).append('\n');
            }
            last = l;
            sb.append(String.format("  %5d  %s%n", pc, format(p.code().get(pc))));
        }
        return sb.toString();
    }
}
