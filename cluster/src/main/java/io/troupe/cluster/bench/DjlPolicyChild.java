package io.troupe.cluster.bench;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.core.Categorical;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.PolicyModel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The DJL side of {@code bench export}'s process figures, run in a child JVM: loads the benchmark's policy with DJL
 * (PyTorch) and answers like {@code troupe-edge.jar pipe}: one JSON observation a line on stdin, the greedy action a
 * line on stdout. Arguments: env id, {@code mlp} or {@code transformer}, model seed. Not a user command.
 */
public final class DjlPolicyChild {
    private DjlPolicyChild() {
    }

    public static void main(String[] args) throws Exception {
        EnvSpec spec = EnvRegistry.defaults().spec(args[0]);
        ObjectMapper mapper = new ObjectMapper();
        try (PolicyModel model = PolicyModel.create(spec, ExportBench.modelFor(args[1]), Long.parseLong(args[2]),
                Device.cpu());
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            ObservationBatch batch = ObservationBatch.forSpace(spec.observationSpace(), 1);
            String line;
            while ((line = in.readLine()) != null) {
                batch.write(0, ObservationJson.read(mapper.readTree(line), spec.observationSpace()));
                Policy.Evaluation e = model.evaluate(batch);
                System.out.println(Categorical.argmax(e.logits(), 0, e.actions()));
                System.out.flush();
            }
        }
    }
}
