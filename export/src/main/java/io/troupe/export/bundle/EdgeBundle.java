package io.troupe.export.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.troupe.core.Observation;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.environments.Env;
import io.troupe.export.RunCheckpoint;
import io.troupe.export.onnx.OnnxExporter;
import io.troupe.learners.model.PolicyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ./troupe export --format bundle}: a directory a device runs a trained policy from, with Java and nothing of
 * Troupe's training side: {@code policy.onnx} and {@code policy.json} (the exporter's), {@code troupe-edge.jar}
 * ({@link EdgeJar}: core, the ONNX backend, observation encoding, ONNX Runtime's natives for the platforms asked for),
 * an example {@code obs.json} (the env's first observation for seed 0) and a {@code README.txt} with the commands
 * and the embedding example.
 */
public final class EdgeBundle {
    public static final String MODEL = "policy.onnx";
    public static final String JAR = "troupe-edge.jar";
    public static final String EXAMPLE = "obs.json";
    public static final String README = "README.txt";
    /** A shell launcher running the jar with {@link #jvmFlags} (for devices: small heap, C1 only, small stacks). */
    public static final String LAUNCHER = "troupe-edge";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What was written: the directory, the policy's contract, the platforms and the bundle's size in bytes. */
    public record Written(Path dir, PolicyContract contract, List<EdgePlatform> platforms, long bytes) {
    }

    private EdgeBundle() {
    }

    /**
     * Writes the bundle of {@code run}'s checkpoint to {@code outDir} (created if missing; its files of these names
     * are replaced) for {@code platforms} ({@code linux-x86_64}, {@code linux-aarch64}, {@code osx-aarch64},
     * {@code windows-x86_64}; none: this machine's). An unknown platform or an unwritable directory is an
     * {@link IllegalArgumentException} naming it.
     */
    public static Written write(RunCheckpoint run, Path outDir, List<String> platforms) {
        List<EdgePlatform> targets = EdgePlatform.parseAll(platforms);
        createDirectory(outDir);
        PolicyContract contract = OnnxExporter.export(run, outDir.resolve(MODEL), OnnxExporter.DEFAULT_OPSET);
        Observation example;
        try (Env env = run.newEnv()) {
            example = env.reset(0);
        }
        return writeRuntime(outDir, contract, example, targets);
    }

    /**
     * Writes the bundle of a DJL {@code model} holding weights of {@code policyVersion} (benchmarks, tests); the
     * example observation is {@code example}.
     */
    public static Written write(PolicyModel model, long policyVersion, Observation example, Path outDir,
                                List<String> platforms) {
        List<EdgePlatform> targets = EdgePlatform.parseAll(platforms);
        createDirectory(outDir);
        PolicyContract contract = OnnxExporter.export(model, policyVersion, outDir.resolve(MODEL),
                OnnxExporter.DEFAULT_OPSET);
        return writeRuntime(outDir, contract, example, targets);
    }

    /**
     * The JVM flags of an edge process answering a model of {@code modelBytes}: the serial collector, a heap of 16 MiB
     * plus twice the model (ONNX Runtime holds the weights natively; the heap holds the model's bytes while the
     * session loads, and observations), the client compiler only with one compiler thread and a small code cache,
     * and 256 KiB thread stacks. Measured on the CartPole bundle: 75 MiB resident against 89 MiB with defaults.
     */
    public static List<String> jvmFlags(long modelBytes) {
        long heapMib = 16 + (2 * modelBytes + (1 << 20) - 1) / (1 << 20);
        return List.of("-XX:+UseSerialGC", "-Xmx" + heapMib + "m", "-Xss256k", "-XX:TieredStopAtLevel=1",
                "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=8m");
    }

    /** The bundle's files beside an exported model: the edge jar, the example observation and the README. */
    static Written writeRuntime(Path outDir, PolicyContract contract, Observation example,
                                List<EdgePlatform> platforms) {
        try {
            EdgeJar.write(outDir.resolve(JAR), platforms);
            Files.writeString(outDir.resolve(EXAMPLE), MAPPER.writeValueAsString(
                    ObservationJson.write(example, contract.observation())) + "\n");
            Files.writeString(outDir.resolve(README), readme(contract, platforms));
            Path launcher = outDir.resolve(LAUNCHER);
            Files.writeString(launcher, launcher(jvmFlags(Files.size(outDir.resolve(MODEL)))));
            launcher.toFile().setExecutable(true, false);
            long bytes = 0;
            for (String f : List.of(MODEL, PolicyContract.FILE, JAR, EXAMPLE, README, LAUNCHER)) {
                Path p = outDir.resolve(f);
                bytes += Files.exists(p) ? Files.size(p) : 0;
            }
            return new Written(outDir, contract, platforms, bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the bundle to " + outDir + ": " + e.getMessage(), e);
        }
    }

    private static void createDirectory(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("bundle directory " + dir + " is a file; expected a directory (it is"
                    + " created if missing)");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create the bundle directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** {@code troupe-edge}: runs the jar beside it with {@code flags}, or with {@code $TROUPE_EDGE_JAVA_OPTS} if set. */
    static String launcher(List<String> flags) {
        return """
                #!/bin/sh
                # Runs the Troupe edge runtime with JVM flags for a small device; set TROUPE_EDGE_JAVA_OPTS to replace them.
                DIR=$(cd "$(dirname "$0")" && pwd)
                exec "${JAVA:-java}" ${TROUPE_EDGE_JAVA_OPTS:-%s} -jar "$DIR/troupe-edge.jar" "$@"
                """.formatted(String.join(" ", flags));
    }

    static String readme(PolicyContract c, List<EdgePlatform> platforms) {
        StringBuilder inputs = new StringBuilder();
        for (PolicyContract.Input in : c.inputs()) {
            inputs.append("  ").append(in.name()).append(": ").append(switch (in.role()) {
                case "image" -> "uint8 image " + dims(in.shape()) + " (channels first): base64 of its bytes, or"
                        + " nested arrays";
                case "text" -> "a sentence of at most " + in.tokenizer().maxTokens() + " words from the vocabulary"
                        + " in policy.json, or an array of token ids";
                default -> "an array of " + dims(in.shape()) + " numbers";
            }).append('\n');
        }
        return """
                Troupe edge bundle: %s policy (%s, %d parameters, policy version %d) for %s
                Platforms: %s. Needs Java 17 or newer; no PyTorch, no Pekko.

                Files
                  policy.onnx      the policy as an ONNX graph (inputs below; outputs logits and value)
                  policy.json      its contract: observation and action spaces, inputs, tokenizer, provenance
                  troupe-edge.jar  the runtime: ONNX Runtime, observation checks and encoding, the command line
                  obs.json         an example observation (the env's first one for seed 0)
                  troupe-edge      runs the jar with JVM flags for a small device (./troupe-edge act --obs obs.json)

                Command line (bad input: one line on stderr, exit status 2)
                  java -jar troupe-edge.jar act --obs obs.json          prints the greedy action
                  java -jar troupe-edge.jar act --obs obs.json --json   action, logits, probabilities, value, version
                  java -jar troupe-edge.jar pipe < observations.jsonl   one observation a line in, one action a line out
                  java -jar troupe-edge.jar info                        prints policy.json

                An observation is a JSON object with one field per modality:
                %s
                Embedding (troupe-edge.jar on the class path):
                  import io.troupe.edge.EdgeAction;
                  import io.troupe.edge.EdgePolicy;

                  try (EdgePolicy policy = EdgePolicy.load(Path.of("this-directory"))) {
                      EdgeAction a = policy.act(new ObjectMapper().readTree(Path.of("obs.json").toFile()));
                      int action = a.action();        // greedy; policy.sample(observation, rng) samples
                      float[] p = a.probabilities();  // softmax of a.logits(); a.value() is the value estimate
                  }
                  // or build an io.troupe.core.Observation (FloatTensor, ByteTensor, IntTensor): act(observation)
                """.formatted(c.envId(), c.modelKind(), c.parameters(), c.policyVersion(), c.envId(),
                String.join(", ", platforms.stream().map(EdgePlatform::label).toList()), inputs);
    }

    private static String dims(long[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < shape.length; i++) {
            sb.append(i == 1 ? "[" : ", ").append(shape[i]);
        }
        return sb.append(']').toString();
    }
}
