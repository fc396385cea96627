package io.intbench.compiler.lower;

import io.intbench.compiler.RequantMode;
import io.intbench.compiler.qir.QModel;
import io.intbench.compiler.qir.QOp;
import io.intbench.compiler.qir.QTensor;
import io.intbench.compiler.quant.Multipliers;
import io.intbench.compiler.quant.Tables;
import io.intbench.isa.Descriptor;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.Instruction;
import io.intbench.isa.IntbenchException;
import io.intbench.isa.Opcode;
import io.intbench.isa.Program;
import io.intbench.isa.TensorDesc;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers matched quantized ops to the ISA: derives every integer constant from the float scales
 * (the compile-time half of requantization, as TFLite Micro's Prepare does), lays out DRAM (constants
 * first, then one buffer per activation), and emits per layer: a load of its constants, loads of its
 * activations, the compute instruction and a store, synchronised by dependency tokens.
 *
 * <p>Token protocol, per layer {@code i}: the last activation load pushes a token to execute; the
 * compute pops it and pushes one to store; the store pops it and (except for the last layer) pushes
 * one back to execute, where a NOP relays it to the load queue; layer {@code i+1}'s first activation
 * load pops it. So activations are read only after the producing layer's store has finished, while
 * the constant (weight) loads of layer {@code i+1} run ahead, overlapping layer {@code i}'s compute.
 */
public final class Lowering {
    private static final int ALIGN = 64;

    private final QModel model;
    private final HardwareConfig cfg;
    private final RequantMode mode;
    private final Image image = new Image();
    private final List<Descriptor> descs = new ArrayList<>();
    private final List<Instruction> code = new ArrayList<>();
    private final List<Integer> pcLayer = new ArrayList<>();
    private final List<Program.Layer> layers = new ArrayList<>();
    /** storage name of every tensor name (aliases share storage). */
    private final Map<String, String> storage = new HashMap<>();
    private final Map<String, Integer> addr = new LinkedHashMap<>();
    private final Tiler.Memo tilings;

    private Lowering(QModel model, HardwareConfig cfg, RequantMode mode) {
        this.model = model;
        this.cfg = cfg;
        this.mode = mode;
        this.tilings = new Tiler.Memo(cfg);
    }

    public static Program lower(QModel model, HardwareConfig cfg, RequantMode mode) {
        return new Lowering(model, cfg, mode).run();
    }

    private record Emitted(QOp op, Opcode opcode, int desc, int constAddr, int constBytes, List<QTensor> actInputs,
                           QTensor constInput, List<Part> parts) {
        Emitted(QOp op, Opcode opcode, int desc, int constAddr, int constBytes, List<QTensor> actInputs, QTensor constInput) {
            this(op, opcode, desc, constAddr, constBytes, actInputs, constInput, null);
        }
    }

    /**
     * One GATHER instruction of a layer made of several (a Concat: one per input): it reads {@code in} from
     * byte {@code inOffset} and writes the output from byte {@code outOffset}.
     */
    private record Part(int desc, QTensor in, long inOffset, long outOffset) { }

    private Program run() {
        for (QOp op : model.ops()) {
            if (op instanceof QOp.Alias a) {
                storage.put(a.out().name(), storageOf(a.in().name()));
            }
        }
        // constants of every op, then activations
        List<Emitted> emitted = new ArrayList<>();
        for (QOp op : model.ops()) {
            if (!(op instanceof QOp.Alias)) {
                emitted.add(constants(op));
            }
        }
        image.align();
        int constantsEnd = image.size();
        long next = constantsEnd;
        List<QTensor> acts = new ArrayList<>();
        for (QModel.Input in : model.inputs()) {
            acts.add(in.q());
        }
        for (QOp op : model.ops()) {
            acts.add(op.out());
        }
        for (QTensor t : acts) {
            String s = storageOf(t.name());
            if (!addr.containsKey(s)) {
                addr.put(s, (int) next);
                next = align(next + t.elements());
                if (next > Integer.MAX_VALUE) {
                    throw new IntbenchException.UnsupportedModel(model.name() + ": activations need " + next
                            + " bytes of DRAM, more than the 2 GiB the 32-bit addresses reach");
                }
            }
        }
        int dramSize = (int) Math.max(next, 64);
        for (int i = 0; i < emitted.size(); i++) {
            emit(emitted.get(i), i, i == emitted.size() - 1);
        }
        code.add(Instruction.of(Opcode.HALT, 0, 0, 0, 0));
        pcLayer.add(-1);
        return new Program(cfg.name(), cfg.hash(), mode.code(), model.name(), code, descs, dramSize,
                image.toArray(constantsEnd), tensors(), layers,
                pcLayer.stream().mapToInt(Integer::intValue).toArray());
    }

    private String storageOf(String name) {
        String s = storage.get(name);
        return s == null ? name : s;
    }

    private int addrOf(QTensor t) {
        Integer a = addr.get(storageOf(t.name()));
        if (a == null) {
            throw new IllegalStateException("no storage for " + t.name());
        }
        return a;
    }

    private static long align(long v) {
        return (v + ALIGN - 1) / ALIGN * ALIGN;
    }

    // ----- constants and descriptors --------------------------------------------------------------

    /** The layer's constants; a scale ratio no integer multiplier can represent is refused naming the layer. */
    private Emitted constants(QOp op) {
        try {
            return constantsOf(op);
        } catch (IllegalArgumentException e) {
            throw new IntbenchException.UnsupportedModel("layer '" + op.name() + "' (" + op.kind() + ", ONNX nodes "
                    + String.join(", ", op.nodes()) + "): " + e.getMessage()
                    + "; its scales cannot be turned into an integer requantization");
        }
    }

