package io.troupe.learners.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.troupe.learners.model.GraphScalar;

/**
 * PPO's loss for one minibatch, in CleanRL's names: the clipped surrogate {@code pg_loss}, the (optionally clipped)
 * {@code v_loss}, the entropy bonus, and {@code loss = pg_loss - ent_coef * entropy + vf_coef * v_loss}, plus
 * {@code entropy_floor_coef * max(0, entropy_floor - entropy)} when an entropy floor is set.
 */
public final class PpoLosses {

    /** The loss and its parts (scalars), plus the log-ratio and ratio for the statistics. */
    public record Losses(NDArray loss, NDArray pgLoss, NDArray vLoss, NDArray entropy, NDArray logRatio,
                         NDArray ratio) {
    }

    private PpoLosses() {
    }

    /**
     * @param logits     new policy logits (B, A)
     * @param newValue   new values (B)
     * @param actions    taken actions (B), int
     * @param oldLogp    behaviour log-probabilities (B)
     * @param oldValues  behaviour values (B)
     * @param advantages advantages (B), already normalized if wanted
     * @param returns    returns (B)
     */
    public static Losses compute(NDArray logits, NDArray newValue, NDArray actions, NDArray oldLogp,
                                 NDArray oldValues, NDArray advantages, NDArray returns, PpoConfig c) {
        int numActions = (int) logits.getShape().get(1);
        float clip = (float) c.clipCoef();
        NDArray logpAll = logits.logSoftmax(-1);
        NDArray oneHot = actions.toType(DataType.INT64, false).oneHot(numActions).toType(DataType.FLOAT32, false);
        NDArray newLogp = logpAll.mul(oneHot).sum(new int[] {-1});
        NDArray entropy = logpAll.exp().mul(logpAll).sum(new int[] {-1}).neg().mean();
        NDArray logRatio = newLogp.sub(oldLogp);
        NDArray ratio = logRatio.exp();
        NDArray pg1 = advantages.neg().mul(ratio);
        NDArray pg2 = advantages.neg().mul(ratio.clip(1 - clip, 1 + clip));
        NDArray pgLoss = pg1.maximum(pg2).mean();
        NDArray vLoss;
        if (c.clipVloss()) {
            NDArray unclipped = newValue.sub(returns).square();
            NDArray clipped = oldValues.add(newValue.sub(oldValues).clip(-clip, clip)).sub(returns).square();
            vLoss = unclipped.maximum(clipped).mean().mul(GraphScalar.of(unclipped, 0.5f));
        } else {
            NDArray squared = newValue.sub(returns).square();
            vLoss = squared.mean().mul(GraphScalar.of(squared, 0.5f));
        }
        NDArray loss = pgLoss.sub(entropy.mul(GraphScalar.of(entropy, (float) c.entCoef())))
                .add(vLoss.mul(GraphScalar.of(vLoss, (float) c.vfCoef())));
        if (c.entropyFloor() > 0) { // + coef * max(0, floor - entropy): the entropy's weight grows by coef below it
            NDArray shortfall = GraphScalar.of(entropy, (float) c.entropyFloor()).sub(entropy)
                    .maximum(GraphScalar.of(entropy, 0f));
            loss = loss.add(shortfall.mul(GraphScalar.of(shortfall, (float) c.entropyFloorCoef())));
        }
        return new Losses(loss, pgLoss, vLoss, entropy, logRatio, ratio);
    }
}
