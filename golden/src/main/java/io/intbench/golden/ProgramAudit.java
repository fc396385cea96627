package io.intbench.golden;

import io.intbench.isa.DType;
import io.intbench.isa.Descriptor;
import io.intbench.isa.Instruction;
import io.intbench.isa.Opcode;
import io.intbench.isa.Program;
import io.intbench.isa.TensorDesc;
import io.intbench.isa.Unit;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The program half of the no-float audit (the code half is a bytecode test of the simulator): checks,
 * on a compiled {@link Program}, that everything the accelerator executes or reads is integer data, so
 * that no floating point runs between the host's input quantization and its output dequantization.
 *
 * <ul>
 *   <li><b>Instructions</b>: every opcode is one of the ISA's integer operations ({@link #integerOnly}
 *       is an exhaustive switch, so a new opcode does not compile until someone states its arithmetic),
 *       and the instruction word's fields are ints (checked on the {@link Instruction} record by
 *       reflection).</li>
 *   <li><b>Descriptors</b>: every record component of every descriptor (and of every descriptor kind
 *       the ISA declares) is an {@code int}, so a float field added later is caught here.</li>
 *   <li><b>DRAM image</b>: raw bytes by construction (weights, int32 biases and requantization
 *       constants, integer tables); counted.</li>
 *   <li><b>Tensors between layers</b>: every host-visible tensor (input, output, probe) and every
 *       activation buffer a layer instruction reads or writes has an integer element type
 *       (uint8, int8 or int32). An activation's type comes from the descriptor of the instruction that
 *       reads or writes it ({@code inSigned}/{@code outSigned}/{@code signed}); where the descriptor does
 *       not say (the inputs of ELTWISE and LUT), from the instruction that produced it or the tensor
 *       described at its address.</li>
 * </ul>
 *
 * <p>The tensor scales a {@link TensorDesc} carries are float on purpose: the host uses them to quantize
 * the model's input and dequantize its outputs, outside the program, and the accelerator never reads
 * them; they are not audited.
 */
public final class ProgramAudit {

    /** The element types the integer datapath carries between layers. */
    static final Set<DType> INTEGER_TYPES = EnumSet.of(DType.UINT8, DType.INT8, DType.INT32);

    private ProgramAudit() { }

    /**
     * What the audit checked and found.
     *
     * @param floatOpsBetweenLayers   number of violations: instructions, descriptor fields or tensors that
     *                                would need floating point (0 for a valid program)
     * @param interLayerTensorTypes   element types of the tensors passed between layers, lower case, sorted
     * @param instructionsAudited     instructions checked
     * @param instructionsPerUnit     instructions checked per unit, in {@link Unit} order (units with none omitted)
     * @param descriptorFieldsAudited descriptor fields checked over all of the program's descriptors
     * @param imageBytesAudited       bytes of the initial DRAM image
     * @param tensorsAudited          distinct activation buffers (by DRAM address) checked: host-visible
     *                                tensors and every buffer a layer instruction reads or writes
     * @param violations              one message per violation, naming the instruction, field or tensor
     * @param softFloatInstructions   instructions whose integer arithmetic emulates float32 steps (AVGPOOL, SOFTMAX, RESIZE)
     */
    public record Result(int floatOpsBetweenLayers, List<String> interLayerTensorTypes, int instructionsAudited,
                         Map<Unit, Integer> instructionsPerUnit, int descriptorFieldsAudited, long imageBytesAudited,
                         int tensorsAudited, List<String> violations, int softFloatInstructions) {
        public Result {
            interLayerTensorTypes = List.copyOf(interLayerTensorTypes);
            instructionsPerUnit = java.util.Collections.unmodifiableMap(new EnumMap<>(instructionsPerUnit));
            violations = List.copyOf(violations);
        }

        /** The golden report's {@code noFloat} section. */
        public GoldenReport.NoFloat noFloat() {
            return new GoldenReport.NoFloat(floatOpsBetweenLayers, interLayerTensorTypes, softFloatInstructions);
        }
    }