    private Emitted constantsOf(QOp op) {
        image.align();
        int start = image.size();
        Emitted e;
        if (op instanceof QOp.Conv c) {
                int outC = c.wShape()[0];
                int w = image.putBytes(c.weights());
                int wzp = image.putInts(c.wZp());
                int bias = image.putInts(c.bias());
                int rq = image.putInts(requant(c.in().scale(), c.wScale(), c.out().scale(), 1f, false));
                if (c.leaky()) {
                    // a fused LeakyRelu: negative accumulators are requantized with alpha * M, right after the first array
                    image.putInts(leakyRequant(c.in().scale(), c.wScale(), c.out().scale(), c.negativeSlope()));
                }
                long[] is = c.in().shape();
                long[] os = c.out().shape();
                Descriptor.ConvDesc d = new Descriptor.ConvDesc((int) is[0], (int) is[1], (int) is[2], (int) is[3],
                        outC, (int) os[2], (int) os[3], c.wShape()[2], c.wShape()[3], c.strides()[0], c.strides()[1],
                        c.pads()[0], c.pads()[1], c.dilations()[0], c.dilations()[1], c.groups(),
                        b(c.in().signed()), c.in().zeroPoint(), b(c.wType() == io.intbench.isa.DType.INT8), wzp, bias, rq,
                        mode.code(), b(c.out().signed()), c.out().zeroPoint(), c.clampLo(), c.clampHi(), b(c.leaky()));
                if (os[1] != outC || os[0] != is[0] || is[1] != (long) c.wShape()[1] * c.groups()) {
                    throw new IntbenchException.UnsupportedModel("layer " + c.name() + ": input " + Arrays.toString(is)
                            + ", weights " + Arrays.toString(c.wShape()) + " with " + c.groups() + " groups and output "
                            + Arrays.toString(os) + " do not agree");
                }
                e = new Emitted(op, Opcode.CONV, desc(d), w, 0, List.of(c.in()), null);
        } else if (op instanceof QOp.MatMul m) {
                int w = image.putBytes(m.weights());
                int wzp = image.putInts(m.wZp());
                int bias = image.putInts(m.bias());
                int rq = image.putInts(requant(m.in().scale(), m.wScale(), m.out().scale(), m.alpha(), m.gemm()));
                Descriptor.MatMulDesc d = new Descriptor.MatMulDesc(m.rows(), m.k(), m.n(), b(m.in().signed()), m.in().zeroPoint(),
                        b(m.wType() == io.intbench.isa.DType.INT8), wzp, bias, rq, mode.code(), b(m.out().signed()),
                        m.out().zeroPoint(), m.clampLo(), m.clampHi());
                e = new Emitted(op, Opcode.MATMUL, desc(d), w, 0, m.inputs(), null);
        } else if (op instanceof QOp.Add a) {
                // ORT's broadcaster hands its kernel one span at a time; an operand constant along the
                // innermost dimension is a scalar per span and takes the kernel's scalar path
                boolean scalarB = spanScalar(a.b().shape(), a.out().shape());
                boolean scalarA = !scalarB && spanScalar(a.a().shape(), a.out().shape());
                int table = image.putBytes(a.kernel() == QOp.Add.Kernel.FLOAT
                        ? Tables.floatAdd(a.a(), a.b(), a.out(), floatFunction(a.functionA()), floatFunction(a.functionB()),
                                a.clampLo(), a.clampHi())
                        : Tables.add(a.a(), a.b(), a.out(), scalarA, scalarB, a.kernel() == QOp.Add.Kernel.QLINEAR_UINT8,
                                a.clampLo(), a.clampHi()));
                e = eltwise(op, a.a(), a.b(), a.out(), table);
        } else if (op instanceof QOp.MaxPool p) {
                long[] is = p.in().shape();
                long[] os = p.out().shape();
                Descriptor.PoolDesc d = new Descriptor.PoolDesc((int) is[0], (int) is[1], (int) is[2], (int) is[3], (int) os[2],
                        (int) os[3], p.kernel()[0], p.kernel()[1], p.strides()[0], p.strides()[1], p.pads()[0], p.pads()[1],
                        p.dilations()[0], p.dilations()[1], b(p.in().signed()));
                e = new Emitted(op, Opcode.MAXPOOL, desc(d), 0, 0, List.of(p.in()), null);
        } else if (op instanceof QOp.GlobalAvgPool gp) {
                long[] is = gp.in().shape();
                int hw = (int) (is[2] * is[3]);
                int[] rq = mode == RequantMode.ORT
                        ? ort(Multipliers.ortGapScale(gp.in().scale(), gp.out().scale(), hw))
                        : fixed((double) gp.in().scale() / ((double) gp.out().scale() * hw));
                int rqAddr = image.putInts(rq);
                Descriptor.GapDesc d = new Descriptor.GapDesc((int) is[0], (int) is[1], hw, b(gp.in().signed()),
                        gp.in().zeroPoint(), rqAddr, mode.code(), b(gp.out().signed()), gp.out().zeroPoint());
                e = new Emitted(op, Opcode.GAVGPOOL, desc(d), 0, 0, List.of(gp.in()), null);
        } else if (op instanceof QOp.Rescale r) {
                int table = image.putBytes(Tables.rescale(r.in(), r.out(), r.clampLo(), r.clampHi()));
                Descriptor.LutDesc d = new Descriptor.LutDesc((int) r.in().elements(), table, b(r.out().signed()));
                e = new Emitted(op, Opcode.LUT, desc(d), 0, 0, List.of(r.in()), null);
        } else if (op instanceof QOp.Unary u) {
                int table = image.putBytes(Tables.unary(u.in(), u.out(), u.f(), u.clampLo(), u.clampHi()));
                Descriptor.LutDesc d = new Descriptor.LutDesc((int) u.in().elements(), table, b(u.out().signed()));
                e = new Emitted(op, Opcode.LUT, desc(d), 0, 0, List.of(u.in()), null);
        } else if (op instanceof QOp.Mul m) {
                int table = image.putBytes(Tables.mul(m.a(), m.b(), m.out(), m.clampLo(), m.clampHi()));
                e = eltwise(op, m.a(), m.b(), m.out(), table);
        } else if (op instanceof QOp.Gather gt) {
                int table = gt.in().sameParams(gt.out()) ? -1 : image.putBytes(Tables.rescale(gt.in(), gt.out(),
                        gt.out().type().qmin(), gt.out().type().qmax()));
                long[] os = gt.out().shape();
                long[] is = gt.in().shape();
                long[] ins = cStrides(is);
                List<Axis> axes = new ArrayList<>();
                long[] ost = cStrides(os);
                for (int k = 0; k < os.length; k++) {
                    int[] off = new int[(int) os[k]];
                    for (int j = 0; j < off.length; j++) {
                        off[j] = Math.toIntExact(gt.index()[k][j] * ins[gt.axisOf()[k]]);
                    }
                    axes.add(new Axis(off, ost[k]));
                }
                Part part = gatherPart(gt.name(), gt.in(), axes, 0, table);
                e = new Emitted(op, Opcode.GATHER, part.desc(), 0, 0, List.of(gt.in()), null, List.of(part));
        } else if (op instanceof QOp.Concat cc) {
                long[] os = cc.out().shape();
                long[] ost = cStrides(os);
                List<Part> parts = new ArrayList<>();
                long at = 0;
                for (QTensor in : cc.ins()) {
                    int table = in.sameParams(cc.out()) ? -1 : image.putBytes(Tables.rescale(in, cc.out(),
                            cc.out().type().qmin(), cc.out().type().qmax()));
                    long[] is = in.shape();
                    long[] ins = cStrides(is);
                    List<Axis> axes = new ArrayList<>();
                    for (int k = 0; k < is.length; k++) {
                        int[] off = new int[(int) is[k]];
                        for (int j = 0; j < off.length; j++) {
                            off[j] = Math.toIntExact(j * ins[k]);
                        }
                        axes.add(new Axis(off, ost[k]));
                    }
                    parts.add(gatherPart(cc.name(), in, axes, at * ost[cc.axis()], table));
                    at += is[cc.axis()];
                }
                e = new Emitted(op, Opcode.GATHER, parts.get(0).desc(), 0, 0, cc.ins(), null, parts);
        } else if (op instanceof QOp.ResizeLinear rl) {
                int y = image.putInts(rl.yTab());
                int x = image.putInts(rl.xTab());
                int dq = rl.onCodes() ? 0 : image.putInts(Tables.dequantizeBits(rl.in()));
                Descriptor.ResizeDesc d = new Descriptor.ResizeDesc(rl.planes(), rl.inH(), rl.inW(), rl.channels(), rl.outH(), rl.outW(), y, x,
                        b(rl.in().signed()), b(!rl.onCodes()), dq, Float.floatToRawIntBits(rl.out().scale()),
                        rl.out().zeroPoint(), b(rl.out().signed()));
                e = new Emitted(op, Opcode.RESIZE, desc(d), 0, 0, List.of(rl.in()), null);
        } else if (op instanceof QOp.Pad pd) {
                e = padParts(pd);
        } else if (op instanceof QOp.AvgPool ap) {
                long[] is = ap.in().shape();
                long[] os = ap.out().shape();
                int dq = image.putInts(ap.function() == null ? Tables.dequantizeBits(ap.in())
                        : Tables.floatBits(ap.in(), io.intbench.compiler.quant.OrtFloat.of(ap.function())));
                // a ReduceMean without keepdims has [N, C] as its output shape: one value per plane all the same
                Descriptor.AvgPoolDesc d = new Descriptor.AvgPoolDesc((int) is[0], (int) is[1], (int) is[2], (int) is[3],
                        os.length == 4 ? (int) os[2] : 1, os.length == 4 ? (int) os[3] : 1, ap.kernel()[0], ap.kernel()[1], ap.strides()[0], ap.strides()[1],
                        ap.pads()[0], ap.pads()[1], b(ap.countIncludePad()), dq, Float.floatToRawIntBits(ap.out().scale()),
                        ap.out().zeroPoint(), b(ap.out().signed()), ap.sumOrder(), b(ap.floatPool()));
                e = new Emitted(op, Opcode.AVGPOOL, desc(d), 0, 0, List.of(ap.in()), null);
        } else if (op instanceof QOp.Softmax sm) {
                long[] is = sm.in().shape();
                int dlen = (int) is[is.length - 1];
                int rows = (int) (sm.in().elements() / dlen);
                int exp = image.putInts(Tables.softmaxExp(sm.in().scale(), dlen, sm.in().signed()));
                Descriptor.SoftmaxDesc d = new Descriptor.SoftmaxDesc(rows, dlen, exp, Tables.softmaxScaleBits(sm.out().scale()),
                        sm.out().zeroPoint(), b(sm.in().signed()), b(sm.out().signed()), b(sm.saturate()));
                e = new Emitted(op, Opcode.SOFTMAX, desc(d), 0, 0, List.of(sm.in()), null);
        } else {
            throw new IllegalStateException("aliases emit nothing");
        }
        return new Emitted(e.op(), e.opcode(), e.desc(), start, image.size() - start, e.actInputs(), e.constInput(), e.parts());
    }

