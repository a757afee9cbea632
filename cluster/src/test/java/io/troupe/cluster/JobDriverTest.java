package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;
import io.troupe.actors.Agent;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.node.ClusterJob;
import io.troupe.cluster.run.Algorithm;
import io.troupe.cluster.run.DriverSettings;
import io.troupe.cluster.run.JobDriver;
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
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.Learner;
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
import java.util.concurrent.CompletableFuture;
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
        try (Stream<Path> runs = Files.list(dir)) {
            Path runDir = runs.findFirst().orElseThrow();
            String line = Files.readAllLines(runDir.resolve("metrics.jsonl")).get(0);
            for (String key : List.of("\"policy_lag_max\":0,", "\"losses/value_loss\":0.2",
                    "\"agents/aborted_episodes\":0", "\"learner_updates\":42")) {
                assertTrue(line.contains(key), key + " in " + line);
            }
            String text = Files.readString(runDir.resolve("summary.json"));
            for (String key : List.of("\"stop_reason\": \"target reached\"", "\"mode\": \"cluster\"",
                    "\"agents\": 2", "\"policy_version\": 42")) {
                assertTrue(text.contains(key), key + " in " + text);
            }
        }
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
}
