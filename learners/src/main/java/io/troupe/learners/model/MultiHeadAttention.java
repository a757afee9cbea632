package io.troupe.learners.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Unmasked multi-head self-attention whose head count and head size are independent of the embedding: the key, query
 * and value projections map E to {@code heads x headSize}, the result projection maps that back to E. With
 * {@code headSize = E / heads} it is DJL's {@code ScaledDotProductAttentionBlock} (dropout 0) operation for operation:
 * the same child names, parameter shapes and order, the same NDArray calls, so checkpoints load and runs reproduce
 * bit for bit ({@code MultiHeadAttentionTest} compares outputs and gradients with DJL's block). DJL's block derives
 * the head size from E / heads, so it cannot hold fewer heads of the same size, which head pruning needs.
 */
final class MultiHeadAttention extends AbstractBlock {
    private final int heads;
    private final int headSize;
    private final Linear keyProjection;
    private final Linear queryProjection;
    private final Linear valueProjection;
    private final Linear resultProjection;

    MultiHeadAttention(int embedding, int heads, int headSize) {
        super((byte) 1);
        this.heads = heads;
        this.headSize = headSize;
        int width = heads * headSize;
        keyProjection = addChildBlock("keyProjection", Linear.builder().setUnits(width).optBias(true).build());
        queryProjection = addChildBlock("queryProjection", Linear.builder().setUnits(width).optBias(true).build());
        valueProjection = addChildBlock("valueProjection", Linear.builder().setUnits(width).optBias(true).build());
        resultProjection = addChildBlock("resultProjection", Linear.builder().setUnits(embedding).optBias(true)
                .build());
    }

    /** (B, S, heads x headSize) to (B, heads, S, headSize). */
    private NDArray splitHeads(NDArray projected, long batch, long tokens) {
        return projected.reshape(batch, tokens, heads, headSize).transpose(0, 2, 1, 3);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.head();
        long batch = x.getShape().get(0);
        long tokens = x.getShape().get(1);
        NDList in = new NDList(x);
        NDArray keys = splitHeads(keyProjection.forward(ps, in, training, params).head(), batch, tokens);
        NDArray queries = splitHeads(queryProjection.forward(ps, in, training, params).head(), batch, tokens);
        NDArray values = splitHeads(valueProjection.forward(ps, in, training, params).head(), batch, tokens);
        NDArray scores = queries.matMul(keys.transpose(0, 1, 3, 2));
        scores = scores.mul(scores.getManager().create(1f / (float) Math.sqrt(headSize)));
        NDArray merged = scores.softmax(3).matMul(values).transpose(0, 2, 1, 3)
                .reshape(batch, tokens, (long) heads * headSize);
        return new NDList(resultProjection.forward(ps, new NDList(merged), training).head());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        keyProjection.initialize(manager, dataType, s);
        queryProjection.initialize(manager, dataType, s);
        valueProjection.initialize(manager, dataType, s);
        resultProjection.initialize(manager, dataType, new Shape(s.get(0), s.get(1), (long) heads * headSize));
    }
}