    /** ELTWISE through a 65,536-entry table, with numpy broadcasting; constant operands go to the image. */
    private Emitted eltwise(QOp op, QTensor a, QTensor bT, QTensor out, int table) {
        QTensor constIn = null;
        List<QTensor> actIn = new ArrayList<>();
        for (QTensor t : List.of(a, bT)) {
            if (t.constant() != null) {
                image.align();
                addr.put(t.name(), image.putBytes(t.constant()));
                constIn = t;
            } else {
                actIn.add(t);
            }
        }
        long[] os = out.shape();
        if (os.length > 4) {
            throw new IntbenchException.UnsupportedModel("layer " + op.name() + ": " + op.kind() + " of rank " + os.length + " (at most 4)");
        }
        long[] o4 = pad4(os);
        int[] sa = strides4(a.shape(), o4, op.name());
        int[] sb = strides4(bT.shape(), o4, op.name());
        Descriptor.EltwiseDesc d = new Descriptor.EltwiseDesc((int) o4[0], (int) o4[1], (int) o4[2], (int) o4[3],
                sa[0], sa[1], sa[2], sa[3], sb[0], sb[1], sb[2], sb[3], table, b(out.signed()));
        return new Emitted(op, Opcode.ELTWISE, desc(d), 0, 0, actIn, constIn);
    }

