package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.learners.model.GradMode;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@link PolicyModel#infer} stages its inputs in direct buffers it keeps (one set per thread) instead of a fresh one
 * per tensor: its answers must be those of the same forward pass on inputs made the ordinary way, whatever batch sizes
 * came before (buffers grown, then reused for smaller batches), for every kind of modality (floats, token ids, image
 * bytes), and with two threads inferring on one model at once.
 */
class StagedInferenceTest {
    private static final ModelConfig MODEL = ModelConfig.transformer(16, 2, 1, 32, 6, 1);

    private static PolicyModel.Output unstaged(PolicyModel model, ObservationBatch obs) {
        GradMode.off();
        try (NDManager scope = model.manager().newSubManager()) {
            NDList out = model.forward(model.inputs(scope, obs, null), false);
            return new PolicyModel.Output(out.get(0).toFloatArray(), out.get(1).toFloatArray());
        }
    }

    @Test
    void stagedInputsAnswerAsOrdinaryOnesWhateverBatchesCameBefore() {
        for (EnvSpec spec : List.of(ModelTest.CARTPOLE, ModelTest.GRID)) {
            try (PolicyModel model = PolicyModel.create(spec, MODEL, 3, Device.cpu())) {
                int seed = 0;
                for (int rows : new int[] {9, 2, 16, 1, 16, 5}) {
                    ObservationBatch obs = RandomObservations.batch(spec, rows, ++seed);
                    PolicyModel.Output expected = unstaged(model, obs);
                    PolicyModel.Output staged = model.infer(obs);
                    assertArrayEquals(expected.logits(), staged.logits(), spec.id() + ", " + rows + " rows: logits");
                    assertArrayEquals(expected.values(), staged.values(), spec.id() + ", " + rows + " rows: values");
                }
            }
        }
    }

    @Test
    void twoThreadsInferringOnOneModelGetTheirOwnAnswers() throws Exception {
        try (PolicyModel model = PolicyModel.create(ModelTest.GRID, MODEL, 5, Device.cpu())) {
            List<ObservationBatch> batches = List.of(RandomObservations.batch(ModelTest.GRID, 7, 21),
                    RandomObservations.batch(ModelTest.GRID, 12, 22));
            List<PolicyModel.Output> expected = batches.stream().map(b -> unstaged(model, b)).toList();
            List<String> problems = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int mine = t;
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 0; i < 200; i++) {
                            PolicyModel.Output o = model.infer(batches.get(mine));
                            if (!Arrays.equals(o.logits(), expected.get(mine).logits())) {
                                problems.add("thread " + mine + ", pass " + i + ": other logits");
                                return;
                            }
                        }
                    } catch (Throwable e) {
                        problems.add("thread " + mine + ": " + e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(120_000);
                assertFalse(t.isAlive(), "a thread still inferring after 2 minutes");
            }
            assertEquals(List.of(), problems);
        }
    }
}
