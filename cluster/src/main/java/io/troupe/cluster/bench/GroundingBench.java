package io.troupe.cluster.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.typesafe.config.Config;
import io.troupe.core.Action;
import io.troupe.core.Categorical;
import io.troupe.core.ObservationBatch;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import io.troupe.environments.StepOutcome;
import io.troupe.environments.gotoobject.GoToRoom;
import io.troupe.learners.model.Ablation;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code troupe bench grounding}: can the job's network ground the mission at all, apart from reinforcement learning?
 * The network of the job (its {@code troupe.model}) is trained by supervised learning on observations of a GoToRoom
 * level (GoToObject-Hard-v0, -Seq-v0, a level registered from the class) labelled with the moves that bring the agent
 * closer to the goal ({@link GoToRoom#progressMoves()}; cross-entropy against the uniform distribution over them),
 * with the mission or the image ablated and without. Test accuracy (the greedy move is one of the labelled ones) on
 * held-out layouts tells what the architecture can learn from a dense, exact signal: if the full model learns it and
 * the ablations do not, a reinforcement-learning run that stays at the blind bound is held back by credit assignment,
 * not by the network.
 *
 * <p>Observations: a seeded reset, then 0-5 uniformly random moves that touch no object; a layout where objects block
 * every closer cell is drawn again. Adam (learning rate 1e-3, gradient norm clipped at 0.5), minibatches drawn with
 * replacement. One thread, the job's device (CPU here).
 */
public final class GroundingBench {
    private static final int[] DX = {1, 0, -1, 0};
    private static final int[] DY = {0, 1, 0, -1};
    private static final int MAX_WALK = 5;
    private static final float LEARNING_RATE = 1e-3f;
    private static final float MAX_GRAD_NORM = 0.5f;

    private GroundingBench() {
    }

    /** The sizes of one bench run. */
    public record Plan(int steps, int batch, int trainObservations, int testObservations, int every) {
        public Plan {
            if (steps < 1 || batch < 1 || trainObservations < 1 || testObservations < 1 || every < 1) {
                throw new IllegalArgumentException("bench grounding needs --steps, --batch, --train, --test and "
                        + "--every >= 1, got " + steps + ", " + batch + ", " + trainObservations + ", "
                        + testObservations + ", " + every);
            }
        }
    }

    /** One network's learning curve: accuracy on (a sample of) the training set and on the test set. */
    public record Curve(String ablate, String model, List<Integer> steps, List<Double> trainAccuracy,
                        List<Double> testAccuracy, List<Double> loss, double finalTestAccuracy,
                        Integer stepsToTestAccuracy095, double seconds) {
    }

    /** Every curve, and the accuracy of a uniformly random move on the test set (the chance level). */
    public record Result(String env, int trainObservations, int testObservations, int batch,
                         double randomMoveAccuracy, List<Curve> curves) {
    }

    /** Labelled observations: rows of a batch and, per row, the bit mask of the moves that get closer. */
    record Labelled(ObservationBatch observations, int[] masks) {
    }

    public static Result run(EnvRegistry registry, String envId, Config envOverrides, ModelConfig model, long seed,
                             List<Ablation> variants, Plan plan) {
        GoToRoom env = goToRoom(registry, envId, envOverrides);
        try {
            SplittableRandom rng = new SplittableRandom(seed);
            Labelled train = sample(env, plan.trainObservations(), rng);
            Labelled test = sample(env, plan.testObservations(), rng);
            double chance = 0;
            for (int m : test.masks()) {
                chance += Integer.bitCount(m) / 4.0;
            }
            List<Curve> curves = new ArrayList<>();
            for (Ablation a : variants) {
                curves.add(train(env, model.withAblation(a), seed, train, test, plan, new SplittableRandom(seed + 1)));
            }
            return new Result(envId, plan.trainObservations(), plan.testObservations(), plan.batch(),
                    round(chance / test.masks().length), curves);
        } finally {
            env.close();
        }
    }

    private static GoToRoom goToRoom(EnvRegistry registry, String envId, Config envOverrides) {
        Env env = registry.make(envId, envOverrides);
        Env inner = env instanceof EnvWrapper w ? w.unwrapped() : env;
        if (inner instanceof GoToRoom room) {
            return room;
        }
        env.close();
        throw new IllegalArgumentException("bench grounding labels the moves toward a GoToRoom level's goal; "
                + "troupe.train.env = " + envId + " is " + inner.getClass().getSimpleName() + " (expected "
                + GoToRoom.HARD_ID + ", " + GoToRoom.SEQ_ID + " or a level registered with class "
                + GoToRoom.class.getName() + ")");
    }

    /** {@code rows} observations after a seeded reset and a short random walk that touches nothing. */
    static Labelled sample(GoToRoom env, int rows, SplittableRandom rng) {
        ObservationBatch out = ObservationBatch.forSpace(env.spec().observationSpace(), rows);
        int[] masks = new int[rows];
        int row = 0;
        while (row < rows) {
            env.resetInto(rng.nextLong(), out, row);
            for (int w = rng.nextInt(MAX_WALK + 1); w > 0; w--) {
                int a = rng.nextInt(4);
                int x = env.agent()[0] + DX[a];
                int y = env.agent()[1] + DY[a];
                if (x >= 0 && y >= 0 && x < env.size() && y < env.size() && env.objectAt(x, y) == null) {
                    env.stepInto(Action.discrete(a), out, row, new StepOutcome());
                }
            }
            masks[row] = env.progressMoves();
            if (masks[row] != 0) {
                row++;
            }
        }
        return new Labelled(out, masks);
    }

    private static Curve train(GoToRoom env, ModelConfig config, long seed, Labelled train, Labelled test, Plan plan,
                               SplittableRandom rng) {
        long start = System.nanoTime();
        List<Integer> steps = new ArrayList<>();
        List<Double> trainAcc = new ArrayList<>();
        List<Double> testAcc = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        Integer reached = null;
        int trainProbe = Math.min(train.masks().length, plan.testObservations());
        try (PolicyModel model = PolicyModel.create(env.spec(), config, seed, Device.cpu());
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            double lossSum = 0;
            int lossCount = 0;
            for (int s = 1; s <= plan.steps(); s++) {
                int[] rows = new int[plan.batch()];
                float[] target = new float[rows.length * 4];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = rng.nextInt(train.masks().length);
                    int m = train.masks()[rows[i]];
                    for (int a = 0; a < 4; a++) {
                        target[i * 4 + a] = (m & (1 << a)) != 0 ? 1f / Integer.bitCount(m) : 0f;
                    }
                }
                try (NDManager scope = model.manager().newSubManager()) {
                    NDList in = model.inputs(scope, train.observations(), rows);
                    NDArray labels = scope.create(target).reshape(rows.length, 4);
                    adam.zeroGradients();
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logp = model.forward(in, true).get(0).logSoftmax(1);
                        NDArray loss = labels.mul(logp).sum(new int[] {1}).mean().neg();
                        lossSum += loss.getFloat();
                        lossCount++;
                        gc.backward(loss);
                    }
                    adam.step(LEARNING_RATE, MAX_GRAD_NORM);
                }
                if (s % plan.every() == 0 || s == plan.steps()) {
                    steps.add(s);
                    losses.add(round(lossSum / lossCount));
                    lossSum = 0;
                    lossCount = 0;
                    trainAcc.add(round(accuracy(model, train, trainProbe)));
                    double t = accuracy(model, test, test.masks().length);
                    testAcc.add(round(t));
                    if (reached == null && t >= 0.95) {
                        reached = s;
                    }
                }
            }
            return new Curve(config.ablate().label(), config.describe(), steps, trainAcc, testAcc, losses,
                    testAcc.get(testAcc.size() - 1), reached, round((System.nanoTime() - start) / 1e9));
        }
    }

    /** The share of the first {@code rows} observations whose greedy move is a labelled one. */
    static double accuracy(PolicyModel model, Labelled data, int rows) {
        int chunk = 512;
        int ok = 0;
        for (int from = 0; from < rows; from += chunk) {
            int k = Math.min(chunk, rows - from);
            ObservationBatch part = ObservationBatch.forSpace(model.spec().observationSpace(), k);
            for (int r = 0; r < k; r++) {
                data.observations().copyRow(from + r, part, r);
            }
            float[] logits = model.infer(part).logits();
            for (int r = 0; r < k; r++) {
                if ((data.masks()[from + r] & (1 << Categorical.argmax(logits, r * 4, 4))) != 0) {
                    ok++;
                }
            }
        }
        return (double) ok / rows;
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
