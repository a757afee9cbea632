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
        double single = best(singleEnv(env, n));
        double object = best(objectApi(env, n));
        VectorEnv vec = VectorEnv.of(() -> registry.make(envId), vectorEnvs);
        double vector = best(vector(vec, n));
        env.close();
        vec.close();
        return new Result(envId, single, object, vector, vectorEnvs);
    }

    /** The value accumulated from observations and rewards (printed so the work cannot be optimized away). */
    public double sink() {
        return sink;
    }

    /** One batch of steps; returns how many env steps it took. */
    private interface Batch {
        long run();
    }

    /** A xorshift64 stream of action indices: cheap enough that the figure is the env's cost, not the RNG's. */
    private static final class ActionStream {
        private long x;

        ActionStream(long seed) {
            x = seed;
        }

        int next(int n) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            return (int) ((x >>> 33) % n);
        }
    }

    /** Best steps/s of {@code rounds} timed rounds, after one warm-up round. */
    private double best(Batch batch) {
        timedRound(batch);
        double best = 0;
        for (int i = 0; i < rounds; i++) {
            best = Math.max(best, timedRound(batch));
        }
        return best;
    }

    private double timedRound(Batch batch) {
        long deadline = System.nanoTime() + (long) (secondsPerRound * 1e9);
        long start = System.nanoTime();
        long steps = 0;
        long now;
        do {
            steps += batch.run();
            now = System.nanoTime();
        } while (now < deadline);
        return steps / ((now - start) / 1e9);
    }

    private Batch singleEnv(Env env, int n) {
        ObservationBatch batch = ObservationBatch.forSpace(env.spec().observationSpace(), 1);
        StepOutcome out = new StepOutcome();
        ActionStream actions = new ActionStream(0x9E3779B97F4A7C15L);
        env.resetInto(1L, batch, 0);
        return () -> {
            double acc = 0;
            for (int i = 0; i < 4096; i++) {
                env.stepInto(Action.discrete(actions.next(n)), batch, 0, out);
                acc += out.reward;
                if (out.terminated || out.truncated) {
                    env.resetInto(batch, 0);
                }
            }
            sink += acc + firstElement(batch);
            return 4096;
        };
    }

    private Batch objectApi(Env env, int n) {
        ActionStream actions = new ActionStream(0x2545F4914F6CDD1DL);
        env.reset(2L);
        return () -> {
            double acc = 0;
            for (int i = 0; i < 1024; i++) {
                StepResult r = env.step(Action.discrete(actions.next(n)));
                acc += r.reward() + r.observation().tensors().size();
                if (r.done()) {
                    env.reset();
                }
            }
            sink += acc;
            return 1024;
        };
    }

    private Batch vector(VectorEnv vec, int n) {
        ActionStream stream = new ActionStream(0x5DEECE66DL);
        int k = vec.size();
        int[] actions = new int[k];
        vec.reset(3L);
        return () -> {
            double acc = 0;
            for (int i = 0; i < 64; i++) {
                for (int e = 0; e < k; e++) {
                    actions[e] = stream.next(n);
                }
                vec.step(actions);
                acc += vec.rewards()[0];
            }
            sink += acc + firstElement(vec.observations());
            return 64L * k;
        };
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
