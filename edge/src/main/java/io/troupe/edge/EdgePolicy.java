package io.troupe.edge;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.Categorical;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.space.Space;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.edge.observation.ObservationException;
import io.troupe.edge.observation.ObservationJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * An exported policy for embedding: a directory with {@code policy.onnx} and {@code policy.json} (what
 * {@code ./troupe export --format bundle} writes), evaluated with ONNX Runtime. No DJL, no PyTorch, no Pekko.
 * <pre>{@code
 * try (EdgePolicy policy = EdgePolicy.load(Path.of("bundle"))) {
 *     EdgeAction a = policy.act(Observation.of(FloatTensor.of(0.01f, 0.2f, -0.03f, -0.1f)));
 *     int action = a.action();
 * }
 * }</pre>
 * Observations are checked against the contract's observation space first ({@link ObservationException} naming the
 * field). Not thread-safe: one per thread.
 */
public final class EdgePolicy implements AutoCloseable {
    private final OnnxPolicy policy;
    private final PolicyContract contract;
    private final Space space;
    private final int actions;

    private EdgePolicy(OnnxPolicy policy) {
        this.policy = policy;
        this.contract = policy.contract();
        this.space = contract.observation();
        this.actions = contract.actions();
    }

    /** The policy in {@code dir} ({@code policy.json} and the model it names), one intra-op thread. */
    public static EdgePolicy load(Path dir) {
        return load(dir, 1);
    }

    /** The policy in {@code dir} with {@code intraOpThreads} ONNX Runtime threads. */
    public static EdgePolicy load(Path dir, int intraOpThreads) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("policy directory " + dir + " does not exist; expected a directory"
                    + " holding " + PolicyContract.FILE + " and policy.onnx (./troupe export --format bundle)");
        }
        PolicyContract contract = PolicyContract.read(dir.resolve(PolicyContract.FILE));
        String model = contract.model() == null ? "policy.onnx" : contract.model();
        return new EdgePolicy(OnnxPolicy.load(dir.resolve(model), contract, intraOpThreads));
    }

    public PolicyContract contract() {
        return contract;
    }

    /** The observation space observations must fit. */
    public Space observationSpace() {
        return space;
    }

    /** The backend, as the {@link Policy} agents and eval use. */
    public Policy policy() {
        return policy;
    }

    /** The greedy action for {@code observation}. */
    public EdgeAction act(Observation observation) {
        return actAll(List.of(observation), null).get(0);
    }

    /** The greedy action for a JSON observation ({@link ObservationJson}'s form). */
    public EdgeAction act(JsonNode observation) {
        return act(ObservationJson.read(observation, space));
    }

    /** An action sampled from the policy's distribution with {@code rng}. */
    public EdgeAction sample(Observation observation, RandomGenerator rng) {
        return actAll(List.of(observation), rng).get(0);
    }

    /** Greedy actions for several observations, evaluated as one batch. */
    public List<EdgeAction> actAll(List<Observation> observations) {
        return actAll(observations, null);
    }

    private List<EdgeAction> actAll(List<Observation> observations, RandomGenerator rng) {
        if (observations.isEmpty()) {
            throw new IllegalArgumentException("no observations to act on");
        }
        ObservationBatch batch = ObservationBatch.forSpace(space, observations.size());
        for (int i = 0; i < observations.size(); i++) {
            Optional<String> violation = space.observationViolation(observations.get(i));
            if (violation.isPresent()) {
                throw new ObservationException(observations.size() == 1 ? "" : "[" + i + "]", violation.get());
            }
            batch.write(i, observations.get(i));
        }
        Policy.Evaluation e = policy.evaluate(batch);
        List<EdgeAction> out = new ArrayList<>();
        double[] probs = new double[actions];
        for (int r = 0; r < observations.size(); r++) {
            int from = r * actions;
            float[] logits = Arrays.copyOfRange(e.logits(), from, from + actions);
            int action = rng == null ? Categorical.argmax(logits, 0, actions)
                    : Categorical.sample(logits, 0, actions, probs, rng);
            out.add(new EdgeAction(action, logits, softmax(logits), e.values()[r], contract.policyVersion()));
        }
        return out;
    }

    private static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        double[] exp = new double[logits.length];
        for (int a = 0; a < logits.length; a++) {
            exp[a] = Math.exp(logits[a] - max);
            sum += exp[a];
        }
        float[] out = new float[logits.length];
        for (int a = 0; a < logits.length; a++) {
            out[a] = (float) (exp[a] / sum);
        }
        return out;
    }

    @Override
    public void close() {
        policy.close();
    }
}