    /** Audits {@code p}; never throws for a well-formed program, it lists what it finds instead. */
    public static Result audit(Program p) {
        List<String> violations = new ArrayList<>();

        // --- instructions ---------------------------------------------------------------------------
        for (String f : nonIntComponents(Instruction.class)) {
            if (!f.equals("op: " + Opcode.class.getName())) {
                violations.add("the instruction word has a field that is not an int: " + f);
            }
        }
        Map<Unit, Integer> perUnit = new EnumMap<>(Unit.class);
        for (int pc = 0; pc < p.code().size(); pc++) {
            Opcode op = p.code().get(pc).op();
            if (!integerOnly(op)) {
                violations.add("pc " + pc + ": opcode " + op + " is not an integer operation");
            }
            perUnit.merge(op.unit(), 1, Integer::sum);
        }

        // --- descriptors ----------------------------------------------------------------------------
        for (Class<?> kind : Descriptor.class.getPermittedSubclasses()) {
            for (String f : nonIntComponents(kind)) {
                violations.add("descriptor kind " + kind.getSimpleName() + " declares a field that is not an int: " + f);
            }
        }
        int descriptorFields = 0;
        for (int k = 0; k < p.descriptors().size(); k++) {
            Descriptor d = p.descriptors().get(k);
            descriptorFields += d.getClass().getRecordComponents().length;
            for (String f : nonIntComponents(d.getClass())) {
                violations.add("descriptor d" + k + " (" + d.getClass().getSimpleName() + ") field " + f + " is not an int");
            }
        }

        // --- tensors between layers -------------------------------------------------------------------
        // address -> types seen there, and a name for messages
        Map<Integer, Set<DType>> typesAt = new LinkedHashMap<>();
        Map<Integer, String> nameAt = new HashMap<>();
        for (TensorDesc t : p.tensors()) {
            typesAt.computeIfAbsent(t.addr(), a -> EnumSet.noneOf(DType.class)).add(t.dtype());
            nameAt.putIfAbsent(t.addr(), t.name());
            if (!INTEGER_TYPES.contains(t.dtype())) {
                violations.add("tensor '" + t.name() + "' (" + t.role().name().toLowerCase() + ") is "
                        + t.dtype().name().toLowerCase() + ", not an integer type (uint8, int8, int32): passing it"
                        + " between layers would need floating point or a type the integer datapath does not carry");
            }
        }
        int imageEnd = p.image().length;
        Map<Integer, DType> produced = new HashMap<>();
        for (TensorDesc t : p.tensors()) {
            if (t.role() == TensorDesc.Role.INPUT) {
                produced.put(t.addr(), t.dtype());
            }
        }
        for (int pc = 0; pc < p.code().size(); pc++) {
            Instruction i = p.code().get(pc);
            if (!i.op().usesDescriptor() || i.op() == Opcode.TILE || i.op() == Opcode.VTILE) {
                continue;                                  // LOAD/STORE/NOP/HALT move or wait; layers compute
            }
            if (i.desc() >= p.descriptors().size()) {
                violations.add("pc " + pc + " (" + i.op() + "): descriptor d" + i.desc() + " does not exist");
                continue;
            }
            DType lastRead = null;
            for (Access acc : accesses(i, p.descriptors().get(i.desc()))) {
                if (acc.addr() < imageEnd) {
                    continue;                              // a constant in the image (weights, a constant Add input)
                }
                DType t = acc.type();
                if (t == null && acc.write() && i.op() == Opcode.GATHER) {
                    t = lastRead;                          // a byte copy keeps its source's type
                }
                if (t == null && acc.write()) {
                    t = typeOfContaining(p, acc.addr());   // a constant copied into a tensor (Pad's border) takes its type
                }
                if (t == null) {
                    t = produced.get(acc.addr());
                }
                if (t == null && typesAt.containsKey(acc.addr()) && typesAt.get(acc.addr()).size() == 1) {
                    t = typesAt.get(acc.addr()).iterator().next();
                }
                if (t == null) {
                    // Nothing says: ELTWISE and LUT read the byte as an unsigned table index (mem[a] & 0xFF).
                    t = DType.UINT8;
                }
                typesAt.computeIfAbsent(acc.addr(), a -> EnumSet.noneOf(DType.class)).add(t);
                if (acc.write()) {
                    produced.put(acc.addr(), t);
                } else {
                    lastRead = t;
                }
            }
        }
        TreeSet<String> types = new TreeSet<>();
        for (Set<DType> s : typesAt.values()) {
            for (DType t : s) {
                types.add(t.name().toLowerCase());
            }
        }
        int softFloat = 0;
        for (Instruction i : p.code()) {
            softFloat += i.op() == Opcode.AVGPOOL || i.op() == Opcode.SOFTMAX || i.op() == Opcode.RESIZE ? 1 : 0;
        }
        return new Result(violations.size(), new ArrayList<>(types), p.code().size(), perUnit, descriptorFields,
                p.image().length, typesAt.size(), violations, softFloat);
    }

