package io.troupe.environments.bench;

import io.troupe.core.Action;
import io.troupe.core.ObservationBatch;
import io.troupe.core.StepResult;
import io.troupe.core.space.Discrete;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.StepOutcome;
import io.troupe.environments.VectorEnv;

/**
 * Measures env stepping throughput on one thread, random actions, auto-reset included:
 * <ul>
 *   <li>{@code steps_per_s}: one env on the allocation-free path ({@link Env#stepInto}), as the registry makes it;</li>
 *   <li>{@code object_api_steps_per_s}: the same env through {@link Env#step} (one {@link StepResult} per step);</li>
 *   <li>{@code vector_steps_per_s}: env steps per second of a {@link VectorEnv} of {@code envs} copies.</li>
 * </ul>
 * Each figure is the best of {@code rounds} timed rounds after a warm-up, so JIT compilation and a busy neighbour
 * weigh less. Actions come from an inline xorshift generator, so the figure is the env's cost, not the RNG's.
 */
public final class EnvBenchmark {

    /** The figures for one env id. */
    public record Result(String envId, double stepsPerS, double objectApiStepsPerS, double vectorStepsPerS, int envs) {
    }

    private final EnvRegistry registry;
    private final double secondsPerRound;
    private final int rounds;
    private final int vectorEnvs;
    /** Keeps the JIT from discarding the work. */
    private double sink;

    public EnvBenchmark(EnvRegistry registry, double secondsPerRound, int rounds, int vectorEnvs) {
        if (secondsPerRound <= 0 || rounds < 1 || vectorEnvs < 1) {
            throw new IllegalArgumentException("benchmark needs seconds > 0, rounds >= 1, envs >= 1");
        }
        this.registry = registry;
        this.secondsPerRound = secondsPerRound;
        this.rounds = rounds;
        this.vectorEnvs = vectorEnvs;
    }

    public Result run(String envId) {
        Env env = registry.make(envId);
        if (!(env.spec().actionSpace() instanceof Discrete d)) {
            throw new IllegalArgumentException(envId + ": the env benchmark drives Discrete action spaces only");
        }
        int n = d.n();
        double single = best(() -> singleRound(env, n));
        double object = best(() -> objectRound(env, n));
        VectorEnv vec = VectorEnv.of(() -> registry.make(envId), vectorEnvs);
        double vector = best(() -> vectorRound(vec, n));
        env.close();
        vec.close();
        return new Result(envId, single, object, vector, vectorEnvs);
    }

    /** The value accumulated from observations and rewards (printed so the work cannot be optimized away). */
    public double sink() {
        return sink;
    }

    private interface Round {
        double stepsPerSecond();
    }

    private double best(Round round) {
        round.stepsPerSecond(); // warm-up
        double best = 0;
        for (int i = 0; i < rounds; i++) {
            best = Math.max(best, round.stepsPerSecond());
        }
        return best;
    }

    private double singleRound(Env env, int n) {
        ObservationBatch batch = ObservationBatch.forSpace(env.spec().observationSpace(), 1);
        StepOutcome out = new StepOutcome();
        env.resetInto(1L, batch, 0);
        long x = 0x9E3779B97F4A7C15L;
        long steps = 0;
        double acc = 0;
        long deadline = System.nanoTime() + (long) (secondsPerRound * 1e9);
        long start = System.nanoTime();
        long now;
        do {
            for (int i = 0; i < 4096; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                env.stepInto(Action.discrete((int) ((x >>> 33) % n)), batch, 0, out);
                acc += out.reward;
                if (out.terminated || out.truncated) {
                    env.resetInto(batch, 0);
                }
            }
            steps += 4096;
            now = System.nanoTime();
        } while (now < deadline);
        sink += acc + firstElement(batch);
        return steps / ((now - start) / 1e9);
    }

    private double objectRound(Env env, int n) {
        env.reset(2L);
        long x = 0x2545F4914F6CDD1DL;
        long steps = 0;
        double acc = 0;
        long deadline = System.nanoTime() + (long) (secondsPerRound * 1e9);
        long start = System.nanoTime();
        long now;
        do {
            for (int i = 0; i < 1024; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                StepResult r = env.step(Action.discrete((int) ((x >>> 33) % n)));
                acc += r.reward() + r.observation().tensors().size();
                if (r.done()) {
                    env.reset();
                }
            }
            steps += 1024;
            now = System.nanoTime();
        } while (now < deadline);
        sink += acc;
        return steps / ((now - start) / 1e9);
    }

    private double vectorRound(VectorEnv vec, int n) {
        vec.reset(3L);
        int k = vec.size();
        int[] actions = new int[k];
        long x = 0x5DEECE66DL;
        long steps = 0;
        double acc = 0;
        long deadline = System.nanoTime() + (long) (secondsPerRound * 1e9);
        long start = System.nanoTime();
        long now;
        do {
            for (int i = 0; i < 64; i++) {
                for (int e = 0; e < k; e++) {
                    x ^= x << 13;
                    x ^= x >>> 7;
                    x ^= x << 17;
                    actions[e] = (int) ((x >>> 33) % n);
                }
                vec.step(actions);
                acc += vec.rewards()[0];
            }
            steps += 64L * k;
            now = System.nanoTime();
        } while (now < deadline);
        sink += acc + firstElement(vec.observations());
        return steps / ((now - start) / 1e9);
    }

    private static double firstElement(ObservationBatch batch) {
        Object a = batch.array(0);
        if (a instanceof float[] f) {
            return f[0];
        }
        if (a instanceof byte[] b) {
            return b[0];
        }
        return ((int[]) a)[0];
    }
}
