/** The inference runtime of an exported policy: ONNX Runtime, the policy contract, observation encoding. No Pekko, no DJL, no PyTorch. */
package io.troupe.edge;
