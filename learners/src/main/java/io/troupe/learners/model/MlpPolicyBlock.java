package io.troupe.learners.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.SplittableRandom;

/**
 * CleanRL's PPO network: separate actor and critic MLPs with tanh, orthogonally initialized (gain sqrt 2 for hidden
 * layers, 0.01 for the policy output, 1 for the value output). Input: one float vector per row. Output: logits
 * {@code (B, actions)} and values {@code (B)}.
 */
final class MlpPolicyBlock extends AbstractBlock {
    private final SequentialBlock actor;
    private final SequentialBlock critic;
    private final int inputs;

    MlpPolicyBlock(int inputs, int actions, int[] hidden) {
        super((byte) 1);
        this.inputs = inputs;
        this.actor = addChildBlock("actor", mlp(hidden, actions));
        this.critic = addChildBlock("critic", mlp(hidden, 1));
    }

    private static SequentialBlock mlp(int[] hidden, int out) {
        SequentialBlock b = new SequentialBlock();
        for (int h : hidden) {
            b.add(Linear.builder().setUnits(h).build()).add(Activation::tanh);
        }
        return b.add(Linear.builder().setUnits(out).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        NDArray x = in.singletonOrThrow();
        NDArray logits = actor.forward(ps, new NDList(x), training).singletonOrThrow();
        NDArray value = critic.forward(ps, new NDList(x), training).singletonOrThrow().squeeze(-1);
        return new NDList(logits, value);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        Shape logits = actor.getOutputShapes(inputShapes)[0];
        return new Shape[] {logits, new Shape(b)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        actor.initialize(manager, dataType, inputShapes);
        critic.initialize(manager, dataType, inputShapes);
    }

    /** Orthogonal weights and zero biases, as CleanRL. */
    void orthogonalInit(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        init(actor, 0.01, rng);
        init(critic, 1.0, rng);
    }

    private static void init(SequentialBlock net, double outputGain, SplittableRandom rng) {
        var params = net.getParameters();
        int weights = 0;
        for (var p : params) {
            if (p.getValue().getType() == Parameter.Type.WEIGHT) {
                weights++;
            }
        }
        int seen = 0;
        for (var p : params) {
            NDArray a = p.getValue().getArray();
            if (p.getValue().getType() == Parameter.Type.WEIGHT) {
                seen++;
                long[] s = a.getShape().getShape();
                double gain = seen == weights ? outputGain : Math.sqrt(2);
                InPlace.copy(a, Orthogonal.matrix((int) s[0], (int) s[1], gain, rng));
            } else {
                InPlace.copy(a, new float[(int) a.size()]);
            }
        }
    }

    int inputs() {
        return inputs;
    }
}
