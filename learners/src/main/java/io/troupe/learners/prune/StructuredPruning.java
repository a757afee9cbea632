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
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Structured pruning: whole hidden units or attention heads go, and what is left is a smaller dense model (a new
 * {@link ModelConfig}) whose weights are copied from the kept ones. Kinds: {@code hidden}, the hidden units of the MLPs
 * (actor and critic, every layer) or of the transformer's feed-forward networks (every block); {@code heads}, the
 * transformer's attention heads (every block; the kept heads keep their size, {@code troupe.model.head-size}).
 *
 * <p>Saliency, by norm: a hidden unit scores the L2 norm of what feeds it (its weight row and bias) times the L2 norm
 * of what it feeds (its column of the next layer's weight). A head scores the L2 norm of its value projection (its
 * rows of the value weight and bias) times that of its columns of the output projection: a head's contribution to the
 * block's output is its slice of the output projection applied to a convex combination (the softmax) of its value
 * vectors, so those two bound it; its query and key projections only choose the combination and are not scored. A
 * unit or head with nothing in or nothing out scores zero and its removal leaves the outputs unchanged. Pure.
 */
public final class StructuredPruning {

    /** What structured pruning removes. */
    public enum Kind {
        /** MLP hidden units; the transformer's feed-forward hidden units. */
        HIDDEN,
        /** The transformer's attention heads. */
        HEADS;

