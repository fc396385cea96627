package io.intbench.golden;

import io.intbench.compiler.testing.ConvSpec;
import io.intbench.compiler.testing.QdqModelBuilder;
import io.intbench.compiler.testing.QdqModelBuilder.Act;
import io.intbench.compiler.testing.QdqModelBuilder.QParams;
import io.intbench.isa.DType;
import io.intbench.isa.ProgramFile;
import io.intbench.onnx.OnnxProto.ModelProto;
import java.nio.file.Path;

/**
 * A ResNet-18-sized statically quantized QDQ model at 224x224 (random seeded weights), for the simulator
 * speed benchmark of issue 6: the architecture of He et al., "Deep Residual Learning for Image
 * Recognition" (arXiv:1512.03385, table 1, 18-layer column) and of torchvision's resnet18: Conv 7x7/2 64,
 * MaxPool 3x3/2, four stages of two basic blocks (two 3x3 convs and a residual Add; the first block of
 * stages 2-4 has stride 2 and a 1x1/2 conv on the shortcut), GlobalAveragePool, Gemm 512 -> 1000.
 * BatchNorm is folded into the convs, as quantize_static's pre-processing does.
 *
 * <p>Laid out as ONNX Runtime's quantize_static writes QDQ (uint8 activations, int8 symmetric per-channel
 * weights, int32 bias): the Relu after each residual Add is expressed by the Add's output quantization
 * (zero point 0, real range [0, hi]), which is how quantize_static removes it.
 *
 * <p>{@code main(path)} writes the model, e.g. {@code /tmp/resnet18.onnx}.
 */
public final class ResNet18Model {
    private ResNet18Model() { }

    /**
     * Multiply-accumulates, from the architecture alone: conv1 112*112*64*3*49 = 118,013,952; stage 1 four
     * convs of 56*56*64*64*9 = 462,422,016; stages 2-4 each a strided 3x3 (57,802,752), three 3x3
     * (346,816,512) and a 1x1 shortcut (6,422,528) = 411,041,792, times 3; the classifier 512*1000 = 512,000.
     */
    public static final long MACS = 118_013_952L + 462_422_016L + 3 * 411_041_792L + 512_000L;

    /** The model, every random choice from {@code seed}. */
    public static ModelProto build(long seed) {
        QdqModelBuilder b = QdqModelBuilder.create(seed).opset(13).activationType(DType.UINT8)
                .weightQuant(DType.INT8, true, true);
        // ImageNet-normalised inputs lie in about [-2.12, 2.64]
        QParams in = QdqModelBuilder.paramsForRange(-2.2, 2.7, DType.UINT8);
        Act x = b.input("input", in.scale(), in.zeroPoint(), 1, 3, 224, 224);
        x = b.conv(x, ConvSpec.of(64, 7, 7).stride(2, 2).pads(3, 3, 3, 3).relu(true));
        x = b.maxPool(x, 3, 2, 1);
        int[] widths = {64, 128, 256, 512};
        for (int stage = 0; stage < 4; stage++) {
            for (int block = 0; block < 2; block++) {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                x = basicBlock(b, x, widths[stage], stride);
            }
        }
        x = b.globalAveragePool(x);
        x = b.flatten(x);
        x = b.gemm(x, 1000, true, false);
        b.output(x, "output");
        return b.build();
    }

    /** conv3x3(stride) -> Relu -> conv3x3 -> Add(shortcut) -> Relu, the shortcut a 1x1 strided conv when the shape changes. */
    static Act basicBlock(QdqModelBuilder b, Act x, int width, int stride) {
        Act y = b.conv(x, ConvSpec.of(width, 3, 3).stride(stride, stride).pads(1, 1, 1, 1).relu(true));
        y = b.conv(y, ConvSpec.of(width, 3, 3).pads(1, 1, 1, 1));
        Act shortcut = x;
        if (stride != 1 || x.shape()[1] != width) {
            shortcut = b.conv(x, ConvSpec.of(width, 1, 1).stride(stride, stride));
        }
        // Relu folded into the output range: zero point 0, as quantize_static leaves it
        double rms = Math.sqrt(y.rms() * y.rms() + shortcut.rms() * shortcut.rms());
        QParams q = QdqModelBuilder.paramsForRange(0, 3 * rms, DType.UINT8);
        return b.add(y, shortcut, q.scale(), q.zeroPoint());
    }

    /** Writes the model (seed 18, or args[1]) to args[0]. */
    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ResNet18Model OUT.onnx [SEED]");
            System.exit(2);
        }
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 18;
        ModelProto m = build(seed);
        ProgramFile.writeAtomically(Path.of(args[0]), m.toByteArray());
        System.out.printf("wrote %s: %d nodes, %d MACs (from the architecture)%n", args[0], m.getGraph().getNodeCount(), MACS);
    }
}
