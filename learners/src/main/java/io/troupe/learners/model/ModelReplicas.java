package io.troupe.learners.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.troupe.core.EnvSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The learner's model on one or several devices, for synchronous data-parallel training: replica 0 is the primary
 * (the optimizer steps it, its weights are the ones published and checkpointed); every other replica is a copy on its
 * own device. An update splits each minibatch into contiguous shards, one per replica, runs forward and backward on
 * each replica with the loss weighted by its shard's share, sums the replicas' gradients into the primary's (so the
 * step equals the single-device step on the whole minibatch, up to float rounding), steps the primary and copies its
 * weights back to the replicas. With one device it is the plain model and costs nothing.
 *
 * <p>Combined with pipeline parallelism ({@code troupe.model.parallel.pipeline-stages = K}), every replica is a
 * model split into K stages on K devices of the list: replica r takes devices {@code r*K .. r*K+K-1} ({@link #layout}),
 * so {@code gpu:0,gpu:1,gpu:2,gpu:3} with K = 2 is two data-parallel replicas of two stages each. Gradients are summed
 * stage by stage (each parameter onto the primary's copy, on the primary's device for that stage) and weights are
 * broadcast the same way; one device with K stages puts every stage on it.
 */
public final class ModelReplicas implements AutoCloseable {
    private final List<PolicyModel> models;
    private final boolean owned;

    private ModelReplicas(List<PolicyModel> models, boolean owned) {
        this.models = List.copyOf(models);
        this.owned = owned;
    }

    /** The model alone, not owned: closing the replicas leaves it open. */
    public static ModelReplicas single(PolicyModel model) {
        return new ModelReplicas(List.of(model), false);
    }

    /**
     * A primary on {@code devices.get(0)} and one replica on each further device (a device may repeat: two replicas
     * on the CPU are a data-parallel run on one device, which the tests use). All start with the primary's weights.
     * With {@code troupe.model.parallel.pipeline-stages = K > 1}, each replica spans K devices ({@link #layout}).
     */
    public static ModelReplicas create(EnvSpec spec, ModelConfig config, long seed, List<Device> devices) {
        List<List<Device>> layout = layout(devices, config.parallel().pipelineStages());
        List<PolicyModel> models = new ArrayList<>();
        try {
            for (List<Device> stages : layout) {
                models.add(PolicyModel.create(spec, config, seed, stages));
            }
        } catch (RuntimeException e) {
            models.forEach(PolicyModel::close);
            throw e;
        }
        ModelReplicas r = new ModelReplicas(models, true);
        r.broadcastWeights();
        return r;
    }

    /**
     * The stage devices of every replica: one device with K stages holds them all; otherwise the list must hold a
     * multiple of K devices, replica r on devices {@code r*K .. r*K+K-1} (K = 1: one replica per device).
     */
    public static List<List<Device>> layout(List<Device> devices, int stages) {
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("data-parallel training needs at least one device");
        }
        if (devices.size() == 1) {
            return List.of(Collections.nCopies(stages, devices.get(0)));
        }
        if (devices.size() % stages != 0) {
            throw new IllegalArgumentException("troupe.learner.device lists " + devices.size() + " devices, which "
                    + "troupe.model.parallel.pipeline-stages = " + stages + " cannot divide into replicas of "
                    + stages + " stages; list one device or a multiple of " + stages);
        }
        List<List<Device>> replicas = new ArrayList<>();
        for (int r = 0; r < devices.size(); r += stages) {
            replicas.add(List.copyOf(devices.subList(r, r + stages)));
        }
        return replicas;
    }

    public PolicyModel primary() {
        return models.get(0);
    }

    public PolicyModel replica(int i) {
        return models.get(i);
    }

    public int size() {
        return models.size();
    }

    public List<Device> devices() {
        return models.stream().map(PolicyModel::device).toList();
    }

    /**
     * Splits {@code count} items into {@link #size()} contiguous shards as even as possible; returns the start
     * offsets, {@code size() + 1} long (the last is {@code count}). A replica may get an empty shard.
     */
    public int[] shardBounds(int count) {
        int k = models.size();
        int[] bounds = new int[k + 1];
        for (int i = 0; i <= k; i++) {
            bounds[i] = (int) ((long) count * i / k);
        }
        return bounds;
    }

    /** The rows of shard {@code i} of {@code rows} (see {@link #shardBounds}). */
    public int[] shard(int[] rows, int i) {
        int[] b = shardBounds(rows.length);
        return Arrays.copyOfRange(rows, b[i], b[i + 1]);
    }

    /** Zeroes the gradients of every replica but the primary (whose optimizer zeroes its own). */
    public void zeroReplicaGradients() {
        if (models.size() == 1) {
            return;
        }
        GradMode.off();
        for (int r = 1; r < models.size(); r++) {
            PolicyModel m = models.get(r);
            try (NDManager scope = m.manager().newSubManager()) {
                for (Pair<String, Parameter> p : m.parameters()) {
                    NDArray w = p.getValue().getArray();
                    if (w.hasGradient()) {
                        NDArray g = w.getGradient();
                        g.attach(scope);
                        g.set(new NDIndex("..."), 0f); // in place, as the optimizer does
                    }
                }
            }
        }
    }

    /** Adds every replica's gradients into the primary's, moving them to the primary's device. */
    public void reduceGradients() {
        if (models.size() == 1) {
            return;
        }
        GradMode.off();
        PolicyModel primary = primary();
        List<Pair<String, Parameter>> target = primary.parameters();
        try (NDManager scope = primary.manager().newSubManager()) {
            for (int i = 0; i < target.size(); i++) {
                NDArray w0 = target.get(i).getValue().getArray();
                if (!target.get(i).getValue().requiresGradient()) {
                    continue;
                }
                NDArray g0 = w0.getGradient();
                g0.attach(scope);
                for (int r = 1; r < models.size(); r++) {
                    NDArray g = models.get(r).parameters().get(i).getValue().getArray().getGradient();
                    g.attach(scope);
                    g0.addi(g.toDevice(g0.getDevice(), false)); // the primary's stage that holds it
                }
            }
        }
    }

    /** Copies the primary's weights into every replica, in place. */
    public void broadcastWeights() {
        if (models.size() == 1) {
            return;
        }
        GradMode.off();
        List<Pair<String, Parameter>> source = primary().parameters();
        for (int r = 1; r < models.size(); r++) {
            PolicyModel m = models.get(r);
            List<Pair<String, Parameter>> target = m.parameters();
            try (NDManager scope = m.manager().newSubManager()) {
                for (int i = 0; i < source.size(); i++) {
                    NDArray w0 = source.get(i).getValue().getArray();
                    NDArray w = target.get(i).getValue().getArray();
                    scope.tempAttachAll(w0, w); // temporaries (the moved copy) are freed with the scope
                    w.set(new NDIndex("..."), w0.toDevice(w.getDevice(), false));
                }
            }
        }
    }

    @Override
    public void close() {
        if (owned) {
            models.forEach(PolicyModel::close);
        }
    }
}
