import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.bench.ServeBench;
import io.troupe.core.EnvSpec;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.http.ServingServer;
import io.troupe.serving.metrics.ServingMetrics;
import io.troupe.serving.model.ModelSource;
import io.troupe.serving.model.PolicyRegistry;
import io.troupe.serving.model.PolicySource;
import io.troupe.serving.model.ServedPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The policy service driven by wrk, an HTTP load generator in a process of its own (as a real client is; `./troupe
 * bench serve` runs its client inside the server's JVM). Serves one untrained policy as the serve bench does (the
 * CartPole MLP or the GoToObject transformer, `troupe.serving` as configured, which `-D` options override), warms the
 * act route up with wrk, then prints the requests/s of a measured wrk run.
 *
 *   apt-get install wrk
 *   java [-Dpekko.actor.default-dispatcher.fork-join-executor.parallelism-min=8] -cp cluster/target/troupe.jar \
 *       scripts/ServeWithWrk.java GoToObject-v0 [--warm-up 20] [--seconds 10] [--connections 64]
 */
public class ServeWithWrk {
    public static void main(String[] args) throws Exception {
        if (args.length < 1 || !ServeBench.BENCH_ENVS.contains(args[0])) {
            System.err.println("usage: ServeWithWrk CartPole-v1|GoToObject-v0 [--warm-up S] [--seconds S]"
                    + " [--connections C]");
            System.exit(2);
        }
        String envId = args[0];
        int warmUp = option(args, "--warm-up", 20);
        int seconds = option(args, "--seconds", 10);
        int connections = option(args, "--connections", 64);
        Config config = ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(ConfigFactory.load());
        ServingSettings settings = ServingSettings.fromConfig(config, Map.of()).withAddress("127.0.0.1", 0);
        EnvRegistry envs = EnvRegistry.defaults();
        EnvSpec spec = envs.spec(envId);
        ModelConfig model = ServeBench.benchModel(envId);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "serve-with-wrk", config);
        ServingMetrics metrics = new ServingMetrics();
        PolicySource source = settings.backend().apply(new ModelSource(spec, model, 7));
        PolicyRegistry registry = new PolicyRegistry();
        registry.add(ServedPolicy.start("policy", source, settings.batcher(), metrics));
        ServingServer server = ServingServer.start(system, settings, registry, metrics);
        Path script = Files.createTempFile("serve-with-wrk", ".lua");
        try (Env env = envs.make(envId)) {
            String body = "{\"observation\": " + ObservationJson.write(env.reset(1), spec.observationSpace()) + "}";
            Files.writeString(script, "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                    + "wrk.body = [[" + body + "]]\n");
            String url = server.url() + "/v1/policies/policy/act";
            System.out.println("default dispatcher threads: " + config.getInt(
                    "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min") + " min, factor "
                    + config.getDouble("pekko.actor.default-dispatcher.fork-join-executor.parallelism-factor"));
            System.out.println("warm-up " + warmUp + " s: " + wrk(script, url, connections, warmUp) + " req/s");
            System.out.println("measured " + seconds + " s: " + wrk(script, url, connections, seconds) + " req/s");
        } finally {
            Files.deleteIfExists(script);
            server.close();
            system.terminate();
        }
    }

    private static int option(String[] args, String name, int fallback) {
        for (int i = 1; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }

    /** wrk's requests/s (one thread, {@code connections} keep-alive connections); its whole output on a failure. */
    private static String wrk(Path script, String url, int connections, int seconds) throws Exception {
        Process p = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "-s", script.toString(),
                url).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0 || out.lines().noneMatch(l -> l.startsWith("Requests/sec"))) {
            throw new IllegalStateException("wrk failed: " + out);
        }
        if (out.contains("Non-2xx")) {
            throw new IllegalStateException("wrk saw failed requests: " + out);
        }
        return out.lines().filter(l -> l.startsWith("Requests/sec")).findFirst().orElseThrow()
                .replace("Requests/sec:", "").strip();
    }
}