    /** The type of the tensor whose storage holds byte {@code addr}, or null. */
    private static DType typeOfContaining(Program p, int addr) {
        for (TensorDesc t : p.tensors()) {
            if (addr >= t.addr() && addr < t.addr() + Math.max(1, t.elements())) {
                return t.dtype();
            }
        }
        return null;
    }

    /**
     * Whether an opcode computes with integers only. Every opcode of the ISA does; the switch has no
     * default so that adding an opcode breaks the build here until its arithmetic is stated.
     */
    static boolean integerOnly(Opcode op) {
        return switch (op) {
            case NOP, HALT -> true;             // no data
            case LOAD, STORE -> true;           // byte copies between DRAM and the scratchpad
            case TILE, VTILE -> true;           // timing only, no data
            case CONV, MATMUL -> true;          // int8 x int8 -> int32 accumulation, integer requantization (Requant)
            case ELTWISE, LUT -> true;          // byte-indexed lookups in compile-time integer tables
            case MAXPOOL -> true;               // comparisons of integer codes
            case GAVGPOOL -> true;              // int32 sum, integer requantization
            case GATHER -> true;                // strided byte copies, optionally through an integer table
            case AVGPOOL, SOFTMAX, RESIZE -> true;  // integer arithmetic that emulates ORT's float32 steps (SoftFloat32)
        };
    }

    /**
     * The record components of {@code type} that are not {@code int}, as {@code name: type}; empty for a
     * record of ints (and for a type that is not a record, which has no components to inspect).
     */
    static List<String> nonIntComponents(Class<?> type) {
        List<String> out = new ArrayList<>();
        RecordComponent[] rc = type.getRecordComponents();
        if (rc == null) {
            out.add("(" + type.getName() + " is not a record of ints)");
            return out;
        }
        for (RecordComponent c : rc) {
            if (c.getType() != int.class) {
                out.add(c.getName() + ": " + c.getType().getName());
            }
        }
        return out;
    }

    /** One activation operand: its address, its type when the descriptor says it (else null), read or written. */
    private record Access(int addr, DType type, boolean write) { }

    private static DType type8(int signed) {
        return signed == 1 ? DType.INT8 : DType.UINT8;
    }

    /** The activation operands of a layer instruction, typed by its descriptor (see {@code Kernels}). */
    private static List<Access> accesses(Instruction i, Descriptor d) {
        return switch (Descriptor.Kind.of(d)) {
            case CONV -> {
                Descriptor.ConvDesc c = (Descriptor.ConvDesc) d;
                yield List.of(new Access(i.a(), type8(c.inSigned()), false), new Access(i.c(), type8(c.outSigned()), true));
            }
            case MATMUL -> {
                Descriptor.MatMulDesc m = (Descriptor.MatMulDesc) d;
                // B is read from the image (constant weights) or from an activation buffer (attention)
                yield List.of(new Access(i.a(), type8(m.inSigned()), false), new Access(i.b(), type8(m.wSigned()), false),
                        new Access(i.c(), type8(m.outSigned()), true));
            }
            case ELTWISE -> List.of(new Access(i.a(), null, false), new Access(i.b(), null, false),
                    new Access(i.c(), type8(((Descriptor.EltwiseDesc) d).outSigned()), true));
            case POOL -> {
                DType t = type8(((Descriptor.PoolDesc) d).signed());
                yield List.of(new Access(i.a(), t, false), new Access(i.c(), t, true));
            }
            case GAP -> {
                Descriptor.GapDesc g = (Descriptor.GapDesc) d;
                yield List.of(new Access(i.a(), type8(g.inSigned()), false), new Access(i.c(), type8(g.outSigned()), true));
            }
            case LUT -> List.of(new Access(i.a(), null, false),
                    new Access(i.c(), type8(((Descriptor.LutDesc) d).outSigned()), true));
            // GATHER moves bytes (through an optional byte table); its output type is its source's
            case GATHER -> List.of(new Access(i.a(), null, false), new Access(i.c(), null, true));
            case AVGPOOL -> List.of(new Access(i.a(), null, false),
                    new Access(i.c(), type8(((Descriptor.AvgPoolDesc) d).outSigned()), true));
            case SOFTMAX -> {
                Descriptor.SoftmaxDesc sm = (Descriptor.SoftmaxDesc) d;
                yield List.of(new Access(i.a(), type8(sm.inSigned()), false), new Access(i.c(), type8(sm.outSigned()), true));
            }
            case RESIZE -> {
                Descriptor.ResizeDesc r = (Descriptor.ResizeDesc) d;
                yield List.of(new Access(i.a(), type8(r.inSigned()), false), new Access(i.c(), type8(r.outSigned()), true));
            }
        };
    }
}
