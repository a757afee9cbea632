package io.troupe.export.quant;

import io.troupe.core.ObservationBatch;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.export.onnx.OnnxProto;
import io.troupe.export.onnx.OnnxProto.Attribute;
import io.troupe.export.onnx.OnnxProto.Entry;
import io.troupe.export.onnx.OnnxProto.Graph;
import io.troupe.export.onnx.OnnxProto.Model;
import io.troupe.export.onnx.OnnxProto.Node;
import io.troupe.export.onnx.OnnxProto.Tensor;
import io.troupe.export.onnx.OnnxProto.ValueInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Static post-training int8 quantization of a float policy graph (as {@code OnnxExporter} writes it), in ONNX's QDQ
 * form: every layer with a weight ({@code Gemm}, {@code MatMul} by a constant, {@code Conv}) reads its input through
 * a QuantizeLinear / DequantizeLinear pair and its weight as an int8 initializer through a DequantizeLinear, which
 * ONNX Runtime fuses into its int8 kernels.
 *
 * <ul>
 *   <li>Weights: int8, symmetric (zero point 0, range +-127), one scale per output channel, per tensor, or per
 *       tensor wherever that moves the outputs no more ({@link QuantSettings.WeightScales}). Biases
 *       of {@code Gemm} and {@code Conv}: int32 with scale = input scale x weight scale (a {@code Mul} in the graph),
 *       as int8 kernels add them.</li>
 *   <li>Activations (each layer's input; a {@code Conv}'s output too, which its int8 kernel needs): uint8, asymmetric
 *       (ONNX Runtime's x86 int8 kernels take uint8 activations times int8 weights; int8 activations shared by several
 *       layers were left unfused), one scale per tensor, from the range {@link Calibration} picks over the values the calibration set (real
 *       observations) produced.</li>
 *   <li>Sensitivity: each layer is quantized alone and the graph run on the calibration set; a layer whose int8
 *       form changes the greedy action too often or moves the outputs too far ({@link QuantSettings}) keeps its
 *       weight in int8 and computes in float on its float input (weight-only, {@link Form#INT8_WEIGHTS}) when that
 *       passes, and stays float otherwise.</li>
 *   <li>Other parameters (rank >= 2, >= {@value #WEIGHT_ONLY_MIN_ELEMENTS} values: the token embedding, positions, the
 *       encoder norms' [tokens, embedding] gamma and beta): stored int8, one scale per row, and dequantized where read
 *       (weight-only: their readers still compute in float); each passes the sensitivity pass like a layer.</li>
 * </ul>
 * Attention's activation-by-activation {@code MatMul}s, the norms' arithmetic, embeddings' {@code Gather} and the
 * element-wise ops compute in float. A graph with an operator this class does not know is refused naming the node.
 */
public final class Int8Quantizer {
    /** Operators a Troupe policy graph may hold; anything else is refused. */
    static final Set<String> KNOWN_OPS = Set.of("Gemm", "MatMul", "Conv", "Add", "Sub", "Mul", "Div", "Tanh", "Relu",
            "Sigmoid", "Cast", "Reshape", "Transpose", "Softmax", "LayerNormalization", "Erf", "Gelu", "Gather",
            "Shape", "Concat", "Expand", "Squeeze", "Unsqueeze", "Identity", "ReduceMean", "Sqrt", "Attention");
    /** Metadata key naming the quantization. */
    public static final String META_QUANTIZATION = "troupe.quantization";
    /** Calibration rows used at most (an even sample of the set when it is larger). */
    static final int MAX_CALIBRATION_ROWS = 4096;
    /** Rows the sensitivity pass runs each candidate on at most. */
    static final int MAX_SENSITIVITY_ROWS = 1024;
    private static final int BATCH = 256;
    /**
     * Float parameters of rank >= 2 with at least this many values (embeddings, positions, LayerNorm's per-token
     * gamma and beta) are candidates for int8 storage; biases and scalars stay float.
     */
    public static final int WEIGHT_ONLY_MIN_ELEMENTS = 1024;
    /**
     * {@link QuantSettings.WeightScales#AUTO}: one scale per tensor is kept when, the layer alone in int8, its greedy
     * agreement is at most this much lower (two observations in a thousand) ...
     */
    static final double AUTO_AGREEMENT = 0.002;
    /**
     * ... and its relative output error at most this fraction higher than with one scale per channel, or under
     * {@link #AUTO_NEGLIGIBLE} of the sensitivity pass's tolerance.
     */
    static final double AUTO_RELATIVE_ERROR = 0.1;
    /** A relative output error this share of the tolerance is negligible (0.0005 at the default 0.05). */
    static final double AUTO_NEGLIGIBLE = 0.01;

    /** How a layer or parameter is written. */
    public enum Form {
        /** Run on an int8 kernel: int8 weight, int32 bias, its input quantized (a parameter: stored int8). */
        INT8,
        /**
         * Weight-only: the int8 weight is dequantized where it is read and the layer computes in float on float
         * activations (a layer whose int8 input costs too much; every parameter stored int8).
         */
        INT8_WEIGHTS,
        /** Float, as in the float graph. */
        FLOAT
    }

    /**
     * One layer with a weight, or one other float parameter that may be stored as int8.
     *
     * @param name                 the layer (its weight's name without {@code _weight}), or the parameter
     * @param op                   its operator (a parameter's: the operator reading it)
     * @param weights              its weight's element count
     * @param parameter            a parameter stored as int8 and dequantized where read (its reader computes in
     *                             float), not a layer
     * @param form                 how the written graph holds it (a parameter: {@link Form#INT8_WEIGHTS} or
     *                             {@link Form#FLOAT})
     * @param perChannel           whether its int8 weight has one scale per output channel (row for a parameter)
     * @param agreement            greedy agreement with the float graph on the calibration set when only this layer
     *                             is int8 (a parameter: stored int8)
     * @param relativeError        RMS change of the outputs over their RMS, same condition (the larger of logits and
     *                             value)
     * @param weightsAgreement     the same with only this layer's weight int8 (weight-only), where that was tried
     *                             (its int8 form failed the sensitivity pass); NaN otherwise
     * @param weightsRelativeError ... and its relative error
     */
    public record Layer(String name, String op, long weights, boolean parameter, Form form, boolean perChannel,
                        double agreement, double relativeError, double weightsAgreement,
                        double weightsRelativeError) {
        /** A layer on an int8 kernel, or a parameter stored int8. */
        public boolean int8() {
            return parameter ? form != Form.FLOAT : form == Form.INT8;
        }

        /** Its weight is stored int8 (an int8 layer, a weight-only layer or a parameter stored int8). */
        public boolean int8Weights() {
            return form != Form.FLOAT;
        }
    }

    /**
     * The quantized graph and what happened.
     *
     * @param model            the int8 model
     * @param layers           every layer with a weight, in graph order, then the other parameters
     * @param calibrationRows  observations the ranges were calibrated on
     * @param agreement        greedy agreement of the written graph with the float one on the calibration set
     * @param relativeError    its relative RMS output error there
     * @param maxAbsError      its largest absolute output difference there (logits and value)
     * @param runtimeOps       the operators ONNX Runtime runs the int8 graph with after its optimizations, by count
     */
    public record Result(Model model, List<Layer> layers, long calibrationRows, double agreement,
                         double relativeError, double maxAbsError, Map<String, Integer> runtimeOps) {
        /** The layers kept wholly in float, weights included (not the parameters). */
        public List<Layer> floatLayers() {
            return weightLayers().stream().filter(l -> l.form() == Form.FLOAT).toList();
        }

        /** The layers computing in float on int8 weights (weight-only), their int8 form having failed. */
        public List<Layer> weightOnlyLayers() {
            return weightLayers().stream().filter(l -> l.form() == Form.INT8_WEIGHTS).toList();
        }

        /** The layers with a weight (Gemm, MatMul by a weight, Conv), in whatever form. */
        public List<Layer> weightLayers() {
            return layers.stream().filter(l -> !l.parameter()).toList();
        }

        /** The other float parameters the quantizer may store as int8, stored so or not. */
        public List<Layer> parameters() {
            return layers.stream().filter(Layer::parameter).toList();
        }
    }

    /**
     * A layer with a weight, or (parameter) a float parameter stored as int8 and dequantized where it is read: its
     * reader computes in float as before.
     */
    private record Candidate(int node, String name, String op, String input, String weight, String bias, int axis,
                             boolean quantizeOutput, boolean parameter) {
    }

    /** How the graph holds a candidate: its form and whether its weight has one scale per channel. */
    private record Choice(Form form, boolean perChannel) {
    }

    /** A candidate alone in one form: the scales picked, its figures ({@link #compare}) and whether they pass. */
    private record Trial(boolean perChannel, double[] errors, boolean ok) {
    }

    record Scale(float scale, byte zeroPoint) {
    }

    private final Graph graph;
    private final Map<String, Tensor> initializers = new LinkedHashMap<>();
    private final List<Candidate> candidates = new ArrayList<>();
    private final QuantSettings settings;

    private Int8Quantizer(Graph graph, QuantSettings settings) {
        this.graph = graph;
        this.settings = settings;
        for (Tensor t : graph.initializers()) {
            initializers.put(t.name(), t);
        }
    }

    /**
     * Quantizes {@code floatModel} with ranges from {@code calibration} (observation batches of the model's env).
     * An empty calibration set or an operator this class does not know is an {@link IllegalArgumentException}.
     */
    public static Result quantize(Model floatModel, List<ObservationBatch> calibration, QuantSettings settings) {
        long rows = calibration.stream().mapToLong(ObservationBatch::rows).sum();
        if (rows == 0) {
            throw new IllegalArgumentException("the calibration set is empty: no observations to calibrate the int8 "
                    + "ranges on; expected at least one episode's observations");
        }
        Int8Quantizer q = new Int8Quantizer(floatModel.graph(), settings);
        q.findCandidates();
        List<ObservationBatch> calib = GraphRunner.regroup(sample(calibration, rows, MAX_CALIBRATION_ROWS), BATCH);
        long used = Math.min(rows, MAX_CALIBRATION_ROWS);
        Map<String, Scale> scales = q.calibrate(floatModel, calib);
        List<ObservationBatch> probe = GraphRunner.regroup(sample(calibration, rows, MAX_SENSITIVITY_ROWS), BATCH);
        List<Map<String, float[]>> reference = outputs(floatModel.toBytes(), probe);
        List<Layer> layers = new ArrayList<>();
        Map<Integer, Choice> chosen = new TreeMap<>();
        for (int c = 0; c < q.candidates.size(); c++) {
            Candidate cand = q.candidates.get(c);
            long elements = q.initializers.get(cand.weight()).elements();
            if (cand.parameter()) {
                Trial t = q.trial(floatModel, c, Form.INT8_WEIGHTS, scales, reference, probe);
                Form form = t.ok() ? Form.INT8_WEIGHTS : Form.FLOAT;
                layers.add(new Layer(cand.name(), cand.op(), elements, true, form, t.perChannel(), t.errors()[0],
                        t.errors()[1], Double.NaN, Double.NaN));
                if (t.ok()) {
                    chosen.put(c, new Choice(form, t.perChannel()));
                }
                continue;
            }
            // int8 if it passes alone; else its weight alone in int8 (the layer computing in float); else float
            Trial full = q.trial(floatModel, c, Form.INT8, scales, reference, probe);
            Trial weights = full.ok() ? null : q.trial(floatModel, c, Form.INT8_WEIGHTS, scales, reference, probe);
            Trial taken = full.ok() ? full : weights.ok() ? weights : null;
            Form form = full.ok() ? Form.INT8 : weights.ok() ? Form.INT8_WEIGHTS : Form.FLOAT;
            layers.add(new Layer(cand.name(), cand.op(), elements, false, form, taken != null && taken.perChannel(),
                    full.errors()[0], full.errors()[1], weights == null ? Double.NaN : weights.errors()[0],
                    weights == null ? Double.NaN : weights.errors()[1]));
            if (taken != null) {
                chosen.put(c, new Choice(form, taken.perChannel()));
            }
        }
        Model out = q.build(floatModel, chosen, scales);
        double[] err = compare(reference, outputs(out.toBytes(), probe));
        return new Result(out, layers, used, err[0], err[1], err[2], GraphRunner.optimizedOps(out.toBytes()));
    }

    /**
     * Candidate {@code c} alone in {@code form}, its weight with the scales the settings give: per channel, per
     * tensor, or ({@link QuantSettings.WeightScales#AUTO}) both tried and one per tensor kept where it passes and
     * moves the outputs no more than per channel ({@link #AUTO_AGREEMENT}, {@link #AUTO_RELATIVE_ERROR},
     * {@link #AUTO_NEGLIGIBLE}). A weight with one output channel has one scale.
     */
    private Trial trial(Model floatModel, int c, Form form, Map<String, Scale> scales,
                        List<Map<String, float[]>> reference, List<ObservationBatch> probe) {
        Candidate cand = candidates.get(c);
        boolean channels = initializers.get(cand.weight()).dims()[cand.axis()] > 1;
        QuantSettings.WeightScales ws = settings.weightScales();
        double[] perChannel = channels && ws != QuantSettings.WeightScales.PER_TENSOR
                ? compare(reference, outputs(build(floatModel, Map.of(c, new Choice(form, true)), scales).toBytes(),
                probe)) : null;
        double[] perTensor = !channels || ws != QuantSettings.WeightScales.PER_CHANNEL
                ? compare(reference, outputs(build(floatModel, Map.of(c, new Choice(form, false)), scales).toBytes(),
                probe)) : null;
        if (perChannel == null) {
            return new Trial(false, perTensor, passes(perTensor));
        }
        if (perTensor != null && passes(perTensor) && perTensor[0] >= perChannel[0] - AUTO_AGREEMENT
                && (perTensor[1] <= perChannel[1] * (1 + AUTO_RELATIVE_ERROR)
                || perTensor[1] <= settings.maxRelativeError() * AUTO_NEGLIGIBLE)) {
            return new Trial(false, perTensor, true);
        }
        return new Trial(true, perChannel, passes(perChannel));
    }

    private boolean passes(double[] errors) {
        return errors[0] >= settings.minAgreement() && errors[1] <= settings.maxRelativeError();
    }

    /** Refuses unknown operators; lists the layers with a constant weight. */
    private void findCandidates() {
        List<Node> nodes = graph.nodes();
        for (int n = 0; n < nodes.size(); n++) {
            Node node = nodes.get(n);
            if (!KNOWN_OPS.contains(node.opType())) {
                throw new IllegalArgumentException("the int8 quantizer cannot handle node " + display(node) + " (op "
                        + node.opType() + "); it knows " + String.join(", ", KNOWN_OPS.stream().sorted().toList()));
            }
            Tensor w = node.inputs().size() > 1 ? initializers.get(node.inputs().get(1)) : null;
            if (w == null || w.dataType() != OnnxProto.FLOAT) {
                continue; // no constant weight: an activation-by-activation MatMul stays float
            }
            String bias = node.inputs().size() > 2 ? node.inputs().get(2) : null;
            switch (node.opType()) {
                case "Gemm" -> {
                    for (String a : List.of("alpha", "beta", "transA")) {
                        if (node.attribute(a) != null) {
                            throw new IllegalArgumentException("the int8 quantizer cannot handle node " + display(node)
                                    + " (Gemm with attribute " + a + "); it expects Gemm(x, W, b) with transB only");
                        }
                    }
                    Attribute t = node.attribute("transB");
                    int axis = t != null && t.i() == 1 ? 0 : 1;
                    candidates.add(new Candidate(n, layerName(w.name()), "Gemm", node.inputs().get(0), w.name(),
                            constant(bias), axis, false, false));
                }
                case "MatMul" -> {
                    if (w.dims().length != 2) {
                        throw new IllegalArgumentException("the int8 quantizer cannot handle node " + display(node)
                                + " (MatMul by a weight of rank " + w.dims().length + "; expected a matrix)");
                    }
                    candidates.add(new Candidate(n, layerName(w.name()), "MatMul", node.inputs().get(0), w.name(),
                            null, 1, false, false));
                }
                case "Conv" -> {
                    Attribute group = node.attribute("group");
                    if (group != null && group.i() != 1) {
                        throw new IllegalArgumentException("the int8 quantizer cannot handle node " + display(node)
                                + " (grouped Conv, group = " + group.i() + ")");
                    }
                    candidates.add(new Candidate(n, layerName(w.name()), "Conv", node.inputs().get(0), w.name(),
                            constant(bias), 0, true, false));
                }
                default -> {
                    // an element-wise op with a constant second input (Mul by a scale, Add of a bias): stays float
                }
            }
        }
        Set<String> taken = new LinkedHashSet<>();
        for (Candidate c : candidates) {
            taken.add(c.weight());
            if (c.bias() != null) {
                taken.add(c.bias());
            }
        }
        for (Tensor t : graph.initializers()) {
            if (t.dataType() != OnnxProto.FLOAT || t.dims().length < 2 || t.elements() < WEIGHT_ONLY_MIN_ELEMENTS
                    || taken.contains(t.name())) {
                continue;
            }
            for (int n = 0; n < nodes.size(); n++) {
                if (nodes.get(n).inputs().contains(t.name())) {
                    // one scale per slice of the first dimension longer than 1 (tokens, vocabulary rows)
                    int axis = 0;
                    while (axis < t.dims().length - 1 && t.dims()[axis] == 1) {
                        axis++;
                    }
                    candidates.add(new Candidate(n, t.name(), nodes.get(n).opType(), null, t.name(), null, axis,
                            false, true));
                    break;
                }
            }
        }
    }

    private String constant(String name) {
        return name != null && initializers.containsKey(name) ? name : null;
    }

    private static String display(Node node) {
        return node.name().isEmpty() ? String.join(",", node.outputs()) : node.name();
    }

    private static String layerName(String weight) {
        return weight.replaceAll("_weight(_T)?$", "");
    }

    /** Every quantized tensor's activation scale and zero point, from the float graph run on the calibration set. */
    private Map<String, Scale> calibrate(Model floatModel, List<ObservationBatch> calib) {
        Set<String> tensors = new LinkedHashSet<>();
        for (Candidate c : candidates) {
            if (c.parameter()) {
                continue;
            }
            tensors.add(c.input());
            if (c.quantizeOutput()) {
                tensors.add(graph.nodes().get(c.node()).outputs().get(0));
            }
        }
        List<Node> nodes = new ArrayList<>(graph.nodes());
        List<ValueInfo> outputs = new ArrayList<>(graph.outputs());
        Map<String, String> probeOf = new LinkedHashMap<>();
        int k = 0;
        for (String t : tensors) {
            String probe = "calibration_probe_" + k++;
            probeOf.put(t, probe);
            nodes.add(new Node(probe, "Identity", List.of(t), List.of(probe), List.of()));
            outputs.add(new ValueInfo(probe, OnnxProto.FLOAT, null));
        }
        Graph g = new Graph(graph.name(), nodes, graph.initializers(), graph.inputs(), outputs);
        byte[] bytes = new Model(floatModel.irVersion(), floatModel.opsets(), floatModel.producerName(),
                floatModel.producerVersion(), floatModel.docString(), g, floatModel.metadata()).toBytes();
        Map<String, RangeObserver> observers = new LinkedHashMap<>();
        tensors.forEach(t -> observers.put(t, new RangeObserver()));
        Set<String> wanted = new LinkedHashSet<>(probeOf.values());
        boolean histogram = settings.calibration() != Calibration.MINMAX;
        try (GraphRunner runner = new GraphRunner(bytes, false)) {
            for (int pass = 0; pass < (histogram ? 2 : 1); pass++) {
                for (ObservationBatch b : calib) {
                    Map<String, float[]> values = runner.run(b, wanted);
                    for (String t : tensors) {
                        float[] v = values.get(probeOf.get(t));
                        if (pass == 0) {
                            observers.get(t).observeRange(v);
                        } else {
                            observers.get(t).observeHistogram(v);
                        }
                    }
                }
            }
        }
        Map<String, Scale> scales = new HashMap<>();
        observers.forEach((t, o) -> {
            double[] r = o.range(settings.calibration(), settings.percentile());
            scales.put(t, activationScale(r[0], r[1]));
        });
        return scales;
    }

    /** Asymmetric uint8 over {@code [lo, hi]} (which contains 0): scale (hi - lo) / 255, zero point in [0, 255]. */
    static Scale activationScale(double lo, double hi) {
        double scale = (hi - lo) / 255.0;
        if (!(scale > 1e-12)) {
            return new Scale(1e-6f, (byte) 0);
        }
        long zp = (long) Math.rint(-lo / scale);
        return new Scale((float) scale, (byte) Math.max(0, Math.min(255, zp)));
    }

    /**
     * The graph with the candidates {@code chosen} (indices) in their forms. An activation read by several int8 layers
     * is quantized once (ONNX Runtime gives each reader its own DequantizeLinear before fusing); weights are int8 with
     * a shared zero point of zeros; a bias of an int8 layer is int32 whose scale is {@code Mul(input scale, weight
     * scale)}, which ONNX Runtime folds to a constant before fusing; a weight-only layer reads its int8 weight through
     * a DequantizeLinear and keeps its float bias; an Identity to an output is {@link GraphTidy dropped}; value
     * names are {@link ShortNames}; no doc string (the metadata names the model).
     */
    private Model build(Model floatModel, Map<Integer, Choice> chosen, Map<String, Scale> scales) {
        Map<Integer, Candidate> byNode = new HashMap<>();
        Map<Integer, Choice> choiceOf = new HashMap<>(); // by node
        Map<Candidate, Choice> parameters = new LinkedHashMap<>();
        Set<String> replaced = new LinkedHashSet<>();
        Map<Form, Integer> layerForms = new EnumMap<>(Form.class);
        int perChannel = 0;
        for (Map.Entry<Integer, Choice> e : new TreeMap<>(chosen).entrySet()) {
            Candidate cand = candidates.get(e.getKey());
            Choice choice = e.getValue();
            replaced.add(cand.weight());
            perChannel += choice.perChannel() ? 1 : 0;
            if (cand.parameter()) {
                parameters.put(cand, choice);
                continue;
            }
            layerForms.merge(choice.form(), 1, Integer::sum);
            byNode.put(cand.node(), cand);
            choiceOf.put(cand.node(), choice);
            if (choice.form() == Form.INT8 && cand.bias() != null) {
                replaced.add(cand.bias());
            }
        }
        List<Tensor> inits = new ArrayList<>();
        for (Tensor t : graph.initializers()) {
            if (!replaced.contains(t.name())) {
                inits.add(t);
            }
        }
        List<Node> nodes = new ArrayList<>();
        for (Map.Entry<Candidate, Choice> e : parameters.entrySet()) {
            // the int8 values dequantized under the float parameter's own name: its readers are unchanged
            Candidate cand = e.getKey();
            Int8Weight w = int8Weight(inits, cand, e.getValue().perChannel());
            nodes.add(new Node("", "DequantizeLinear", List.of(w.values(), w.scale()), List.of(cand.weight()),
                    w.axisAttribute()));
        }
        Map<String, String> dequantized = new HashMap<>();
        for (int n = 0; n < graph.nodes().size(); n++) {
            Node node = graph.nodes().get(n);
            Candidate cand = byNode.get(n);
            if (cand == null) {
                nodes.add(node);
                continue;
            }
            Choice choice = choiceOf.get(n);
            if (choice.form() == Form.INT8_WEIGHTS) {
                // weight-only: the float layer reads its int8 weight dequantized; input and bias stay float
                Int8Weight w = int8Weight(inits, cand, choice.perChannel());
                String wdq = cand.weight() + "_dq";
                nodes.add(new Node("", "DequantizeLinear", List.of(w.values(), w.scale()), List.of(wdq),
                        w.axisAttribute()));
                List<String> inputs = new ArrayList<>(node.inputs());
                inputs.set(1, wdq);
                nodes.add(new Node("", node.opType(), inputs, node.outputs(), node.attributes()));
                continue;
            }
            Scale xs = scales.get(cand.input());
            String s = cand.input() + "_scale";
            String xdq = dequantized.computeIfAbsent(cand.input(), x -> {
                String z = x + "_zero_point";
                inits.add(floatTensor(s, new float[] {xs.scale()}, new long[0]));
                inits.add(new Tensor(z, OnnxProto.UINT8, new long[0], new byte[] {xs.zeroPoint()}));
                nodes.add(new Node("", "QuantizeLinear", List.of(x, s, z), List.of(x + "_quantized"), List.of()));
                nodes.add(new Node("", "DequantizeLinear", List.of(x + "_quantized", s, z), List.of(x + "_dq"),
                        List.of()));
                return x + "_dq";
            });
            Int8Weight w = int8Weight(inits, cand, choice.perChannel());
            String wdq = cand.weight() + "_dq";
            nodes.add(new Node("", "DequantizeLinear", List.of(w.values(), w.scale(), zeros(inits, w.scales().length)),
                    List.of(wdq), w.axisAttribute()));
            List<String> inputs = new ArrayList<>(List.of(xdq, wdq));
            if (cand.bias() != null) {
                Tensor b = initializers.get(cand.bias());
                float[] bf = floats(b);
                float[] ws = w.scales();
                int[] bq = new int[bf.length];
                for (int i = 0; i < bf.length; i++) {
                    // the int32 accumulator's scale: input scale x weight scale
                    float bscale = xs.scale() * ws[ws.length == 1 ? 0 : i];
                    bq[i] = (int) Math.max(Integer.MIN_VALUE + 1L, Math.min(Integer.MAX_VALUE,
                            Math.rint(bf[i] / bscale)));
                }
                inits.add(new Tensor(b.name() + "_int32", OnnxProto.INT32, b.dims(), int32Bytes(bq)));
                String bscale = b.name() + "_scale";
                nodes.add(new Node("", "Mul", List.of(s, w.scale()), List.of(bscale), List.of()));
                String bdq = b.name() + "_dq";
                nodes.add(new Node("", "DequantizeLinear", List.of(b.name() + "_int32", bscale), List.of(bdq),
                        ws.length == 1 ? List.of() : List.of(Attribute.of("axis", 0L))));
                inputs.add(bdq);
            }
            String out = node.outputs().get(0);
            if (!cand.quantizeOutput()) {
                nodes.add(new Node("", node.opType(), inputs, node.outputs(), node.attributes()));
                continue;
            }
            Scale ys = scales.get(out);
            String raw = out + "_float";
            nodes.add(new Node("", node.opType(), inputs, List.of(raw), node.attributes()));
            String ysName = out + "_scale";
            String yzName = out + "_zero_point";
            inits.add(floatTensor(ysName, new float[] {ys.scale()}, new long[0]));
            inits.add(new Tensor(yzName, OnnxProto.UINT8, new long[0], new byte[] {ys.zeroPoint()}));
            nodes.add(new Node("", "QuantizeLinear", List.of(raw, ysName, yzName), List.of(out + "_quantized"),
                    List.of()));
            nodes.add(new Node("", "DequantizeLinear", List.of(out + "_quantized", ysName, yzName),
                    List.of(out), List.of()));
        }
        long layerCount = candidates.stream().filter(c -> !c.parameter()).count();
        List<Entry> metadata = new ArrayList<>(floatModel.metadata());
        // short: the report has the details; this says what the file is
        metadata.add(new Entry(META_QUANTIZATION, String.format(Locale.ROOT, "int8 QDQ, %s; layers: %d int8, %d "
                + "weight-only, %d float; %d of %d parameters int8; %d per-channel", settings.calibration().label(),
                layerForms.getOrDefault(Form.INT8, 0), layerForms.getOrDefault(Form.INT8_WEIGHTS, 0),
                layerCount - layerForms.getOrDefault(Form.INT8, 0) - layerForms.getOrDefault(Form.INT8_WEIGHTS, 0),
                parameters.size(), candidates.size() - layerCount, perChannel)));
        Graph g = ShortNames.of(GraphTidy.withoutOutputIdentities(new Graph(graph.name(), nodes, inits,
                graph.inputs(), graph.outputs())));
        return new Model(floatModel.irVersion(), floatModel.opsets(), floatModel.producerName(),
                floatModel.producerVersion(), "", g, metadata);
    }

    /**
     * The int8 zero point of {@code channels} scales: zeros, one tensor shared by every weight with that many. ONNX
     * Runtime fuses a layer into its int8 kernel only when its weight's DequantizeLinear names a zero point, although
     * 0 is the default.
     */
    private static String zeros(List<Tensor> inits, int channels) {
        String name = "int8_zero_point_" + channels;
        if (inits.stream().noneMatch(t -> t.name().equals(name))) {
            inits.add(new Tensor(name, OnnxProto.INT8, channels == 1 ? new long[0] : new long[] {channels},
                    new byte[channels]));
        }
        return name;
    }

    /** An int8 weight written: its values' and scales' initializer names, the scales, the axis (-1: per tensor). */
    private record Int8Weight(String values, String scale, float[] scales, int axis) {
        List<Attribute> axisAttribute() {
            return axis < 0 ? List.of() : List.of(Attribute.of("axis", (long) axis));
        }
    }

    /**
     * Adds {@code cand}'s weight as int8 (symmetric, zero point 0) and its scales (one per channel or one) to
     * {@code inits}.
     */
    private Int8Weight int8Weight(List<Tensor> inits, Candidate cand, boolean perChannel) {
        Tensor w = initializers.get(cand.weight());
        float[] wf = floats(w);
        float[] ws = weightScales(wf, w.dims(), cand.axis(), perChannel && w.dims()[cand.axis()] > 1);
        byte[] wq = quantizeWeights(wf, w.dims(), cand.axis(), ws);
        inits.add(new Tensor(w.name() + "_int8", OnnxProto.INT8, w.dims(), wq));
        inits.add(floatTensor(w.name() + "_scale", ws, ws.length == 1 ? new long[0] : new long[] {ws.length}));
        return new Int8Weight(w.name() + "_int8", w.name() + "_scale", ws, ws.length == 1 ? -1 : cand.axis());
    }

    /** Symmetric int8 scales: max |w| / 127 per slice along {@code axis} (or over the whole tensor). */
    static float[] weightScales(float[] w, long[] dims, int axis, boolean perChannel) {
        int channels = perChannel ? (int) dims[axis] : 1;
        float[] max = new float[channels];
        for (int i = 0; i < w.length; i++) {
            int c = perChannel ? channelOf(i, dims, axis) : 0;
            max[c] = Math.max(max[c], Math.abs(w[i]));
        }
        float[] s = new float[channels];
        for (int c = 0; c < channels; c++) {
            s[c] = max[c] > 0 ? max[c] / 127f : 1f;
        }
        return s;
    }

    static byte[] quantizeWeights(float[] w, long[] dims, int axis, float[] scales) {
        byte[] q = new byte[w.length];
        for (int i = 0; i < w.length; i++) {
            float s = scales[scales.length == 1 ? 0 : channelOf(i, dims, axis)];
            q[i] = (byte) Math.max(-127, Math.min(127, Math.rint(w[i] / s))); // half to even, as QuantizeLinear
        }
        return q;
    }

    private static int channelOf(int flat, long[] dims, int axis) {
        long inner = 1;
        for (int d = axis + 1; d < dims.length; d++) {
            inner *= dims[d];
        }
        return (int) ((flat / inner) % dims[axis]);
    }

    static float[] floats(Tensor t) {
        float[] f = new float[t.raw().length / 4];
        ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    private static Tensor floatTensor(String name, float[] values, long[] dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new Tensor(name, OnnxProto.FLOAT, dims, b.array());
    }

    private static byte[] int32Bytes(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return b.array();
    }

    /** An even sample of at most {@code max} rows of {@code batches} (all of them when there are fewer). */
    private static List<ObservationBatch> sample(List<ObservationBatch> batches, long rows, int max) {
        if (rows <= max) {
            return batches;
        }
        List<ObservationBatch.Modality> mods = batches.get(0).modalities();
        ObservationBatch out = GraphRunner.allocate(mods, max);
        double step = (double) rows / max;
        int bi = 0;
        long before = 0;
        for (int r = 0; r < max; r++) {
            long want = (long) (r * step);
            while (want >= before + batches.get(bi).rows()) {
                before += batches.get(bi).rows();
                bi++;
            }
            batches.get(bi).copyRow((int) (want - before), out, r);
        }
        return List.of(out);
    }

    private static List<Map<String, float[]>> outputs(byte[] model, List<ObservationBatch> batches) {
        List<Map<String, float[]>> out = new ArrayList<>();
        try (GraphRunner runner = new GraphRunner(model, true)) {
            for (ObservationBatch b : batches) {
                out.add(runner.run(b, new LinkedHashSet<>(List.of(PolicyContract.LOGITS, PolicyContract.VALUE))));
            }
        }
        return out;
    }

    /** {greedy agreement, relative RMS error (larger of logits and value), max absolute error}. */
    static double[] compare(List<Map<String, float[]>> reference, List<Map<String, float[]>> candidate) {
        long rows = 0;
        long agree = 0;
        double maxAbs = 0;
        double[] sq = new double[2];
        double[] diff = new double[2];
        for (int b = 0; b < reference.size(); b++) {
            float[] lr = reference.get(b).get(PolicyContract.LOGITS);
            float[] lc = candidate.get(b).get(PolicyContract.LOGITS);
            float[] vr = reference.get(b).get(PolicyContract.VALUE);
            float[] vc = candidate.get(b).get(PolicyContract.VALUE);
            int n = vr.length;
            int actions = lr.length / n;
            for (int r = 0; r < n; r++) {
                if (argmax(lr, r * actions, actions) == argmax(lc, r * actions, actions)) {
                    agree++;
                }
            }
            rows += n;
            for (int i = 0; i < lr.length; i++) {
                sq[0] += (double) lr[i] * lr[i];
                diff[0] += (double) (lr[i] - lc[i]) * (lr[i] - lc[i]);
                maxAbs = Math.max(maxAbs, Math.abs(lr[i] - lc[i]));
            }
            for (int i = 0; i < vr.length; i++) {
                sq[1] += (double) vr[i] * vr[i];
                diff[1] += (double) (vr[i] - vc[i]) * (vr[i] - vc[i]);
                maxAbs = Math.max(maxAbs, Math.abs(vr[i] - vc[i]));
            }
        }
        double rel = 0;
        for (int k = 0; k < 2; k++) {
            rel = Math.max(rel, sq[k] == 0 ? (diff[k] == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(diff[k] / sq[k]));
        }
        return new double[] {(double) agree / rows, rel, maxAbs};
    }

    private static int argmax(float[] x, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[from + i] > x[from + best]) {
                best = i;
            }
        }
        return best;
    }
}
