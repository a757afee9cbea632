package io.troupe.export.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.core.Categorical;
import io.troupe.core.EnvSpec;
import io.troupe.core.FloatTensor;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge bundle of real DJL models (the CartPole MLP, the GoToObject transformer) runs in a separate JVM started
 * with {@code java -jar troupe-edge.jar}: nothing else on its class path, no Pekko, no DJL, no PyTorch in the jar, and
 * ONNX Runtime's natives only for the platforms asked for. It prints DJL's greedy action for the same observation.
 */
class EdgeBundleTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    private record Child(int status, String out, String err) {
    }

    /**
     * {@code java -jar troupe-edge.jar args} in a fresh JVM, no class path but the jar, no JVM flags but the natives'
     * cache folder (kept in the test's folder), started outside the bundle: the policy is found beside the jar.
     */
    private static Child edgeJvm(Path bundle, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dtroupe.edge.native-cache=" + bundle.resolveSibling("native-cache"), "-jar",
                bundle.resolve(EdgeBundle.JAR).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(bundle.getParent().toFile());
        pb.environment().remove("CLASSPATH");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        Path out = Files.createTempFile(bundle.getParent(), "out", ".txt");
        Path err = Files.createTempFile(bundle.getParent(), "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "edge JVM did not finish: " + cmd);
        return new Child(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private static List<String> natives(List<String> entries) {
        return entries.stream().filter(e -> e.startsWith(EdgePlatform.NATIVE_ROOT) && !e.endsWith("/"))
                .map(e -> e.substring(EdgePlatform.NATIVE_ROOT.length(), e.indexOf('/',
                        EdgePlatform.NATIVE_ROOT.length()))).distinct().sorted().toList();
    }

    @Test
    void theBundleActsLikeDjlInAJvmWithoutPekkoOrPyTorch() throws Exception {
        EdgePlatform here = EdgePlatform.current();
        for (String envId : List.of("CartPole-v1", "GoToObject-v0")) {
            EnvRegistry registry = EnvRegistry.defaults();
            EnvSpec spec = registry.spec(envId);
            ModelConfig config = envId.startsWith("CartPole") ? ModelConfig.mlp(64, 64)
                    : ModelConfig.transformer(32, 4, 1, 64, 6, 1);
            Path bundle = dir.resolve(envId);
            try (PolicyModel model = PolicyModel.create(spec, config, 11, Device.cpu());
                 VectorEnv envs = VectorEnv.of(() -> registry.make(envId), 8)) {
                envs.reset(5);
                ObservationBatch batch = envs.observations();
                EdgeBundle.Written w = EdgeBundle.write(model, 42, batch.read(0), bundle, List.of(here.label()));
                assertEquals(List.of(here), w.platforms());
                for (String f : List.of("policy.onnx", "policy.json", "troupe-edge.jar", "obs.json", "README.txt",
                        EdgeBundle.LAUNCHER)) {
                    assertTrue(Files.isRegularFile(bundle.resolve(f)), f);
                }
                List<String> entries = EdgeJar.entries(bundle.resolve(EdgeBundle.JAR));
                assertFalse(entries.stream().anyMatch(e -> e.startsWith("org/apache/pekko") || e.startsWith("ai/djl")
                        || e.startsWith("scala/") || e.contains("libtorch") || e.startsWith("pytorch")), "no training"
                        + " stack in the jar");
                assertTrue(entries.contains("io/troupe/edge/EdgeMain.class") && entries.contains(
                        "io/troupe/core/Observation.class"), "core and edge");
                assertEquals(List.of(here.nativePrefix().substring(EdgePlatform.NATIVE_ROOT.length()).replace("/",
                        "")), natives(entries), "natives of the asked platform only");
                assertTrue(w.bytes() < 40L << 20, "bundle of " + w.bytes() + " bytes");

                Policy.Evaluation djl = model.evaluate(batch);
                int actions = djl.actions();
                for (int row = 0; row < 3; row++) {
                    Files.writeString(bundle.resolve("row.json"), MAPPER.writeValueAsString(
                            ObservationJson.write(batch.read(row), spec.observationSpace())));
                    Child plain = edgeJvm(bundle, "act", "--obs", bundle.resolve("row.json").toString());
                    assertEquals(0, plain.status(), plain.err());
                    assertEquals(Categorical.argmax(djl.logits(), row * actions, actions),
                            Integer.parseInt(plain.out().trim()), envId + " row " + row);
                    if (row == 0) {
                        Child json = edgeJvm(bundle, "act", "--obs", bundle.resolve("obs.json").toString(), "--json");
                        assertEquals(0, json.status(), json.err());
                        JsonNode a = MAPPER.readTree(json.out());
                        float[] logits = new float[actions];
                        for (int i = 0; i < actions; i++) {
                            logits[i] = (float) a.get("logits").get(i).asDouble();
                        }
                        float[] expected = new float[actions];
                        System.arraycopy(djl.logits(), 0, expected, 0, actions);
                        assertArrayEquals(expected, logits, 1e-5f, "the example obs.json is row 0");
                        assertEquals(djl.values()[0], a.get("value").floatValue(), 1e-5f);
                        assertEquals(42, a.get("policyVersion").asLong());
                    }
                }
                try (var cached = Files.walk(dir.resolve("native-cache"))) {
                    assertTrue(cached.anyMatch(f -> f.getFileName().toString().equals(
                            System.mapLibraryName("onnxruntime"))), "the edge command line unpacks the natives once");
                }
                // the bundle's launcher runs the same jar with the device flags and answers the same
                ProcessBuilder launcher = new ProcessBuilder("sh", bundle.resolve(EdgeBundle.LAUNCHER).toString(),
                        "act", "--obs", bundle.resolve("obs.json").toString());
                launcher.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
                Process lp = launcher.redirectErrorStream(true).start();
                String launched = new String(lp.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                assertTrue(lp.waitFor(60, TimeUnit.SECONDS) && lp.exitValue() == 0, launched);
                assertEquals(Categorical.argmax(djl.logits(), 0, actions), Integer.parseInt(launched),
                        envId + " through " + EdgeBundle.LAUNCHER);
                assertTrue(Files.readString(bundle.resolve(EdgeBundle.LAUNCHER)).contains(String.join(" ",
                        EdgeBundle.jvmFlags(Files.size(bundle.resolve(EdgeBundle.MODEL))))), "launcher flags");
                Child info = edgeJvm(bundle, "info");
                assertEquals(envId, MAPPER.readTree(info.out()).get("envId").asText());
                Child bad = edgeJvm(bundle, "act", "--obs", bundle.resolve("policy.onnx").toString());
                assertEquals(2, bad.status());
                assertTrue(bad.err().startsWith("troupe-edge: observation file " + bundle.resolve("policy.onnx")
                        + " is not valid JSON")
                        && bad.err().strip().lines().count() == 1, bad.err());
            }
        }
    }

    @Test
    void platformsChooseTheNativesAndAnUnknownOneListsTheKnown() throws IOException {
        Path jar = dir.resolve("two.jar");
        EdgeJar.write(jar, EdgePlatform.parseAll(List.of("linux-aarch64", "osx-aarch64")));
        assertEquals(List.of("linux-aarch64", "osx-aarch64"), natives(EdgeJar.entries(jar)));
        assertFalse(EdgeJar.entries(jar).stream().anyMatch(e -> e.contains(".dSYM/")), "no debug symbols");
        assertEquals(List.of(EdgePlatform.current()), EdgePlatform.parseAll(List.of()), "default: this machine");
        List<EdgePlatform> linux = List.of(EdgePlatform.LINUX_X86_64);
        for (String kept : List.of("io/troupe/core/Observation.class", "io/troupe/edge/EdgeMain.class",
                "ai/onnxruntime/OrtSession.class", "ai/onnxruntime/native/linux-x64/libonnxruntime.so",
                "META-INF/versions/11/com/fasterxml/jackson/core/io/doubleparser/X.class",
                "META-INF/services/com.fasterxml.jackson.core.JsonFactory", "META-INF/LICENSE")) {
            assertTrue(EdgeJar.keep(kept, linux), kept);
        }
        for (String dropped : List.of("org/apache/pekko/actor/ActorSystem.class", "ai/djl/Model.class",
                "io/troupe/cluster/cli/TroupeCli.class", "io/troupe/learners/model/PolicyModel.class",
                "scala/Option.class", "META-INF/services/org.apache.pekko.Extension",
                "META-INF/maven/org.apache.pekko/pekko-actor/pom.xml", "META-INF/versions/9/module-info.class",
                "ai/onnxruntime/native/win-x64/onnxruntime.dll", "META-INF/SIGNER.RSA",
                "ai/onnxruntime/native/osx-aarch64/libonnxruntime.dylib.dSYM/Contents/Info.plist")) {
            assertFalse(EdgeJar.keep(dropped, linux), dropped + ": a fat class path still gives an edge jar");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EdgePlatform.parseAll(List.of("linux-x86_64", "solaris-sparc")));
        assertEquals("unknown platform 'solaris-sparc'; known platforms: linux-x86_64, linux-aarch64, osx-aarch64,"
                + " windows-x86_64", e.getMessage());
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        try (PolicyModel model = PolicyModel.create(EnvRegistry.defaults().spec("CartPole-v1"),
                ModelConfig.mlp(8), 1, Device.cpu())) {
            IllegalArgumentException notDir = assertThrows(IllegalArgumentException.class, () -> EdgeBundle.write(model,
                    1, Observation.of(FloatTensor.of(0, 0, 0, 0)), file, List.of()));
            assertTrue(notDir.getMessage().startsWith("bundle directory " + file + " is a file"), notDir.getMessage());
        }
    }
}
