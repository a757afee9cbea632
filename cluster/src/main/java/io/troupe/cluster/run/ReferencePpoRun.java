package io.troupe.cluster.run;

import ai.djl.Device;
import com.typesafe.config.Config;
import io.troupe.actors.acting.ActingStep;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.node.AdminNode;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.environments.reward.FeatureSource;
import io.troupe.environments.reward.RewardShaper;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.Devices;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.ppo.Gae;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoStats;
import io.troupe.learners.ppo.PpoUpdate;
import io.troupe.learners.ppo.RolloutBatch;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code ppo} algorithm on one thread, CleanRL's {@code ppo.py} read top to bottom: collect {@code num-steps} from
 * {@code num-envs} env copies with the current policy, compute GAE advantages, run the PPO update, repeat. No actors:
 * this is the single-threaded reference the distributed path is checked against, and the embedded trainer until
 * agents exist.
 */
public final class ReferencePpoRun {
    private final TrainSettings settings;
    private final PpoConfig ppo;
    private final ModelConfig modelConfig;
    private final Device device;
    private final EnvRegistry registry;
    private final RunDirectory run;
    private final ProgressLine progress;
    private final AtomicBoolean stopRequested;

    private final Config config;

    /** Reads troupe.ppo, troupe.model, troupe.learner.device, troupe.reward and troupe.admin from {@code config}. */
    public ReferencePpoRun(TrainSettings settings, Config config, EnvRegistry registry, RunDirectory run,
                           ProgressLine progress, AtomicBoolean stopRequested) {
        this.settings = settings;
        this.config = config;
        this.ppo = PpoConfig.fromConfig(config.getConfig("troupe.ppo"));
        this.modelConfig = ModelConfig.fromConfig(config.getConfig("troupe.model"));
        this.device = Devices.select(config.getString("troupe.learner.device"));
        this.registry = registry;
        this.run = run;
        this.progress = progress;
        this.stopRequested = stopRequested;
    }

    public RunSummary run() throws Exception {
        int numEnvs = ppo.numEnvs();
        AdminSettings admin = AdminSettings.fromConfig(config, System.getenv());
        try (VectorEnv envs = VectorEnv.of(() -> registry.make(settings.env(), settings.envOverrides()), numEnvs);
             PolicyModel model = PolicyModel.create(envs.spec(), modelConfig, settings.seed(), device);
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            EnvSpec spec = envs.spec();
            RunReporter reporter = new RunReporter(settings, run, progress, spec);
            RewardShaper shaper = new RewardShaper(FeatureSource.of(envs.env(0)), numEnvs,
                    RewardShaper.SwitchAt.parse(config.getString("troupe.reward.switch-at")), RewardShaper.Version.ENV);
            Queue<String> rewardEvents = new ConcurrentLinkedQueue<>(); // from the follower's thread
            shaper.setFallbackListener((failed, fallback, reason) -> {
                reporter.rewardFallback();
                progress.log("reward v" + failed + " failed (" + reason + "); using v" + fallback);
            });
            envs.setRewardShaper(shaper);
            envs.setEpisodeListener((i, ret, len, terminated, success) -> reporter.episode(ret, success,
                    shaper.rewardVersion(i), shaper.episodeReturn(i)));
            try (AdminNode adminNode = admin.enabled() ? AdminNode.start(config, admin, registry, reporter::latest)
                    : null) {
                if (adminNode != null) {
                    adminNode.follow(spec.id(), shaper, refused -> rewardEvents.add("reward " + refused.spec()
                            .describe() + " refused: " + refused.reason()));
                    progress.log("admin API on " + adminNode.url());
                }
                return train(envs, model, adam, spec, reporter, rewardEvents);
            }
        }
    }

    private RunSummary train(VectorEnv envs, PolicyModel model, Adam adam, EnvSpec spec,
                          RunReporter reporter, Queue<String> rewardEvents) {
        int numEnvs = ppo.numEnvs();
        int numSteps = ppo.numSteps();
        int batch = ppo.batchSize();
        envs.reset(settings.seed() * 1000);
        SplittableRandom rng = new SplittableRandom(settings.seed());
        ActingStep acting = new ActingStep(model, envs, rng); // the agents' acting step, on the same stream

        ObservationBatch obs = ObservationBatch.forSpace(spec.observationSpace(), batch);
        int[] actions = new int[batch];
        float[] logProbs = new float[batch];
        float[] values = new float[batch];
        float[] rewards = new float[batch];
        boolean[] terminated = new boolean[batch];
        boolean[] truncated = new boolean[batch];
        float[] truncationValues = new float[batch];
        float[] advantages = new float[batch];
        float[] returns = new float[batch];

        long globalStep = 0;
        long updates = 0;
        StopReason stopReason = StopReason.STEP_BUDGET_SPENT;
        Map<String, Number> lastStats = Map.of();
        outer:
        while (globalStep < settings.maxEnvSteps()) {
            double lr = ppo.learningRateAt(globalStep);
            for (int t = 0; t < numSteps; t++) {
                for (int e = 0; e < numEnvs; e++) {
                    envs.observations().copyRow(e, obs, t * numEnvs + e); // what the step acts on
                }
                ActingStep.Acted acted = acting.act(); // sample, log-prob, value, step, value time-limit cut-offs
                globalStep += numEnvs;
                for (int e = 0; e < numEnvs; e++) {
                    int i = t * numEnvs + e;
                    actions[i] = acted.actions()[e];
                    logProbs[i] = acted.logProbs()[e];
                    values[i] = acted.values()[e];
                    rewards[i] = acted.rewards()[e];
                    terminated[i] = acted.terminated()[e];
                    truncated[i] = acted.truncated()[e];
                    truncationValues[i] = acted.truncationValues()[e];
                }
                if (reporter.solved(globalStep)) {
                    stopReason = StopReason.TARGET_REACHED;
                    break outer;
                }
                if (stopRequested.get()) {
                    stopReason = StopReason.INTERRUPTED;
                    break outer;
                }
            }
            float[] lastValues = model.infer(envs.observations()).values();
            Gae.compute(rewards, values, terminated, truncated, truncationValues, lastValues, numEnvs,
                    ppo.gamma(), ppo.gaeLambda(), advantages, returns);
            PpoStats stats = PpoUpdate.update(model, adam, new RolloutBatch(obs, actions, logProbs, values,
                    advantages, returns), ppo, lr, rng);
            updates++;
            lastStats = stats.figures();
            for (String event = rewardEvents.poll(); event != null; event = rewardEvents.poll()) {
                progress.log(event);
            }
            reporter.maybeReport(globalStep, learnerReport(updates, lastStats), false);
            if (reporter.outOfTime()) {
                stopReason = StopReason.TIME_BUDGET_SPENT;
                break;
            }
        }
        reporter.maybeReport(globalStep, learnerReport(updates, lastStats), true);
        LearnerCheckpoint.save(run.path().resolve("checkpoints"), model, adam,
                new LearnerCheckpoint.Counters(updates, globalStep, updates));
        return reporter.finish(stopReason, globalStep, RunFacts.NONE.withLearner(updates, null, model.modelId(),
                model.parameterCount(), device.toString()));
    }

    /** One loop: every update is a new policy version, acted on at once (no lag). */
    private static LearnerReport learnerReport(long updates, Map<String, Number> figures) {
        return new LearnerReport(updates, updates, Algorithm.PPO.id(), 0, 0, figures);
    }
}
