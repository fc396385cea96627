package io.intbench.jmh;

import io.intbench.isa.Descriptor;
import io.intbench.isa.Descriptor.ConvDesc;
import io.intbench.sim.Kernels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One CONV instruction ({@link Kernels#conv}: phase planes, Vector API tiles, requantization) on layers
 * of MobileNetV2's shapes, with random uint8 activations, int8 weights and ORT-mode requantization
 * parameters. Time per layer; its multiply-accumulates are in {@link #macs}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class ConvKernelBench {
    /** {@code kind:channels in:channels out:height and width in:stride}; kind pw (1x1) or dw (3x3 depthwise, pad 1). */
    @Param({"pw:16:96:112:1", "pw:96:576:14:1", "pw:320:1280:7:1", "dw:96:96:112:2", "dw:576:576:14:1"})
    public String layer;

    private byte[] mem;
    private ConvDesc desc;
    private int in;
    private int w;
    private int out;

    @Setup
    public void setUp() {
        String[] f = layer.split(":");
        boolean dw = f[0].equals("dw");
        int inC = Integer.parseInt(f[1]);
        int outC = Integer.parseInt(f[2]);
        int hw = Integer.parseInt(f[3]);
        int stride = Integer.parseInt(f[4]);
        int k = dw ? 3 : 1;
        int pad = dw ? 1 : 0;
        int outHw = (hw + 2 * pad - k) / stride + 1;
        int groups = dw ? inC : 1;
        int wBytes = outC * (inC / groups) * k * k;
        int bias = 4 * outC;
        int rq = 8 * outC;
        w = 16 * outC;
        in = w + wBytes;
        out = in + inC * hw * hw;
        mem = new byte[out + outC * outHw * outHw];
        SplittableRandom r = new SplittableRandom(1);
        r.nextBytes(mem);
        ByteBuffer b = ByteBuffer.wrap(mem).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < outC; c++) {
            b.putInt(4 * c, 0);                                     // symmetric int8 weights
            b.putInt(bias + 4 * c, r.nextInt(2001) - 1000);
            b.putInt(rq + 8 * c, (1 << 23) + r.nextInt(1 << 23));   // multiplier and exponent as the compiler writes them
            b.putInt(rq + 8 * c + 4, -33);
        }
        desc = new ConvDesc(1, inC, hw, hw, outC, outHw, outHw, k, k, stride, stride, pad, pad, 1, 1, groups,
                0, 128, 1, 0, bias, rq, Descriptor.REQUANT_ORT, 0, 0, 0, 255, 0);
    }

    /** Multiply-accumulates of the layer. */
    public long macs() {
        return (long) desc.outC() * (desc.inC() / desc.groups()) * desc.kH() * desc.kW() * desc.outH() * desc.outW();
    }

    @Benchmark
    public byte conv() {
        Kernels.conv(mem, desc, in, w, out);
        return mem[out];
    }
}
