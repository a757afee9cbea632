package io.troupe.environments.check;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.Action;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.FloatTensor;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.StepResult;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Space;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.TimeLimit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Checks that an env keeps the {@link Env} contract, in the spirit of Gymnasium's {@code check_env}: a list of small
 * named checks, each of which passes, warns or fails with a sentence saying why. Use it on your own envs:
 *
 * <pre>{@code
 * CheckReport report = EnvChecker.check(registry, "my-env-v0");   // or EnvChecker.check(MyEnv::new)
 * System.out.println(report.format());
 * }</pre>
 *
 * Envs are made fresh from the factory for every check that needs a clean instance; random actions come from a seeded
 * stream, so a report is reproducible.
 */
public final class EnvChecker {
    /** Random steps taken to look at observations, rewards and episode ends. */
    public static final int ROLLOUT_STEPS = 5_000;
    /** The short time limit used to check truncation. */
    public static final int SHORT_LIMIT = 5;

    private final Supplier<Env> factory;
    private final Supplier<Env> shortLimitFactory;
    private final long seed;

    private EnvChecker(Supplier<Env> factory, Supplier<Env> shortLimitFactory, long seed) {
        this.factory = factory;
        this.shortLimitFactory = shortLimitFactory;
        this.seed = seed;
    }

    /** Checks a registered env; truncation is checked with {@code max-episode-steps} overridden to a short limit. */
    public static CheckReport check(EnvRegistry registry, String id) {
        registry.registration(id); // unknown ids fail here, listing the known ones
        return new EnvChecker(() -> registry.make(id),
                () -> registry.make(id, ConfigFactory.parseMap(Map.of("max-episode-steps", SHORT_LIMIT))), 1234L)
                .run(id);
    }

    /** Checks envs made by {@code factory}; truncation is checked by wrapping one in a short {@link TimeLimit}. */
    public static CheckReport check(Supplier<Env> factory) {
        String id;
        try (Env env = factory.get()) {
            id = env.spec().id();
        }
        return new EnvChecker(factory, () -> new TimeLimit(factory.get(), SHORT_LIMIT), 1234L).run(id);
    }

    private interface Check {
        CheckResult run() throws Exception;
    }

    private CheckReport run(String id) {
        List<CheckResult> results = new ArrayList<>();
        runCheck(results, "spec", this::checkSpec);
        runCheck(results, "step-before-reset-fails", this::checkStepBeforeReset);
        runCheck(results, "reset-observation-in-space", this::checkResetObservation);
        runCheck(results, "seeded-reset-deterministic", this::checkSeededReset);
        runCheck(results, "seeded-stepping-deterministic", this::checkSeededStepping);
        runCheck(results, "invalid-action-fails", this::checkInvalidActions);
        Rollout rollout = new Rollout();
        runCheck(results, "step-observation-in-space", () -> rollout.run().observations());
        runCheck(results, "rewards-finite", () -> rollout.run().rewards());
        runCheck(results, "episode-length-within-limit", () -> rollout.run().limit());
        runCheck(results, "termination-reachable", () -> rollout.run().termination());
        runCheck(results, "step-after-episode-end-fails", this::checkStepAfterEnd);
        runCheck(results, "truncation-distinct", this::checkTruncation);
        return new CheckReport(id, results);
    }

    private static void runCheck(List<CheckResult> results, String name, Check check) {
        try {
            CheckResult r = check.run();
            results.add(new CheckResult(name, r.status(), r.detail()));
        } catch (Throwable t) {
            results.add(CheckResult.fail(name, "threw " + t.getClass().getSimpleName() + ": " + t.getMessage()));
        }
    }

    private CheckResult checkSpec() {
        try (Env env = factory.get()) {
            EnvSpec spec = env.spec();
            Space action = spec.actionSpace();
            if (!(action instanceof Discrete) && !(action instanceof Box b && b.shape().length == 1
                    && b.dtype() == DType.FLOAT32)) {
                return CheckResult.fail("", "action space " + action.describe()
                        + " is not supported: expected Discrete or a 1-D float32 Box");
            }
            ObservationBatch.modalitiesOf(spec.observationSpace());
            return CheckResult.pass("", spec.observationSpace().describe() + " -> " + action.describe());
        }
    }

    private CheckResult checkStepBeforeReset() {
        try (Env env = factory.get()) {
            Action a = sampleAction(env.spec().actionSpace(), new SplittableRandom(seed));
            try {
                env.step(a);
            } catch (IllegalStateException e) {
                return CheckResult.pass("", "IllegalStateException: " + e.getMessage());
            } catch (RuntimeException e) {
                return CheckResult.fail("", "threw " + e.getClass().getSimpleName() + " (" + e.getMessage()
                        + "); expected IllegalStateException saying to call reset first");
            }
            return CheckResult.fail("", "step() before reset() returned normally; it must throw IllegalStateException");
        }
    }