    /**
     * Constant-mode Pad as disjoint GATHER parts of the output: the interior copies the input (through a
     * requantization table when the parameters differ); each border slab (the begin and end pads of axis
     * {@code k}, over the interior range of the axes before {@code k} and the whole range of those after)
     * repeats one constant byte, the pad code, stored in the image.
     */
    private Emitted padParts(QOp.Pad pd) {
        QTensor in = pd.in();
        QTensor out = pd.out();
        long[] is = in.shape();
        long[] os = out.shape();
        int r = os.length;
        long[] ins = cStrides(is);
        long[] ost = cStrides(os);
        long[] lo = new long[r];
        long[] hi = new long[r];
        boolean interior = true;
        for (int k = 0; k < r; k++) {
            lo[k] = Math.max(0, pd.begin()[k]);
            hi[k] = Math.min(os[k], pd.begin()[k] + is[k]);
            interior &= hi[k] > lo[k];
        }
        List<Part> parts = new ArrayList<>();
        if (interior) {
            int table = in.sameParams(out) ? -1 : image.putBytes(Tables.rescale(in, out, out.type().qmin(), out.type().qmax()));
            List<Axis> axes = new ArrayList<>();
            long at = 0;
            for (int k = 0; k < r; k++) {
                int[] off = new int[(int) (hi[k] - lo[k])];
                for (int j = 0; j < off.length; j++) {
                    off[j] = Math.toIntExact((lo[k] + j - pd.begin()[k]) * ins[k]);
                }
                axes.add(new Axis(off, ost[k]));
                at += lo[k] * ost[k];
            }
            parts.add(gatherPart(pd.name(), in, axes, at, table));
        }
        QTensor padValue = new QTensor(pd.name() + "#padvalue", out.type(), new long[] {1}, out.scale(), out.zeroPoint(),
                new byte[] {(byte) pd.padCode()});
        image.align();
        addr.put(padValue.name(), image.putBytes(padValue.constant()));
        for (int k = 0; k < r; k++) {
            for (long[] range : new long[][] {{0, interior ? lo[k] : os[k]}, {interior ? hi[k] : os[k], os[k]}}) {
                if (range[1] <= range[0]) {
                    continue;
                }
                List<Axis> axes = new ArrayList<>();
                long at = 0;
                for (int m = 0; m < r; m++) {
                    long from = m < k ? lo[m] : m == k ? range[0] : 0;
                    long to = m < k ? hi[m] : m == k ? range[1] : os[m];
                    axes.add(new Axis(new int[(int) (to - from)], ost[m]));
                    at += from * ost[m];
                }
                parts.add(gatherPart(pd.name(), padValue, axes, at, -1));
            }
            if (!interior) {
                break;   // no interior: the first axis's slab is the whole output
            }
        }
        return new Emitted(pd, Opcode.GATHER, parts.get(0).desc(), 0, 0, List.of(in), null, parts);
    }

    /** One output axis of a gather: the input element offset for each output index, and the output stride. */
    private record Axis(int[] off, long outStride) { }

