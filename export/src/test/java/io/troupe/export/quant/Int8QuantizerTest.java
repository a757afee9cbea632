package io.troupe.export.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.troupe.core.ObservationBatch;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.export.onnx.OnnxExporter;
import io.troupe.export.onnx.OnnxProto;
import io.troupe.export.onnx.OnnxProto.Model;
import io.troupe.export.onnx.OnnxProto.Node;
import io.troupe.export.onnx.OnnxProto.Tensor;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The int8 graph of a CartPole MLP and of a GoToObject transformer (fresh weights, calibration observations from the
 * envs themselves): read back with {@link OnnxProto}'s reader it holds int8 weight initializers and QDQ nodes; ONNX
 * Runtime fuses them into its int8 kernels (QGemm, MatMulIntegerToFloat, QLinearConv); its outputs stay within a
 * stated tolerance of the float graph's on the calibration data: relative RMS error <= 0.05 after the sensitivity pass
 * (MLP), <= 0.25 with every layer of the fresh transformer in int8. An unknown operator and an empty calibration set are refused naming them.
 */
class Int8QuantizerTest {
    /** Stated tolerance: relative RMS error of the outputs (logits and value) against the float graph's. */
    static final double MAX_RELATIVE_ERROR = 0.05;
    /** ... and with every layer of the fresh transformer in int8 (no sensitivity pass). */
    static final double MAX_RELATIVE_ERROR_ALL_INT8 = 0.25;

    @Test
    void cartPoleMlpHoldsInt8WeightsAndStaysCloseToFloat() {
        Model floatModel = floatModel("CartPole-v1", ModelConfig.mlp(64, 64));
        List<ObservationBatch> calibration = observations("CartPole-v1", 64);
        Int8Quantizer.Result r = Int8Quantizer.quantize(floatModel, calibration,
                QuantSettings.of(Calibration.MINMAX, true));
        Model back = Model.parse(r.model().toBytes());
        List<Tensor> int8 = back.graph().initializers().stream().filter(t -> t.dataType() == OnnxProto.INT8
                && t.name().endsWith("_weight_int8")).toList();
        long int8Layers = r.layers().stream().filter(Int8Quantizer.Layer::int8).count();
        assertEquals(int8Layers, int8.size(), "one int8 weight per int8 layer: " + r.layers());
        assertTrue(int8Layers >= 4, "at most 2 of the 6 layers kept float: " + r.layers());
        for (Tensor t : int8) {
            assertEquals(t.elements(), t.raw().length, t.name() + ": one byte per weight");
            Tensor scale = back.graph().initializers().stream().filter(s -> s.name().equals(
                    t.name().replace("_int8", "_scale"))).findFirst().orElseThrow();
            assertEquals(t.dims()[0], scale.elements(), t.name() + ": one scale per output channel (Gemm transB)");
        }
        // each float weight of an int8 layer is gone
        for (Int8Quantizer.Layer l : r.layers()) {
            boolean floatWeight = back.graph().initializers().stream().anyMatch(t -> t.name().equals(l.name()
                    + "_weight") && t.dataType() == OnnxProto.FLOAT);
            assertEquals(!l.int8(), floatWeight, l.toString());
        }
        assertTrue(back.graph().nodes().stream().map(Node::opType).anyMatch("QuantizeLinear"::equals));
        assertTrue(r.runtimeOps().getOrDefault("QGemm", 0) >= int8Layers,
                "ONNX Runtime runs the int8 Gemms as QGemm: " + r.runtimeOps());
        assertTrue(r.relativeError() <= MAX_RELATIVE_ERROR, "relative error " + r.relativeError());
        assertTrue(r.agreement() >= 0.95, "greedy agreement " + r.agreement());
        assertTrue(back.metadata(Int8Quantizer.META_QUANTIZATION).startsWith("int8 QDQ"));
    }

