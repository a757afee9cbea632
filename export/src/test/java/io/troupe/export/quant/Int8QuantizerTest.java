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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
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
    /** The CartPole MLP's int8 file is at least this much smaller than its float file when every layer is int8. */
    static final double MIN_SIZE_RATIO_MLP = 2.7;
    /** ... and with the defaults (weights per tensor where that costs nothing). */
    static final double MIN_SIZE_RATIO_MLP_DEFAULTS = 3.0;

    @Test
    void cartPoleMlpHoldsInt8WeightsAndStaysCloseToFloat() {
        Model floatModel = floatModel("CartPole-v1", ModelConfig.mlp(64, 64));
        List<ObservationBatch> calibration = observations("CartPole-v1", 64);
        Int8Quantizer.Result r = Int8Quantizer.quantize(floatModel, calibration,
                QuantSettings.of(Calibration.MINMAX, true));
        Model back = Model.parse(r.model().toBytes());
        long int8Layers = r.layers().stream().filter(Int8Quantizer.Layer::int8).count();
        long int8WeightLayers = r.layers().stream().filter(Int8Quantizer.Layer::int8Weights).count();
        assertEquals(6, r.weightLayers().size(), r.layers().toString());
        assertTrue(int8Layers >= 4, "at most 2 of the 6 layers out of int8: " + r.layers());
        // each int8 or weight-only layer's weight: int8 values and one scale per output channel, read by a
        // DequantizeLinear
        List<Tensor> inits = back.graph().initializers();
        long int8Weights = 0;
        for (Node n : back.graph().nodes()) {
            Tensor values = initializer(inits, n.inputs().get(0));
            if (!n.opType().equals("DequantizeLinear") || values == null || values.dataType() != OnnxProto.INT8) {
                continue;
            }
            int8Weights++;
            assertEquals(values.elements(), values.raw().length, "one byte per weight");
            assertEquals(values.dims()[0], initializer(inits, n.inputs().get(1)).elements(),
                    "one scale per output channel (Gemm transB)");
        }
        assertEquals(int8WeightLayers, int8Weights, "one int8 weight per int8 or weight-only layer: " + r.layers());
        // the float weights left are those of the layers kept in float
        long floatWeights = inits.stream().filter(t -> t.dataType() == OnnxProto.FLOAT && t.dims().length == 2)
                .count();
        assertEquals(6 - int8WeightLayers, floatWeights, r.layers().toString());
        assertTrue(back.graph().nodes().stream().map(Node::opType).anyMatch("QuantizeLinear"::equals));
        double ratio = (double) floatModel.toBytes().length / r.model().toBytes().length;
        if (int8Layers == 6) {
            // 8,896 int8 weights + 259 int32 biases (4 B) + 259 float scales + graph and metadata: the file was
            // 1.86x smaller with descriptive names, zero points per weight and bias scales stored
            assertTrue(ratio >= MIN_SIZE_RATIO_MLP, "the int8 file is " + ratio + "x smaller than the float one");
        }
        assertTrue(r.runtimeOps().getOrDefault("QGemm", 0) >= int8Layers,
                "ONNX Runtime runs the int8 Gemms as QGemm: " + r.runtimeOps());
        assertTrue(r.relativeError() <= MAX_RELATIVE_ERROR, "relative error " + r.relativeError());
        assertTrue(r.agreement() >= 0.95, "greedy agreement " + r.agreement());
        assertTrue(back.metadata(Int8Quantizer.META_QUANTIZATION).startsWith("int8 QDQ"));
    }

    /**
     * The defaults on a fresh CartPole MLP: one scale per tensor wherever it moves the outputs no more than per
     * channel, no Identity before the outputs, no doc string: the int8 file is at least {@value #MIN_SIZE_RATIO_MLP_DEFAULTS}
     * times smaller than the float one (2.84x with every weight per channel), its outputs within the stated tolerance,
     * every name unique and the inputs and outputs the contract's.
     */
    @Test
    void cartPoleMlpWithTheDefaultsIsAtLeast3TimesSmallerWithOutputsWithinTolerance() {
        Model floatModel = floatModel("CartPole-v1", ModelConfig.mlp(64, 64));
        Int8Quantizer.Result r = Int8Quantizer.quantize(floatModel, observations("CartPole-v1", 64),
                QuantSettings.of(Calibration.MINMAX, QuantSettings.WeightScales.AUTO));
        byte[] bytes = r.model().toBytes();
        double ratio = (double) floatModel.toBytes().length / bytes.length;
        assertTrue(ratio >= MIN_SIZE_RATIO_MLP_DEFAULTS, "the int8 file is " + ratio + "x smaller ("
                + floatModel.toBytes().length + " B against " + bytes.length + " B): " + r.layers());
        assertTrue(r.layers().stream().allMatch(Int8Quantizer.Layer::int8Weights), r.layers().toString());
        assertTrue(r.layers().stream().anyMatch(l -> !l.perChannel()), "some weight with one scale: " + r.layers());
        assertTrue(r.relativeError() <= MAX_RELATIVE_ERROR, "relative error " + r.relativeError());
        assertTrue(r.agreement() >= 0.95, "greedy agreement " + r.agreement());
        Model back = Model.parse(bytes);
        assertEquals("", back.docString());
        assertTrue(back.graph().nodes().stream().noneMatch(n -> n.opType().equals("Identity")),
                back.graph().nodes().toString());
        assertEquals(floatModel.graph().inputs(), back.graph().inputs());
        assertEquals(floatModel.graph().outputs(), back.graph().outputs());
        List<String> names = new ArrayList<>();
        back.graph().initializers().forEach(t -> names.add(t.name()));
        back.graph().nodes().forEach(n -> names.addAll(n.outputs()));
        assertEquals(names.size(), names.stream().distinct().count(), "every value named once: " + names);
        for (String output : List.of("logits", "value")) {
            assertEquals(1, back.graph().nodes().stream().filter(n -> n.outputs().contains(output)).count(), output);
        }
        // each weight's scales: one, or one per output channel
        for (Node n : back.graph().nodes()) {
            Tensor values = initializer(back.graph().initializers(), n.inputs().get(0));
            if (n.opType().equals("DequantizeLinear") && values != null && values.dataType() == OnnxProto.INT8) {
                long scales = initializer(back.graph().initializers(), n.inputs().get(1)).elements();
                assertTrue(scales == 1 || scales == values.dims()[0], n + ": " + scales + " scales");
            }
        }
    }

    /**
     * A layer whose int8 input costs too much (CartPole's input layers, calibrated on observations with one cart
     * velocity of 1,000: a uint8 step of about 4 for the whole input) keeps its weight in int8 and computes in float
     * on the float input (weight-only): the written graph holds no float weight, the two input layers read their
     * int8 [64, 4] weights through a DequantizeLinear and {@code obs} directly, and the outputs stay within tolerance.
     */
    @Test
    void aLayerWhoseInt8InputCostsTooMuchKeepsInt8WeightsAndComputesInFloat() {
        Model floatModel = floatModel("CartPole-v1", ModelConfig.mlp(64, 64));
        List<ObservationBatch> calibration = new ArrayList<>(observations("CartPole-v1", 64));
        ObservationBatch outlier = GraphRunner.allocate(calibration.get(0).modalities(), 1);
        calibration.get(0).copyRow(0, outlier, 0);
        outlier.floats(0)[1] = 1000f;
        calibration.add(outlier);
        Int8Quantizer.Result r = Int8Quantizer.quantize(floatModel, calibration,
                QuantSettings.of(Calibration.MINMAX, QuantSettings.WeightScales.AUTO));
        List<String> weightOnly = r.weightOnlyLayers().stream().map(Int8Quantizer.Layer::name).toList();
        assertEquals(List.of("01actor_01Linear", "02critic_01Linear"), weightOnly, r.layers().toString());
        for (Int8Quantizer.Layer l : r.weightOnlyLayers()) {
            assertTrue(l.relativeError() > QuantSettings.DEFAULT_MAX_RELATIVE_ERROR
                    || l.agreement() < QuantSettings.DEFAULT_MIN_AGREEMENT, "its int8 form failed: " + l);
            assertTrue(l.weightsRelativeError() <= QuantSettings.DEFAULT_MAX_RELATIVE_ERROR
                    && l.weightsAgreement() >= QuantSettings.DEFAULT_MIN_AGREEMENT, "its weight-only form passed: " + l);
        }
        assertEquals(List.of(), r.floatLayers());
        Model back = Model.parse(r.model().toBytes());
        List<Tensor> inits = back.graph().initializers();
        assertEquals(List.of(), inits.stream().filter(t -> t.dataType() == OnnxProto.FLOAT && t.dims().length == 2)
                .map(Tensor::name).toList(), "no float weight left");
        List<Node> readingObs = back.graph().nodes().stream().filter(n -> n.opType().equals("Gemm")
                && n.inputs().get(0).equals("obs")).toList();
        assertEquals(2, readingObs.size(), back.graph().nodes().toString());
        for (Node gemm : readingObs) {
            Node dq = producer(back, gemm.inputs().get(1));
            Tensor w = initializer(inits, dq.inputs().get(0));
            assertEquals("DequantizeLinear", dq.opType());
            assertEquals(OnnxProto.INT8, w.dataType());
            assertEquals(List.of(64L, 4L), Arrays.stream(w.dims()).boxed().toList());
            assertEquals(OnnxProto.FLOAT, initializer(inits, gemm.inputs().get(2)).dataType(), "the float bias");
        }
        assertEquals(4, r.runtimeOps().getOrDefault("QGemm", 0), "the other four layers int8: " + r.runtimeOps());
        assertTrue(r.relativeError() <= MAX_RELATIVE_ERROR, "relative error " + r.relativeError());
        assertTrue(back.metadata(Int8Quantizer.META_QUANTIZATION).contains("2 weight-only"),
                back.metadata(Int8Quantizer.META_QUANTIZATION));
    }

    /**
     * A transformer as wide as {@code conf/gotoobject-large.conf}'s (d 128, feed-forward 512; 2 blocks rather than 6
     * to keep the test short; fresh weights, its LayerNorm gamma and beta perturbed as training would, so that storing
     * them as int8 costs something), every layer and parameter in int8: the int8 file is at least 3.5 times smaller
     * than the float one (it was under 3 times with LayerNorm, embeddings and positions in float), and the outputs
     * stay within the stated tolerance.
     */
    @Test
    void largeTransformerIsAtLeast35TimesSmallerWithOutputsWithinTolerance() {
        Model floatModel = perturbNorms(floatModel("GoToObject-v0", ModelConfig.transformer(128, 4, 2, 512, 6, 1)));
        // the sensitivity pass off: a fresh model's nearly tied logits make its agreement figure noise
        Int8Quantizer.Result r = Int8Quantizer.quantize(floatModel, observations("GoToObject-v0", 16),
                new QuantSettings(Calibration.MINMAX, 99.99, true, 0, 1e9));
        long floatBytes = floatModel.toBytes().length;
        long int8Bytes = r.model().toBytes().length;
        assertTrue(floatBytes >= 3.5 * int8Bytes, "float " + floatBytes + " B, int8 " + int8Bytes + " B: "
                + (double) floatBytes / int8Bytes + "x");
        assertEquals(10, r.parameters().size(),
                "4 LayerNorms' gamma and beta, image positions, mission embedding: " + r.parameters());
        assertTrue(r.relativeError() <= MAX_RELATIVE_ERROR_ALL_INT8, "relative error " + r.relativeError());
        // 2 blocks x (K, Q, V, result, ff1, ff2) on (N x T, E) views, and state, policy, value
        assertEquals(12 + 3, r.runtimeOps().getOrDefault("QGemm", 0), r.runtimeOps().toString());
        // no float parameter of 1,024 values or more is left
        List<Tensor> big = Model.parse(r.model().toBytes()).graph().initializers().stream().filter(t -> t.dataType()
                == OnnxProto.FLOAT && t.elements() >= Int8Quantizer.WEIGHT_ONLY_MIN_ELEMENTS).toList();
        assertEquals(List.of(), big.stream().map(t -> t.name() + Arrays.toString(t.dims())).toList());
    }

    @Test
    void goToObjectTransformerRunsOnInt8KernelsWithPerChannelOrPerTensorWeights() {
        Model floatModel = floatModel("GoToObject-v0", ModelConfig.transformer(32, 4, 1, 64, 6, 1));
        List<ObservationBatch> calibration = observations("GoToObject-v0", 16);
        for (boolean perChannel : List.of(true, false)) {
            // the sensitivity pass off (every layer int8), to see each kind of layer on its int8 kernel
            Int8Quantizer.Result r = Int8Quantizer.quantize(floatModel, calibration,
                    new QuantSettings(Calibration.MINMAX, 99.99, perChannel, 0, 1e9));
            List<String> ops = r.weightLayers().stream().map(Int8Quantizer.Layer::op).distinct().sorted().toList();
            assertEquals(List.of("Conv", "Gemm"), ops, "layers with a weight: " + r.layers());
            assertTrue(r.layers().stream().allMatch(Int8Quantizer.Layer::int8), r.layers().toString());
            assertEquals(1, r.runtimeOps().getOrDefault("QLinearConv", 0), "per-channel " + perChannel + ": "
                    + r.runtimeOps());
            assertEquals(6 + 3, r.runtimeOps().getOrDefault("QGemm", 0), "K, Q, V, result, ff1, ff2 (on (N x T, E) "
                    + "views), state, policy, value: " + r.runtimeOps());
            assertEquals(1 + 4, r.runtimeOps().getOrDefault("DequantizeLinear", 0), "QLinearConv's uint8 output and"
                    + " the int8 LayerNorm gamma and beta ([32, 32]) are dequantized at run time, no weight of a layer: "
                    + r.runtimeOps());
            // a fresh model's logits are small (|x| < 1), so the relative error is the harsher figure here
            assertTrue(r.relativeError() <= MAX_RELATIVE_ERROR_ALL_INT8, "relative error " + r.relativeError());
            // (greedy agreement is not asserted here: a fresh model's logits are nearly tied)
            // the policy head: Gemm(x, DequantizeLinear(int8 [5, 32], scales), bias) -> logits
            Model back = Model.parse(r.model().toBytes());
            Node head = producer(back, "logits");
            Node weightDq = producer(back, head.inputs().get(1));
            Tensor weight = initializer(back.graph().initializers(), weightDq.inputs().get(0));
            Tensor scale = initializer(back.graph().initializers(), weightDq.inputs().get(1));
            assertEquals("Gemm", head.opType());
            assertEquals(OnnxProto.INT8, weight.dataType());
            assertEquals(perChannel ? weight.dims()[0] : 1, scale.elements(), "the policy head's weight scales");
        }
    }

    @Test
    void aHeadPrunedTransformerQuantizesLikeAnyOther() {
        // three heads of 8 over a 32-wide embedding (compress prune --structured heads): 24-wide K, Q, V and result
        quantizeEveryLayerOfTheSmallTransformer(floatModel("GoToObject-v0",
                ModelConfig.transformer(32, 4, 1, 64, 6, 1).withHeads(3)));
    }

    /**
     * At opset 23 the exporter writes the attention as ONNX's Attention operator (what a serving replica runs): the
     * quantizer keeps that node in float and quantizes the projections around it as at the default opset.
     */
    @Test
    void aTransformerAtOpset23QuantizesAroundItsAttentionOperator() {
        Model floatModel = floatModel("GoToObject-v0", ModelConfig.transformer(32, 4, 1, 64, 6, 1), 23);
        assertTrue(floatModel.graph().nodes().stream().anyMatch(n -> n.opType().equals("Attention")),
                "the float graph at opset 23 holds an Attention node");
        Int8Quantizer.Result r = quantizeEveryLayerOfTheSmallTransformer(floatModel);
        assertTrue(Model.parse(r.model().toBytes()).graph().nodes().stream().anyMatch(n -> n.opType()
                .equals("Attention")), "the int8 graph keeps the Attention node");
    }

    /**
     * A layer written as MatMul by a weight and an Add of its bias (how the exporter wrote 3-D linear layers before it
     * used Gemm on a 2-D view; no Troupe graph has one now) is still quantized, its weight int8 with one scale per
     * output channel (the weight's second axis here), within tolerance: the CartPole MLP's first Gemm rewritten that
     * way. (On this 2-D input ONNX Runtime fuses the MatMul and the Add into a Gemm of the dequantized weight, so no
     * int8 kernel is asserted.)
     */
    @Test
    void aMatMulByAWeightIsQuantizedPerOutputChannel() {
        Model m = floatModel("CartPole-v1", ModelConfig.mlp(8));
        List<Node> nodes = new ArrayList<>(m.graph().nodes());
        List<Tensor> inits = new ArrayList<>(m.graph().initializers());
        int at = 0;
        while (!nodes.get(at).opType().equals("Gemm")) {
            at++;
        }
        Node gemm = nodes.get(at);
        Tensor w = initializer(inits, gemm.inputs().get(1)); // (out, in), read with transB
        int out = (int) w.dims()[0];
        int in = (int) w.dims()[1];
        float[] v = Int8Quantizer.floats(w);
        ByteBuffer t = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                t.putFloat(v[o * in + i]);
            }
        }
        inits.add(new Tensor("first_weight_T", OnnxProto.FLOAT, new long[] {in, out}, t.array()));
        nodes.set(at, new Node("first_matmul", "MatMul", List.of(gemm.inputs().get(0), "first_weight_T"),
                List.of("first_product"), List.of()));
        nodes.add(at + 1, new Node("first_bias", "Add", List.of("first_product", gemm.inputs().get(2)),
                gemm.outputs(), List.of()));
        Model rewritten = new Model(m.irVersion(), m.opsets(), m.producerName(), m.producerVersion(), m.docString(),
                new OnnxProto.Graph(m.graph().name(), nodes, inits, m.graph().inputs(), m.graph().outputs()),
                m.metadata());
        Int8Quantizer.Result r = Int8Quantizer.quantize(rewritten, observations("CartPole-v1", 16),
                new QuantSettings(Calibration.MINMAX, 99.99, true, 0, 1e9));
        assertEquals(List.of("Gemm", "MatMul"), r.weightLayers().stream().map(Int8Quantizer.Layer::op).distinct()
                .sorted().toList(), r.layers().toString());
        assertTrue(r.layers().stream().allMatch(Int8Quantizer.Layer::int8), r.layers().toString());
        Model back = Model.parse(r.model().toBytes());
        Node matmul = back.graph().nodes().stream().filter(n -> n.opType().equals("MatMul")).findFirst()
                .orElseThrow();
        Node weightDq = producer(back, matmul.inputs().get(1));
        assertEquals(OnnxProto.INT8, initializer(back.graph().initializers(), weightDq.inputs().get(0)).dataType());
        assertEquals(out, initializer(back.graph().initializers(), weightDq.inputs().get(1)).elements(),
                "one scale per output channel");
        assertTrue(r.relativeError() <= MAX_RELATIVE_ERROR, "relative error " + r.relativeError());
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

    private static Tensor initializer(List<Tensor> inits, String name) {
        return inits.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    private static Node producer(Model m, String value) {
        return m.graph().nodes().stream().filter(n -> n.outputs().contains(value)).findFirst().orElseThrow();
    }

    /** LayerNorm gamma 1 + N(0, 0.1) and beta N(0, 0.1) (seeded): a fresh model's ones and zeros are exact in int8. */
    private static Model perturbNorms(Model m) {
        Random rng = new Random(5);
        List<Tensor> inits = new ArrayList<>();
        for (Tensor t : m.graph().initializers()) {
            boolean gamma = t.name().endsWith("_gamma");
            if (!gamma && !t.name().endsWith("_beta")) {
                inits.add(t);
                continue;
            }
            float[] v = Int8Quantizer.floats(t);
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) (0.1 * rng.nextGaussian());
            }
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            inits.add(new Tensor(t.name(), t.dataType(), t.dims(), b.array()));
        }
        return new Model(m.irVersion(), m.opsets(), m.producerName(), m.producerVersion(), m.docString(),
                new OnnxProto.Graph(m.graph().name(), m.graph().nodes(), inits, m.graph().inputs(),
                        m.graph().outputs()), m.metadata());
    }

    /**
     * A one-block GoToObject transformer's graph quantized with every layer int8 (the sensitivity pass off): all nine
     * layers with a weight run as QGemm (K, Q, V, result, ff1, ff2, state, policy, value), within tolerance.
     */
    private static Int8Quantizer.Result quantizeEveryLayerOfTheSmallTransformer(Model floatModel) {
        Int8Quantizer.Result r = Int8Quantizer.quantize(floatModel, observations("GoToObject-v0", 16),
                new QuantSettings(Calibration.MINMAX, 99.99, true, 0, 1e9));
        assertTrue(r.layers().stream().allMatch(Int8Quantizer.Layer::int8), r.layers().toString());
        assertEquals(6 + 3, r.runtimeOps().getOrDefault("QGemm", 0), "K, Q, V, result, ff1, ff2, state, policy, "
                + "value: " + r.runtimeOps());
        assertTrue(r.relativeError() <= MAX_RELATIVE_ERROR_ALL_INT8, "relative error " + r.relativeError());
        return r;
    }

    private static Model floatModel(String envId, ModelConfig config) {
        return floatModel(envId, config, OnnxExporter.DEFAULT_OPSET);
    }

    private static Model floatModel(String envId, ModelConfig config, int opset) {
        try (Env env = EnvRegistry.defaults().make(envId);
             PolicyModel model = PolicyModel.create(env.spec(), config, 7, Device.cpu())) {
            return OnnxExporter.toOnnx(model, 1, opset);
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