    private static long[] cStrides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= shape[i];
        }
        return st;
    }

    /**
     * A GATHER descriptor for the given output axes: axes of size 1 fold into the input base offset; while
     * more than four remain, two adjacent axes that are contiguous in the output merge into one (their
     * offset tables combine, so any input pattern stays expressible).
     */
    private Part gatherPart(String layer, QTensor in, List<Axis> axesIn, long outOffset, int table) {
        long base = 0;
        List<Axis> axes = new ArrayList<>();
        for (Axis a : axesIn) {
            if (a.off().length == 1) {
                base += a.off()[0];
            } else {
                axes.add(a);
            }
        }
        while (axes.size() > 4) {
            int best = -1;
            long bestSize = Long.MAX_VALUE;
            for (int k = 0; k + 1 < axes.size(); k++) {
                Axis x = axes.get(k);
                Axis y = axes.get(k + 1);
                long size = (long) x.off().length * y.off().length;
                if (x.outStride() == y.outStride() * y.off().length && size < bestSize) {
                    best = k;
                    bestSize = size;
                }
            }
            if (best < 0 || bestSize > Integer.MAX_VALUE / 8) {
                throw new IntbenchException.UnsupportedModel("layer " + layer + ": a data movement over " + axes.size()
                        + " non-contiguous axes (GATHER has 4)");
            }
            Axis x = axes.get(best);
            Axis y = axes.get(best + 1);
            int[] off = new int[(int) bestSize];
            for (int i = 0; i < x.off().length; i++) {
                for (int j = 0; j < y.off().length; j++) {
                    off[i * y.off().length + j] = x.off()[i] + y.off()[j];
                }
            }
            axes.set(best, new Axis(off, y.outStride()));
            axes.remove(best + 1);
        }
        while (axes.size() < 4) {
            axes.add(0, new Axis(new int[] {0}, 0));
        }
        // the input base offset goes into the first axis's table, so the instruction's input operand is the
        // tensor's own address (what a reader of the program, e.g. per-layer teacher forcing, expects)
        int[] first = axes.get(0).off().clone();
        for (int i = 0; i < first.length; i++) {
            first[i] = Math.toIntExact(first[i] + base);
        }
        axes.set(0, new Axis(first, axes.get(0).outStride()));
        int total = 0;
        for (Axis a : axes) {
            total += a.off().length;
        }
        int[] offs = new int[total];
        int at = 0;
        for (Axis a : axes) {
            System.arraycopy(a.off(), 0, offs, at, a.off().length);
            at += a.off().length;
        }
        int offAddr = image.putInts(offs);
        Descriptor.GatherDesc d = new Descriptor.GatherDesc(axes.get(0).off().length, axes.get(1).off().length,
                axes.get(2).off().length, axes.get(3).off().length, offAddr, Math.toIntExact(axes.get(0).outStride()),
                Math.toIntExact(axes.get(1).outStride()), Math.toIntExact(axes.get(2).outStride()),
                Math.toIntExact(axes.get(3).outStride()), Math.max(table, 0), table >= 0 ? 1 : 0);
        return new Part(desc(d), in, 0, outOffset);
    }

    private static io.intbench.compiler.quant.OrtFloat.Function floatFunction(String op) {
        return op == null ? x -> x : io.intbench.compiler.quant.OrtFloat.of(op);
    }

    /** True when an operand of shape {@code s} is a single value along the innermost dimension of {@code out}. */
    private static boolean spanScalar(long[] s, long[] out) {
        long n = 1;
        for (long d : s) {
            n *= d;
        }
        long outN = 1;
        for (long d : out) {
            outN *= d;
        }
        if (outN <= 1) {
            return false;
        }
        return n == 1 || (s.length > 0 && s[s.length - 1] == 1 && out[out.length - 1] > 1);
    }

    private static long[] pad4(long[] s) {
        long[] o = new long[] {1, 1, 1, 1};
        System.arraycopy(s, 0, o, 4 - s.length, s.length);
        return o;
    }

    /** Element strides of a C-order tensor of shape {@code s} iterated over the 4-D {@code out} (0 along broadcast dims). */
    private static int[] strides4(long[] s, long[] out, String layer) {
        if (s.length > 4) {
            throw new IntbenchException.UnsupportedModel("layer " + layer + ": operand of rank " + s.length + " (at most 4)");
        }
        long[] p = pad4(s);
        int[] st = new int[4];
        long stride = 1;
        for (int i = 3; i >= 0; i--) {
            if (p[i] == out[i]) {
                st[i] = (int) stride;
            } else if (p[i] == 1) {
                st[i] = 0;
            } else {
                throw new IntbenchException.UnsupportedModel("layer " + layer + ": shape " + Arrays.toString(s)
                        + " does not broadcast to " + Arrays.toString(out));
            }
            stride *= p[i];
        }
        return st;
    }

    private int desc(Descriptor d) {
        descs.add(d);
        if (descs.size() >= io.intbench.isa.Encoding.NO_DESC) {
            throw new IntbenchException.UnsupportedModel(model.name() + ": more than " + (io.intbench.isa.Encoding.NO_DESC - 1) + " layers");
        }
        return descs.size() - 1;
    }

    private static int b(boolean v) {
        return v ? 1 : 0;
    }

    /** Two int32 per output channel: (m, e) of the float32 multiplier in ort mode, (M0, shift) in fixed-point mode. */
    private int[] requant(float xs, float[] ws, float ys, float alpha, boolean gemm) {
        int[] out = new int[2 * ws.length];
        for (int c = 0; c < ws.length; c++) {
            int[] p = mode == RequantMode.ORT
                    ? ort(gemm ? Multipliers.ortGemmScale(alpha, xs, ws[c], ys) : Multipliers.ortConvScale(xs, ws[c], ys))
                    : fixed((double) alpha * xs * ws[c] / ys);
            out[2 * c] = p[0];
            out[2 * c + 1] = p[1];
        }
        return out;
    }

    /**
     * The multipliers of a fused LeakyRelu's negative side: {@code alpha * M} per output channel. ONNX Runtime runs
     * such a group in float (float Conv, {@code x * alpha}, QuantizeLinear); in ort mode the float32 product of
     * ORT's multiplier and alpha stands for it, so one rounding of {@code acc * alpha * M} replaces ORT's float
     * steps (the golden comparison allows those tensors one step, see {@code QModel.floatInOrt}).
     */
    private int[] leakyRequant(float xs, float[] ws, float ys, float alpha) {
        if (!(alpha > 0) || Float.isInfinite(alpha)) {
            throw new IllegalArgumentException("LeakyRelu alpha " + alpha + " is not positive and finite (only positive slopes fit"
                    + " the requantizer's sign-magnitude multiply)");
        }
        int[] out = new int[2 * ws.length];
        for (int c = 0; c < ws.length; c++) {
            float m = Multipliers.ortConvScale(xs, ws[c], ys);
            int[] p = mode == RequantMode.ORT ? ort(m * alpha) : fixed((double) m * alpha);
            out[2 * c] = p[0];
            out[2 * c + 1] = p[1];
        }
        return out;
    }

    private static int[] ort(float multiplier) {
        Multipliers.OrtScale s = Multipliers.OrtScale.of(multiplier);
        return new int[] {s.m(), s.e()};
    }

    private static int[] fixed(double multiplier) {
        Multipliers.FixedPointMultiplier f = Multipliers.FixedPointMultiplier.quantizeMultiplier(multiplier);
        return new int[] {f.m0(), f.shift()};
    }

    // ----- instructions ---------------------------------------------------------------------------

    /** The layer's op as reports and the disassembler show it; marked where ONNX Runtime computes the group in float. */
    private String kind(QOp op) {
        return model.floatInOrt().containsKey(op.out().name()) ? op.kind() + " (float in ORT)" : op.kind();
    }

    private void emit(Emitted e, int layer, boolean last) {
        QOp op = e.op();
        Descriptor d = descs.get(e.desc());
        long macs = d instanceof Descriptor.ConvDesc c ? c.macs() : d instanceof Descriptor.MatMulDesc m ? m.macs() : 0;
        if (op instanceof QOp.MatMul m && (m.slices() > 1 || m.b() != null)) {
            emitSlices(e, layer, last, m);
            return;
        }
        if (e.opcode() == Opcode.CONV || e.opcode() == Opcode.MATMUL) {
            Tiler.Plan plan = Tiler.plan(op.name(), d, addrOf(e.actInputs().get(0)), e.constAddr(), addrOf(op.out()), cfg, false,
                    tilings);
            if (plan.tiles().size() > 1) {
                layers.add(new Program.Layer(op.name(), kind(op) + " [" + plan.note() + "]", String.join(",", op.nodes()), macs));
                long wTotal = d instanceof Descriptor.ConvDesc c
                        ? (long) c.outC() * (c.inC() / c.groups()) * c.kH() * c.kW()
                        : (long) ((Descriptor.MatMulDesc) d).n() * ((Descriptor.MatMulDesc) d).k();
                emitTiled(e, layer, last, plan.tiles(), wTotal, List.of(Instruction.withDesc(e.opcode(), 0, e.desc(),
                        addrOf(e.actInputs().get(0)), e.constAddr(), addrOf(op.out()))));
                return;
            }
        } else if (e.opcode().unit() == io.intbench.isa.Unit.VECTOR && !e.actInputs().isEmpty() && Tiler.tiles(d)) {
            List<Instruction> functional = new ArrayList<>();
            List<Tiler.VectorOp> ops = vectorOps(e, functional);
            Tiler.Plan plan = Tiler.vector(op.name(), ops, cfg);
            if (!plan.note().isEmpty()) {
                layers.add(new Program.Layer(op.name(), kind(op) + " [" + plan.note() + "]", String.join(",", op.nodes()), macs));
                emitTiled(e, layer, last, plan.tiles(), 0, functional);
                return;
            }
        }
        layers.add(new Program.Layer(op.name(), kind(op), String.join(",", op.nodes()), macs));
        if (e.constBytes() > 0) {
            add(Instruction.of(Opcode.LOAD, 0, e.constAddr(), e.constBytes(), 0), layer);
        }
        List<QTensor> ins = e.actInputs();
        if (ins.isEmpty()) {
            throw new IntbenchException.UnsupportedModel("layer " + op.name() + " has no activation input");
        }
        for (int i = 0; i < ins.size(); i++) {
            int deps = (i == 0 && layer > 0 ? Instruction.POP_NEXT : 0) | (i == ins.size() - 1 ? Instruction.PUSH_NEXT : 0);
            add(Instruction.of(Opcode.LOAD, deps, addrOf(ins.get(i)), (int) ins.get(i).elements(), 0), layer);
        }
        if (e.parts() != null) {
            // the parts write disjoint slices; the one writing the output's first byte goes last, so the
            // instruction whose output operand is the tensor's address completes the tensor
            List<Part> parts = new ArrayList<>(e.parts());
            parts.sort(java.util.Comparator.comparingLong(Part::outOffset).reversed());
            for (int i = 0; i < parts.size(); i++) {
                Part p = parts.get(i);
                int deps = (i == 0 ? Instruction.POP_PREV : 0) | (i == parts.size() - 1 ? Instruction.PUSH_NEXT : 0);
                add(Instruction.withDesc(Opcode.GATHER, deps, p.desc(), Math.toIntExact(addrOf(p.in()) + p.inOffset()), 0,
                        Math.toIntExact(addrOf(op.out()) + p.outOffset())), layer);
            }
            int out = addrOf(op.out());
            add(Instruction.of(Opcode.STORE, Instruction.POP_PREV | (last ? 0 : Instruction.PUSH_PREV), out,
                    (int) op.out().elements(), 0), layer);
            if (!last) {
                add(Instruction.of(Opcode.NOP, Instruction.POP_NEXT | Instruction.PUSH_PREV, 0, 0, 0), layer);
            }
            return;
        }
        int a = addrOf(ins.get(0));
        int bOperand = 0;
        if (e.opcode() == Opcode.CONV || e.opcode() == Opcode.MATMUL) {
            bOperand = e.constAddr();
        } else if (e.opcode() == Opcode.ELTWISE) {
            QTensor ta = op.inputs().get(0);
            QTensor tb = op.inputs().get(1);
            a = ta.constant() != null ? addr.get(ta.name()) : addrOf(ta);
            bOperand = tb.constant() != null ? addr.get(tb.name()) : addrOf(tb);
        }
        int out = addrOf(op.out());
        add(Instruction.withDesc(e.opcode(), Instruction.POP_PREV | Instruction.PUSH_NEXT, e.desc(), a, bOperand, out), layer);
        add(Instruction.of(Opcode.STORE, Instruction.POP_PREV | (last ? 0 : Instruction.PUSH_PREV), out,
                (int) op.out().elements(), 0), layer);
        if (!last) {
            add(Instruction.of(Opcode.NOP, Instruction.POP_NEXT | Instruction.PUSH_PREV, 0, 0, 0), layer);
        }
    }

    /**
     * The vector instructions of a vector-unit layer as the tiler sees them (operand addresses, output
     * slice), and the same instructions without tokens in {@code functional}, in the order the untiled
     * layer issues them.
     */
    private List<Tiler.VectorOp> vectorOps(Emitted e, List<Instruction> functional) {
        QOp op = e.op();
        int out = addrOf(op.out());
        long outEnd = out + op.out().elements();
        List<Tiler.VectorOp> ops = new ArrayList<>();
        if (e.parts() != null) {
            List<Part> parts = new ArrayList<>(e.parts());
            parts.sort(java.util.Comparator.comparingLong(Part::outOffset).reversed());
            for (Part p : parts) {
                int in = Math.toIntExact(addrOf(p.in()) + p.inOffset());
                int o = Math.toIntExact(out + p.outOffset());
                ops.add(new Tiler.VectorOp(p.desc(), descs.get(p.desc()), new long[] {in}, p.in().elements(), o, outEnd));
                functional.add(Instruction.withDesc(Opcode.GATHER, 0, p.desc(), in, 0, o));
            }
            return ops;
        }
        long[] ins;
        int a;
        int bOperand = 0;
        if (e.opcode() == Opcode.ELTWISE) {
            QTensor ta = op.inputs().get(0);
            QTensor tb = op.inputs().get(1);
            a = ta.constant() != null ? addr.get(ta.name()) : addrOf(ta);
            bOperand = tb.constant() != null ? addr.get(tb.name()) : addrOf(tb);
            ins = new long[] {ta.constant() != null ? -1 : a, tb.constant() != null ? -1 : bOperand};
        } else {
            a = addrOf(e.actInputs().get(0));
            ins = new long[] {a};
        }
        ops.add(new Tiler.VectorOp(e.desc(), descs.get(e.desc()), ins, e.actInputs().get(0).elements(), out, outEnd));
        functional.add(Instruction.withDesc(e.opcode(), 0, e.desc(), a, bOperand, out));
        return ops;
    }

    /**
     * Emits a layer split into tiles (see {@link Tiler}), double buffered. The layer's constants beyond
     * its first {@code tiledConstBytes} (a CONV/MATMUL's weights, which its tiles load themselves) are
     * loaded once ahead of the tiles. Per tile {@code t} of {@code T}: its loads (the first pops the
     * scratchpad slot freed by tile {@code t-2}'s compute; tile 0's first activation load pops the
     * previous layer's relay instead; the last pushes to execute), a TILE or VTILE instruction (pops the
     * load token, and for {@code t >= 2} the store token saying slot {@code t % 2}'s output was written
     * back; pushes to store, and for {@code t + 2 < T} frees the slot for tile {@code t+2}'s loads), and a
     * store of the output tile (pops the compute token; pushes to execute for tile {@code t+2}, or, for
     * the last tile, the relay to the next layer). The layer's {@code functional} instructions follow the
     * tiles without tokens: they do the arithmetic of the whole layer at no cost of their own. Pushes and
     * pops pair up in FIFO order on each of the four queues.
     */
    private void emitTiled(Emitted e, int layer, boolean last, List<Tiler.Tile> tiles, long tiledConstBytes,
                           List<Instruction> functional) {
        int nt = tiles.size();
        long rest = e.constBytes() - tiledConstBytes;
        if (rest > 0) {
            // zero points, biases, requantization constants, tables: loaded once, ahead of the tiles
            add(Instruction.of(Opcode.LOAD, 0, Math.toIntExact(e.constAddr() + tiledConstBytes), Math.toIntExact(rest), 0), layer);
        }
        boolean relayPopped = layer == 0;
        for (int t = 0; t < nt; t++) {
            Tiler.Tile tile = tiles.get(t);
            List<Tiler.Dma> loads = tile.loads();
            for (int k = 0; k < loads.size(); k++) {
                Tiler.Dma ld = loads.get(k);
                int deps = 0;
                if (!relayPopped && ld.activation()) {
                    deps |= Instruction.POP_NEXT;
                    relayPopped = true;
                } else if (t >= 2 && k == 0) {
                    deps |= Instruction.POP_NEXT;
                }
                if (k == loads.size() - 1) {
                    deps |= Instruction.PUSH_NEXT;
                }
                add(Instruction.of(Opcode.LOAD, deps, Math.toIntExact(ld.addr()), Math.toIntExact(ld.bytes()), 0), layer);
            }
            int cdeps = Instruction.POP_PREV | Instruction.PUSH_NEXT | (t >= 2 ? Instruction.POP_NEXT : 0)
                    | (t + 2 < nt ? Instruction.PUSH_PREV : 0);
            add(Instruction.withDesc(tile.vector() ? Opcode.VTILE : Opcode.TILE, cdeps, tile.desc() < 0 ? e.desc() : tile.desc(),
                    tile.channels(), tile.pixels(), 0), layer);
            int sdeps = Instruction.POP_PREV | (t + 2 < nt || (t == nt - 1 && !last) ? Instruction.PUSH_PREV : 0);
            add(Instruction.of(Opcode.STORE, sdeps, Math.toIntExact(tile.store().addr()), Math.toIntExact(tile.store().bytes()), 0),
                    layer);
        }
        if (!relayPopped) {
            throw new IllegalStateException("layer " + e.op().name() + ": no tile loads an activation");
        }
        for (Instruction f : functional) {
            add(f, layer);
        }
        if (!last) {
            add(Instruction.of(Opcode.NOP, Instruction.POP_NEXT | Instruction.PUSH_PREV, 0, 0, 0), layer);
        }
    }

    /**
     * A batched MATMUL, or one whose B is an activation: one MATMUL instruction per [M][N] output slice
     * (numpy matmul broadcasting picks its A and B slices at compile time), all sharing the layer's
     * descriptor. Each slice is tiled like an unbatched layer (B's tiles are activation reads when B is
     * computed at run time) and the tiles of all slices run double buffered one after another.
     */
    private void emitSlices(Emitted e, int layer, boolean last, QOp.MatMul m) {
        Descriptor.MatMulDesc d = (Descriptor.MatMulDesc) descs.get(e.desc());
        long aSlice = (long) d.m() * d.k();
        long bSlice = (long) d.n() * d.k();
        long cSlice = (long) d.m() * d.n();
        boolean bAct = m.b() != null;
        long bBase = bAct ? addrOf(m.b()) : e.constAddr();
        List<Tiler.Tile> tiles = new ArrayList<>();
        List<int[]> computes = new ArrayList<>();
        Tiler.Plan first = null;
        for (int s = 0; s < m.slices(); s++) {
            int a = Math.toIntExact(addrOf(m.in()) + m.sliceA()[s] * aSlice);
            int bAddr = Math.toIntExact(bBase + m.sliceB()[s] * bSlice);
            int c = Math.toIntExact(addrOf(m.out()) + s * cSlice);
            Tiler.Plan plan = Tiler.plan(m.name(), d, a, bAddr, c, cfg, bAct, tilings);
            first = first == null ? plan : first;
            tiles.addAll(plan.tiles());
            computes.add(new int[] {a, bAddr, c});
        }
        String note = (m.slices() > 1 ? "batch " + m.slices() : "") + (m.slices() > 1 && bAct ? ", " : "")
                + (bAct ? "B at run time" : "") + (first.tiles().size() > 1 ? "; " + first.note() : "");
        layers.add(new Program.Layer(m.name(), m.kind() + " [" + note + "]", String.join(",", m.nodes()), d.macs() * m.slices()));
        // the slice that writes the output's first byte goes last, so the instruction whose output operand is the
        // tensor's address completes the tensor
        List<Instruction> functional = new ArrayList<>();
        for (int i = computes.size() - 1; i >= 0; i--) {
            int[] c = computes.get(i);
            functional.add(Instruction.withDesc(e.opcode(), 0, e.desc(), c[0], c[1], c[2]));
        }
        emitTiled(e, layer, last, tiles, bAct ? 0 : (long) m.bSlices() * bSlice, functional);
    }

    private void add(Instruction i, int layer) {
        code.add(i);
        pcLayer.add(layer);
    }

    private List<TensorDesc> tensors() {
        List<TensorDesc> out = new ArrayList<>();
        for (QModel.Input in : model.inputs()) {
            QTensor q = in.q();
            out.add(new TensorDesc(q.name(), in.floatInput() ? in.onnxName() : "", TensorDesc.Role.INPUT, q.type(),
                    q.shape(), addrOf(q), in.scales(), in.zeroPoints(), in.axis()));
        }
        for (QModel.Output o : model.outputs()) {
            QTensor q = o.q();
            out.add(new TensorDesc(q.name(), o.floatOutput() ? o.onnxName() : "", TensorDesc.Role.OUTPUT, q.type(),
                    q.shape(), addrOf(q), o.scales(), o.zeroPoints(), o.axis(), o.epilogueBias()));
        }
        Map<String, QTensor> byName = new HashMap<>();
        for (QOp op : model.ops()) {
            byName.put(op.out().name(), op.out());
        }
        for (String p : model.probes()) {
            QTensor q = byName.get(p);
            if (q == null) {
                continue;  // a quantized graph input: not computed by the program
            }
            out.add(new TensorDesc(q.name(), "", TensorDesc.Role.PROBE, q.type(), q.shape(), addrOf(q),
                    new float[] {q.scale()}, new int[] {q.zeroPoint()}, -1));
        }
        return out;
    }

    /**
     * The growing constants image, little-endian. Kept as a list of parts, made into one array once at the
     * end: a large array (a layer's weights) becomes a part as it is, the small constants go to small
     * buffers. So the image is never grown by copies and the weights are copied once, into the program's
     * image; in a fresh JVM every large array allocated costs its pages touched for the first time.
     */
    private static final class Image {
        /** Arrays at least this long become parts of their own, without a copy. */
        private static final int OWN_PART = 4096;
        private static final int BUFFER = 1 << 14;

        private final List<byte[]> parts = new ArrayList<>();
        private final List<Integer> partLengths = new ArrayList<>();
        /** the last part, being filled (allocated when needed); its unused tail is zeros */
        private byte[] cur = new byte[0];
        private int curLen;
        private int size;

        int size() { return size; }

        /** The image, whose size must be {@code length}. */
        byte[] toArray(int length) {
            if (length != size) {
                throw new IllegalStateException("image of " + size + " bytes taken as " + length);
            }
            byte[] out = new byte[length];
            int at = 0;
            for (int i = 0; i < parts.size(); i++) {
                System.arraycopy(parts.get(i), 0, out, at, partLengths.get(i));
                at += partLengths.get(i);
            }
            System.arraycopy(cur, 0, out, at, curLen);
            return out;
        }

        void align() {
            skip((int) Lowering.align(size) - size);
        }

        private void checkSize(int more) {
            if ((long) size + more > Integer.MAX_VALUE - 64) {
                throw new IntbenchException.UnsupportedModel("constants exceed 2 GiB");
            }
        }

        /** Room for {@code more} bytes in the current buffer (a new one when it is full). */
        private void room(int more) {
            checkSize(more);
            if (curLen + more > cur.length) {
                flush();
                cur = new byte[Math.max(BUFFER, more)];
            }
        }

        private void flush() {
            if (curLen > 0) {
                parts.add(cur);
                partLengths.add(curLen);
            }
            curLen = 0;
        }

        /** {@code n} zero bytes (padding). */
        private void skip(int n) {
            room(n);
            curLen += n;
            size += n;
        }

        /** Appends the bytes (a large array is kept, not copied: it must not change afterwards); returns their address. */
        int putBytes(byte[] b) {
            int at = size;
            if (b.length >= OWN_PART) {
                checkSize(b.length);
                flush();
                cur = new byte[0];
                parts.add(b);
                partLengths.add(b.length);
            } else {
                room(b.length);
                System.arraycopy(b, 0, cur, curLen, b.length);
                curLen += b.length;
            }
            size += b.length;
            return at;
        }

        /** Appends int32 values at the next multiple of 4; returns their address. */
        int putInts(int[] v) {
            skip(((size + 3) & ~3) - size);
            int at = size;
            if (4L * v.length > Integer.MAX_VALUE - 64) {
                throw new IntbenchException.UnsupportedModel("constants exceed 2 GiB");
            }
            room(4 * v.length);
            byte[] b = cur;
            int p = curLen;
            for (int x : v) {
                b[p++] = (byte) x;
                b[p++] = (byte) (x >> 8);
                b[p++] = (byte) (x >> 16);
                b[p++] = (byte) (x >> 24);
            }
            curLen = p;
            size += 4 * v.length;
            return at;
        }
    }
}
