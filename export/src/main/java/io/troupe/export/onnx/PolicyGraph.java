package io.troupe.export.onnx;

import io.troupe.core.space.Dict;
import io.troupe.core.space.Space;
import io.troupe.core.space.Text;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.export.onnx.OnnxProto.Attribute;
import io.troupe.export.onnx.OnnxProto.Graph;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.Readout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Troupe policy network as an ONNX graph, operator for operator as the DJL blocks compute it
 * ({@code learners/.../model}: {@code MlpPolicyBlock}, {@code TransformerPolicyBlock}, {@code PreNormEncoderBlock},
 * DJL's {@code ScaledDotProductAttentionBlock}, {@code Linear}, {@code LayerNorm}, {@code Conv2d}). Parameters are
 * found by their DJL names, which follow from the blocks' child order ({@code NN} + child name); a model with a parameter
 * this class does not place is refused.
 *
 * <p>Inputs are the contract's ({@link PolicyContract#inputsOf}): uint8 NCHW images are cast to float and divided by
 * 255; int64 token ids select rows of the token embedding (DJL multiplies a one-hot matrix by the weight, which picks
 * the same numbers exactly); float32 vectors go in as they are. Outputs: {@code logits [N, actions]} and
 * {@code value [N]}.
 */
final class PolicyGraph {
    /** DJL's {@code LayerNorm} default epsilon (the blocks build their norms with the default builder). */
    static final float LAYER_NORM_EPSILON = 1e-5f;

    private final GraphBuilder b = new GraphBuilder();
    private final ParameterTable params;
    private final int opset;

    private PolicyGraph(ParameterTable params, int opset) {
        this.params = params;
        this.opset = opset;
    }

    /** CleanRL's separate tanh actor and critic MLPs ({@code MlpPolicyBlock}). */
    static Graph mlp(Space observationSpace, ModelConfig config, int actions, ParameterTable params, int opset) {
        PolicyGraph g = new PolicyGraph(params, opset);
        List<PolicyContract.Input> inputs = PolicyContract.inputsOf(observationSpace);
        if (inputs.size() != 1 || !inputs.get(0).dtype().equals("float32") || inputs.get(0).shape().length != 2) {
            throw new IllegalArgumentException("an mlp policy takes one float32 vector, but the observation space is "
                    + observationSpace.describe());
        }
        PolicyContract.Input in = inputs.get(0);
        String x = g.b.input(in.name(), OnnxProto.FLOAT, in.shape());
        int features = (int) in.shape()[1];
        String logits = g.mlpTower("01actor", x, features, config.mlpHidden(), actions);
        String value = g.mlpTower("02critic", x, features, config.mlpHidden(), 1);
        return g.finish(logits, value, actions);
    }

    /** The multimodal transformer ({@code TransformerPolicyBlock} with {@code PreNormEncoderBlock}s). */
    static Graph transformer(Space observationSpace, ModelConfig config, int actions, ParameterTable params,
                             int opset) {
        PolicyGraph g = new PolicyGraph(params, opset);
        return g.buildTransformer(observationSpace, config, actions);
    }

    private String mlpTower(String prefix, String x, int features, int[] hidden, int out) {
        String h = x;
        int in = features;
        int child = 1;
        for (int units : hidden) {
            h = b.op("Tanh", gemm(prefix + String.format(Locale.ROOT, "_%02dLinear", child), h, in, units));
            in = units;
            child += 2; // Linear, then the tanh lambda block
        }
        return gemm(prefix + String.format(Locale.ROOT, "_%02dLinear", child), h, in, out);
    }

    private Graph buildTransformer(Space space, ModelConfig config, int actions) {
        int e = config.embedding();
        List<PolicyContract.Input> inputs = PolicyContract.inputsOf(space);
        List<String> sequence = new ArrayList<>();
        List<String> modalityTokens = new ArrayList<>();
        List<Integer> texts = new ArrayList<>();
        List<Integer> images = new ArrayList<>();
        List<String> imageInputs = new ArrayList<>();
        int tokens = 1;
        for (int i = 0; i < inputs.size(); i++) {
            PolicyContract.Input in = inputs.get(i);
            Space sub = space instanceof Dict d ? d.spaces().get(in.name()) : space;
            String name = "m" + i + "_" + in.name();
            String embed = String.format(Locale.ROOT, "%02d%s", i + 1, name);
            String x = b.input(in.name(), elemType(in.dtype()), in.shape());
            String t;
            int count;
            if (in.role().equals("image") && in.shape().length == 4) {
                // images after the other modalities: FiLM in a cell stem needs the mission's tokens
                modalityTokens.add(null);
                imageInputs.add(x);
                images.add(i);
                continue;
            }
            if (sub instanceof Text text) {
                // one-hot x Linear(no bias) == the rows of the weight's transpose the ids pick
                int vocabulary = text.vocabulary().size();
                count = text.maxTokens();
                String table = b.weight(embed + "_weight_T", params.takeTransposed(embed + "_weight", e, vocabulary),
                        vocabulary, e);
                t = b.op("Gather", List.of(Attribute.of("axis", 0L)), table, x);
                texts.add(i);
            } else {
                count = config.stateTokens();
                long features = 1;
                for (int k = 1; k < in.shape().length; k++) {
                    features *= in.shape()[k];
                }
                String v = in.dtype().equals("float32") ? x
                        : b.op("Cast", List.of(Attribute.of("to", (long) OnnxProto.FLOAT)), x);
                String flat = b.op("Reshape", v, b.int64s("shape", 0, -1));
                t = b.op("Reshape", gemm(embed, flat, (int) features, count * e),
                        b.int64s("shape", 0, count, e));
            }
            modalityTokens.add(withPositionsAndType(name, t, count, e));
            tokens += count;
        }
        // the FiLM maps are the block's children after the encoders, the norm and the two heads; the stems follow
        int filmChild = inputs.size() + config.layers() + 4;
        String[] film = config.film() ? film(filmChild, modalityTokens, texts, images, config) : null;
        int stemChild = filmChild + (config.film() ? 2 : 0);
        for (int k = 0; k < images.size(); k++) {
            int i = images.get(k);
            PolicyContract.Input in = inputs.get(i);
            String name = "m" + i + "_" + in.name();
            long[] shape = in.shape();
            int p = config.patchSize();
            if (shape[2] % p != 0 || shape[3] % p != 0) {
                throw new IllegalArgumentException("troupe.model.patch-size = " + p + " does not divide the "
                        + "image '" + in.name() + "' of " + shape[2] + " x " + shape[3] + " pixels");
            }
            int count = (int) ((shape[2] / p) * (shape[3] / p));
            String stem = String.format(Locale.ROOT, "%02d%s_stem", stemChild + k, name);
            String t = imageTokens(String.format(Locale.ROOT, "%02d%s", i + 1, name), stem, imageInputs.get(k),
                    shape, count, config, film);
            t = withPositionsAndType(name, t, count, e);
            if (film != null && !config.stem().on()) {
                // without a stem FiLM scales and shifts the image tokens, positions and type included
                t = b.op("Add", b.op("Mul", t, film[0]), film[1]);
            }
            modalityTokens.set(i, t);
            tokens += count;
        }
        // the summary token, repeated over the batch: zeros(N, 1, E) + summary in DJL
        String summary = b.weight("summary", params.take("summary", 1, 1, e), 1, 1, e);
        String batch = b.op("Shape", List.of(Attribute.of("start", 0L), Attribute.of("end", 1L)),
                inputs.get(0).name());
        String shape = b.op("Concat", List.of(Attribute.of("axis", 0L)), batch, b.int64s("dims", 1, e));
        sequence.add(b.op("Expand", summary, shape));
        sequence.addAll(modalityTokens);
        String h = b.op("Concat", List.of(Attribute.of("axis", 1L)), sequence.toArray(String[]::new));
        int child = inputs.size() + 1;
        for (int l = 0; l < config.layers(); l++) {
            // a summary readout reads only the first token of the last block (TransformerPolicyBlock.forwardStage)
            boolean firstTokenOnly = l == config.layers() - 1 && config.readout() == Readout.SUMMARY;
            h = encoderBlock(String.format(Locale.ROOT, "%02dencoder%d", child++, l), h, tokens, e, config.heads(),
                    config.headSize(), config.feedForward(), firstTokenOnly);
        }
        // the summary token (N, E), or the mean over the tokens (kept as one token, then taken like the summary)
        String read = config.readout() == Readout.MEAN ? reduceMean(h, 1) : h;
        String first = b.op("Gather", List.of(Attribute.of("axis", 1L)), read, b.int64Scalar("index", 0));
        String pooled = layerNorm(String.format(Locale.ROOT, "%02dnorm", child++), first, e);
        String logits = gemm(String.format(Locale.ROOT, "%02dpolicy", child++), pooled, e, actions);
        String value = gemm(String.format(Locale.ROOT, "%02dvalue", child), pooled, e, 1);
        return finish(logits, value, actions);
    }

    private String withPositionsAndType(String name, String tokens, int count, int e) {
        String positions = b.weight(name + "_positions", params.take(name + "_positions", 1, count, e), 1, count, e);
        String type = b.weight(name + "_type", params.take(name + "_type", 1, 1, e), 1, 1, e);
        return b.op("Add", b.op("Add", tokens, positions), type);
    }

    /**
     * An image's tokens (N, count, E) before positions: cast, divided by 255, the cell stem if there is one
     * ({@code TransformerPolicyBlock.tokens}: Conv, Relu, with FiLM a scale and shift per channel and a second Relu),
     * then the patch embedding's strided Conv.
     */
    private String imageTokens(String embed, String stem, String x, long[] shape, int count, ModelConfig config,
                               String[] film) {
        int e = config.embedding();
        long c = shape[1];
        int k = config.patchSize();
        String img = b.op("Div", b.op("Cast", List.of(Attribute.of("to", (long) OnnxProto.FLOAT)), x),
                b.scalar("by255", 255f));
        if (config.stem().on()) {
            int cell = config.stem().cellSize();
            int channels = config.stem().channels();
            img = b.op("Relu", conv(stem, img, channels, c, cell));
            if (film != null) {
                // (N, 1, C) -> (N, C, 1, 1): the same scale and shift for every cell
                String scale = b.op("Reshape", film[0], b.int64s("cells", 0, channels, 1, 1));
                String shift = b.op("Reshape", film[1], b.int64s("cells", 0, channels, 1, 1));
                img = b.op("Relu", b.op("Add", b.op("Mul", img, scale), shift));
            }
            c = channels;
            k = config.patchSize() / cell;
        }
        String fmap = conv(embed, img, e, c, k);
        return b.op("Transpose", List.of(Attribute.ints("perm", 0, 2, 1)),
                b.op("Reshape", fmap, b.int64s("shape", 0, e, count)));
    }

    /** DJL's {@code Conv2d} with a square kernel of side {@code k} and the same stride. */
    private String conv(String prefix, String x, int out, long in, int k) {
        String kernel = b.weight(prefix + "_weight", params.take(prefix + "_weight", out, in, k, k), out, in, k, k);
        String bias = b.weight(prefix + "_bias", params.take(prefix + "_bias", out), out);
        return b.op("Conv", List.of(Attribute.ints("kernel_shape", k, k), Attribute.ints("strides", k, k)), x, kernel,
                bias);
    }

    /**
     * FiLM ({@code TransformerPolicyBlock.film}): the mean text token (N, 1, E) through the scale and shift maps
     * (children {@code scaleChild} and the next one): {@code 1 + scale} and {@code shift}, (N, 1, units), for the image
     * tokens or, with a cell stem, its features.
     */
    private String[] film(int scaleChild, List<String> modalityTokens, List<Integer> texts, List<Integer> images,
                          ModelConfig config) {
        if (texts.isEmpty() || images.isEmpty()) {
            throw new IllegalArgumentException("troupe.model.film = true needs a text and an image modality");
        }
        int e = config.embedding();
        int units = config.stem().on() ? config.stem().channels() : e;
        String text = texts.size() == 1 ? modalityTokens.get(texts.get(0))
                : b.op("Concat", List.of(Attribute.of("axis", 1L)),
                        texts.stream().map(modalityTokens::get).toArray(String[]::new));
        String mission = reduceMean(text, 1);
        String rows = rows(mission, e);
        String scale = b.op("Add", linearRows(String.format(Locale.ROOT, "%02dfilmScale", scaleChild), rows, 1, e,
                units), b.scalar("one", 1f));
        String shift = linearRows(String.format(Locale.ROOT, "%02dfilmShift", scaleChild + 1), rows, 1, e, units);
        return new String[] {scale, shift};
    }

    /**
     * {@code x + Attention(LN(x))}, then {@code x + FF2(GELU(FF1(LN(x))))}; x is (N, T, E). With
     * {@code firstTokenOnly} the feed-forward part runs on the first token alone and the block's output is (N, 1, E)
     * ({@code PreNormEncoderBlock.forwardFirstToken}).
     */
    private String encoderBlock(String prefix, String x, int tokens, int e, int heads, int headSize, int feedForward,
                                boolean firstTokenOnly) {
        String a = layerNorm(prefix + "_01attentionNorm", x, tokens, e);
        x = b.op("Add", x, attention(prefix + "_02attention", a, tokens, e, heads, headSize));
        String f = layerNorm(prefix + "_03ffNorm", x, tokens, e);
        if (firstTokenOnly) {
            String first = b.int64s("first", 0);
            x = b.op("Gather", List.of(Attribute.of("axis", 1L)), x, first);
            f = b.op("Gather", List.of(Attribute.of("axis", 1L)), f, first);
        }
        int fTokens = firstTokenOnly ? 1 : tokens;
        f = linear3d(prefix + "_04ff1", f, fTokens, e, feedForward);
        f = gelu(f);
        f = linear3d(prefix + "_05ff2", f, fTokens, feedForward, e);
        return b.op("Add", x, f);
    }

    /**
     * The learners' {@code MultiHeadAttention} (DJL's {@code ScaledDotProductAttentionBlock} where the head size is
     * E / heads): key, query and value projections (with biases) from E to heads x H, softmax(Q K^T * (1 / sqrt(H))) V
     * per head, heads concatenated, the result projection back to E.
     */
    private String attention(String prefix, String x, int tokens, int e, int heads, int size) {
        int width = heads * size;
        String rows = rows(x, e); // one view for the three (and one int8 input when quantized)
        String k = linearRows(prefix + "_01keyProjection", rows, tokens, e, width);
        String q = linearRows(prefix + "_02queryProjection", rows, tokens, e, width);
        String v = linearRows(prefix + "_03valueProjection", rows, tokens, e, width);
        if (opset >= 23) {
            // ONNX's own Attention operator (opset 23) on the (N, T, heads x H) projections: the same softmax(Q K^T /
            // sqrt(H)) V per head without the six reshapes and transposes; ONNX Runtime 1.29 runs the GoToObject
            // transformer 20-25% faster per observation with it at batch 16-64, 14% at batch 1
            String y = b.op("Attention", List.of(Attribute.of("q_num_heads", (long) heads),
                    Attribute.of("kv_num_heads", (long) heads)), q, k, v);
            return linear3d(prefix + "_04resultProjection", y, tokens, width, e);
        }
        String split = b.int64s("shape", 0, tokens, heads, size);
        String qh = b.op("Transpose", List.of(Attribute.ints("perm", 0, 2, 1, 3)), b.op("Reshape", q, split));
        String kt = b.op("Transpose", List.of(Attribute.ints("perm", 0, 2, 3, 1)), b.op("Reshape", k, split));
        String vh = b.op("Transpose", List.of(Attribute.ints("perm", 0, 2, 1, 3)), b.op("Reshape", v, split));
        String scores = b.op("Mul", b.op("MatMul", qh, kt), b.scalar("scale", 1f / (float) Math.sqrt(size)));
        String probs = b.op("Softmax", List.of(Attribute.of("axis", 3L)), scores);
        String heads4 = b.op("Transpose", List.of(Attribute.ints("perm", 0, 2, 1, 3)), b.op("MatMul", probs, vh));
        String merged = b.op("Reshape", heads4, b.int64s("shape", 0, tokens, width));
        return linear3d(prefix + "_04resultProjection", merged, tokens, width, e);
    }

    /** PyTorch's exact GELU, {@code x * 0.5 * (1 + erf(x / sqrt 2))} (DJL's {@code Activation.gelu}). */
    private String gelu(String x) {
        if (opset >= 20) {
            return b.op("Gelu", List.of(Attribute.of("approximate", "none")), x);
        }
        String erf = b.op("Erf", b.op("Div", x, b.scalar("sqrt2", (float) Math.sqrt(2))));
        return b.op("Mul", b.op("Mul", x, b.op("Add", erf, b.scalar("one", 1f))), b.scalar("half", 0.5f));
    }

    /**
     * DJL's {@code LayerNorm} over every dimension but the batch, whose shape {@code normalized} gives, written out as
     * {@code (x - mean) / sqrt(var + eps) * gamma + beta} with ReduceMean over those dimensions. The same numbers as
     * a LayerNormalization node, which ONNX Runtime 1.29's CPU kernel ran 5.6 times slower (365 us against 65 us over
     * 16 x 4,096 values, one thread): in the large transformer its 13 norms were a quarter of the float graph's time
     * and a third of the int8 graph's.
     */
    private String layerNorm(String prefix, String x, long... normalized) {
        String gamma = b.weight(prefix + "_gamma", params.take(prefix + "_gamma", normalized), normalized);
        String beta = b.weight(prefix + "_beta", params.take(prefix + "_beta", normalized), normalized);
        long[] axes = new long[normalized.length];
        for (int k = 0; k < axes.length; k++) {
            axes[k] = k + 1;
        }
        String mean = reduceMean(x, axes);
        String centered = b.op("Sub", x, mean);
        String variance = reduceMean(b.op("Mul", centered, centered), axes);
        String std = b.op("Sqrt", b.op("Add", variance, b.scalar("epsilon", LAYER_NORM_EPSILON)));
        return b.op("Add", b.op("Mul", b.op("Div", centered, std), gamma), beta);
    }

    /** The mean over {@code axes}, kept as dimensions of size 1 (axes an attribute before opset 18, an input after). */
    private String reduceMean(String x, long... axes) {
        if (opset >= 18) {
            return b.op("ReduceMean", List.of(Attribute.of("keepdims", 1L)), x, b.int64s("axes", axes));
        }
        return b.op("ReduceMean", List.of(Attribute.ints("axes", axes), Attribute.of("keepdims", 1L)), x);
    }

    /** DJL's {@code Linear} on a matrix (N, in): {@code x W^T + b}. */
    private String gemm(String prefix, String x, int in, int out) {
        String w = b.weight(prefix + "_weight", params.take(prefix + "_weight", out, in), out, in);
        String bias = b.weight(prefix + "_bias", params.take(prefix + "_bias", out), out);
        return b.op("Gemm", List.of(Attribute.of("transB", 1L)), x, w, bias);
    }

    /**
     * DJL's {@code Linear} on (N, T, in): {@code x W^T + b} as a Gemm over the (N x T, in) view, reshaped back to
     * (N, T, out). A MatMul on the 3-D tensor and an Add would do the same, but ONNX Runtime does not fuse that Add into
     * the MatMul, so every bias would be one more pass over the activations.
     */
    private String linear3d(String prefix, String x, int tokens, int in, int out) {
        return linearRows(prefix, rows(x, in), tokens, in, out);
    }

    /** The (N x T, in) view of (N, T, in) activations. */
    private String rows(String x, int in) {
        return b.op("Reshape", x, b.int64s("rows", -1, in));
    }

    /** {@link #linear3d} on the (N x T, in) view {@code rows}: several layers reading one input share its view. */
    private String linearRows(String prefix, String rows, int tokens, int in, int out) {
        return b.op("Reshape", gemm(prefix, rows, in, out), b.int64s("tokens", -1, tokens, out));
    }

    private Graph finish(String logits, String value, int actions) {
        params.requireAllTaken();
        String squeezed = b.op("Squeeze", value, b.int64s("axes", 1));
        b.output(logits, PolicyContract.LOGITS, OnnxProto.FLOAT, new long[] {-1, actions});
        b.output(squeezed, PolicyContract.VALUE, OnnxProto.FLOAT, new long[] {-1});
        return b.build("troupe_policy");
    }

    /** The ONNX element type of a contract dtype. */
    static int elemType(String dtype) {
        return switch (dtype) {
            case "float32" -> OnnxProto.FLOAT;
            case "uint8" -> OnnxProto.UINT8;
            case "int64" -> OnnxProto.INT64;
            case "int32" -> OnnxProto.INT32;
            default -> throw new IllegalArgumentException("input dtype " + dtype + " has no ONNX element type here");
        };
    }
}
