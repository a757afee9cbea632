package io.troupe.learners.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.PolicyWeights;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Text;
import io.troupe.learners.model.Devices;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoUpdate;
import io.troupe.learners.ppo.RolloutBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checks a learner device (the first GPU when the engine reports one, else the CPU) against the CPU, with the
 * default models: the same PPO update gives the same weights on both (within float rounding and TF32), weights saved
 * on the device load on the CPU and give the same outputs, data-parallel updates over the device and the CPU (and
 * two replicas on the device) equal the single-device update, and the update throughput on each. Prints a table;
 * exits 1 when a check fails. {@code --transformer E,H,L,FF} (repeatable) adds a GoToObject transformer of that size
 * (embedding, heads, layers, feed-forward) whose update throughput only is measured, on the CPU too while it has at most
 * {@code --cpu-max-parameters} (default 5,000,000: a larger model's CPU update takes minutes). Run it with
 * {@code java -cp <learners' classpath> io.troupe.learners.bench.DeviceCheck [--seconds S] [--json FILE]
 * [--transformer E,H,L,FF]... [--cpu-max-parameters N]} (the README's GPU section says how on a GPU machine).
 */
public final class DeviceCheck {
    /** Relative tolerance: the weight difference between two ways of computing one update, over how far it moved. */
    private static final double RELATIVE_TOLERANCE = 0.02;

    private static final ObjectWriter JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build().writerWithDefaultPrettyPrinter();

    private record Case(String name, EnvSpec spec, ModelConfig model) {
    }

    /** One comparison of two ways of computing an update: passed, the largest difference, how far it moved. */
    public record Check(boolean passed, double maxDiff, double moved) {
        @Override
        public String toString() {
            return String.format("%s (max diff %.3g, moved %.3g)", passed ? "PASS" : "FAIL", maxDiff, moved);
        }
    }

    /**
     * One model's checks: the same update on the device and the CPU, data-parallel over device + CPU and over two
     * replicas on the device (each against the device alone), the weights' round trip, and throughput on each.
     */
    public record CaseReport(Check sameUpdateDeviceVsCpu, Check dataParallelDeviceAndCpu,
                             Check dataParallelTwoReplicas, double weightsRoundTripMaxLogitDiff,
                             double deviceUpdatesPerS, double cpuUpdatesPerS, long deviceSamplesPerS,
                             long cpuSamplesPerS) {
        boolean passed() {
            return sameUpdateDeviceVsCpu.passed() && dataParallelDeviceAndCpu.passed()
                    && dataParallelTwoReplicas.passed() && weightsRoundTripMaxLogitDiff < 1e-2;
        }
    }

    /** A throughput-only model: updates/s and samples/s on the device and (0 when skipped) on the CPU. */
    public record ThroughputReport(long parameters, double deviceUpdatesPerS, double cpuUpdatesPerS,
                                   long deviceSamplesPerS, long cpuSamplesPerS) {
    }

    /** What {@code --json FILE} writes (names in snake_case). */
    public record Report(String engine, int gpuCount, String autoDevices, String device, Map<String, CaseReport> cases,
                         Map<String, ThroughputReport> throughput, boolean passed) {
    }

    private DeviceCheck() {
    }

    public static void main(String[] args) throws IOException {
        double seconds = 3;
        Path json = null;
        long cpuMaxParameters = 5_000_000;
        List<ModelConfig> throughputOnly = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                case "--transformer" -> throughputOnly.add(parseTransformer(args[++i]));
                case "--cpu-max-parameters" -> cpuMaxParameters = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "'; expected --seconds S, --json FILE, --transformer E,H,L,FF or --cpu-max-parameters N");
            }
        }
        Engine engine = Engine.getInstance();
        Device device = Devices.select("auto");
        String engineName = engine.getEngineName() + " " + engine.getVersion();
        String autoDevices = Devices.selectAll("auto").toString();
        System.out.printf("engine %s, %d GPU(s), auto -> %s%n", engineName, engine.getGpuCount(), autoDevices);
        List<Case> cases = List.of(
                new Case("CartPole-v1 mlp", cartPole(), ModelConfig.mlp(64, 64)),
                new Case("CartPole-v1 transformer", cartPole(), ModelConfig.transformer(32, 4, 1, 64, 6, 4)),
                new Case("GoToObject-v0 transformer", goToObject(), ModelConfig.transformer(32, 4, 1, 64, 6, 1)));
        boolean ok = true;
        Map<String, CaseReport> checks = new LinkedHashMap<>();
        for (Case c : cases) {
            Check same = check(compare(c, List.of(device), List.of(Device.cpu())));
            Check withCpu = check(compare(c, List.of(device, Device.cpu()), List.of(device)));
            Check twoReplicas = check(compare(c, List.of(device, device), List.of(device)));
            double roundTrip = roundTrip(c, device);
            UpdateThroughput.Result onDevice = UpdateThroughput.measure(c.spec(), c.model(), List.of(device),
                    PpoConfig.cleanRl(), seconds);
            UpdateThroughput.Result onCpu = UpdateThroughput.measure(c.spec(), c.model(), List.of(Device.cpu()),
                    PpoConfig.cleanRl(), seconds);
            CaseReport r = new CaseReport(same, withCpu, twoReplicas, roundTrip, onDevice.updatesPerS(),
                    onCpu.updatesPerS(), onDevice.samplesPerS(), onCpu.samplesPerS());
            ok &= r.passed();
            checks.put(c.name(), r);
            String d = name(device);
            System.out.println(c.name());
            System.out.printf("  %-48s %s%n", "same_update_" + d + "_vs_cpu", same);
            System.out.printf("  %-48s %s%n", "data_parallel_" + d + "+cpu_vs_" + d, withCpu);
            System.out.printf("  %-48s %s%n", "data_parallel_" + d + "x2_vs_" + d, twoReplicas);
            System.out.printf("  %-48s %s%n", "weights_round_trip_max_logit_diff", roundTrip);
            System.out.printf("  %-48s %s%n", "updates_per_s_" + d, onDevice.updatesPerS());
            System.out.printf("  %-48s %s%n", "updates_per_s_cpu", onCpu.updatesPerS());
            System.out.printf("  %-48s %s%n", "samples_per_s_" + d, onDevice.samplesPerS());
            System.out.printf("  %-48s %s%n", "samples_per_s_cpu", onCpu.samplesPerS());
        }
        Map<String, ThroughputReport> throughput = new LinkedHashMap<>();
        for (ModelConfig model : throughputOnly) {
            String d = name(device);
            UpdateThroughput.Result onDevice = UpdateThroughput.measure(goToObject(), model, List.of(device),
                    PpoConfig.cleanRl(), seconds);
            boolean cpuToo = onDevice.parameters() <= cpuMaxParameters;
            UpdateThroughput.Result onCpu = cpuToo ? UpdateThroughput.measure(goToObject(), model,
                    List.of(Device.cpu()), PpoConfig.cleanRl(), seconds) : null;
            ThroughputReport r = new ThroughputReport(onDevice.parameters(), onDevice.updatesPerS(),
                    cpuToo ? onCpu.updatesPerS() : 0, onDevice.samplesPerS(), cpuToo ? onCpu.samplesPerS() : 0);
            String caseName = "GoToObject-v0 " + model.describe();
            throughput.put(caseName, r);
            System.out.printf("%s, %,d parameters (throughput only)%n", caseName, r.parameters());
            System.out.printf("  %-48s %s%n", "updates_per_s_" + d, r.deviceUpdatesPerS());
            System.out.printf("  %-48s %s%n", "samples_per_s_" + d, r.deviceSamplesPerS());
            if (cpuToo) {
                System.out.printf("  %-48s %s%n", "updates_per_s_cpu", r.cpuUpdatesPerS());
                System.out.printf("  %-48s %s%n", "samples_per_s_cpu", r.cpuSamplesPerS());
            } else {
                System.out.printf("  %-48s %s%n", "cpu", "skipped: more than --cpu-max-parameters "
                        + cpuMaxParameters);
            }
        }
        System.out.println(ok ? "device check passed" : "device check FAILED");
        if (json != null) {
            Report report = new Report(engineName, engine.getGpuCount(), autoDevices, device.toString(), checks,
                    throughput, ok);
            Files.writeString(json, JSON.writeValueAsString(report), StandardCharsets.UTF_8);
        }
        System.exit(ok ? 0 : 1);
    }

    /**
     * {@code E,H,L,FF} (embedding, heads, layers, feed-forward) as a GoToObject transformer: one image token per grid
     * cell (patch 6) and one state token, as conf/gotoobject.conf.
     */
    static ModelConfig parseTransformer(String spec) {
        String[] parts = spec.split(",");
        if (parts.length != 4) {
            throw new IllegalArgumentException("--transformer expects EMBEDDING,HEADS,LAYERS,FEED_FORWARD "
                    + "(e.g. 128,4,6,512), got '" + spec + "'");
        }
        int[] v = new int[4];
        for (int i = 0; i < 4; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--transformer expects four integers "
                        + "EMBEDDING,HEADS,LAYERS,FEED_FORWARD (e.g. 128,4,6,512), got '" + spec + "'", e);
            }
        }
        return ModelConfig.transformer(v[0], v[1], v[2], v[3], 6, 1);
    }

    private static String name(Device d) {
        return d.isGpu() ? "gpu" + d.getDeviceId() : "cpu";
    }

    private static Check check(double[] movedAndDiff) {
        return new Check(movedAndDiff[1] <= RELATIVE_TOLERANCE * movedAndDiff[0] && movedAndDiff[0] > 1e-4,
                movedAndDiff[1], movedAndDiff[0]);
    }

    /** One PPO update from the same start on two device lists: {how far it moved the weights, max difference}. */
    private static double[] compare(Case c, List<Device> a, List<Device> b) {
        RolloutBatch batch = UpdateThroughput.syntheticRollout(c.spec(), 256, 5);
        float[] start;
        float[] afterA;
        float[] afterB;
        try (ModelReplicas ra = ModelReplicas.create(c.spec(), c.model(), 1, a);
             Adam adamA = linearAdam(ra.primary())) {
            start = ra.primary().flatParameters();
            PpoUpdate.update(ra, adamA, batch, PpoConfig.cleanRl(), 0.01, new SplittableRandom(2));
            afterA = ra.primary().flatParameters();
        }
        try (ModelReplicas rb = ModelReplicas.create(c.spec(), c.model(), 1, b);
             Adam adamB = linearAdam(rb.primary())) {
            PpoUpdate.update(rb, adamB, batch, PpoConfig.cleanRl(), 0.01, new SplittableRandom(2));
            afterB = rb.primary().flatParameters();
        }
        return new double[] {maxAbsDiff(start, afterA), maxAbsDiff(afterA, afterB)};
    }

    /** Weights saved on the device, loaded on the CPU: the largest difference between the two models' logits. */
    private static double roundTrip(Case c, Device device) {
        ObservationBatch obs = UpdateThroughput.syntheticRollout(c.spec(), 64, 9).observations();
        try (PolicyModel onDevice = PolicyModel.create(c.spec(), c.model(), 4, device);
             PolicyModel onCpu = PolicyModel.create(c.spec(), c.model(), 5, Device.cpu())) {
            PolicyWeights w = onDevice.weights(1);
            onCpu.load(w);
            return maxAbsDiff(onDevice.infer(obs).logits(), onCpu.infer(obs).logits());
        }
    }

    /** Adam with a large epsilon: a step nearly linear in the gradient, so rounding cannot flip its sign. */
    private static Adam linearAdam(PolicyModel m) {
        return new Adam(m.parameters(), m.manager(), 0.9f, 0.999f, 1f);
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    /** CartPole-v1's spec, written out so the check needs no environments on its class path. */
    private static EnvSpec cartPole() {
        return EnvSpec.of("CartPole-v1", Box.uniform(-5, 5, DType.FLOAT32, 4), new Discrete(2));
    }

    /** GoToObject-v0's observation shapes (image 3x30x30, a 5-token mission, 6 state floats), 4 actions. */
    private static EnvSpec goToObject() {
        return EnvSpec.of("GoToObject-v0", Dict.of("image", Box.image(3, 30, 30),
                "mission", Text.of(5, List.of("go", "to", "the", "red", "green", "blue", "ball", "box", "key")),
                "state", Box.uniform(0, 1, DType.FLOAT32, 6)), new Discrete(4));
    }
}