    private CheckResult checkResetObservation() {
        try (Env env = factory.get()) {
            for (long s = seed; s < seed + 20; s++) {
                Optional<String> v = env.spec().observationSpace().observationViolation(env.reset(s));
                if (v.isPresent()) {
                    return CheckResult.fail("", "reset(" + s + "): " + v.get());
                }
            }
            return CheckResult.pass("", "20 seeded resets inside " + env.spec().observationSpace().describe());
        }
    }

    private CheckResult checkSeededReset() {
        try (Env a = factory.get(); Env b = factory.get()) {
            Observation first = a.reset(seed);
            if (!first.equals(b.reset(seed))) {
                return CheckResult.fail("", "two envs reset with seed " + seed + " gave different observations");
            }
            a.reset(seed + 1);
            if (!first.equals(a.reset(seed))) {
                return CheckResult.fail("", "resetting again with seed " + seed + " gave a different observation");
            }
            // reset() continues the seeded stream: two envs seeded alike must continue alike
            a.reset(seed);
            b.reset(seed);
            if (!a.reset().equals(b.reset())) {
                return CheckResult.fail("", "reset() after reset(" + seed + ") differs between two envs");
            }
            boolean anyDifferent = false;
            for (long s = seed + 1; s < seed + 10 && !anyDifferent; s++) {
                anyDifferent = !a.reset(s).equals(first);
            }
            if (!anyDifferent) {
                return CheckResult.warn("", "10 different seeds all gave the same first observation");
            }
            return CheckResult.pass("", "same seed, same observation; other seeds differ");
        }
    }

    private CheckResult checkSeededStepping() {
        try (Env a = factory.get(); Env b = factory.get()) {
            a.reset(seed);
            b.reset(seed);
            SplittableRandom actions = new SplittableRandom(seed);
            int steps = 1_000;
            for (int i = 0; i < steps; i++) {
                Action act = sampleAction(a.spec().actionSpace(), actions);
                StepResult ra = a.step(act);
                StepResult rb = b.step(act);
                if (!ra.observation().equals(rb.observation()) || Double.compare(ra.reward(), rb.reward()) != 0
                        || ra.terminated() != rb.terminated() || ra.truncated() != rb.truncated()) {
                    return CheckResult.fail("", "step " + i + " with " + act + " differs between two envs reset with seed "
                            + seed + " (reward " + ra.reward() + " vs " + rb.reward() + ")");
                }
                if (ra.done()) {
                    if (!a.reset().equals(b.reset())) {
                        return CheckResult.fail("", "reset() after step " + i + " differs between two envs");
                    }
                }
            }
            return CheckResult.pass("", steps + " steps with the same seed and actions were identical");
        }
    }

    private CheckResult checkInvalidActions() {
        List<Action> invalid = invalidActions();
        try (Env env = factory.get()) {
            String space = env.spec().actionSpace().describe();
            for (Action bad : invalid) {
                env.reset(seed);
                try {
                    env.step(bad);
                    return CheckResult.fail("", "step(" + bad + ") outside " + space + " returned normally");
                } catch (IllegalArgumentException e) {
                    String msg = String.valueOf(e.getMessage());
                    if (!msg.contains(bad.toString()) || !msg.contains(space)) {
                        return CheckResult.fail("", "step(" + bad + ") threw '" + msg + "', which does not name both the "
                                + "action (" + bad + ") and the space (" + space + ")");
                    }
                } catch (RuntimeException e) {
                    return CheckResult.fail("", "step(" + bad + ") threw " + e.getClass().getSimpleName() + " ("
                            + e.getMessage() + "); expected IllegalArgumentException");
                }
            }
            return CheckResult.pass("", invalid.size() + " invalid actions refused with IllegalArgumentException naming "
                    + "the action and the space");
        }
    }

    private List<Action> invalidActions() {
        Space space;
        try (Env env = factory.get()) {
            space = env.spec().actionSpace();
        }
        List<Action> out = new ArrayList<>();
        if (space instanceof Discrete d) {
            out.add(Action.discrete(d.n()));
            out.add(Action.discrete(-1));
            out.add(Action.continuous(0f));
        } else if (space instanceof Box b) {
            out.add(Action.continuous(new float[b.size() + 1]));
            float[] outside = new float[b.size()];
            for (int i = 0; i < outside.length; i++) {
                outside[i] = Float.isFinite(b.high()[i]) ? b.high()[i] + 1 : Float.NaN;
            }
            out.add(Action.continuous(outside));
            out.add(Action.discrete(0));
        }
        return out;
    }

