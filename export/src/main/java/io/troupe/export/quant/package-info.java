/** Static post-training int8 quantization of an exported policy graph (QuantizeLinear / DequantizeLinear). */
package io.troupe.export.quant;
