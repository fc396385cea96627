package io.intbench.sim.audit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Reads compiled classes with ASM and lists every floating-point JVM instruction in them and in every
 * {@code io.intbench} method they call, directly or through any chain of calls. It is the code half of
 * the no-float audit: the simulator's execution path must be integer-only, like the hardware it models.
 *
 * <p>What counts as floating point (JVMS 17 chapter 6 names the instructions):
 * <ul>
 *   <li>float/double arithmetic {@code FADD..DREM}, {@code FNEG}, {@code DNEG}; conversions to or from
 *       float/double ({@code I2F .. D2F}); constants ({@code FCONST_*}, {@code DCONST_*}, {@code LDC}
 *       of a Float or Double); loads, stores, returns, array loads/stores and comparisons of floats and
 *       doubles; {@code NEWARRAY} of float/double;</li>
 *   <li>any field access, type instruction, method or {@code invokedynamic} call whose descriptor
 *       carries a float, double, Float or Double (so {@code Math.rint(D)D}, {@code Math.fma},
 *       {@code StrictMath.*}, {@code String.valueOf(F)} and a float string concatenation are caught),
 *       and any reference to {@code java.lang.Float} or {@code java.lang.Double} at all
 *       ({@code Float.floatToRawIntBits}, {@code Float.TYPE}, ...);</li>
 *   <li>an audited method whose own descriptor has such a type, and a float-typed field declared by
 *       an audited class.</li>
 * </ul>
 *
 * <p>The walk: every method (static initialisers included) of the root classes and their nest members
 * (nested, inner and synthetic classes, e.g. an enum switch map), then, transitively, every
 * {@code io.intbench} method reached by {@code INVOKESTATIC/VIRTUAL/SPECIAL/INTERFACE}, by a method handle
 * in an {@code invokedynamic} (lambdas and method references), and the static initialiser of every
 * {@code io.intbench} class whose members are used. A virtual call is followed to the implementation
 * the owner's hierarchy declares and to the overrides in its sealed subclasses; an abstract target with no
 * sealed hierarchy cannot be enumerated and is reported as unresolved instead of being silently skipped.
 * JDK methods are not entered (their descriptors are checked at the call).
 */
final class FloatBytecodeAudit {

    /** Package prefix (internal form) of the code the walk enters. */
    static final String PROJECT = "io/intbench/";

    /** One floating-point finding. {@code line} is -1 when the class has no line table. */
    record Hit(String where, String what, int line, String reachedFrom) {
        @Override
        public String toString() {
            return where + ":" + what + (line >= 0 ? " (line " + line + ")" : "")
                    + (reachedFrom == null ? "" : " [reached from " + reachedFrom + "]");
        }
    }

    /**
     * The audit's outcome.
     *
     * @param hits            every floating-point instruction, call, constant, descriptor or field found
     * @param unresolved      calls into io.intbench whose targets could not be enumerated (a gap in the audit)
     * @param classes         classes with at least one audited method
     * @param methods         methods audited
     * @param instructions    JVM instructions audited
     * @param auditedMethods  {@code owner.name descriptor} of every audited method, sorted
     */
    record Report(List<Hit> hits, List<String> unresolved, int classes, int methods, int instructions,
                  Set<String> auditedMethods) {
        String summary() {
            return String.format("no-float code audit: %d classes, %d methods, %d JVM instructions audited; "
                    + "%d floating-point findings, %d unresolved calls", classes, methods, instructions, hits.size(),
                    unresolved.size());
        }
    }

    /** Opcodes that are floating point by themselves, with their JVMS mnemonics. */
    private static final Map<Integer, String> FLOAT_OPCODES = mnemonics(
            "FADD", "DADD", "FSUB", "DSUB", "FMUL", "DMUL", "FDIV", "DDIV", "FREM", "DREM", "FNEG", "DNEG",
            "I2F", "I2D", "L2F", "L2D", "F2I", "F2L", "F2D", "D2I", "D2L", "D2F",
            "FCONST_0", "FCONST_1", "FCONST_2", "DCONST_0", "DCONST_1",
            "FLOAD", "DLOAD", "FSTORE", "DSTORE", "FRETURN", "DRETURN", "FALOAD", "DALOAD", "FASTORE", "DASTORE",
            "FCMPL", "FCMPG", "DCMPL", "DCMPG");