        /** The id on the command line. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The kind {@code id} names; anything else is an error naming the input and the kinds there are. */
        public static Kind parse(String id) {
            String s = id.trim().toLowerCase(Locale.ROOT);
            for (Kind k : values()) {
                if (k.id().equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("--structured " + id + ": unknown structured kind; supported: hidden, "
                    + "heads");
        }
    }

    /**
     * A group of units pruned together, each {@code width} rows or columns wide (1 for a hidden unit, the head size
     * for a head): parameters whose axis 0 runs over the units ({@code rows}: the weights and biases that compute
     * them; {@code scored}, the part of them the saliency reads) and parameters whose axis 1 does ({@code columns}:
     * the next layer's weight, or the attention's output projection), as indices into the model's parameter list.
     */
    record UnitGroup(int[] rows, int[] scored, int[] columns, int units, int width) {
    }

    /** The pruned model, its shape, and what it kept (e.g. "heads 3/4"). */
    public record Result(PolicyModel model, ModelConfig config, String kept) {
    }

    private StructuredPruning() {
    }

    /** {@link #prune} of hidden units only. */
    public static Result hidden(PolicyModel model, double sparsity, long seed) {
        return prune(model, EnumSet.of(Kind.HIDDEN), sparsity, seed);
    }

    /** {@link #prune} of attention heads only. */
    public static Result heads(PolicyModel model, double sparsity, long seed) {
        return prune(model, EnumSet.of(Kind.HEADS), sparsity, seed);
    }

    /**
     * Prunes whole units of the {@code kinds} of {@code model} so that at most {@code 1 - sparsity} of its parameters
     * remain, keeping as many as that allows: the same number in every group ({@link ModelConfig} gives one size per
     * layer and one head count); both kinds shrink in proportion. Builds the smaller dense model on the same device,
     * seeded with {@code seed} only for shapes (every value is copied).
     */
    public static Result prune(PolicyModel model, Set<Kind> kinds, double sparsity, long seed) {
        MagnitudePruning.checkSparsity(sparsity);
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("--structured: expected hidden, heads or both");
        }
        ModelConfig config = model.config();
        boolean heads = kinds.contains(Kind.HEADS);
        boolean hidden = kinds.contains(Kind.HIDDEN);
        String asked = String.join(",", kinds.stream().map(Kind::id).toList());
        if (heads && config.kind() != ModelKind.TRANSFORMER) {
            throw new IllegalArgumentException("--structured " + asked + ": troupe.model.kind = "
                    + config.kind().label() + " has no attention heads; use --structured hidden");
        }
        long original = model.parameterCount();
        double budget = (1 - sparsity) * original;
        int widest = widest(config);
        int steps = hidden ? widest : config.heads();
        for (int keep = steps - 1; keep >= 1; keep--) {
            ModelConfig smaller = config;
            List<String> kept = new ArrayList<>();
            if (heads) {
                int h = hidden ? Math.max(1, (int) Math.ceil((double) config.heads() * keep / widest)) : keep;
                smaller = smaller.withHeads(h);
                kept.add("heads " + h + "/" + config.heads());
            }
            if (hidden) {
                smaller = shrunk(smaller, keep, widest);
                kept.add("hidden units " + keep + "/" + widest);
            }
            if (count(model, smaller, seed) <= budget) {
                return new Result(keep(model, smaller, seed, kinds), smaller, String.join(", ", kept));
            }
        }
        throw new IllegalArgumentException("--sparsity " + sparsity + " with --structured " + asked + ": keeping one "
                + (hidden ? "hidden unit per layer" : "head per block") + " still leaves more than "
                + Math.round(budget) + " of the " + original + " parameters; prune less");
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
                    c.patchSize(), c.stateTokens(), c.ablate(), c.parallel(), c.headSize());
        }
        return c.withFeedForward(keep);
    }

    private static long count(PolicyModel model, ModelConfig config, long seed) {
        try (PolicyModel m = PolicyModel.create(model.spec(), config, seed, model.device())) {
            return m.parameterCount();
        }
    }

    /** The hidden-unit groups of {@code model}. */
    static List<UnitGroup> groups(PolicyModel model) {
        return groups(model, Kind.HIDDEN);
    }

    /**
     * The unit groups of {@code kind} in {@code model}: per MLP hidden layer of actor and critic, or per feed-forward
     * network (hidden); per encoder block's attention (heads).
     */
    static List<UnitGroup> groups(PolicyModel model, Kind kind) {
        List<Pair<String, Parameter>> params = model.parameters();
        List<UnitGroup> groups = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < params.size(); i++) {
            index.put(params.get(i).getKey(), i);
        }
        if (kind == Kind.HEADS) {
            int heads = model.config().heads();
            for (int i = 0; i < params.size(); i++) {
                String name = params.get(i).getKey();
                if (name.endsWith("keyProjection_weight")) {
                    String p = name.substring(0, name.length() - "01keyProjection_weight".length());
                    int[] rows = {i, index.get(p + "01keyProjection_bias"), index.get(p + "02queryProjection_weight"),
                        index.get(p + "02queryProjection_bias"), index.get(p + "03valueProjection_weight"),
                        index.get(p + "03valueProjection_bias")};
                    groups.add(new UnitGroup(rows, new int[] {rows[4], rows[5]},
                            new int[] {index.get(p + "04resultProjection_weight")}, heads,
                            (int) params.get(i).getValue().getArray().getShape().get(0) / heads));
                }
            }
            return groups;
        }
        if (model.config().kind() == ModelKind.MLP) {
            int layers = model.config().mlpHidden().length + 1; // weight and bias per linear layer
            for (int net = 0; net < 2; net++) { // actor, then critic
                int base = net * 2 * layers;
                for (int l = 0; l < layers - 1; l++) {
                    int w = base + 2 * l;
                    int[] rows = {w, w + 1};
                    groups.add(new UnitGroup(rows, rows, new int[] {w + 2},
                            (int) params.get(w).getValue().getArray().getShape().get(0), 1));
                }
            }
            return groups;
        }
        for (int i = 0; i < params.size(); i++) {
            String name = params.get(i).getKey();
            if (name.endsWith("ff1_weight")) {
                String prefix = name.substring(0, name.length() - "ff1_weight".length());
                int ff2 = params.stream().map(Pair::getKey).filter(n -> n.startsWith(prefix.substring(0,
                        prefix.length() - 2)) && n.endsWith("ff2_weight")).findFirst().map(index::get).orElseThrow();
                int[] rows = {i, index.get(prefix + "ff1_bias")};
                groups.add(new UnitGroup(rows, rows, new int[] {ff2},
                        (int) params.get(i).getValue().getArray().getShape().get(0), 1));
            }
        }
        return groups;
    }

    /**
     * Each unit's saliency in {@code g}: the norm of its scored rows (incoming weights and bias; a head's value
     * projection) times that of its columns (outgoing weights; a head's slice of the output projection).
     */
    static double[] saliency(PolicyModel model, UnitGroup g) {
        double[] in = new double[g.units()];
        double[] out = new double[g.units()];
        for (int p : g.scored()) {
            float[] v = model.parameters().get(p).getValue().getArray().toFloatArray();
            int per = v.length / g.units(); // the values of one unit: width rows
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
                for (int c = 0; c < cols; c++) {
                    out[c / g.width()] += (double) v[r * cols + c] * v[r * cols + c];
                }
            }
        }
        double[] s = new double[g.units()];
        for (int u = 0; u < s.length; u++) {
            s[u] = Math.sqrt(in[u]) * Math.sqrt(out[u]);
        }
        return s;
    }

    /** The units of {@code g} that {@code keep} of them keeps: the most salient, in their original order. */
    static int[] kept(PolicyModel model, UnitGroup g, int keep) {
        double[] s = saliency(model, g);
        return IntStream.range(0, g.units()).boxed()
                .sorted(Comparator.comparingDouble((Integer u) -> -s[u]).thenComparingInt(u -> u))
                .limit(keep).mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The model of shape {@code smaller} holding {@code model}'s most salient units of {@code kinds}. */
    static PolicyModel keep(PolicyModel model, ModelConfig smaller, long seed, Set<Kind> kinds) {
        PolicyModel pruned = PolicyModel.create(model.spec(), smaller, seed, model.device());
        try {
            Map<Integer, int[]> keptRows = new HashMap<>();
            Map<Integer, int[]> keptColumns = new HashMap<>();
            for (Kind kind : kinds) {
                List<UnitGroup> groups = groups(model, kind);
                List<UnitGroup> newGroups = groups(pruned, kind);
                for (int gi = 0; gi < groups.size(); gi++) {
                    UnitGroup g = groups.get(gi);
                    int[] units = kept(model, g, newGroups.get(gi).units());
                    int[] kept = Arrays.stream(units).flatMap(u -> IntStream.range(u * g.width(),
                            (u + 1) * g.width())).toArray();
                    for (int p : g.rows()) {
                        keptRows.put(p, kept);
                    }
                    for (int p : g.columns()) {
                        keptColumns.put(p, kept);
                    }
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
