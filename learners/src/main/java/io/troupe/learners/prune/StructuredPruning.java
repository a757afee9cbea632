package io.troupe.learners.prune;

import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelKind;
import io.troupe.learners.model.PolicyModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Structured pruning: whole hidden units go, and what is left is a smaller dense model (a new {@link ModelConfig})
 * whose weights are copied from the kept units. A unit's saliency is the L2 norm of what feeds it (its weight row and
 * bias) times the L2 norm of what it feeds (its column of the next layer's weight): a unit with no incoming or no
 * outgoing weight scores zero and its removal leaves the outputs unchanged. Kinds: {@code hidden}, the hidden units
 * of the MLPs (actor and critic, every layer) or of the transformer's feed-forward networks (every block). Pure.
 */
public final class StructuredPruning {

    /** What structured pruning removes. */
    public enum Kind {
        /** MLP hidden units; the transformer's feed-forward hidden units. */
        HIDDEN;

        /** The id on the command line. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The kind {@code id} names; {@code heads} and anything else are errors naming the input and the kinds there
         * are.
         */
        public static Kind parse(String id) {
            String s = id.trim().toLowerCase(Locale.ROOT);
            if (s.equals("heads")) {
                throw new IllegalArgumentException("--structured heads: pruning attention heads is not supported (DJL's "
                        + "attention block ties the head size to embedding / heads, so fewer heads cannot keep the "
                        + "kept heads' weights); supported: hidden");
            }
            for (Kind k : values()) {
                if (k.id().equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("--structured " + id + ": unknown structured kind; supported: hidden");
        }
    }

    /**
     * A group of units pruned together: parameters whose axis 0 runs over the units ({@code rows}: the weight rows and
     * bias of the layer that computes them) and parameters whose axis 1 does ({@code columns}: the next layer's
     * weight), as indices into the model's parameter list.
     */
    record UnitGroup(int[] rows, int[] columns, int units) {
    }

    /** The pruned model and what it kept. */
    public record Result(PolicyModel model, ModelConfig config, int keptUnits, int originalUnits) {
    }

    private StructuredPruning() {
    }

    /**
     * Prunes whole hidden units of {@code model} so that at most {@code 1 - sparsity} of its parameters remain (the
     * same number of units kept in every group: {@link ModelConfig} gives one size per layer); builds the smaller
     * dense model on the same device, seeded with {@code seed} only for shapes (every value is copied).
     */
    public static Result hidden(PolicyModel model, double sparsity, long seed) {
        MagnitudePruning.checkSparsity(sparsity);
        ModelConfig config = model.config();
        long original = model.parameterCount();
        double budget = (1 - sparsity) * original;
        int widest = widest(config);
        for (int keep = widest - 1; keep >= 1; keep--) {
            ModelConfig smaller = shrunk(config, keep, widest);
            if (count(model, smaller, seed) <= budget) {
                return new Result(keep(model, smaller, seed), smaller, keep, widest);
            }
        }
        throw new IllegalArgumentException("--sparsity " + sparsity + " with --structured hidden: keeping one hidden "
                + "unit per layer still leaves more than " + Math.round(budget) + " of the " + original
                + " parameters; prune less");
    }

    private static int widest(ModelConfig c) {
        return c.kind() == ModelKind.MLP ? Arrays.stream(c.mlpHidden()).max().orElseThrow() : c.feedForward();
    }

    /** {@code config} with every hidden size scaled by {@code keep / widest} (at least one unit). */
    static ModelConfig shrunk(ModelConfig c, int keep, int widest) {
        if (c.kind() == ModelKind.MLP) {
            int[] hidden = Arrays.stream(c.mlpHidden()).map(h -> Math.max(1, (int) Math.round((double) h * keep
                    / widest))).toArray();
            return new ModelConfig(ModelKind.MLP, hidden, c.embedding(), c.heads(), c.layers(), c.feedForward(),
                    c.patchSize(), c.stateTokens(), c.ablate(), c.parallel());
        }
        return new ModelConfig(c.kind(), c.mlpHidden(), c.embedding(), c.heads(), c.layers(), keep, c.patchSize(),
                c.stateTokens(), c.ablate(), c.parallel());
    }

    private static long count(PolicyModel model, ModelConfig config, long seed) {
        try (PolicyModel m = PolicyModel.create(model.spec(), config, seed, model.device())) {
            return m.parameterCount();
        }
    }

    /** The unit groups of {@code model}: per MLP hidden layer of actor and critic, or per feed-forward network. */
    static List<UnitGroup> groups(PolicyModel model) {
        List<Pair<String, Parameter>> params = model.parameters();
        List<UnitGroup> groups = new ArrayList<>();
        if (model.config().kind() == ModelKind.MLP) {
            int layers = model.config().mlpHidden().length + 1; // weight and bias per linear layer
            for (int net = 0; net < 2; net++) { // actor, then critic
                int base = net * 2 * layers;
                for (int l = 0; l < layers - 1; l++) {
                    int w = base + 2 * l;
                    groups.add(new UnitGroup(new int[] {w, w + 1}, new int[] {w + 2},
                            (int) params.get(w).getValue().getArray().getShape().get(0)));
                }
            }
            return groups;
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < params.size(); i++) {
            index.put(params.get(i).getKey(), i);
        }
        for (int i = 0; i < params.size(); i++) {
            String name = params.get(i).getKey();
            if (name.endsWith("ff1_weight")) {
                String prefix = name.substring(0, name.length() - "ff1_weight".length());
                int ff2 = params.stream().map(Pair::getKey).filter(n -> n.startsWith(prefix.substring(0,
                        prefix.length() - 2)) && n.endsWith("ff2_weight")).findFirst().map(index::get).orElseThrow();
                groups.add(new UnitGroup(new int[] {i, index.get(prefix + "ff1_bias")}, new int[] {ff2},
                        (int) params.get(i).getValue().getArray().getShape().get(0)));
            }
        }
        return groups;
    }

    /** Each unit's saliency in {@code g}: the norm of its incoming weights and bias times that of its outgoing ones. */
    static double[] saliency(PolicyModel model, UnitGroup g) {
        double[] in = new double[g.units()];
        double[] out = new double[g.units()];
        for (int p : g.rows()) {
            float[] v = model.parameters().get(p).getValue().getArray().toFloatArray();
            int per = v.length / g.units();
            for (int u = 0; u < g.units(); u++) {
                for (int j = 0; j < per; j++) {
                    in[u] += (double) v[u * per + j] * v[u * per + j];
                }
            }
        }
        for (int p : g.columns()) {
            var a = model.parameters().get(p).getValue().getArray();
            float[] v = a.toFloatArray();
            int cols = (int) a.getShape().get(1);
            for (int r = 0; r < v.length / cols; r++) {
                for (int u = 0; u < cols; u++) {
                    out[u] += (double) v[r * cols + u] * v[r * cols + u];
                }
            }
        }
        double[] s = new double[g.units()];
        for (int u = 0; u < s.length; u++) {
            s[u] = Math.sqrt(in[u]) * Math.sqrt(out[u]);
        }
        return s;
    }

    /** The model of shape {@code smaller} holding {@code model}'s most salient units, in their original order. */
    static PolicyModel keep(PolicyModel model, ModelConfig smaller, long seed) {
        List<UnitGroup> groups = groups(model);
        PolicyModel pruned = PolicyModel.create(model.spec(), smaller, seed, model.device());
        try {
            List<UnitGroup> newGroups = groups(pruned);
            Map<Integer, int[]> keptRows = new HashMap<>();
            Map<Integer, int[]> keptColumns = new HashMap<>();
            for (int gi = 0; gi < groups.size(); gi++) {
                UnitGroup g = groups.get(gi);
                int k = newGroups.get(gi).units();
                double[] s = saliency(model, g);
                int[] kept = IntStream.range(0, g.units()).boxed()
                        .sorted(Comparator.comparingDouble((Integer u) -> -s[u]).thenComparingInt(u -> u))
                        .limit(k).mapToInt(Integer::intValue).sorted().toArray();
                for (int p : g.rows()) {
                    keptRows.put(p, kept);
                }
                for (int p : g.columns()) {
                    keptColumns.put(p, kept);
                }
            }
            List<Pair<String, Parameter>> from = model.parameters();
            List<Pair<String, Parameter>> to = pruned.parameters();
            for (int i = 0; i < from.size(); i++) {
                var a = from.get(i).getValue().getArray();
                long[] shape = a.getShape().getShape();
                float[] v = a.toFloatArray();
                int rows = (int) shape[0];
                int cols = v.length / rows;
                int[] r = keptRows.getOrDefault(i, IntStream.range(0, rows).toArray());
                int[] c = keptColumns.getOrDefault(i, IntStream.range(0, cols).toArray());
                float[] out = new float[r.length * c.length];
                for (int x = 0; x < r.length; x++) {
                    for (int y = 0; y < c.length; y++) {
                        out[x * c.length + y] = v[r[x] * cols + c[y]];
                    }
                }
                InPlace.copy(to.get(i).getValue().getArray(), out);
            }
            return pruned;
        } catch (RuntimeException e) {
            pruned.close();
            throw e;
        }
    }
}