    /** Mnemonics of the instructions whose operand (a type, field or method) can carry a float type. */
    private static final Map<Integer, String> OPERAND_OPCODES = mnemonics(
            "NEW", "ANEWARRAY", "CHECKCAST", "INSTANCEOF", "GETSTATIC", "PUTSTATIC", "GETFIELD", "PUTFIELD",
            "INVOKEVIRTUAL", "INVOKESPECIAL", "INVOKESTATIC", "INVOKEINTERFACE");

    /** Opcode values read from ASM's {@link Opcodes} constants of the same names. */
    private static Map<Integer, String> mnemonics(String... names) {
        Map<Integer, String> out = new HashMap<>();
        for (String n : names) {
            try {
                out.put(Opcodes.class.getField(n).getInt(null), n);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("ASM has no opcode constant " + n, e);
            }
        }
        return Map.copyOf(out);
    }

    private record Call(int opcode, String owner, String name, String desc) { }

    private record Finding(String what, int line) { }

    private static final class MethodInfo {
        final String owner;
        final String name;
        final String desc;
        final int access;
        int instructions;
        final List<Finding> findings = new ArrayList<>();
        final List<Call> calls = new ArrayList<>();
        final Set<String> usedClasses = new LinkedHashSet<>();

        MethodInfo(String owner, String name, String desc, int access) {
            this.owner = owner;
            this.name = name;
            this.desc = desc;
            this.access = access;
        }

        String id() { return owner.replace('/', '.') + "." + name + " " + desc; }

        String display() { return owner.replace('/', '.') + "." + name; }
    }

    private static final class ClassInfo {
        String name;
        String superName;
        String[] interfaces = new String[0];
        int access;
        final List<String> nestMembers = new ArrayList<>();
        final List<String> permittedSubclasses = new ArrayList<>();
        final Map<String, String> fields = new LinkedHashMap<>();
        final Map<String, MethodInfo> methods = new LinkedHashMap<>();
    }

    private final ClassLoader loader;
    private final Map<String, ClassInfo> classes = new HashMap<>();

    private FloatBytecodeAudit(ClassLoader loader) {
        this.loader = loader;
    }

    /** Audits every method of {@code roots} (and their nest members) and everything they reach in io.intbench. */
    static Report audit(Class<?>... roots) {
        return new FloatBytecodeAudit(FloatBytecodeAudit.class.getClassLoader()).run(roots);
    }

    private Report run(Class<?>... roots) {
        Deque<MethodInfo> queue = new ArrayDeque<>();
        Map<MethodInfo, String> reachedFrom = new HashMap<>();
        Set<MethodInfo> seen = new LinkedHashSet<>();
        Set<String> auditedClasses = new LinkedHashSet<>();
        List<Hit> hits = new ArrayList<>();
        Set<String> unresolved = new TreeSet<>();

        for (Class<?> root : roots) {
            String rootName = Type.getInternalName(root);
            ClassInfo host = require(rootName);
            List<String> members = new ArrayList<>();
            members.add(rootName);
            members.addAll(host.nestMembers);
            for (String m : members) {
                for (MethodInfo mi : require(m).methods.values()) {
                    if (seen.add(mi)) {
                        queue.add(mi);
                    }
                }
            }
        }
        int instructions = 0;
        while (!queue.isEmpty()) {
            MethodInfo m = queue.poll();
            String via = reachedFrom.get(m);
            instructions += m.instructions;
            if (auditedClasses.add(m.owner)) {
                ClassInfo c = require(m.owner);
                for (Map.Entry<String, String> f : c.fields.entrySet()) {
                    if (floatish(Type.getType(f.getValue()))) {
                        hits.add(new Hit(m.owner.replace('/', '.') + "." + f.getKey(),
                                "field of type " + Type.getType(f.getValue()).getClassName(), -1, null));
                    }
                }
                enqueue(c.methods.get("<clinit>()V"), m, queue, seen, reachedFrom);
            }
            for (Finding f : m.findings) {
                hits.add(new Hit(m.display(), f.what(), f.line(), via));
            }
            for (String used : m.usedClasses) {
                ClassInfo c = load(used);
                if (c == null) {
                    unresolved.add(m.display() + " uses " + used + ", whose class file is not on the class path");
                } else {
                    enqueue(c.methods.get("<clinit>()V"), m, queue, seen, reachedFrom);
                }
            }
            for (Call call : m.calls) {
                for (MethodInfo target : resolve(call, m, unresolved)) {
                    enqueue(target, m, queue, seen, reachedFrom);
                }
            }
        }
        TreeSet<String> ids = new TreeSet<>();
        for (MethodInfo m : seen) {
            ids.add(m.id());
        }
        return new Report(List.copyOf(hits), List.copyOf(unresolved), auditedClasses.size(), seen.size(), instructions,
                ids);
    }

