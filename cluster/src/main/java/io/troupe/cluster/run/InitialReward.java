package io.troupe.cluster.run;

import com.typesafe.config.Config;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.http.RewardRegistryClient;
import io.troupe.core.reward.RewardHistory;
import io.troupe.core.reward.RewardSpec;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.reward.RewardTemplates;
import io.troupe.environments.reward.RewardValidator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * {@code troupe.train.reward}: the reward a job's agents train on from their first step. A template name of the env
 * ({@link RewardTemplates}) or an expression becomes version 1 of the env's reward registry before the agents start,
 * through the same validation (compile, then a dry run) and the same write as {@code ./troupe reward set}, so the
 * admin API lists it, and can replace or roll it back, like any other version.
 */
public final class InitialReward {
    /** Who the registry names as the version's author. */
    static final String AUTHOR = "troupe.train.reward";
    /** The version's note in the registry. */
    static final String NOTE = "from the job config";

    private InitialReward() {
    }

    /** The expression {@code reward} stands for on {@code envId}: a template's, or {@code reward} itself. */
    public static String expression(String envId, String reward) {
        Optional<String> own = RewardTemplates.forEnv(envId).stream().filter(t -> t.name().equals(reward)).findFirst()
                .map(RewardTemplates.Template::expr);
        if (own.isPresent()) {
            return own.get();
        }
        // another env's template name would otherwise be read as an expression: "distance" alone is a reward feature
        List<String> elsewhere = RewardTemplates.all().entrySet().stream()
                .filter(e -> e.getValue().stream().anyMatch(t -> t.name().equals(reward))).map(Map.Entry::getKey)
                .toList();
        if (!elsewhere.isEmpty()) {
            throw new IllegalArgumentException("troupe.train.reward = \"" + reward + "\" is a reward template of "
                    + String.join(", ", elsewhere) + ", not of " + envId + "; write its expression instead ("
                    + RewardTemplates.forEnv(elsewhere.get(0)).stream().filter(t -> t.name().equals(reward))
                    .findFirst().orElseThrow().expr() + " on " + elsewhere.get(0) + ")");
        }
        return reward;
    }

    /**
     * Compiles and dry-runs {@code settings.reward()} (when set) as {@code ./troupe reward set} would, without writing
     * anything: a job checks it before its run directory exists. A reward that cannot be used is an
     * {@link IllegalArgumentException} naming the key, the reason and the env's templates.
     */
    public static void check(EnvRegistry registry, TrainSettings settings, Config config) {
        if (settings.reward().isEmpty()) {
            return;
        }
        String expr = expression(settings.env(), settings.reward());
        AdminSettings admin = AdminSettings.fromConfig(config, System.getenv());
        RewardSpec spec = RewardHistory.initial(settings.env()).submit(RewardSpec.EXPR, expr, AUTHOR, 0, NOTE)
                .activeSpec();
        try {
            RewardValidator.validate(registry, spec, admin.dryRunSteps(), settings.seed(), admin.javaCallBudget());
        } catch (IllegalArgumentException e) {
            throw refused(settings, expr, e);
        }
    }

    /**
     * Writes {@code settings.reward()} (when set) as the active reward of the job's env and waits for the write; a
     * reward that does not compile or fails its dry run is an {@link IllegalArgumentException} naming the key, the
     * env's templates and the reason. Call it before the agents start, on a node whose cluster is up.
     */
    public static void apply(ActorSystem<?> system, Config node, EnvRegistry registry, TrainSettings settings) {
        if (settings.reward().isEmpty()) {
            return;
        }
        String expr = expression(settings.env(), settings.reward());
        // only the registry client's validation and write settings are used: the admin HTTP server is not started
        AdminSettings admin = AdminSettings.fromConfig(node, System.getenv());
        RewardRegistryClient client = new RewardRegistryClient(system, registry, admin);
        Duration wait = admin.writeTimeout().plus(admin.timeouts().ask()).plusSeconds(30);
        try {
            client.submit(settings.env(), RewardSpec.EXPR, expr, AUTHOR, NOTE)
                    .toCompletableFuture().get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null
                    ? c.getCause() : e.getCause();
            if (cause instanceof IllegalArgumentException) { // the reward itself: it does not compile or run
                throw refused(settings, expr, cause);
            }
            throw new IllegalStateException("troupe.train.reward: writing \"" + expr + "\" to the reward registry "
                    + "failed: " + cause.getMessage(), cause);
        } catch (IllegalArgumentException e) {
            throw refused(settings, expr, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("troupe.train.reward: the reward registry did not take \"" + expr
                    + "\" within " + wait.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing troupe.train.reward", e);
        }
    }

    private static IllegalArgumentException refused(TrainSettings settings, String expr, Throwable cause) {
        String templates = RewardTemplates.forEnv(settings.env()).stream().map(RewardTemplates.Template::name)
                .collect(Collectors.joining(", "));
        return new IllegalArgumentException("troupe.train.reward = \"" + settings.reward() + "\" cannot be used on "
                + settings.env() + (expr.equals(settings.reward()) ? "" : " (template: " + expr + ")")
                + " (expected \"\" for the env's own reward, a reward expression"
                + (templates.isEmpty() ? "" : " or one of the env's templates: " + templates) + "): "
                + cause.getMessage(), cause);
    }
}
