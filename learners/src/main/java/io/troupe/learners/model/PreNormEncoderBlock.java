package io.troupe.learners.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A pre-norm transformer encoder block: {@code x + Attention(LN(x))} ({@link MultiHeadAttention}: {@code heads} heads of
 * {@code headSize}), then {@code x + FFN(LN(x))} with a GELU feed-forward network. Layer normalization only (no batch statistics), so acting and training see the same function,
 * which PPO's probability ratios require.
 */
final class PreNormEncoderBlock extends AbstractBlock {
    private final LayerNorm attentionNorm;
    private final MultiHeadAttention attention;
    private final LayerNorm ffNorm;
    private final Linear ff1;
    private final Linear ff2;

    PreNormEncoderBlock(int embedding, int heads, int headSize, int feedForward) {
        super((byte) 1);
        attentionNorm = addChildBlock("attentionNorm", LayerNorm.builder().build());
        attention = addChildBlock("attention", new MultiHeadAttention(embedding, heads, headSize));
        ffNorm = addChildBlock("ffNorm", LayerNorm.builder().build());
        ff1 = addChildBlock("ff1", Linear.builder().setUnits(feedForward).build());
        ff2 = addChildBlock("ff2", Linear.builder().setUnits(embedding).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        return new NDList(forwardWithNorms(ps, inputs.singletonOrThrow(), training).get(0));
    }

    /** The block's output, then its two LayerNorms' outputs (the attention's input, the feed-forward network's). */
    NDList forwardWithNorms(ParameterStore ps, NDArray x, boolean training) {
        NDArray a = attentionNorm.forward(ps, new NDList(x), training).singletonOrThrow();
        x = x.add(attention.forward(ps, new NDList(a), training).singletonOrThrow());
        NDArray normed = ffNorm.forward(ps, new NDList(x), training).singletonOrThrow();
        return new NDList(x.add(feedForward(ps, normed, training)), a, normed);
    }

    /**
     * The block's output at the first token only, {@code (B, 1, E)}: all a summary readout reads of the last block.
     * The attention and both norms see every token (a LayerNorm here normalizes over all of them), the feed-forward
     * network only the first, so this is {@code forward(x)[:, 0:1, :]} without the feed-forward work on the other
     * tokens, whose results nothing reads (in training too: the readout's gradient reaches only the first token).
     */
    NDArray forwardFirstToken(ParameterStore ps, NDArray x, boolean training) {
        NDArray a = attentionNorm.forward(ps, new NDList(x), training).singletonOrThrow();
        x = x.add(attention.forward(ps, new NDList(a), training).singletonOrThrow());
        NDArray normed = ffNorm.forward(ps, new NDList(x), training).singletonOrThrow().get(":, 0:1, :");
        return x.get(":, 0:1, :").add(feedForward(ps, normed, training));
    }

    /** {@code FF2(GELU(FF1(normed)))}. */
    private NDArray feedForward(ParameterStore ps, NDArray normed, boolean training) {
        NDArray f = ff1.forward(ps, new NDList(normed), training).singletonOrThrow();
        return ff2.forward(ps, new NDList(Activation.gelu(f)), training).singletonOrThrow();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        attentionNorm.initialize(manager, dataType, s);
        attention.initialize(manager, dataType, s);
        ffNorm.initialize(manager, dataType, s);
        ff1.initialize(manager, dataType, s);
        ff2.initialize(manager, dataType, new Shape(s.get(0), s.get(1), ff1.getOutputShapes(new Shape[] {s})[0]
                .get(2)));
    }
}
