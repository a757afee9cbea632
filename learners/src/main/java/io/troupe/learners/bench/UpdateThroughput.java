package io.troupe.learners.bench;

import ai.djl.Device;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Tensor;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.Parallelism;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoUpdate;
import io.troupe.learners.ppo.RolloutBatch;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * PPO update throughput of one model on one or several devices (data-parallel), on a synthetic rollout of the
 * env's observation space: what {@code troupe bench learner} and the device check report.
 */
public final class UpdateThroughput {
    /** Updates per second, experience steps consumed per second, and the model's size. */
    public record Result(double updatesPerS, long samplesPerS, long parameters, List<Device> devices) {
    }

    private UpdateThroughput() {
    }

    /** One warm-up update, then as many as fit in {@code seconds}. */
    public static Result measure(EnvSpec spec, ModelConfig model, List<Device> devices, PpoConfig ppo,
                                 double seconds) {
        try (ModelReplicas replicas = ModelReplicas.create(spec, model, 1, devices);
             Adam adam = Adam.withDefaults(replicas.primary().parameters(), replicas.primary().manager())) {
            RolloutBatch batch = syntheticRollout(spec, ppo.batchSize(), 3);
            SplittableRandom rng = new SplittableRandom(1);
            PpoUpdate.update(replicas, adam, batch, ppo, 1e-4, rng); // warm-up
            long start = System.nanoTime();
            int updates = 0;
            while (System.nanoTime() - start < seconds * 1e9) {
                PpoUpdate.update(replicas, adam, batch, ppo, 1e-4, rng);
                updates++;
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            return new Result(Math.round(updates / elapsed * 100) / 100.0,
                    Math.round(updates * (double) ppo.batchSize() / elapsed), replicas.primary().parameterCount(),
                    devices);
        }
    }

    /**
     * The pipeline's line of the learner bench: updates/s of the model unsplit on {@code devices.get(0)} and split as
     * {@code parallel} says over {@code devices} (one device: every stage on it), with the bubble fraction and the
     * stages' devices in order.
     */
    public record PipelineComparison(double unsplitUpdatesPerS, double pipelinedUpdatesPerS, int stages,
                                     int microBatches, double bubbleFraction, long parameters, String devices) {
        /** Pipelined over unsplit updates/s. */
        public double ratio() {
            return Math.round(pipelinedUpdatesPerS / unsplitUpdatesPerS * 1000) / 1000.0;
        }
    }

    /**
     * Both models measured in the same run, in alternating rounds (three each, {@code seconds} in all) so that the
     * machine's load weighs on both alike; one warm-up update each first.
     */
    public static PipelineComparison comparePipeline(EnvSpec spec, ModelConfig model, Parallelism parallel,
                                                     List<Device> devices, PpoConfig ppo, double seconds) {
        ModelConfig unsplitConfig = model.withParallelism(Parallelism.NONE);
        ModelConfig splitConfig = model.withParallelism(parallel);
        try (ModelReplicas unsplit = ModelReplicas.create(spec, unsplitConfig, 1, List.of(devices.get(0)));
             Adam unsplitAdam = Adam.withDefaults(unsplit.primary().parameters(), unsplit.primary().manager());
             ModelReplicas split = ModelReplicas.create(spec, splitConfig, 1, devices);
             Adam splitAdam = Adam.withDefaults(split.primary().parameters(), split.primary().manager())) {
            RolloutBatch batch = syntheticRollout(spec, ppo.batchSize(), 3);
            SplittableRandom rng = new SplittableRandom(1);
            PpoUpdate.update(unsplit, unsplitAdam, batch, ppo, 1e-4, rng); // warm-up
            PpoUpdate.update(split, splitAdam, batch, ppo, 1e-4, rng);
            double[] elapsed = new double[2];
            int[] updates = new int[2];
            double round = seconds / 6;
            for (int r = 0; r < 6; r++) {
                boolean pipelined = r % 2 == 1;
                long start = System.nanoTime();
                do {
                    if (pipelined) {
                        PpoUpdate.update(split, splitAdam, batch, ppo, 1e-4, rng);
                    } else {
                        PpoUpdate.update(unsplit, unsplitAdam, batch, ppo, 1e-4, rng);
                    }
                    updates[r % 2]++;
                } while (System.nanoTime() - start < round * 1e9);
                elapsed[r % 2] += (System.nanoTime() - start) / 1e9;
            }
            return new PipelineComparison(Math.round(updates[0] / elapsed[0] * 100) / 100.0,
                    Math.round(updates[1] / elapsed[1] * 100) / 100.0, parallel.pipelineStages(),
                    parallel.microBatches(), Math.round(parallel.bubbleFraction() * 1000) / 1000.0,
                    split.primary().parameterCount(), split.primary().stageDevices().stream().map(Device::toString)
                    .collect(Collectors.joining(",")));
        }
    }

    /** {@code n} observations sampled from the spec, random actions, uniform log-probs, Gaussian advantages. */
    public static RolloutBatch syntheticRollout(EnvSpec spec, int n, long seed) {
        ObservationBatch obs = ObservationBatch.forSpace(spec.observationSpace(), n);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int r = 0; r < n; r++) {
            obs.write(r, spec.observationSpace() instanceof Dict d ? d.sample(rng)
                    : Observation.of((Tensor) spec.observationSpace().sample(rng)));
        }
        int actions = ((Discrete) spec.actionSpace()).n();
        int[] a = new int[n];
        float[] logp = new float[n];
        float[] v = new float[n];
        float[] adv = new float[n];
        float[] ret = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextInt(actions);
            logp[i] = (float) Math.log(1.0 / actions);
            v[i] = (float) rng.nextGaussian() * 0.1f;
            adv[i] = (float) rng.nextGaussian();
            ret[i] = (float) rng.nextGaussian();
        }
        return new RolloutBatch(obs, a, logp, v, adv, ret);
    }
}