    private static void enqueue(MethodInfo target, MethodInfo from, Deque<MethodInfo> queue, Set<MethodInfo> seen,
                                Map<MethodInfo, String> reachedFrom) {
        if (target != null && seen.add(target)) {
            reachedFrom.put(target, from.display());
            queue.add(target);
        }
    }

    /** The io.intbench methods a call may run: the inherited implementation and, for virtual calls, sealed overrides. */
    private List<MethodInfo> resolve(Call call, MethodInfo caller, Set<String> unresolved) {
        List<MethodInfo> out = new ArrayList<>();
        if (call.owner().startsWith("[")) {
            return out;                                   // clone() of an array: a JDK intrinsic
        }
        ClassInfo owner = load(call.owner());
        if (owner == null) {
            unresolved.add(caller.display() + " calls " + call.owner() + "." + call.name()
                    + ", whose class file is not on the class path");
            return out;
        }
        MethodInfo m = findInHierarchy(owner, call.name() + call.desc(), new LinkedHashSet<>());
        if (m != null) {
            out.add(m);
        }
        // Not found in io.intbench types: inherited from the JDK (Object, Enum, Record, Throwable), whose
        // descriptor was already checked at the call site.
        boolean virtual = call.opcode() == Opcodes.INVOKEVIRTUAL || call.opcode() == Opcodes.INVOKEINTERFACE;
        if (virtual && !call.name().startsWith("<")) {
            List<MethodInfo> overrides = new ArrayList<>();
            boolean enumerable = collectSealedOverrides(owner, call.name() + call.desc(), overrides, new LinkedHashSet<>());
            out.addAll(overrides);
            boolean abstractTarget = m != null && (m.access & Opcodes.ACC_ABSTRACT) != 0;
            if (abstractTarget && !enumerable) {
                unresolved.add(caller.display() + " calls abstract " + m.display() + " of a hierarchy that is not sealed:"
                        + " its implementations cannot be enumerated");
            }
        }
        return out;
    }

    private MethodInfo findInHierarchy(ClassInfo c, String key, Set<String> visited) {
        if (c == null || !visited.add(c.name)) {
            return null;
        }
        MethodInfo m = c.methods.get(key);
        if (m != null) {
            return m;
        }
        if (c.superName != null && c.superName.startsWith(PROJECT)) {
            m = findInHierarchy(load(c.superName), key, visited);
            if (m != null) {
                return m;
            }
        }
        for (String i : c.interfaces) {
            if (i.startsWith(PROJECT)) {
                m = findInHierarchy(load(i), key, visited);
                if (m != null) {
                    return m;
                }
            }
        }
        return null;
    }

    /**
     * Adds the overrides of {@code key} declared anywhere below {@code c} through sealed hierarchies;
     * false when some subtype may exist that the class files do not list (a non-final, non-sealed type).
     */
    private boolean collectSealedOverrides(ClassInfo c, String key, List<MethodInfo> out, Set<String> visited) {
        if (!visited.add(c.name)) {
            return true;
        }
        boolean isFinal = (c.access & Opcodes.ACC_FINAL) != 0;
        if (isFinal) {
            return true;
        }
        if (c.permittedSubclasses.isEmpty()) {
            return false;
        }
        boolean all = true;
        for (String sub : c.permittedSubclasses) {
            ClassInfo s = load(sub);
            if (s == null) {
                return false;
            }
            MethodInfo m = s.methods.get(key);
            if (m != null) {
                out.add(m);
            }
            all &= collectSealedOverrides(s, key, out, visited);
        }
        return all;
    }

