/** The policy service: dynamic batching, DJL and ONNX Runtime backends, REST routes, OpenAPI. */
package io.troupe.serving;
