package io.intbench.isa;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.StringJoiner;

/**
 * Layer configuration read by a layer-level instruction: geometry and the DRAM addresses of the
 * compile-time constants (weights' zero points, bias, requantization multipliers, tables). Every
 * descriptor is a record of ints; its binary form is the component values in declaration order, so
 * the encoder, decoder and disassembler are derived from the record itself.
 */
public sealed interface Descriptor {

    /** Requantization mode codes stored in descriptors. */
    int REQUANT_ORT = 0;
    int REQUANT_FIXED_POINT = 1;

    /** The descriptor kinds, with their numeric code in the program file. */
    enum Kind {
        CONV(1, ConvDesc.class), MATMUL(2, MatMulDesc.class), ELTWISE(3, EltwiseDesc.class),
        POOL(4, PoolDesc.class), GAP(5, GapDesc.class), LUT(6, LutDesc.class),
        GATHER(7, GatherDesc.class), AVGPOOL(8, AvgPoolDesc.class), SOFTMAX(9, SoftmaxDesc.class),
        RESIZE(10, ResizeDesc.class);

        public final int code;
        final Class<? extends Descriptor> type;

        Kind(int code, Class<? extends Descriptor> type) {
            this.code = code;
            this.type = type;
        }

        public int fieldCount() { return type.getRecordComponents().length; }

        public static Kind fromCode(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            return null;
        }

        public static Kind of(Descriptor d) {
            for (Kind k : values()) {
                if (k.type == d.getClass()) {
                    return k;
                }
            }
            throw new IllegalStateException();
        }

