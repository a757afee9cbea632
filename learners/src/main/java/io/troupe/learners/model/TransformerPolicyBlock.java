package io.troupe.learners.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import io.troupe.core.DType;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Space;
import io.troupe.core.space.Text;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The framework's policy/value network, built from the observation space so a new env needs no model code. Each
 * modality becomes tokens: an image by a strided convolution over {@code patch x patch} patches (with learned 2-D
 * positions, one per patch), a text by a token embedding with positions, a vector by a linear projection to
 * {@code stateTokens} tokens. Each modality's tokens get a learned modality-type embedding; a learned summary token is
 * prepended; {@code layers} pre-norm transformer encoder blocks ({@link PreNormEncoderBlock}) mix them; the policy logits and the value are read from the
 * summary token, or from the mean over every token ({@link Readout#MEAN}). Inputs: one array per modality in the space's order (float32; uint8 images as float32 0..255;
 * text as int32 token ids). Outputs: logits {@code (B, actions)}, values {@code (B)}.
 *
 * <p>With {@link ModelConfig#film()} the mission conditions the image before the encoder (FiLM): the mean of every
 * text token (as it enters the encoder) goes through two linear maps, {@code filmScale} and {@code filmShift}, and each
 * image token becomes {@code token x (1 + scale) + shift}. Attention alone has to learn to look up what the mission
 * names; the modulation lets the first block already see which image tokens match it. Both maps start at zero.
 *
 * <p>With a cell stem ({@link ModelConfig#stem()}, {@link ImageStem}) an image first goes through a strided
 * convolution of one cell and a ReLU, FiLM (if on) scales and shifts those per-cell features and a second ReLU follows,
 * and the patch embedding then maps {@code patch / cell} cells a side to one token.
 *
 * <p>Split into pipeline stages ({@link #placeStages}), the encoder blocks are divided into contiguous runs, as even
 * as possible; stage 0 also holds the tokenizers and the summary token, the last stage the final norm and the heads.
 * Each stage's parameters are allocated by its own manager (on its own device), and {@link #forwardStage} runs one
 * stage with that stage's parameter store: activations cross from stage to stage as {@code (B, tokens, embedding)}.
 */
final class TransformerPolicyBlock extends AbstractBlock {

    /** How one modality becomes tokens; {@code stem} is an image's cell stem (null: none, and for other modalities). */
    private record Tokenizer(ObservationBatch.Modality modality, Block embed, int tokens, int vocabulary,
                             Parameter positions, Parameter type, Block stem) {
    }

    private final ModelConfig config;
    private final List<Tokenizer> tokenizers = new ArrayList<>();
    private final Parameter summary;
    private final List<PreNormEncoderBlock> encoder = new ArrayList<>();
    private final LayerNorm norm;
    private final Linear policyHead;
    private final Linear valueHead;
    /** The mission's per-channel scale and shift of the image tokens; null without FiLM. */
    private final Linear filmScale;
    private final Linear filmShift;
    private final int embedding;
    /** The managers that allocate each stage's parameters (one entry: the unsplit model). */
    private List<NDManager> stageManagers = List.of();
    /** Encoder blocks of stage k: {@code [stageBounds[k], stageBounds[k + 1])}. */
    private int[] stageBounds;

    TransformerPolicyBlock(Space observationSpace, int actions, ModelConfig config) {
        super((byte) 1);
        this.config = config;
        this.embedding = config.embedding();
        List<ObservationBatch.Modality> modalities = ObservationBatch.modalitiesOf(observationSpace);
        int index = 0;
        for (ObservationBatch.Modality m : modalities) {
            Space sub = observationSpace instanceof Dict d ? d.spaces().get(m.name()) : observationSpace;
            String name = "m" + index + "_" + m.name();
            Block embed;
            Block stem = null;
            int tokens;
            int vocabulary = 0;
            if (sub instanceof Text t) {
                vocabulary = t.vocabulary().size();
                tokens = t.maxTokens();
                embed = Linear.builder().setUnits(embedding).optBias(false).build();
            } else if (m.dtype() == DType.UINT8 && m.shape().length == 3) {
                int p = config.patchSize();
                int h = m.shape()[1];
                int w = m.shape()[2];
                if (h % p != 0 || w % p != 0) {
                    throw new IllegalArgumentException("troupe.model.patch-size = " + p + " does not divide the image "
                            + "'" + m.name() + "' of " + h + " x " + w + " pixels");
                }
                tokens = (h / p) * (w / p);
                // with a cell stem the patch embedding takes the stem's features, patch / cell cells a side
                int k = config.stem().on() ? p / config.stem().cellSize() : p;
                embed = Conv2d.builder().setKernelShape(new Shape(k, k)).optStride(new Shape(k, k))
                        .setFilters(embedding).build();
                if (config.stem().on()) {
                    int c = config.stem().cellSize();
                    stem = Conv2d.builder().setKernelShape(new Shape(c, c)).optStride(new Shape(c, c))
                            .setFilters(config.stem().channels()).build();
                }
            } else {
                tokens = config.stateTokens();
                embed = Linear.builder().setUnits((long) tokens * embedding).build();
            }
            addChildBlock(name, embed);
            Parameter positions = addParameter(Parameter.builder().setName(name + "_positions")
                    .setType(Parameter.Type.WEIGHT).optShape(new Shape(1, tokens, embedding))
                    .optInitializer(new NormalInitializer(0.02f)).build());
            Parameter type = addParameter(Parameter.builder().setName(name + "_type")
                    .setType(Parameter.Type.WEIGHT).optShape(new Shape(1, 1, embedding))
                    .optInitializer(new NormalInitializer(0.02f)).build());
            tokenizers.add(new Tokenizer(m, embed, tokens, vocabulary, positions, type, stem));
            index++;
        }
        this.summary = addParameter(Parameter.builder().setName("summary").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(1, 1, embedding)).optInitializer(new NormalInitializer(0.02f)).build());
        for (int l = 0; l < config.layers(); l++) {
            encoder.add(addChildBlock("encoder" + l, new PreNormEncoderBlock(embedding, config.heads(),
                    config.headSize(), config.feedForward())));
        }
        this.norm = addChildBlock("norm", LayerNorm.builder().build());
        this.policyHead = addChildBlock("policy", Linear.builder().setUnits(actions).build());
        this.valueHead = addChildBlock("value", Linear.builder().setUnits(1).build());
        if (config.film()) {
            requireTextAndImage(observationSpace);
            // added last, so every other parameter keeps the name (child index) it has without FiLM; with a cell
            // stem they scale and shift the stem's features of every cell rather than the image tokens
            int units = filmUnits();
            this.filmScale = addChildBlock("filmScale", Linear.builder().setUnits(units).build());
            this.filmShift = addChildBlock("filmShift", Linear.builder().setUnits(units).build());
        } else {
            this.filmScale = null;
            this.filmShift = null;
        }
        // the stems after everything else, for the same reason
        for (Tokenizer t : tokenizers) {
            if (t.stem() != null) {
                addChildBlock("m" + tokenizers.indexOf(t) + "_" + t.modality().name() + "_stem", t.stem());
            }
        }
        this.stageBounds = stageBounds(config.layers(), 1);
    }

    /** What FiLM scales and shifts: the cell stem's features, or the image tokens without a stem. */
    private int filmUnits() {
        return config.stem().on() ? config.stem().channels() : embedding;
    }

    private void requireTextAndImage(Space observationSpace) {
        boolean text = tokenizers.stream().anyMatch(t -> t.vocabulary() > 0);
        boolean image = tokenizers.stream().anyMatch(TransformerPolicyBlock::isImage);
        if (!text || !image) {
            throw new IllegalArgumentException("troupe.model.film = true conditions the image tokens on the mission, "
                    + "so it needs a text and an image modality; the observation space is "
                    + observationSpace.describe() + " (use troupe.model.film = false)");
        }
    }

    private static boolean isImage(Tokenizer t) {
        return t.vocabulary() == 0 && t.modality().shape().length == 3 && t.modality().dtype() == DType.UINT8;
    }

    /**
     * Splits the encoder blocks of {@code layers} into {@code stages} contiguous runs as even as possible; returns the
     * first block of each stage, {@code stages + 1} long (the last is {@code layers}).
     */
    static int[] stageBounds(int layers, int stages) {
        if (stages < 1 || stages > layers) {
            throw new IllegalArgumentException("troupe.model.parallel.pipeline-stages = " + stages + " must be in 1.."
                    + "troupe.model.layers (" + layers + ")");
        }
        int[] bounds = new int[stages + 1];
        for (int k = 0; k <= stages; k++) {
            bounds[k] = (int) ((long) layers * k / stages);
        }
        return bounds;
    }

    /**
     * Splits the model into {@code managers.size()} stages, stage k's parameters allocated by {@code managers.get(k)}.
     * Call before {@code initialize}; stage 0's manager must be the one {@code initialize} is given.
     */
    void placeStages(List<NDManager> managers) {
        this.stageBounds = stageBounds(config.layers(), managers.size());
        this.stageManagers = List.copyOf(managers);
    }

    int stages() {
        return stageBounds.length - 1;
    }

    /** The blocks whose parameters stage {@code k} holds, in parameter order. */
    List<Block> stageBlocks(int k) {
        List<Block> blocks = new ArrayList<>();
        if (k == 0) {
            tokenizers.forEach(t -> blocks.add(t.embed()));
            if (filmScale != null) {
                blocks.add(filmScale);
                blocks.add(filmShift);
            }
            tokenizers.stream().filter(t -> t.stem() != null).forEach(t -> blocks.add(t.stem()));
        }
        for (int l = stageBounds[k]; l < stageBounds[k + 1]; l++) {
            blocks.add(encoder.get(l));
        }
        if (k == stages() - 1) {
            blocks.add(norm);
            blocks.add(policyHead);
            blocks.add(valueHead);
        }
        return blocks;
    }

    /** The parameters stage {@code k} holds that are not in a child block (stage 0: summary, positions, types). */
    List<Parameter> stageOwnParameters(int k) {
        List<Parameter> own = new ArrayList<>();
        if (k == 0) {
            for (Pair<String, Parameter> p : getDirectParameters()) {
                own.add(p.getValue());
            }
        }
        return own;
    }

    /** Every parameter stage {@code k} holds, in parameter order (a subset of {@code getParameters()}). */
    List<Pair<String, Parameter>> stageParameters(int k) {
        Set<Parameter> held = Collections.newSetFromMap(new IdentityHashMap<>());
        held.addAll(stageOwnParameters(k));
        for (Block b : stageBlocks(k)) {
            b.getParameters().forEach(p -> held.add(p.getValue()));
        }
        List<Pair<String, Parameter>> out = new ArrayList<>();
        for (Pair<String, Parameter> p : getParameters()) {
            if (held.contains(p.getValue())) {
                out.add(p);
            }
        }
        return out;
    }

    private NDManager stageManager(NDManager fallback, int k) {
        return stageManagers.isEmpty() ? fallback : stageManagers.get(k);
    }

    private int stageOfLayer(int layer) {
        int k = 0;
        while (layer >= stageBounds[k + 1]) {
            k++;
        }
        return k;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        if (stages() != 1) {
            throw new IllegalStateException("a model split into " + stages() + " stages runs stage by stage "
                    + "(PolicyModel.forward), each with its own parameter store");
        }
        return forwardStage(ps, 0, inputs, training);
    }

    /**
     * Runs stage {@code k} with its own parameter store: stage 0 takes the modality inputs, a later stage the
     * previous stage's activations {@code (B, tokens, embedding)} on its device; the last stage returns the logits
     * and values, every other stage its activations.
     */
    NDList forwardStage(ParameterStore ps, int k, NDList inputs, boolean training) {
        NDArray h = k == 0 ? embed(ps, inputs, training) : inputs.singletonOrThrow();
        for (int l = stageBounds[k]; l < stageBounds[k + 1]; l++) {
            PreNormEncoderBlock block = encoder.get(l);
            // a summary readout reads only the first token of the last block: its feed-forward network runs on that one
            h = l == encoder.size() - 1 && k == stages() - 1 && config.readout() == Readout.SUMMARY
                    ? block.forwardFirstToken(ps, h, training)
                    : block.forward(ps, new NDList(h), training).singletonOrThrow();
        }
        if (k < stages() - 1) {
            return new NDList(h);
        }
        NDArray read = config.readout() == Readout.MEAN ? h.mean(new int[] {1}) : h.get(":, 0, :");
        NDArray pooled = norm.forward(ps, new NDList(read), training).singletonOrThrow();
        NDArray logits = policyHead.forward(ps, new NDList(pooled), training).singletonOrThrow();
        NDArray value = valueHead.forward(ps, new NDList(pooled), training).singletonOrThrow().squeeze(-1);
        return new NDList(logits, value);
    }

    /**
     * Each residual-stream channel's mean absolute LayerNorm output over the rows and tokens of {@code inputs}, summed
     * over every LayerNorm (each block's two, the final one): what the readers of the stream see of each channel, the
     * embedding-channel importance of Minitron (Muralidharan et al. 2024). An unsplit model, no gradient.
     */
    double[] channelActivations(ParameterStore ps, NDList inputs) {
        double[] sum = new double[embedding];
        NDArray h = embed(ps, inputs, false);
        for (PreNormEncoderBlock block : encoder) {
            NDList out = block.forwardWithNorms(ps, h, false);
            addMeanMagnitudes(sum, out.get(1));
            addMeanMagnitudes(sum, out.get(2));
            h = out.get(0);
        }
        NDArray read = config.readout() == Readout.MEAN ? h.mean(new int[] {1}) : h.get(":, 0, :");
        addMeanMagnitudes(sum, norm.forward(ps, new NDList(read), false).singletonOrThrow());
        return sum;
    }

    private void addMeanMagnitudes(double[] sum, NDArray x) {
        float[] m = x.abs().reshape(-1, embedding).mean(new int[] {0}).toFloatArray();
        for (int c = 0; c < embedding; c++) {
            sum[c] += m[c];
        }
    }

    /** The token sequence {@code (B, 1 + tokens, embedding)}: the summary token, then every modality's tokens. */
    private NDArray embed(ParameterStore ps, NDList inputs, boolean training) {
        NDArray first = inputs.get(0);
        Device device = first.getDevice();
        long batch = first.getShape().get(0);
        List<NDArray> sequence = new ArrayList<>();
        // first operands decide where results live: start from arrays of the caller's scope, never from parameters
        sequence.add(first.getManager().zeros(new Shape(batch, 1, embedding), DataType.FLOAT32, device)
                .add(ps.getValue(summary, device, training)));
        // images last: FiLM in a cell stem needs the mission's tokens first
        NDArray[] modalityTokens = new NDArray[tokenizers.size()];
        for (int i = 0; i < tokenizers.size(); i++) {
            if (!isImage(tokenizers.get(i))) {
                modalityTokens[i] = tokens(ps, i, inputs.get(i), batch, null, training);
            }
        }
        NDArray[] film = filmScale == null ? null : film(ps, modalityTokens, training);
        boolean filmInStem = film != null && config.stem().on();
        for (int i = 0; i < tokenizers.size(); i++) {
            if (isImage(tokenizers.get(i))) {
                modalityTokens[i] = tokens(ps, i, inputs.get(i), batch, filmInStem ? film : null, training);
                if (film != null && !filmInStem) {
                    modalityTokens[i] = modalityTokens[i].mul(film[0]).add(film[1]);
                }
            }
        }
        sequence.addAll(Arrays.asList(modalityTokens));
        return NDArrays.concat(new NDList(sequence), 1);
    }

    /**
     * Modality {@code i}'s tokens {@code (B, tokens, E)}, positions and type added; an image's cell stem, if any, is
     * modulated by {@code stemFilm} (scale, shift; null: not).
     */
    private NDArray tokens(ParameterStore ps, int i, NDArray x, long batch, NDArray[] stemFilm, boolean training) {
        Tokenizer t = tokenizers.get(i);
        Device device = x.getDevice();
        NDArray tokens;
        if (t.vocabulary() > 0) {
            NDArray oneHot = x.toType(DataType.INT64, false).oneHot(t.vocabulary()).toType(DataType.FLOAT32, false);
            tokens = t.embed().forward(ps, new NDList(oneHot), training).singletonOrThrow();
        } else if (isImage(t)) {
            NDArray img = x.div(255f);
            if (t.stem() != null) {
                img = Activation.relu(t.stem().forward(ps, new NDList(img), training).singletonOrThrow());
                if (stemFilm != null) {
                    // (B, 1, C) -> (B, C, 1, 1): the same scale and shift for every cell
                    NDArray scale = stemFilm[0].transpose(0, 2, 1).expandDims(3);
                    NDArray shift = stemFilm[1].transpose(0, 2, 1).expandDims(3);
                    img = Activation.relu(img.mul(scale).add(shift));
                }
            }
            NDArray fmap = t.embed().forward(ps, new NDList(img), training).singletonOrThrow();
            tokens = fmap.reshape(batch, embedding, t.tokens()).transpose(0, 2, 1);
        } else {
            NDArray flat = x.reshape(batch, -1);
            tokens = t.embed().forward(ps, new NDList(flat), training).singletonOrThrow()
                    .reshape(batch, t.tokens(), embedding);
        }
        return tokens.add(ps.getValue(t.positions(), device, training)).add(ps.getValue(t.type(), device, training));
    }

    /**
     * FiLM's scale {@code 1 + filmScale(m)} and shift {@code filmShift(m)}, each {@code (B, 1, units)}, from the mean
     * text token m (B, 1, E) of the tokens already computed.
     */
    private NDArray[] film(ParameterStore ps, NDArray[] modalityTokens, boolean training) {
        NDList text = new NDList();
        for (int i = 0; i < tokenizers.size(); i++) {
            if (tokenizers.get(i).vocabulary() > 0) {
                text.add(modalityTokens[i]);
            }
        }
        NDArray mission = NDArrays.concat(text, 1).mean(new int[] {1}, true);
        NDArray scale = filmScale.forward(ps, new NDList(mission), training).singletonOrThrow().add(1f);
        NDArray shift = filmShift.forward(ps, new NDList(mission), training).singletonOrThrow();
        return new NDArray[] {scale, shift};
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        return new Shape[] {new Shape(b, policyHead.getOutputShapes(new Shape[] {new Shape(b, embedding)})[0].get(1)),
            new Shape(b)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        initializeTokenizers(manager, dataType, b);
        initializeFilm(manager, dataType, b);
        for (int l = 0; l < encoder.size(); l++) {
            encoder.get(l).initialize(stageManager(manager, stageOfLayer(l)), dataType,
                    new Shape(b, sequenceLength(), embedding));
        }
        NDManager last = stageManager(manager, stages() - 1);
        norm.initialize(last, dataType, new Shape(b, embedding));
        policyHead.initialize(last, dataType, new Shape(b, embedding));
        valueHead.initialize(last, dataType, new Shape(b, embedding));
    }

    private void initializeFilm(NDManager manager, DataType dataType, long b) {
        if (filmScale != null) {
            filmScale.initialize(manager, dataType, new Shape(b, 1, embedding));
            filmShift.initialize(manager, dataType, new Shape(b, 1, embedding));
        }
    }

    private void initializeTokenizers(NDManager manager, DataType dataType, long b) {
        for (Tokenizer t : tokenizers) {
            if (t.stem() != null) {
                int[] sh = t.modality().shape();
                int c = config.stem().cellSize();
                t.stem().initialize(manager, dataType, new Shape(b, sh[0], sh[1], sh[2]));
                t.embed().initialize(manager, dataType, new Shape(b, config.stem().channels(), sh[1] / c, sh[2] / c));
            } else {
                t.embed().initialize(manager, dataType, tokenizerInput(t, b));
            }
        }
    }

    /**
     * What tokenizer {@code t} takes for {@code b} rows: one-hot text, a [C, H, W] image, or a flat vector (an image
     * with a cell stem: see {@link #initializeTokenizers}).
     */
    private static Shape tokenizerInput(Tokenizer t, long b) {
        if (t.vocabulary() > 0) {
            return new Shape(b, t.tokens(), t.vocabulary());
        }
        if (isImage(t)) {
            int[] sh = t.modality().shape();
            return new Shape(b, sh[0], sh[1], sh[2]);
        }
        return new Shape(b, t.modality().elements());
    }

    /** Tokens of the sequence the encoder blocks mix: the summary token and every modality's tokens. */
    int sequenceLength() {
        int total = 1;
        for (Tokenizer t : tokenizers) {
            total += t.tokens();
        }
        return total;
    }

    /**
     * Allocates only stage {@code k}'s parameters of the model split into {@code stages} (by {@code manager}): the
     * other stages' parameters stay unallocated, so a node holding one stage needs memory for its slice alone. Only
     * {@link #forwardStage} with this {@code k} may run afterwards. Instead of {@code initialize}.
     */
    void initializeStage(NDManager manager, DataType dataType, int k, int stages) {
        this.stageBounds = stageBounds(config.layers(), stages);
        this.stageManagers = List.of();
        if (k == 0) {
            initializeTokenizers(manager, dataType, 1);
            initializeFilm(manager, dataType, 1);
            for (Pair<String, Parameter> p : getDirectParameters()) {
                p.getValue().initialize(manager, dataType);
            }
        }
        for (int l = stageBounds[k]; l < stageBounds[k + 1]; l++) {
            encoder.get(l).initialize(manager, dataType, new Shape(1, sequenceLength(), embedding));
        }
        if (k == stages - 1) {
            norm.initialize(manager, dataType, new Shape(1, embedding));
            policyHead.initialize(manager, dataType, new Shape(1, embedding));
            valueHead.initialize(manager, dataType, new Shape(1, embedding));
        }
    }

    ModelConfig config() {
        return config;
    }

    /**
     * Fills every parameter from {@code rng} (see {@link SeededInit}): the summary token, positions and modality types
     * from N(0, 0.02^2), the FiLM maps with zeros (without drawing: the other parameters get the values they would get
     * without FiLM), everything else from DJL's default distribution for its type. Call after {@code initialize}.
     */
    void seededInit(SplittableRandom rng) {
        Set<Parameter> embeddings = Collections.newSetFromMap(new IdentityHashMap<>());
        embeddings.add(summary);
        for (Tokenizer t : tokenizers) {
            embeddings.add(t.positions());
            embeddings.add(t.type());
        }
        Set<Parameter> film = Collections.newSetFromMap(new IdentityHashMap<>());
        if (filmScale != null) {
            filmScale.getParameters().forEach(p -> film.add(p.getValue()));
            filmShift.getParameters().forEach(p -> film.add(p.getValue()));
        }
        for (Pair<String, Parameter> p : getParameters()) {
            if (film.contains(p.getValue())) {
                InPlace.copy(p.getValue().getArray(), new float[(int) p.getValue().getArray().size()]);
            } else if (embeddings.contains(p.getValue())) {
                SeededInit.normal(p.getValue(), 0.02, rng);
            } else {
                SeededInit.byType(p.getValue(), rng);
            }
        }
    }
}
