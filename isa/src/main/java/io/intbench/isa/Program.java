package io.intbench.isa;

import java.util.List;

/**
 * A compiled program: everything the simulator needs, without the ONNX model.
 *
 * @param configName   canonical name of the hardware config it was compiled for
 * @param configHash   hash of that config's canonical JSON; a program is refused on another config
 * @param requantMode  {@link Descriptor#REQUANT_ORT} or {@link Descriptor#REQUANT_FIXED_POINT}
 * @param modelName    file name of the ONNX model it came from
 * @param code         the instruction stream
 * @param descriptors  layer descriptors referenced by index from instructions
 * @param dramSize     bytes of DRAM the program uses (constants first, then activations)
 * @param image        initial DRAM contents from address 0 (the constants); the rest starts zeroed
 * @param tensors      host-visible tensors
 * @param layers       the layers (one per quantized op) for reports and tracing
 * @param pcLayer      for every instruction, the index of its layer in {@code layers}, or -1
 */
public record Program(String configName, long configHash, int requantMode, String modelName,
                      List<Instruction> code, List<Descriptor> descriptors, int dramSize, byte[] image,
                      List<TensorDesc> tensors, List<Layer> layers, int[] pcLayer) {

    public Program {
        code = List.copyOf(code);
        descriptors = List.copyOf(descriptors);
        tensors = List.copyOf(tensors);
        layers = List.copyOf(layers);
        if (pcLayer.length != code.size()) {
            throw new IllegalArgumentException("pc table has " + pcLayer.length + " entries for " + code.size() + " instructions");
        }
        if (image.length > dramSize) {
            throw new IllegalArgumentException("DRAM image of " + image.length + " bytes exceeds DRAM size " + dramSize);
        }
    }

    /**
     * One layer of the compiled model.
     *
     * @param name      layer name (the ONNX node name of its main op)
     * @param op        the quantized op it implements (QLinearConv, QLinearAdd, ...)
     * @param onnxNodes every ONNX node the layer covers (DQ, Conv, Relu, Q ...), comma separated
     * @param macs      multiply-accumulates it performs
     */
    public record Layer(String name, String op, String onnxNodes, long macs) { }

    public String requantModeName() {
        return requantMode == Descriptor.REQUANT_ORT ? "ort" : "fixed-point";
    }

    public List<TensorDesc> tensors(TensorDesc.Role role) {
        return tensors.stream().filter(t -> t.role() == role).toList();
    }
}
