/** Trained policies as ONNX graphs (written with protobuf-java), edge bundles, int8 quantization. */
package io.troupe.export;
