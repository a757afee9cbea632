package io.troupe.export.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo;
import io.troupe.core.ObservationBatch;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.export.RunCheckpoint;
import io.troupe.export.onnx.OnnxProto.Model;
import io.troupe.export.onnx.OnnxProto.Node;
import io.troupe.export.onnx.OnnxProto.ValueInfo;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exported graph read back with Troupe's own reader: inputs, outputs, opset and metadata as the contract says,
 * every node's inputs defined; every opset the exporter offers loads in ONNX Runtime and computes the same; the
 * structural check and the exporter refuse what is wrong.
 */
class OnnxGraphTest {
    @TempDir
    Path dir;

    @Test
    void goToObjectGraphHasTheContractsInputsOutputsAndMetadata() throws Exception {
        Path run = TestRuns.write(dir.resolve("run"), "GoToObject-v0", TestRuns.GOTO_MODEL, 5, 42);
        Path onnx = dir.resolve("out/policy.onnx");
        PolicyContract contract = OnnxExporter.export(RunCheckpoint.open(run), onnx, OnnxExporter.DEFAULT_OPSET);

        assertEquals(contract.toJson(), PolicyContract.read(dir.resolve("out/policy.json")).toJson());
        Model model = Model.parse(Files.readAllBytes(onnx));
        assertEquals(List.of(), GraphCheck.check(model, contract));
        assertEquals(8, model.irVersion());
        assertEquals(List.of(new OnnxProto.OpsetId("", 17)), model.opsets());

        List<ValueInfo> in = model.graph().inputs();
        assertEquals(List.of("image", "mission", "state"), in.stream().map(ValueInfo::name).toList());
        assertEquals(List.of(OnnxProto.UINT8, OnnxProto.INT64, OnnxProto.FLOAT),
                in.stream().map(ValueInfo::elemType).toList());
        assertArrayEquals(new long[] {-1, 3, 30, 30}, in.get(0).dims());
        assertArrayEquals(new long[] {-1, 5}, in.get(1).dims());
        assertArrayEquals(new long[] {-1, 6}, in.get(2).dims());
        assertEquals(GraphBuilder.BATCH, in.get(0).shape().get(0).param());
        List<ValueInfo> out = model.graph().outputs();
        assertEquals(List.of("logits", "value"), out.stream().map(ValueInfo::name).toList());
        assertArrayEquals(new long[] {-1, 4}, out.get(0).dims());
        assertArrayEquals(new long[] {-1}, out.get(1).dims());

        byte[] weights = Files.readAllBytes(run.resolve("checkpoints/latest/weights.trpw"));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights));
        assertEquals(sha, contract.weightsSha256());
        assertEquals(sha, model.metadata(OnnxExporter.META_WEIGHTS_SHA256));
        assertEquals("GoToObject-v0", model.metadata(OnnxExporter.META_ENV_ID));
        assertEquals("42", model.metadata(OnnxExporter.META_POLICY_VERSION));
        assertEquals("transformer", model.metadata(OnnxExporter.META_MODEL_KIND));
        assertEquals(contract.modelId(), model.metadata(OnnxExporter.META_MODEL_ID));
        assertEquals(contract.observationSpace().toString(), model.metadata(OnnxExporter.META_OBSERVATION_SPACE));
        assertEquals(contract.actionSpace().toString(), model.metadata(OnnxExporter.META_ACTION_SPACE));
        assertTrue(model.metadata(OnnxExporter.META_TROUPE_VERSION).matches("\\d+\\.\\d+\\.\\d+.*"),
                model.metadata(OnnxExporter.META_TROUPE_VERSION));
        assertEquals(42, contract.policyVersion());
        assertEquals("policy.onnx", contract.model());
        assertEquals(List.of("<pad>", "go", "to", "the", "red", "green", "blue", "purple", "yellow", "grey", "ball",
                "box", "key"), contract.inputs().get(1).tokenizer().vocabulary());

        // ONNX Runtime sees the same signature
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(onnx))) {
            Map<String, NodeInfo> inputs = ort.session().getInputInfo();
            assertEquals(List.of("image", "mission", "state"), new ArrayList<>(inputs.keySet()));
            TensorInfo image = (TensorInfo) inputs.get("image").getInfo();
            assertEquals(OnnxJavaType.UINT8, image.type);
            assertArrayEquals(new long[] {-1, 3, 30, 30}, image.getShape());
            assertEquals(OnnxJavaType.INT64, ((TensorInfo) inputs.get("mission").getInfo()).type);
            assertEquals(List.of("logits", "value"), new ArrayList<>(ort.session().getOutputInfo().keySet()));
        }
    }

    @Test
    void aRunAndItsLoadedModelExportToTheSameBytes() throws Exception {
        Path run = TestRuns.write(dir.resolve("run"), "CartPole-v1", TestRuns.CARTPOLE_MODEL, 3, 9);
        RunCheckpoint checkpoint = RunCheckpoint.open(run);
        PolicyContract fromRun = OnnxExporter.export(checkpoint, dir.resolve("a/policy.onnx"), 17);
        try (PolicyModel model = checkpoint.newModel(Device.cpu())) {
            PolicyContract fromModel = OnnxExporter.export(model, 9, dir.resolve("b/policy.onnx"), 17);
            // the run's contract also carries the env's settings (a bare model knows none); the rest is the same
            assertEquals(500, fromRun.envSettings().get("max-episode-steps").asInt(), fromRun.toJson());
            assertEquals(null, fromModel.envSettings());
            ObjectNode runFields = (ObjectNode) new ObjectMapper().readTree(fromRun.toJson());
            runFields.remove("envSettings");
            assertEquals(runFields, new ObjectMapper().readTree(fromModel.toJson()));
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/policy.onnx")),
                Files.readAllBytes(dir.resolve("b/policy.onnx")));
        assertEquals("mlp", fromRun.modelKind());
        assertEquals(2 * (4 * 64 + 64 + 64 * 64 + 64) + 64 * 2 + 2 + 64 + 1, fromRun.parameters());
    }

    @Test
    void everyOfferedOpsetLoadsWithAllOptimizationsAndComputesTheSame() throws Exception {
        try (VectorEnv vec = VectorEnv.of(() -> EnvRegistry.defaults().make("GoToObject-v0"), 8);
             PolicyModel model = PolicyModel.create(vec.spec(), ModelConfig.transformer(32, 4, 1, 64, 6, 1), 1,
                     Device.cpu())) {
            vec.reset(2);
            ObservationBatch obs = vec.observations();
            PolicyModel.Output djl = model.infer(obs);
            for (int opset = OnnxExporter.MIN_OPSET; opset <= OnnxExporter.MAX_OPSET; opset++) {
                Model onnx = OnnxExporter.toOnnx(model, 1, opset);
                assertEquals(OnnxExporter.irVersion(opset), onnx.irVersion());
                boolean geluOp = onnx.graph().nodes().stream().anyMatch(n -> n.opType().equals("Gelu"));
                assertEquals(opset >= 20, geluOp, "Gelu operator at opset " + opset);
                boolean attentionOp = onnx.graph().nodes().stream().anyMatch(n -> n.opType().equals("Attention"));
                assertEquals(opset >= 23, attentionOp, "Attention operator at opset " + opset);
                // the 3 norms (2 in the block, 1 before the heads) as ReduceMean arithmetic, never ONNX Runtime's slow
                // LayerNormalization kernel
                List<String> ops = onnx.graph().nodes().stream().map(Node::opType).toList();
                assertFalse(ops.contains("LayerNormalization"), "opset " + opset + ": " + ops);
                assertEquals(2 * 3, ops.stream().filter("ReduceMean"::equals).count(), "opset " + opset);
                try (OrtRunner ort = new OrtRunner(onnx.toBytes())) {
                    float[][] out = ort.run(obs);
                    assertTrue(OnnxParityTest.maxAbsDiff(djl.logits(), out[0]) <= 1e-5, "logits at opset " + opset);
                    assertTrue(OnnxParityTest.maxAbsDiff(djl.values(), out[1]) <= 1e-5, "values at opset " + opset);
                }
            }
            for (int bad : new int[] {OnnxExporter.MIN_OPSET - 1, OnnxExporter.MAX_OPSET + 1}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> OnnxExporter.export(model, 1, dir.resolve("policy.onnx"), bad));
                assertTrue(e.getMessage().contains("opset " + bad + " is not supported; expected 17..23"),
                        e.getMessage());
            }
            assertTrue(Files.notExists(dir.resolve("policy.onnx")));
        }
    }

    @Test
    void theCheckFindsAValueReadBeforeItIsDefinedAndAShapeTheContractDoesNotHave() throws Exception {
        try (VectorEnv vec = VectorEnv.of(() -> EnvRegistry.defaults().make("CartPole-v1"), 1);
             PolicyModel model = PolicyModel.create(vec.spec(), ModelConfig.mlp(64, 64), 1, Device.cpu())) {
            PolicyContract contract = OnnxExporter.export(model, 1, dir.resolve("policy.onnx"), 17);
            Model good = Model.parse(Files.readAllBytes(dir.resolve("policy.onnx")));
            assertEquals(List.of(), GraphCheck.check(good, contract));

            List<Node> nodes = new ArrayList<>(good.graph().nodes());
            nodes.add(0, nodes.remove(1)); // the second node before the first, whose output it reads
            Model reordered = withGraph(good, new OnnxProto.Graph(good.graph().name(), nodes,
                    good.graph().initializers(), good.graph().inputs(), good.graph().outputs()));
            List<String> problems = GraphCheck.check(reordered, contract);
            assertEquals(1, problems.size(), problems.toString());
            assertTrue(problems.get(0).contains("before anything defines it"), problems.get(0));

            ValueInfo obs = good.graph().inputs().get(0);
            Model wider = withGraph(good, new OnnxProto.Graph(good.graph().name(), good.graph().nodes(),
                    good.graph().initializers(), List.of(new ValueInfo(obs.name(), obs.elemType(),
                    List.of(OnnxProto.Dim.named("batch"), OnnxProto.Dim.of(5)))), good.graph().outputs()));
            problems = GraphCheck.check(wider, contract);
            assertEquals(List.of("input 0: expected obs (element type 1) [-1, 4], found obs (element type 1) [-1, 5]"),
                    problems);
        }
    }

    @Test
    void aParameterTheExporterDoesNotKnowIsRefusedByName() {
        try (VectorEnv vec = VectorEnv.of(() -> EnvRegistry.defaults().make("CartPole-v1"), 1);
             PolicyModel model = PolicyModel.create(vec.spec(), ModelConfig.mlp(64, 64), 1, Device.cpu())) {
            List<Pair<String, Parameter>> params = new ArrayList<>(model.parameters());
            params.add(new Pair<>("03extra_weight", params.get(0).getValue()));
            ParameterTable table = new ParameterTable(model.modelId(), params);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PolicyGraph.mlp(
                    model.spec().observationSpace(), model.config(), 2, table, 17));
            assertEquals("model " + model.modelId() + " has a layer the ONNX exporter does not know: parameter "
                    + "03extra_weight of shape [64, 4]", e.getMessage());

            ParameterTable narrow = new ParameterTable(model.modelId(), model.parameters());
            e = assertThrows(IllegalArgumentException.class, () -> PolicyGraph.mlp(model.spec().observationSpace(),
                    ModelConfig.mlp(32, 32), 2, narrow, 17));
            assertTrue(e.getMessage().contains("parameter 01actor_01Linear_weight has shape [64, 4] but the ONNX "
                    + "exporter expects [32, 4]"), e.getMessage());
        }
    }

    @Test
    void bytesThatAreNotAModelAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Model.parse(new byte[] {(byte) 0xff, 1, 2, 3, 4}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Model.parse(new byte[0]));
        assertEquals("not an ONNX model: it has no graph", e.getMessage());
    }

    private static Model withGraph(Model m, OnnxProto.Graph g) {
        return new Model(m.irVersion(), m.opsets(), m.producerName(), m.producerVersion(), m.docString(), g,
                m.metadata());
    }
}