        /** Builds the descriptor from its field values; the record's own checks apply. */
        public Descriptor decode(int[] fields) {
            RecordComponent[] rc = type.getRecordComponents();
            if (fields.length != rc.length) {
                throw new IllegalArgumentException(name() + " descriptor has " + rc.length + " fields, got " + fields.length);
            }
            try {
                Class<?>[] types = new Class<?>[rc.length];
                Arrays.fill(types, int.class);
                Constructor<? extends Descriptor> ctor = type.getDeclaredConstructor(types);
                Object[] args = new Object[rc.length];
                for (int i = 0; i < rc.length; i++) {
                    args[i] = fields[i];
                }
                return ctor.newInstance(args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                Throwable c = e.getCause();
                throw c instanceof RuntimeException r ? r : new IllegalStateException(c);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Field values in declaration order. */
    default int[] fields() {
        RecordComponent[] rc = getClass().getRecordComponents();
        int[] out = new int[rc.length];
        try {
            for (int i = 0; i < rc.length; i++) {
                out[i] = (int) rc[i].getAccessor().invoke(this);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** {@code kind name=value name=value ...}, for the disassembler. */
    default String describe() {
        RecordComponent[] rc = getClass().getRecordComponents();
        int[] f = fields();
        StringJoiner j = new StringJoiner(" ", Kind.of(this).name().toLowerCase() + " ", "");
        for (int i = 0; i < rc.length; i++) {
            j.add(rc[i].getName() + "=" + f[i]);
        }
        return j.toString();
    }

    private static void positive(String what, int... v) {
        for (int x : v) {
            if (x <= 0) {
                throw new IllegalArgumentException(what + " must be positive, got " + x);
            }
        }
    }

    private static void bool(String what, int v) {
        if (v != 0 && v != 1) {
            throw new IllegalArgumentException(what + " must be 0 or 1, got " + v);
        }
    }

    private static void mode(int v) {
        if (v != REQUANT_ORT && v != REQUANT_FIXED_POINT) {
            throw new IllegalArgumentException("requantMode must be 0 (ort) or 1 (fixed-point), got " + v);
        }
    }

    /**
     * Quantized NCHW convolution. Constants: wZp, bias (int32 per output channel), requant (two int32 per output
     * channel). With {@code negRequant} = 1 (a fused LeakyRelu) a second requant array of the same size follows the
     * first and applies to negative accumulators.
     */
    record ConvDesc(int batch, int inC, int inH, int inW, int outC, int outH, int outW, int kH, int kW,
                    int strideH, int strideW, int padTop, int padLeft, int dilH, int dilW, int groups,
                    int inSigned, int xZp, int wSigned, int wZpAddr, int biasAddr, int requantAddr, int requantMode,
                    int outSigned, int outZp, int clampMin, int clampMax, int negRequant) implements Descriptor {
        public ConvDesc {
            bool("negRequant", negRequant);
            positive("conv dimensions", batch, inC, inH, inW, outC, outH, outW, kH, kW, strideH, strideW, dilH, dilW, groups);
            if (inC % groups != 0 || outC % groups != 0) {
                throw new IllegalArgumentException("groups " + groups + " must divide inC " + inC + " and outC " + outC);
            }
            if (padTop < 0 || padLeft < 0) {
                throw new IllegalArgumentException("pads must be non-negative");
            }
            bool("inSigned", inSigned);
            bool("wSigned", wSigned);
            bool("outSigned", outSigned);
            mode(requantMode);
            if (clampMin > clampMax) {
                throw new IllegalArgumentException("clampMin " + clampMin + " > clampMax " + clampMax);
            }
        }

        public long macs() { return (long) batch * outC * outH * outW * (inC / groups) * kH * kW; }
    }

    /** Quantized [M][K] x [N][K]^T matrix multiply; constants as {@link ConvDesc}. */
    record MatMulDesc(int m, int k, int n, int inSigned, int xZp, int wSigned, int wZpAddr, int biasAddr,
                      int requantAddr, int requantMode, int outSigned, int outZp, int clampMin, int clampMax)
            implements Descriptor {
        public MatMulDesc {
            positive("matmul dimensions", m, k, n);
            bool("inSigned", inSigned);
            bool("wSigned", wSigned);
            bool("outSigned", outSigned);
            mode(requantMode);
            if (clampMin > clampMax) {
                throw new IllegalArgumentException("clampMin " + clampMin + " > clampMax " + clampMax);
            }
        }

        public long macs() { return (long) m * k * n; }
    }

    /**
     * Elementwise binary op over a 4-D iteration space {@code d0..d3} (the output shape, C order);
     * each input is read with its own element strides, 0 along broadcast dimensions. The result is
     * {@code T[(a & 0xFF) << 8 | (b & 0xFF)]} from a 65,536-byte table computed at compile time.
     */
    record EltwiseDesc(int d0, int d1, int d2, int d3, int aS0, int aS1, int aS2, int aS3,
                       int bS0, int bS1, int bS2, int bS3, int tableAddr, int outSigned) implements Descriptor {
        public EltwiseDesc {
            positive("eltwise dimensions", d0, d1, d2, d3);
            bool("outSigned", outSigned);
            for (int s : new int[] {aS0, aS1, aS2, aS3, bS0, bS1, bS2, bS3}) {
                if (s < 0) {
                    throw new IllegalArgumentException("eltwise strides must be non-negative");
                }
            }
        }

        public long elements() { return (long) d0 * d1 * d2 * d3; }
    }

    /** Max pooling over NCHW integer codes; padded positions never win. */
    record PoolDesc(int batch, int c, int inH, int inW, int outH, int outW, int kH, int kW, int strideH, int strideW,
                    int padTop, int padLeft, int dilH, int dilW, int signed) implements Descriptor {
        public PoolDesc {
            positive("pool dimensions", batch, c, inH, inW, outH, outW, kH, kW, strideH, strideW, dilH, dilW);
            bool("signed", signed);
        }
    }

    /** Global average pooling: {@code acc = sum(x) - xZp * hw} per channel, then requantization (one parameter pair). */
    record GapDesc(int batch, int c, int hw, int inSigned, int xZp, int requantAddr, int requantMode,
                   int outSigned, int outZp) implements Descriptor {
        public GapDesc {
            positive("gap dimensions", batch, c, hw);
            bool("inSigned", inSigned);
            bool("outSigned", outSigned);
            mode(requantMode);
        }
    }

    /** Elementwise table lookup over {@code n} bytes with a 256-byte table indexed by the input byte. */
    record LutDesc(int n, int tableAddr, int outSigned) implements Descriptor {
        public LutDesc {
            positive("lut length", n);
            bool("outSigned", outSigned);
        }
    }

    /**
     * Gather over the 4-D iteration space {@code d0..d3}: element {@code (i0, i1, i2, i3)} reads the
     * input byte at {@code in + off0[i0] + off1[i1] + off2[i2] + off3[i3]} and writes it (through the
     * 256-byte table at {@code tableAddr} when {@code useTable} is 1) to
     * {@code out + i0 * oS0 + i1 * oS1 + i2 * oS2 + i3 * oS3}. The four int32 offset tables lie one
     * after another at {@code offAddr} ({@code d0 + d1 + d2 + d3} values).
     */
    record GatherDesc(int d0, int d1, int d2, int d3, int offAddr, int oS0, int oS1, int oS2, int oS3,
                      int tableAddr, int useTable) implements Descriptor {
        public GatherDesc {
            positive("gather dimensions", d0, d1, d2, d3);
            bool("useTable", useTable);
            for (int s : new int[] {oS0, oS1, oS2, oS3}) {
                if (s < 0) {
                    throw new IllegalArgumentException("gather output strides must be non-negative");
                }
            }
        }

        public long elements() { return (long) d0 * d1 * d2 * d3; }
    }

    /** {@link AvgPoolDesc#sumOrder}: the window in row-major order, from 0 (QLinearAveragePool, MLAS's generic 2-D kernel). */
    int SUM_ROW_MAJOR = 0;
    /** {@link AvgPoolDesc#sumOrder}: each window column summed top to bottom, then the column sums left to right (MLAS's 2-D vector kernel). */
    int SUM_COLUMNS_FIRST = 1;
    /** {@link AvgPoolDesc#sumOrder}: four partial sums over elements {@code i mod 4}, combined as {@code (s0 + s2) + (s1 + s3)}, then the tail (MLAS's global kernel). */
    int SUM_FOUR_LANES = 2;
    /**
     * {@link AvgPoolDesc#sumOrder}: Eigen's vectorised sum of a contiguous window (ONNX Runtime's float ReduceMean):
     * the elements before the first 16-byte boundary (counted from the start of the tensor) are kept aside, whole
     * packets of four are summed into two packet accumulators (a third packet into the first), the packet is reduced
     * as {@code (s0 + s2) + (s1 + s3)}, then the elements kept aside and the tail are added one by one.
     */
    int SUM_EIGEN_PACKETS = 3;

    /**
     * Average pooling over NCHW codes, as ONNX Runtime computes it: {@code dqAddr} holds 256 int32 float32
     * bit patterns, the float value of each input byte (its dequantization, or a float function of it
     * computed at compile time); {@code yScaleBits} is the output scale's float32 bit pattern. Window
     * sums in the order {@code sumOrder} says ({@code SUM_*}), the division by the element count (the
     * kernel size when {@code countIncludePad} is 1, else the window clipped to the input), by the scale and
     * the rounding are float32 operations emulated in integers. With {@code quantizeLinear} 0 the zero point
     * is added in float before rounding (QLinearAveragePool), with 1 after it (QuantizeLinear).
     */
    record AvgPoolDesc(int batch, int c, int inH, int inW, int outH, int outW, int kH, int kW, int strideH,
                       int strideW, int padTop, int padLeft, int countIncludePad, int dqAddr, int yScaleBits,
                       int outZp, int outSigned, int sumOrder, int quantizeLinear) implements Descriptor {
        public AvgPoolDesc {
            positive("avgpool dimensions", batch, c, inH, inW, outH, outW, kH, kW, strideH, strideW);
            bool("countIncludePad", countIncludePad);
            bool("outSigned", outSigned);
            bool("quantizeLinear", quantizeLinear);
            if (sumOrder < SUM_ROW_MAJOR || sumOrder > SUM_EIGEN_PACKETS) {
                throw new IllegalArgumentException("sumOrder must be 0 to 3, got " + sumOrder);
            }
            if (sumOrder == SUM_EIGEN_PACKETS && (kH != inH || kW != inW || outH != 1 || outW != 1)) {
                throw new IllegalArgumentException("sumOrder 3 (Eigen) needs one window covering the whole input plane");
            }
            if (padTop < 0 || padLeft < 0) {
                throw new IllegalArgumentException("pads must be non-negative");
            }
        }
    }

    /**
     * Softmax over rows of {@code d} codes, as ONNX Runtime's QLinearSoftmax: {@code expAddr} holds 256
     * int32 float32 bit patterns in ORT's table layout; {@code yScaleBits} is the float32 bit pattern of
     * {@code floor(1 / y_scale)}. ORT's kernel stores {@code min(q, 255)} as the output byte, so an int8
     * result above 127 wraps; with {@code saturate} 1 an int8 result is clamped to 127 instead, as ORT
     * computes a QDQ int8 group it has rewritten to uint8 (codes + 128, then back).
     */
    record SoftmaxDesc(int rows, int d, int expAddr, int yScaleBits, int outZp, int inSigned, int outSigned, int saturate)
            implements Descriptor {
        public SoftmaxDesc {
            positive("softmax dimensions", rows, d);
            bool("inSigned", inSigned);
            bool("outSigned", outSigned);
            bool("saturate", saturate);
        }
    }

    /**
     * Bilinear resize of {@code planes} images of {@code inH x inW} pixels of {@code channels} codes each
     * (NCHW: {@code channels} 1; NHWC: the channels innermost) to {@code outH x outW}. The
     * row table at {@code yTabAddr} holds four int32 per output row: the element offsets of its two
     * input rows ({@code y1 * inW}, {@code y2 * inW}) and the float32 bit patterns of their weights
     * {@code dy1}, {@code dy2}; the column table at {@code xTabAddr} four per output column: {@code x1},
     * {@code x2}, {@code dx1}, {@code dx2} (ONNX Runtime's UpsampleBilinear parameters). With
     * {@code dequantize} 0 the codes themselves are interpolated and the result truncated (ORT's kernel on
     * 8-bit data); with 1 each code is first replaced by its dequantized value (the 256 float32 bit
     * patterns at {@code dqAddr}) and the result quantized with {@code yScaleBits} and {@code outZp}
     * (ORT's float kernel between DequantizeLinear and QuantizeLinear).
     */
    record ResizeDesc(int planes, int inH, int inW, int channels, int outH, int outW, int yTabAddr, int xTabAddr,
                      int inSigned, int dequantize, int dqAddr, int yScaleBits, int outZp, int outSigned) implements Descriptor {
        public ResizeDesc {
            positive("resize dimensions", planes, inH, inW, channels, outH, outW);
            bool("inSigned", inSigned);
            bool("dequantize", dequantize);
            bool("outSigned", outSigned);
        }

        public long elements() { return (long) planes * outH * outW * channels; }
    }
}