    private CheckResult checkStepAfterEnd() {
        try (Env env = shortLimitFactory.get()) {
            env.reset(seed);
            SplittableRandom actions = new SplittableRandom(seed);
            for (int i = 0; i < 10_000; i++) {
                if (env.step(sampleAction(env.spec().actionSpace(), actions)).done()) {
                    try {
                        env.step(sampleAction(env.spec().actionSpace(), actions));
                    } catch (IllegalStateException e) {
                        return CheckResult.pass("", "IllegalStateException: " + e.getMessage());
                    }
                    return CheckResult.fail("", "step() after the episode ended returned normally; it must throw "
                            + "IllegalStateException until reset()");
                }
            }
            return CheckResult.warn("", "no episode ended in 10,000 steps");
        }
    }

    private CheckResult checkTruncation() {
        SplittableRandom actions = new SplittableRandom(seed);
        try (Env env = shortLimitFactory.get()) {
            for (int episode = 0; episode < 200; episode++) {
                env.reset(seed + episode);
                for (int t = 1; ; t++) {
                    StepResult r = env.step(sampleAction(env.spec().actionSpace(), actions));
                    if (t < SHORT_LIMIT && r.truncated()) {
                        return CheckResult.fail("", "with max-episode-steps = " + SHORT_LIMIT + ", step " + t
                                + " reported truncated");
                    }
                    if (r.terminated()) {
                        break;
                    }
                    if (t == SHORT_LIMIT) {
                        if (!r.truncated()) {
                            return CheckResult.fail("", "with max-episode-steps = " + SHORT_LIMIT + ", step " + t
                                    + " did not report truncated");
                        }
                        return CheckResult.pass("", "a " + SHORT_LIMIT + "-step limit gives truncated = true, "
                                + "terminated = false");
                    }
                    if (t > SHORT_LIMIT) {
                        return CheckResult.fail("", "episode ran past max-episode-steps = " + SHORT_LIMIT);
                    }
                }
            }
            return CheckResult.warn("", "every episode terminated within " + SHORT_LIMIT + " steps; truncation not seen");
        }
    }

    /** One shared random rollout; several checks read its findings. */
    private final class Rollout {
        private RolloutFindings findings;

        RolloutFindings run() {
            if (findings == null) {
                findings = rollout();
            }
            return findings;
        }
    }

    private record RolloutFindings(CheckResult observations, CheckResult rewards, CheckResult limit,
                                   CheckResult termination) {
    }

    private RolloutFindings rollout() {
        CheckResult obs = null;
        CheckResult rewards = null;
        CheckResult limit = null;
        int terminations = 0;
        int truncations = 0;
        int episodes = 0;
        double minReward = Double.POSITIVE_INFINITY;
        double maxReward = Double.NEGATIVE_INFINITY;
        try (Env env = factory.get()) {
            EnvSpec spec = env.spec();
            int maxSteps = spec.maxEpisodeSteps().orElse(Integer.MAX_VALUE);
            SplittableRandom actions = new SplittableRandom(seed);
            env.reset(seed);
            int t = 0;
            for (int i = 0; i < ROLLOUT_STEPS; i++) {
                StepResult r = env.step(sampleAction(spec.actionSpace(), actions));
                t++;
                if (obs == null) {
                    Optional<String> v = spec.observationSpace().observationViolation(r.observation());
                    if (v.isPresent()) {
                        obs = CheckResult.fail("", "step " + i + ": " + v.get());
                    }
                }
                if (rewards == null && !Double.isFinite(r.reward())) {
                    rewards = CheckResult.fail("", "step " + i + " returned reward " + r.reward());
                }
                minReward = Math.min(minReward, r.reward());
                maxReward = Math.max(maxReward, r.reward());
                if (limit == null && t > maxSteps) {
                    limit = CheckResult.fail("", "an episode ran " + t + " steps past max-episode-steps = " + maxSteps);
                }
                if (limit == null && t == maxSteps && !r.done()) {
                    limit = CheckResult.fail("", "step " + t + " = max-episode-steps did not end the episode");
                }
                if (r.done()) {
                    episodes++;
                    terminations += r.terminated() ? 1 : 0;
                    truncations += r.truncated() && !r.terminated() ? 1 : 0;
                    env.reset();
                    t = 0;
                }
            }
        }
        String summary = ROLLOUT_STEPS + " random steps, " + episodes + " episodes";
        return new RolloutFindings(
                obs != null ? obs : CheckResult.pass("", summary + ", every observation inside the space"),
                rewards != null ? rewards : CheckResult.pass("", "rewards in [" + minReward + ", " + maxReward + "]"),
                limit != null ? limit : CheckResult.pass("", "no episode longer than max-episode-steps"),
                terminations > 0
                        ? CheckResult.pass("", terminations + " terminated and " + truncations + " truncated episodes")
                        : CheckResult.warn("", "no episode terminated in " + summary
                        + " (fine for envs that only truncate)"));
    }

    private static Action sampleAction(Space space, SplittableRandom rng) {
        if (space instanceof Discrete d) {
            return Action.discrete(rng.nextInt(d.n()));
        }
        return Action.continuous(((FloatTensor) space.sample(rng)).data());
    }
}
