/** Reading ONNX model files (protobuf, opset check, external data) into {@code OnnxProto.ModelProto}. */
package io.intbench.compiler.onnx;
