package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;
import io.troupe.actors.Agent;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.node.ClusterJob;
import io.troupe.cluster.run.Algorithm;
import io.troupe.cluster.run.DriverSettings;
import io.troupe.cluster.run.Evaluation;
import io.troupe.cluster.run.EvaluationFigures;
import io.troupe.cluster.run.EvaluationSettings;
import io.troupe.cluster.run.JobDriver;
import io.troupe.cluster.run.PolicyEvaluator;
import io.troupe.cluster.run.ProgressLine;
import io.troupe.cluster.run.RunDirectory;
import io.troupe.cluster.run.RunFacts;
import io.troupe.cluster.run.RunMetrics;
import io.troupe.cluster.run.RunMode;
import io.troupe.cluster.run.RunReporter;
import io.troupe.cluster.run.RunSummary;
import io.troupe.cluster.run.StopReason;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.core.EnvSpec;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.Learner;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.ModelConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run's driver as an actor with a timer, against probes standing in for the run-metrics singleton and the learner:
 * it drains every poll, asks the learner only when a line is due or the run ends, ends the run on its target, and
 * retries (saying so) when the singletons do not answer, ending as interrupted when a stop is asked meanwhile.
 */
class JobDriverTest {
    private final ActorTestKit kit = ActorTestKit.create("job-driver-test");
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    private TrainSettings settings(String... overrides) {
        List<String> all = new ArrayList<>(List.of(overrides));
        all.add("troupe.train.runs-dir=" + dir.toString().replace("\\", "/"));
        return TrainSettings.fromConfig(JobConfig.load(null, all));
    }

    private CompletableFuture<Optional<RunSummary>> start(TrainSettings settings, DriverSettings driver,
            TestProbe<RunMetrics.Command> metrics, TestProbe<Learner.Command> learner, AtomicBoolean stop) {
        EnvSpec spec = EnvRegistry.defaults().spec("CartPole-v1");
        RunDirectory run = RunDirectory.create(settings.runsDir(), settings.env(), Algorithm.PPO, settings.seed(),
                LocalDateTime.now());
        ProgressLine progress = new ProgressLine(new PrintStream(printed, true, StandardCharsets.UTF_8), false);
        RunReporter reporter = new RunReporter(settings, run, progress, spec);
        ClusterJob.Handles handles = new ClusterJob.Handles(spec, ModelConfig.mlp(64, 64), Device.cpu(),
                learner.ref(), metrics.ref());
        return JobDriver.start(kit.system(), settings, driver, handles, reporter, progress, JobDriver.interruptWhen(stop::get), () -> true,
                RunFacts.cluster(RunMode.CLUSTER, 2, 4));
    }

    private static Learner.Status status(long updates) {
        return new Learner.Status(updates, updates, updates * 512, 0, 2, "cpu", "ppo", 0.1, 0.2, "learner", 0, 0, 0, 0,
                0, "", 0.6, 0.01, 1, 1, 0.0);
    }

