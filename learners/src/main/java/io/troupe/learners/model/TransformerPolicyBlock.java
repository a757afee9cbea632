package io.troupe.learners.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
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
 * summary token. Inputs: one array per modality in the space's order (float32; uint8 images as float32 0..255;
 * text as int32 token ids). Outputs: logits {@code (B, actions)}, values {@code (B)}.
 */
final class TransformerPolicyBlock extends AbstractBlock {

    /** How one modality becomes tokens. */
    private record Tokenizer(ObservationBatch.Modality modality, Block embed, int tokens, int vocabulary,
                             Parameter positions, Parameter type) {
    }

    private final ModelConfig config;
    private final List<Tokenizer> tokenizers = new ArrayList<>();
    private final Parameter summary;
    private final List<PreNormEncoderBlock> encoder = new ArrayList<>();
    private final LayerNorm norm;
    private final Linear policyHead;
    private final Linear valueHead;
    private final int embedding;

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
                embed = Conv2d.builder().setKernelShape(new Shape(p, p)).optStride(new Shape(p, p))
                        .setFilters(embedding).build();
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
            tokenizers.add(new Tokenizer(m, embed, tokens, vocabulary, positions, type));
            index++;
        }
        this.summary = addParameter(Parameter.builder().setName("summary").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(1, 1, embedding)).optInitializer(new NormalInitializer(0.02f)).build());
        for (int l = 0; l < config.layers(); l++) {
            encoder.add(addChildBlock("encoder" + l, new PreNormEncoderBlock(embedding, config.heads(),
                    config.feedForward())));
        }
        this.norm = addChildBlock("norm", LayerNorm.builder().build());
        this.policyHead = addChildBlock("policy", Linear.builder().setUnits(actions).build());
        this.valueHead = addChildBlock("value", Linear.builder().setUnits(1).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray first = inputs.get(0);
        Device device = first.getDevice();
        long batch = first.getShape().get(0);
        List<NDArray> sequence = new ArrayList<>();
        // first operands decide where results live: start from arrays of the caller's scope, never from parameters
        sequence.add(first.getManager().zeros(new Shape(batch, 1, embedding), DataType.FLOAT32, device)
                .add(ps.getValue(summary, device, training)));
        for (int i = 0; i < tokenizers.size(); i++) {
            Tokenizer t = tokenizers.get(i);
            NDArray x = inputs.get(i);
            NDArray tokens;
            if (t.vocabulary() > 0) {
                NDArray oneHot = x.toType(DataType.INT64, false).oneHot(t.vocabulary()).toType(DataType.FLOAT32, false);
                tokens = t.embed().forward(ps, new NDList(oneHot), training).singletonOrThrow();
            } else if (t.modality().shape().length == 3 && t.modality().dtype() == DType.UINT8) {
                NDArray img = x.div(255f);
                NDArray fmap = t.embed().forward(ps, new NDList(img), training).singletonOrThrow();
                tokens = fmap.reshape(batch, embedding, t.tokens()).transpose(0, 2, 1);
            } else {
                NDArray flat = x.reshape(batch, -1);
                tokens = t.embed().forward(ps, new NDList(flat), training).singletonOrThrow()
                        .reshape(batch, t.tokens(), embedding);
            }
            tokens = tokens.add(ps.getValue(t.positions(), device, training))
                    .add(ps.getValue(t.type(), device, training));
            sequence.add(tokens);
        }
        NDArray h = NDArrays.concat(new NDList(sequence), 1);
        for (PreNormEncoderBlock block : encoder) {
            h = block.forward(ps, new NDList(h), training).singletonOrThrow();
        }
        NDArray pooled = norm.forward(ps, new NDList(h.get(":, 0, :")), training).singletonOrThrow();
        NDArray logits = policyHead.forward(ps, new NDList(pooled), training).singletonOrThrow();
        NDArray value = valueHead.forward(ps, new NDList(pooled), training).singletonOrThrow().squeeze(-1);
        return new NDList(logits, value);
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
        int total = 1;
        for (int i = 0; i < tokenizers.size(); i++) {
            Tokenizer t = tokenizers.get(i);
            Shape s;
            if (t.vocabulary() > 0) {
                s = new Shape(b, t.tokens(), t.vocabulary());
            } else if (t.modality().shape().length == 3 && t.modality().dtype() == DType.UINT8) {
                int[] sh = t.modality().shape();
                s = new Shape(b, sh[0], sh[1], sh[2]);
            } else {
                s = new Shape(b, t.modality().elements());
            }
            t.embed().initialize(manager, dataType, s);
            total += t.tokens();
        }
        for (PreNormEncoderBlock block : encoder) {
            block.initialize(manager, dataType, new Shape(b, total, embedding));
        }
        norm.initialize(manager, dataType, new Shape(b, embedding));
        policyHead.initialize(manager, dataType, new Shape(b, embedding));
        valueHead.initialize(manager, dataType, new Shape(b, embedding));
    }

    ModelConfig config() {
        return config;
    }

    /**
     * Fills every parameter from {@code rng} (see {@link SeededInit}): the summary token, positions and modality types
     * from N(0, 0.02^2), everything else from DJL's default distribution for its type. Call after {@code initialize}.
     */
    void seededInit(SplittableRandom rng) {
        Set<Parameter> embeddings = Collections.newSetFromMap(new IdentityHashMap<>());
        embeddings.add(summary);
        for (Tokenizer t : tokenizers) {
            embeddings.add(t.positions());
            embeddings.add(t.type());
        }
        for (Pair<String, Parameter> p : getParameters()) {
            if (embeddings.contains(p.getValue())) {
                SeededInit.normal(p.getValue(), 0.02, rng);
            } else {
                SeededInit.byType(p.getValue(), rng);
            }
        }
    }
}