    @Test
    void goToObjectTransformerRunsOnInt8KernelsWithPerChannelOrPerTensorWeights() {
        Model floatModel = floatModel("GoToObject-v0", ModelConfig.transformer(32, 4, 1, 64, 6, 1));
        List<ObservationBatch> calibration = observations("GoToObject-v0", 16);
        for (boolean perChannel : List.of(true, false)) {
            // the sensitivity pass off (every layer int8), to see each kind of layer on its int8 kernel
            Int8Quantizer.Result r = Int8Quantizer.quantize(floatModel, calibration,
                    new QuantSettings(Calibration.MINMAX, 99.99, perChannel, 0, 1e9));
            List<String> ops = r.layers().stream().map(Int8Quantizer.Layer::op).distinct().sorted().toList();
            assertEquals(List.of("Conv", "Gemm", "MatMul"), ops, "layers with a weight: " + r.layers());
            assertTrue(r.layers().stream().allMatch(Int8Quantizer.Layer::int8), r.layers().toString());
            assertEquals(1, r.runtimeOps().getOrDefault("QLinearConv", 0), "per-channel " + perChannel + ": "
                    + r.runtimeOps());
            assertEquals(6, r.runtimeOps().getOrDefault("MatMulIntegerToFloat", 0), "K, Q, V, result, ff1, ff2: "
                    + r.runtimeOps());
            assertEquals(3, r.runtimeOps().getOrDefault("QGemm", 0), "state, policy, value: " + r.runtimeOps());
            assertEquals(1, r.runtimeOps().getOrDefault("DequantizeLinear", 0), "only QLinearConv's uint8 output "
                    + "is dequantized at run time, no weight: " + r.runtimeOps());
            // a fresh model's logits are small (|x| < 1), so the relative error is the harsher figure here
            assertTrue(r.relativeError() <= MAX_RELATIVE_ERROR_ALL_INT8, "relative error " + r.relativeError());
            // (greedy agreement is not asserted here: a fresh model's logits are nearly tied)
            List<Tensor> inits = Model.parse(r.model().toBytes()).graph().initializers();
            Tensor scale = inits.stream().filter(t -> t.name().equals("06policy_weight_scale")).findFirst()
                    .orElseThrow();
            Tensor weight = inits.stream().filter(t -> t.name().equals("06policy_weight_int8")).findFirst()
                    .orElseThrow();
            assertEquals(OnnxProto.INT8, weight.dataType());
            assertEquals(perChannel ? weight.dims()[0] : 1, scale.elements(), "the policy head's weight scales");
        }
    }

    @Test
    void anUnknownOperatorIsRefusedNamingTheNode() {
        Model m = floatModel("CartPole-v1", ModelConfig.mlp(8));
        List<Node> nodes = new ArrayList<>(m.graph().nodes());
        Node first = nodes.get(0);
        nodes.set(0, new Node("my_lstm", "LSTM", first.inputs(), first.outputs(), List.of()));
        Model bad = new Model(m.irVersion(), m.opsets(), m.producerName(), m.producerVersion(), m.docString(),
                new OnnxProto.Graph(m.graph().name(), nodes, m.graph().initializers(), m.graph().inputs(),
                        m.graph().outputs()), m.metadata());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8Quantizer.quantize(bad,
                observations("CartPole-v1", 4), QuantSettings.of(Calibration.MINMAX, true)));
        assertTrue(e.getMessage().startsWith("the int8 quantizer cannot handle node my_lstm (op LSTM)"),
                e.getMessage());
    }

    @Test
    void anEmptyCalibrationSetIsRefused() {
        Model m = floatModel("CartPole-v1", ModelConfig.mlp(8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Int8Quantizer.quantize(m, List.of(), QuantSettings.of(Calibration.MINMAX, true)));
        assertTrue(e.getMessage().startsWith("the calibration set is empty"), e.getMessage());
    }

    private static Model floatModel(String envId, ModelConfig config) {
        try (Env env = EnvRegistry.defaults().make(envId);
             PolicyModel model = PolicyModel.create(env.spec(), config, 7, Device.cpu())) {
            return OnnxExporter.toOnnx(model, 1, OnnxExporter.DEFAULT_OPSET);
        }
    }

    /** {@code steps} steps of 8 env copies under random actions (seeded): real observations. */
    private static List<ObservationBatch> observations(String envId, int steps) {
        List<ObservationBatch> out = new ArrayList<>();
        Random rng = new Random(3);
        try (VectorEnv vec = VectorEnv.of(() -> EnvRegistry.defaults().make(envId), 8)) {
            vec.reset(11);
            int actions = vec.spec().actionSpace().describe().contains("Discrete(5)") ? 5 : 2;
            int[] a = new int[8];
            for (int s = 0; s < steps; s++) {
                ObservationBatch b = GraphRunner.allocate(vec.observations().modalities(), 8);
                for (int r = 0; r < 8; r++) {
                    vec.observations().copyRow(r, b, r);
                    a[r] = rng.nextInt(actions);
                }
                out.add(b);
                vec.step(a);
            }
        }
        return out;
    }
}