    private static List<Agent.EpisodeEnded> episodes(int n, double episodeReturn) {
        List<Agent.EpisodeEnded> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Agent.EpisodeEnded("agent-0", episodeReturn, (int) episodeReturn, false, 1, 0,
                    episodeReturn));
        }
        return out;
    }

    @Test
    void drainsEveryPollAndEndsTheRunWhenTheTargetIsReached() throws Exception {
        TestProbe<RunMetrics.Command> metrics = kit.createTestProbe();
        TestProbe<Learner.Command> learner = kit.createTestProbe();
        var result = start(settings("troupe.train.report-interval=1h"), new DriverSettings(Duration.ofMillis(50),
                Duration.ofSeconds(5), Duration.ofSeconds(5)), metrics, learner, new AtomicBoolean());

        // below the target, with no line due: drained again at the next tick, and the learner is not asked
        RunMetrics.Drain first = metrics.expectMessageClass(RunMetrics.Drain.class, Duration.ofSeconds(5));
        first.replyTo().tell(new RunMetrics.Drained(episodes(10, 20), 200, 0, "", List.of()));
        RunMetrics.Drain second = metrics.expectMessageClass(RunMetrics.Drain.class, Duration.ofSeconds(5));
        learner.expectNoMessage(Duration.ofMillis(100));
        // 100 episodes of 500: the 100-episode mean passes CartPole's 475, so the learner is asked for the last line
        second.replyTo().tell(new RunMetrics.Drained(episodes(100, 500), 50_000, 0, "", List.of()));
        Learner.GetStatus ask = learner.expectMessageClass(Learner.GetStatus.class, Duration.ofSeconds(5));
        ask.replyTo().tell(status(42));

        RunSummary summary = result.get(10, TimeUnit.SECONDS).orElseThrow();
        assertEquals(StopReason.TARGET_REACHED, summary.stopReason(), summary.toString());
        assertEquals(50_000L, summary.envSteps(), summary.toString());
        assertEquals(42L, summary.facts().learnerUpdates(), summary.toString());
        assertRunFiles(List.of("\"policy_lag_max\":0,", "\"losses/value_loss\":0.2", "\"agents/aborted_episodes\":0",
                "\"learner_updates\":42"), List.of("\"stop_reason\": \"target reached\"", "\"mode\": \"cluster\"",
                "\"agents\": 2", "\"policy_version\": 42"));
        metrics.expectNoMessage(Duration.ofMillis(200)); // the driver stopped with the run
    }

    @Test
    void retriesSingletonsThatDoNotAnswerAndEndsAsInterruptedOnAStop() throws Exception {
        TestProbe<RunMetrics.Command> metrics = kit.createTestProbe();
        TestProbe<Learner.Command> learner = kit.createTestProbe();
        AtomicBoolean stop = new AtomicBoolean();
        var result = start(settings(), new DriverSettings(Duration.ofMillis(50), Duration.ofMillis(200),
                Duration.ofSeconds(5)), metrics, learner, stop);

        metrics.expectMessageClass(RunMetrics.Drain.class, Duration.ofSeconds(5)); // not answered: times out
        metrics.expectMessageClass(RunMetrics.Drain.class, Duration.ofSeconds(5)); // asked again after the timeout
        stop.set(true); // the next unanswered drain ends the run
        RunSummary summary = result.get(10, TimeUnit.SECONDS).orElseThrow();
        assertEquals(StopReason.INTERRUPTED, summary.stopReason(), summary.toString());
        String log = printed.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("the run-metrics singleton does not answer yet"), log);
        try (Stream<Path> runs = Files.list(dir)) {
            assertTrue(Files.exists(runs.findFirst().orElseThrow().resolve("summary.json")), "the summary was written");
        }
    }

    @Test
    void aDriverThatNeverHostedTheLearnerEndsWithoutASummary() throws Exception {
        TestProbe<RunMetrics.Command> metrics = kit.createTestProbe();
        TestProbe<Learner.Command> learner = kit.createTestProbe();
        TrainSettings settings = settings();
        EnvSpec spec = EnvRegistry.defaults().spec("CartPole-v1");
        RunDirectory run = RunDirectory.create(settings.runsDir(), settings.env(), Algorithm.PPO, settings.seed(),
                LocalDateTime.now());
        ProgressLine progress = new ProgressLine(new PrintStream(printed, true, StandardCharsets.UTF_8), false);
        AtomicBoolean stop = new AtomicBoolean();
        var result = JobDriver.start(kit.system(), settings, DriverSettings.fromConfig(ConfigFactory.load()),
                new ClusterJob.Handles(spec, ModelConfig.mlp(64, 64), Device.cpu(), learner.ref(), metrics.ref()),
                new RunReporter(settings, run, progress, spec), progress, JobDriver.interruptWhen(stop::get), () -> false, RunFacts.NONE);
        metrics.expectNoMessage(Duration.ofMillis(300)); // inactive: it asks nobody
        stop.set(true);
        assertTrue(result.get(10, TimeUnit.SECONDS).isEmpty());
    }

    @Test
    void aDriverTakingOverAJobThatAnotherNodeBeganToEndEndsItAtOnce() throws Exception {
        TestProbe<RunMetrics.Command> metrics = kit.createTestProbe();
        TestProbe<Learner.Command> learner = kit.createTestProbe();
        TrainSettings settings = settings("troupe.train.report-interval=1h");
        EnvSpec spec = EnvRegistry.defaults().spec("CartPole-v1");
        RunDirectory run = RunDirectory.create(settings.runsDir(), settings.env(), Algorithm.PPO, settings.seed(),
                LocalDateTime.now());
        ProgressLine progress = new ProgressLine(new PrintStream(printed, true, StandardCharsets.UTF_8), false);
        AtomicBoolean active = new AtomicBoolean();
        var result = JobDriver.start(kit.system(), settings, new DriverSettings(Duration.ofMillis(50),
                Duration.ofSeconds(5), Duration.ofSeconds(5)),
                new ClusterJob.Handles(spec, ModelConfig.mlp(64, 64), Device.cpu(), learner.ref(), metrics.ref()),
                new RunReporter(settings, run, progress, spec), progress,
                () -> Optional.of(StopReason.ENDED_ELSEWHERE), active::get, RunFacts.NONE);
        // another node began the end: an inactive driver keeps waiting, since it may have to finish that end
        metrics.expectNoMessage(Duration.ofMillis(300));
        assertTrue(!result.isDone(), "an inactive driver is not ended by another node's end");
        active.set(true); // the node that began the end died: this one hosts the learner now
        RunMetrics.Drain drain = metrics.expectMessageClass(RunMetrics.Drain.class, Duration.ofSeconds(5));
        drain.replyTo().tell(new RunMetrics.Drained(episodes(3, 20), 60, 0, "", List.of()));
        learner.expectMessageClass(Learner.GetStatus.class, Duration.ofSeconds(5)).replyTo().tell(status(7));
        RunSummary summary = result.get(10, TimeUnit.SECONDS).orElseThrow();
        assertEquals(StopReason.ENDED_ELSEWHERE, summary.stopReason(), summary.toString());
        assertEquals(60L, summary.envSteps(), summary.toString());
        try (Stream<Path> runs = Files.list(dir)) {
            String text = Files.readString(runs.findFirst().orElseThrow().resolve("summary.json"));
            assertTrue(text.contains("\"stop_reason\": \"ended by the previous learner node\""), text);
        }
    }

    @Test
    void greedyEvaluationsDueEveryNStepsDecideSolvedWhenTheConfigSaysSo() throws Exception {
        TestProbe<RunMetrics.Command> metrics = kit.createTestProbe();
        TestProbe<Learner.Command> learner = kit.createTestProbe();
        TrainSettings settings = settings("troupe.train.report-interval=1h");
        EvaluationSettings evaluation = EvaluationSettings.fromConfig(JobConfig.load(null, List.of(
                "troupe.train.evaluation.every-env-steps=1000", "troupe.train.evaluation.solved-by=evaluation",
                "troupe.train.evaluation.passes=2")));
        EnvSpec spec = EnvRegistry.defaults().spec("CartPole-v1");
        RunDirectory run = RunDirectory.create(settings.runsDir(), settings.env(), Algorithm.PPO, settings.seed(),
                LocalDateTime.now());
        ProgressLine progress = new ProgressLine(new PrintStream(printed, true, StandardCharsets.UTF_8), false);
        // each evaluation the driver asks for is a future the test completes; the seeds it asks with are kept
        BlockingQueue<CompletableFuture<PolicyEvaluator.Evaluated>> asked = new LinkedBlockingQueue<>();
        List<Long> seeds = new CopyOnWriteArrayList<>();
        JobDriver.Evaluations evaluations = new JobDriver.Evaluations(evaluation, seed -> {
            CompletableFuture<PolicyEvaluator.Evaluated> f = new CompletableFuture<>();
            seeds.add(seed);
            asked.add(f);
            return f;
        });
        var result = JobDriver.start(kit.system(), settings, new DriverSettings(Duration.ofMillis(50),
                Duration.ofSeconds(5), Duration.ofSeconds(5)), evaluations,
                new ClusterJob.Handles(spec, ModelConfig.mlp(64, 64), Device.cpu(), learner.ref(), metrics.ref()),
                new RunReporter(settings, run, progress, spec, evaluation), progress,
                JobDriver.interruptWhen(() -> false), () -> true, RunFacts.NONE);

        // the sampled window passes CartPole's 475 at 2,000 steps: not solved, evaluations decide; one is asked for
        drain(metrics, episodes(100, 500), 2_000);
        CompletableFuture<PolicyEvaluator.Evaluated> first = asked.poll(5, TimeUnit.SECONDS);
        assertTrue(first != null, "an evaluation is asked for once every-env-steps have passed");
        first.complete(new PolicyEvaluator.Evaluated(weights(3), 4242, new Evaluation.Result(200, 120.5, 0, 120.5),
                null, 1.25));
        // the greedy policy returns 120.5: the run goes on, and the next evaluation is due at 3,000 steps
        drain(metrics, List.of(), 2_500);
        drain(metrics, List.of(), 2_900);
        learner.expectNoMessage(Duration.ofMillis(100));
        assertTrue(asked.isEmpty(), "no evaluation before 3,000 steps");
        drain(metrics, List.of(), 3_200);
        CompletableFuture<PolicyEvaluator.Evaluated> second = asked.poll(5, TimeUnit.SECONDS);
        assertTrue(second != null, "the second evaluation at 3,200 steps");
        // one that fails is said, and the run goes on
        second.completeExceptionally(new IllegalStateException("no answer in time"));
        drain(metrics, List.of(), 4_300);
        CompletableFuture<PolicyEvaluator.Evaluated> third = asked.poll(5, TimeUnit.SECONDS);
        assertTrue(third != null, "the third evaluation at 4,300 steps");
        third.complete(new PolicyEvaluator.Evaluated(weights(9), 4274, new Evaluation.Result(200, 500, 0, 500), null,
                2));
        // the first of the two passes in a row the config asks for: the run goes on
        drain(metrics, List.of(), 5_400);
        CompletableFuture<PolicyEvaluator.Evaluated> fourth = asked.poll(5, TimeUnit.SECONDS);
        assertTrue(fourth != null, "the fourth evaluation at 5,400 steps: one pass does not end the run");
        fourth.complete(new PolicyEvaluator.Evaluated(weights(11), 4290, new Evaluation.Result(200, 480, 0, 480),
                null, 2));
        // the second pass in a row: the run ends as solved at the steps where it was asked for
        RunMetrics.Drain last = metrics.expectMessageClass(RunMetrics.Drain.class, Duration.ofSeconds(5));
        last.replyTo().tell(new RunMetrics.Drained(List.of(), 5_500, 0, "", List.of()));
        learner.expectMessageClass(Learner.GetStatus.class, Duration.ofSeconds(5)).replyTo().tell(status(11));
        RunSummary summary = result.get(10, TimeUnit.SECONDS).orElseThrow();
        assertEquals(StopReason.TARGET_REACHED, summary.stopReason(), summary.toString());
        assertEquals(5_400L, summary.envStepsToSolve(), summary.toString());
        assertEquals(new EvaluationFigures(11, 5_400, 4290, 200, 480, null, 480), summary.lastEvaluation());
        assertEquals(new EvaluationFigures(9, 4_300, 4274, 200, 500, null, 500), summary.bestEvaluation());
        // every evaluation plays new layouts: evaluation k resets its 16 copies from 4242 + 16k
        assertEquals(List.of(4242L, 4258L, 4274L, 4290L), seeds);
        String log = printed.toString(StandardCharsets.UTF_8);
        Path best = run.path().resolve("checkpoints/best");
        assertTrue(log.contains("greedy evaluation of policy v3 at 2,000 env steps: mean return 120.500, mean length "
                + "120.5 over 200 episodes in 1.3 s; the best so far, kept in " + best), log);
        assertTrue(log.contains("greedy evaluation asked at 3,200 env steps failed (no answer in time); the run goes "
                + "on"), log);
        assertTrue(log.contains("greedy evaluation of policy v9 at 4,300 env steps: mean return 500.000, mean length "
                + "500.0 over 200 episodes in 2.0 s (target reached, 1 of 2 in a row); the best so far"), log);
        assertTrue(log.contains("greedy evaluation of policy v11 at 5,400 env steps: mean return 480.000, mean length "
                + "480.0 over 200 episodes in 2.0 s (target reached, 2 of 2 in a row)\n"), log);
        // the best evaluation's weights, exactly, as a checkpoint that evaluation and serving read
        LearnerCheckpoint.PolicyFiles kept = LearnerCheckpoint.readPolicy(best);
        assertEquals(new LearnerCheckpoint.Counters(-1, 4_300, 9), kept.counters());
        assertArrayEquals(weights(9).bytes(), kept.weights());
        assertEquals(weights(9).modelId(), kept.modelId());
        assertRunFiles(List.of("\"eval/policy_version\":11", "\"eval/env_steps\":5400",
                "\"eval/greedy_mean_return\":480.0", "\"eval/greedy_mean_length\":480.0"),
                List.of("\"last_evaluation\": {", "\"best_evaluation\": {", "\"stop_reason\": \"target reached\""));
    }

    /** Weights of policy version {@code v}: bytes that say which version they are. */
    private static PolicyWeights weights(long v) {
        return new PolicyWeights("test-model", v, new byte[] {(byte) v, 1, 2, 3});
    }

    /** The run's first metrics line holds each of {@code metricsKeys}, its summary each of {@code summaryKeys}. */
    private void assertRunFiles(List<String> metricsKeys, List<String> summaryKeys) throws Exception {
        try (Stream<Path> runs = Files.list(dir)) {
            Path runDir = runs.findFirst().orElseThrow();
            String line = Files.readAllLines(runDir.resolve("metrics.jsonl")).get(0);
            for (String key : metricsKeys) {
                assertTrue(line.contains(key), key + " in " + line);
            }
            String text = Files.readString(runDir.resolve("summary.json"));
            for (String key : summaryKeys) {
                assertTrue(text.contains(key), key + " in " + text);
            }
        }
    }

    /** Answers the driver's next drain with {@code episodes} and a total of {@code steps} env steps. */
    private static void drain(TestProbe<RunMetrics.Command> metrics, List<Agent.EpisodeEnded> episodes, long steps) {
        RunMetrics.Drain drain = metrics.expectMessageClass(RunMetrics.Drain.class, Duration.ofSeconds(5));
        drain.replyTo().tell(new RunMetrics.Drained(episodes, steps, 0, "", List.of()));
    }
}
