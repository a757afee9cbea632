package io.troupe.edge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.core.FloatTensor;
import io.troupe.core.Observation;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.edge.observation.ObservationException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdgePolicyTest {
    private static final float[][] W = {{1, -1}, {0.5f, 2}, {0, 0}, {-3, 0.25f}};
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void bundle() throws Exception {
        Files.write(dir.resolve("policy.onnx"), TinyOnnx.linear("obs", W, "logits", "value"));
        TinyOnnx.contract(4, 2).write(dir.resolve(PolicyContract.FILE));
    }

    @Test
    void actsGreedilyWithProbabilitiesValueAndVersion() throws Exception {
        try (EdgePolicy policy = EdgePolicy.load(dir)) {
            EdgeAction a = policy.act(Observation.of(FloatTensor.of(0, 1, 0, 0)));
            assertEquals(1, a.action(), "logits [0.5, 2]");
            assertArrayEquals(new float[] {0.5f, 2}, a.logits(), 1e-6f);
            float p1 = (float) (1 / (1 + Math.exp(-1.5)));
            assertArrayEquals(new float[] {1 - p1, p1}, a.probabilities(), 1e-6f);
            assertEquals(1f, a.value(), 1e-6f);
            assertEquals(7, a.policyVersion());
            assertEquals(a, policy.act(MAPPER.readTree("{\"obs\": [0, 1, 0, 0]}")), "JSON gives the same action");
            assertEquals(0, policy.act(MAPPER.readTree("[1, 0, 0, 0]")).action());
            List<EdgeAction> both = policy.actAll(List.of(Observation.of(FloatTensor.of(1, 0, 0, 0)),
                    Observation.of(FloatTensor.of(0, 1, 0, 0))));
            assertEquals(List.of(0, 1), both.stream().map(EdgeAction::action).toList());

            SplittableRandom rng = new SplittableRandom(3);
            int ones = 0;
            for (int i = 0; i < 2000; i++) {
                ones += policy.sample(Observation.of(FloatTensor.of(0, 1, 0, 0)), rng).action();
            }
            assertEquals(p1, ones / 2000f, 0.03f, "sampled in proportion to the probabilities");
        }
    }

    @Test
    void anObservationOutsideTheSpaceIsNamed() throws Exception {
        try (EdgePolicy policy = EdgePolicy.load(dir)) {
            ObservationException e = assertThrows(ObservationException.class,
                    () -> policy.act(Observation.of(FloatTensor.of(0, 1, 0))));
            assertTrue(e.getMessage().contains("expected float32[4]"), e.getMessage());
            ObservationException json = assertThrows(ObservationException.class,
                    () -> policy.act(MAPPER.readTree("{\"obs\": [0, 11, 0, 0]}")));
            assertEquals("obs", json.path());
        }
    }

    @Test
    void aMissingDirectoryIsNamed() {
        Path nowhere = dir.resolve("nowhere");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EdgePolicy.load(nowhere));
        assertTrue(e.getMessage().startsWith("policy directory " + nowhere + " does not exist"), e.getMessage());
    }

    private record Run(int status, String out, String err) {
    }

    private static Run main(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = EdgeMain.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theCommandLinePrintsTheActionAndItsJson() throws Exception {
        Path obs = dir.resolve("obs.json");
        Files.writeString(obs, "{\"obs\": [0, 1, 0, 0]}");
        Run plain = main("", "act", "--obs", obs.toString(), "--dir", dir.toString());
        assertEquals(new Run(0, "1\n", ""), plain);
        Run json = main("", "act", "--obs", obs.toString(), "--dir", dir.toString(), "--json");
        assertEquals(0, json.status());
        assertEquals(1, MAPPER.readTree(json.out()).get("action").asInt());
        assertEquals(7, MAPPER.readTree(json.out()).get("policyVersion").asLong());
        assertEquals(new Run(0, "0\n1\n", ""), main("[[1, 0, 0, 0], [0, 1, 0, 0]]", "act", "--obs", "-", "--dir",
                dir.toString(), "--batch"));
        Run pipe = main("[1, 0, 0, 0]\n\n[0, 1, 0]\n{\"obs\": [0, 1, 0, 0]}\n", "pipe", "--dir", dir.toString());
        assertEquals(0, pipe.status());
        List<String> lines = pipe.out().lines().toList();
        assertEquals("0", lines.get(0));
        assertTrue(lines.get(1).startsWith("error: observation field obs: expected 4 elements"), lines.get(1));
        assertEquals("1", lines.get(2));
        Run info = main("", "info", "--dir", dir.toString());
        assertEquals("tiny-mlp", MAPPER.readTree(info.out()).get("modelId").asText());
    }

    @Test
    void badInputIsOneLineAndStatusTwo() throws Exception {
        Path obs = dir.resolve("obs.json");
        Files.writeString(obs, "{\"obs\": [0, 1, 0]}");
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"obs\": [0, 1");
        String d = dir.toString();
        List<List<String>> cases = List.of(
                List.of("act", "--obs", obs.toString(), "--dir", d),
                List.of("act", "--obs", broken.toString(), "--dir", d),
                List.of("act", "--obs", dir.resolve("none.json").toString(), "--dir", d),
                List.of("act", "--dir", d),
                List.of("act", "--obs", obs.toString(), "--dir", dir.resolve("x").toString()),
                List.of("act", "--obs", obs.toString(), "--threads", "zero"),
                List.of("jump"),
                List.of("act", "--obs", obs.toString(), "--fast"));
        List<String> expected = List.of("observation field obs: expected 4 elements", "is not valid JSON",
                "none.json does not exist", "act needs --obs FILE", "does not exist; expected a directory",
                "--threads: expected a positive integer, found 'zero'", "unknown command 'jump'",
                "unknown option '--fast'");
        for (int i = 0; i < cases.size(); i++) {
            Run r = main("", cases.get(i).toArray(String[]::new));
            assertEquals(2, r.status(), cases.get(i).toString());
            assertEquals("", r.out());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("troupe-edge: ") && r.err().contains(expected.get(i)), r.err());
        }
    }
}
