package io.troupe.learners.parallel;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import io.troupe.learners.model.PolicyModel;
import java.util.ArrayList;
import java.util.List;

/**
 * GPipe's schedule (Huang et al. 2019) for one forward and backward pass of a model split into K stages: the rows
 * are cut into M contiguous micro-batches; every micro-batch goes forward through stage 0, 1, ..., K - 1 in turn
 * (stage k's input is a copy of stage k - 1's output on stage k's device, a leaf that collects its gradient); then,
 * micro-batch by micro-batch in reverse, the last stage backpropagates the loss and each earlier stage
 * backpropagates the gradient its successor sent back ({@code sum(output * gradient)} has that vector-Jacobian
 * product as its gradient, on any engine). Parameter gradients accumulate over the micro-batches, so the caller
 * takes one optimizer step for the whole batch, equal to the unsplit model's step up to float rounding.
 *
 * <pre>{@code
 * zero gradients
 * PipelineSchedule.forwardBackward(model, inputs, rows, M, (outputs, from, to) -> loss(rows from..to) * share);
 * adam.step(lr, maxGradNorm)
 * }</pre>
 *
 * <p>Each stage holds the activations of every micro-batch until its backward (GPipe without re-materialisation), so
 * a stage's activation memory is that of the whole batch over its share of the blocks. On K devices a stage idles
 * for the bubble fraction {@code (K - 1) / (M + K - 1)} of the step ({@link
 * io.troupe.learners.model.Parallelism#bubbleFraction}); here the stages run on the learner's one thread in the
 * schedule's order, and devices that execute asynchronously (CUDA streams) overlap them. Pure: no actors.
 */
public final class PipelineSchedule {
    private PipelineSchedule() {
    }

    /** The loss of one micro-batch. */
    @FunctionalInterface
    public interface MicroBatchLoss {
        /**
         * The scalar to backpropagate for rows {@code [from, to)}, weighted by the micro-batch's share of the
         * caller's loss, from the network's {@code outputs} (logits, values, on the last stage's device); null when
         * it is not finite, which abandons the pass.
         */
        NDArray loss(NDList outputs, int from, int to);
    }

    /**
     * Cuts {@code rows} into at most {@code microBatches} contiguous, non-empty micro-batches as even as possible;
     * returns their start offsets and {@code rows} at the end.
     */
    public static int[] microBatchBounds(int rows, int microBatches) {
        int m = Math.max(1, Math.min(rows, microBatches));
        int[] bounds = new int[m + 1];
        for (int j = 0; j <= m; j++) {
            bounds[j] = (int) ((long) rows * j / m);
        }
        return bounds;
    }

    /**
     * One GPipe pass over {@code rows} rows of {@code inputs} (on stage 0's device), adding every parameter's
     * gradient. False when a micro-batch's loss was not finite: then no backward ran, and the caller skips its step.
     */
    public static boolean forwardBackward(PolicyModel model, NDList inputs, int rows, int microBatches,
                                          MicroBatchLoss loss) {
        int k = model.stages();
        int[] bounds = microBatchBounds(rows, microBatches);
        int m = bounds.length - 1;
        NDArray[][] received = new NDArray[m][k]; // stage s's input leaf, s >= 1
        NDArray[][] sent = new NDArray[m][k]; // stage s's output, s <= K - 2
        List<NDArray> losses = new ArrayList<>(m);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            for (int j = 0; j < m; j++) { // forward, micro-batch by micro-batch, through every stage
                NDList x = m == 1 ? inputs : slice(inputs, bounds[j], bounds[j + 1]);
                for (int s = 0; s < k; s++) {
                    if (s > 0) {
                        NDArray in = sent[j][s - 1].toDevice(model.stageDevices().get(s), false).stopGradient();
                        in.setRequiresGradient(true);
                        received[j][s] = in;
                        x = new NDList(in);
                    }
                    x = model.forwardStage(s, x, true);
                    if (s < k - 1) {
                        sent[j][s] = x.singletonOrThrow();
                    }
                }
                NDArray l = loss.loss(x, bounds[j], bounds[j + 1]);
                if (l == null) {
                    return false;
                }
                losses.add(l);
            }
            for (int j = m - 1; j >= 0; j--) { // backward, micro-batches in reverse, stages in reverse
                gc.backward(losses.get(j));
                for (int s = k - 2; s >= 0; s--) {
                    NDArray g = received[j][s + 1].getGradient().toDevice(model.stageDevices().get(s), false);
                    gc.backward(sent[j][s].mul(g).sum());
                }
            }
        }
        return true;
    }

    private static NDList slice(NDList inputs, int from, int to) {
        NDList out = new NDList(inputs.size());
        NDIndex rows = new NDIndex(from + ":" + to);
        for (NDArray a : inputs) {
            out.add(a.get(rows));
        }
        return out;
    }
}