    private ClassInfo require(String internalName) {
        ClassInfo c = load(internalName);
        if (c == null) {
            throw new IllegalStateException("class file of " + internalName + " not found on the class path");
        }
        return c;
    }

    /** Parses a class file once; null when it is not on the class path. */
    private ClassInfo load(String internalName) {
        if (classes.containsKey(internalName)) {
            return classes.get(internalName);
        }
        ClassInfo info = null;
        try (InputStream in = loader.getResourceAsStream(internalName + ".class")) {
            if (in != null) {
                info = new ClassInfo();
                new ClassReader(in).accept(new Collector(info), ClassReader.SKIP_FRAMES);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the class file of " + internalName, e);
        }
        classes.put(internalName, info);
        return info;
    }

    // ---------------------------------------------------------------------------------------------
    // Type tests
    // ---------------------------------------------------------------------------------------------

    /** float, double, their boxes, or arrays of any of them. */
    static boolean floatish(Type t) {
        return switch (t.getSort()) {
            case Type.FLOAT, Type.DOUBLE -> true;
            case Type.ARRAY -> floatish(t.getElementType());
            case Type.OBJECT -> isFloatBox(t.getInternalName());
            case Type.METHOD -> {
                boolean any = floatish(t.getReturnType());
                for (Type a : t.getArgumentTypes()) {
                    any |= floatish(a);
                }
                yield any;
            }
            default -> false;
        };
    }

    private static boolean isFloatBox(String internalName) {
        return internalName.equals("java/lang/Float") || internalName.equals("java/lang/Double");
    }

    /** A type instruction's operand is an internal name or, for arrays, a descriptor. */
    private static boolean floatishTypeOperand(String type) {
        return type.startsWith("[") ? floatish(Type.getType(type)) : isFloatBox(type);
    }

    // ---------------------------------------------------------------------------------------------
    // Class-file reading
    // ---------------------------------------------------------------------------------------------

    private static final class Collector extends ClassVisitor {
        private final ClassInfo info;

        Collector(ClassInfo info) {
            super(Opcodes.ASM9);
            this.info = info;
        }

        @Override
        public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
            info.name = name;
            info.access = access;
            info.superName = superName;
            info.interfaces = interfaces == null ? new String[0] : interfaces;
        }

        @Override
        public void visitNestMember(String nestMember) {
            info.nestMembers.add(nestMember);
        }

        @Override
        public void visitPermittedSubclass(String permittedSubclass) {
            info.permittedSubclasses.add(permittedSubclass);
        }

        @Override
        public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
            info.fields.put(name, descriptor);
            return null;
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
            MethodInfo m = new MethodInfo(info.name, name, descriptor, access);
            info.methods.put(name + descriptor, m);
            if (floatish(Type.getMethodType(descriptor))) {
                m.findings.add(new Finding("descriptor " + descriptor, -1));
            }
            return new BodyScanner(m);
        }
    }

    /** Scans one method body: counts instructions, records float findings, calls and used project classes. */
    private static final class BodyScanner extends MethodVisitor {
        private final MethodInfo m;
        private int line = -1;

        BodyScanner(MethodInfo m) {
            super(Opcodes.ASM9);
            this.m = m;
        }

        private void flag(String what) {
            m.findings.add(new Finding(what, line));
        }

        private static String name(int opcode) {
            String n = FLOAT_OPCODES.get(opcode);
            return n != null ? n : OPERAND_OPCODES.getOrDefault(opcode, "opcode " + opcode);
        }

        @Override
        public void visitLineNumber(int line, Label start) {
            this.line = line;
        }

        @Override
        public void visitInsn(int opcode) {
            m.instructions++;
            if (FLOAT_OPCODES.containsKey(opcode)) {
                flag(name(opcode));
            }
        }

        @Override
        public void visitIntInsn(int opcode, int operand) {
            m.instructions++;
            if (opcode == Opcodes.NEWARRAY && (operand == Opcodes.T_FLOAT || operand == Opcodes.T_DOUBLE)) {
                flag("NEWARRAY " + (operand == Opcodes.T_FLOAT ? "float" : "double"));
            }
        }

        @Override
        public void visitVarInsn(int opcode, int varIndex) {
            m.instructions++;
            if (FLOAT_OPCODES.containsKey(opcode)) {
                flag(name(opcode) + " " + varIndex);
            }
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            m.instructions++;
            if (floatishTypeOperand(type)) {
                flag(name(opcode) + " " + type);
            }
            if (type.startsWith(PROJECT)) {
                m.usedClasses.add(type);
            }
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            m.instructions++;
            if (floatish(Type.getType(descriptor)) || isFloatBox(owner)) {
                flag(name(opcode) + " " + owner + "." + name + " " + descriptor);
            }
            if (owner.startsWith(PROJECT)) {
                m.usedClasses.add(owner);
            }
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            m.instructions++;
            if (floatish(Type.getMethodType(descriptor)) || floatishTypeOperand(owner)) {
                flag(name(opcode) + " " + owner + "." + name + descriptor);
            }
            if (owner.startsWith(PROJECT)) {
                m.calls.add(new Call(opcode, owner, name, descriptor));
            }
        }

        @Override
        public void visitInvokeDynamicInsn(String name, String descriptor, Handle bsm, Object... bsmArgs) {
            m.instructions++;
            if (floatish(Type.getMethodType(descriptor))) {
                flag("INVOKEDYNAMIC " + name + descriptor);
            }
            handle(bsm);
            for (Object arg : bsmArgs) {
                constant("INVOKEDYNAMIC " + name + " argument", arg);
            }
        }

        private void handle(Handle h) {
            boolean fieldHandle = h.getTag() <= Opcodes.H_PUTSTATIC;
            Type t = fieldHandle ? Type.getType(h.getDesc()) : Type.getMethodType(h.getDesc());
            if (floatish(t) || floatishTypeOperand(h.getOwner())) {
                flag("method handle " + h.getOwner() + "." + h.getName() + h.getDesc());
            }
            if (h.getOwner().startsWith(PROJECT)) {
                if (fieldHandle) {
                    m.usedClasses.add(h.getOwner());
                } else {
                    int opcode = switch (h.getTag()) {
                        case Opcodes.H_INVOKESTATIC -> Opcodes.INVOKESTATIC;
                        case Opcodes.H_INVOKEINTERFACE -> Opcodes.INVOKEINTERFACE;
                        case Opcodes.H_INVOKESPECIAL, Opcodes.H_NEWINVOKESPECIAL -> Opcodes.INVOKESPECIAL;
                        default -> Opcodes.INVOKEVIRTUAL;
                    };
                    m.calls.add(new Call(opcode, h.getOwner(), h.getName(), h.getDesc()));
                }
            }
        }

        private void constant(String context, Object value) {
            if (value instanceof Float || value instanceof Double) {
                flag(context + " " + value.getClass().getSimpleName().toLowerCase() + " constant " + value);
            } else if (value instanceof Type t) {
                if (floatish(t)) {
                    flag(context + " type " + t.getDescriptor());
                }
            } else if (value instanceof Handle h) {
                handle(h);
            } else if (value instanceof ConstantDynamic cd) {
                if (floatish(Type.getType(cd.getDescriptor()))) {
                    flag(context + " dynamic constant " + cd.getName() + " " + cd.getDescriptor());
                }
                handle(cd.getBootstrapMethod());
                for (int i = 0; i < cd.getBootstrapMethodArgumentCount(); i++) {
                    constant(context, cd.getBootstrapMethodArgument(i));
                }
            }
        }

        @Override
        public void visitLdcInsn(Object value) {
            m.instructions++;
            constant("LDC", value);
        }

        @Override
        public void visitJumpInsn(int opcode, Label label) {
            m.instructions++;
        }

        @Override
        public void visitIincInsn(int varIndex, int increment) {
            m.instructions++;
        }

        @Override
        public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
            m.instructions++;
        }

        @Override
        public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
            m.instructions++;
        }

        @Override
        public void visitMultiANewArrayInsn(String descriptor, int numDimensions) {
            m.instructions++;
            if (floatish(Type.getType(descriptor))) {
                flag("MULTIANEWARRAY " + descriptor);
            }
        }
    }
}
