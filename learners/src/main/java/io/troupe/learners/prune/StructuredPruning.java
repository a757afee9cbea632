package io.troupe.learners.prune;

import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.troupe.core.ObservationBatch;
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
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Structured pruning: whole hidden units or attention heads go, and what is left is a smaller dense model (a new
 * {@link ModelConfig}) whose weights are copied from the kept ones. Kinds: {@code hidden}, the hidden units of the MLPs
 * (actor and critic, every layer) or of the transformer's feed-forward networks (every block); {@code heads}, the
 * transformer's attention heads (every block; the kept heads keep their size, {@code troupe.model.head-size});
 * {@code embedding}, the channels of the transformer's residual stream everywhere they appear (width pruning, ranked by
 * {@link #channelSaliency} or by activations over calibration observations).
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
        HEADS,
        /** Channels of the transformer's residual stream ({@code troupe.model.embedding}): width pruning. */
        EMBEDDING;

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
                    + "heads, embedding");
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
     * layer and one head count); both kinds shrink in proportion. With {@link Kind#EMBEDDING} among the kinds, the
     * sparsity is instead the fraction of each named kind's units removed ({@link #byFraction}). Builds the smaller
     * dense model on the same device, seeded with {@code seed} only for shapes (every value is copied).
     */
    public static Result prune(PolicyModel model, Set<Kind> kinds, double sparsity, long seed) {
        return prune(model, kinds, sparsity, seed, null);
    }

    /**
     * {@link #prune(PolicyModel, Set, double, long)}, the embedding's channels ranked by their activations over
     * {@code calibration} ({@link PolicyModel#channelActivations}: Minitron's importance) instead of by weights when it
     * is not null.
     */
    public static Result prune(PolicyModel model, Set<Kind> kinds, double sparsity, long seed,
                               ObservationBatch calibration) {
        MagnitudePruning.checkSparsity(sparsity);
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("--structured: expected hidden, heads, embedding or a combination");
        }
        ModelConfig config = model.config();
        if (kinds.contains(Kind.EMBEDDING)) {
            return byFraction(model, kinds, sparsity, seed, calibration);
        }
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
                return new Result(keep(model, smaller, seed, kinds, null), smaller, String.join(", ", kept));
            }
        }
        throw new IllegalArgumentException("--sparsity " + sparsity + " with --structured " + asked + ": keeping one "
                + (hidden ? "hidden unit per layer" : "head per block") + " still leaves more than "
                + Math.round(budget) + " of the " + original + " parameters; prune less");
    }

    /**
     * Width pruning, when {@code kinds} holds {@link Kind#EMBEDDING}: every kind named loses the fraction
     * {@code sparsity} of its units, rounded to the nearest unit: the residual stream's channels (embedding), each
     * block's heads (heads; they keep their size) and each feed-forward network's hidden units (hidden). The heads keep
     * their size ({@code troupe.model.head-size}), so the attention's inner width {@code heads x headSize} need not
     * divide the embedding or follow it.
     */
    private static Result byFraction(PolicyModel model, Set<Kind> kinds, double sparsity, long seed,
                                     ObservationBatch calibration) {
        ModelConfig config = model.config();
        String asked = String.join(",", kinds.stream().map(Kind::id).toList());
        if (config.kind() != ModelKind.TRANSFORMER) {
            throw new IllegalArgumentException("--structured " + asked + ": troupe.model.kind = "
                    + config.kind().label() + " has no embedding (residual stream) to narrow; use --structured hidden");
        }
        if (config.film()) {
            throw new IllegalArgumentException("--structured " + asked + ": the model conditions its image tokens on "
                    + "the mission (troupe.model.film = true), whose maps width pruning does not narrow; use "
                    + "--structured hidden or heads");
        }
        if (config.stem().on()) {
            throw new IllegalArgumentException("--structured " + asked + ": the model encodes its image cells with a "
                    + "stem (troupe.model.stem.channels = " + config.stem().channels() + "), which width pruning does "
                    + "not narrow; use --structured hidden or heads");
        }
        ModelConfig smaller = config.withEmbedding(remaining(config.embedding(), sparsity, asked,
                "channels of troupe.model.embedding"));
        List<String> kept = new ArrayList<>();
        kept.add("embedding channels " + smaller.embedding() + "/" + config.embedding()
                + (calibration == null ? "" : " by activation"));
        if (kinds.contains(Kind.HEADS)) {
            smaller = smaller.withHeads(remaining(config.heads(), sparsity, asked, "heads of troupe.model.heads"));
            kept.add("heads " + smaller.heads() + "/" + config.heads());
        }
        if (kinds.contains(Kind.HIDDEN)) {
            smaller = smaller.withFeedForward(remaining(config.feedForward(), sparsity, asked,
                    "hidden units of troupe.model.feed-forward"));
            kept.add("hidden units " + smaller.feedForward() + "/" + config.feedForward());
        }
        return new Result(keep(model, smaller, seed, kinds, calibration), smaller, String.join(", ", kept));
    }

    /** Of {@code units}, what removing the fraction {@code sparsity} (rounded) leaves; none left is an error. */
    private static int remaining(int units, double sparsity, String asked, String what) {
        int left = units - (int) Math.round(sparsity * units);
        if (left < 1) {
            throw new IllegalArgumentException("--sparsity " + sparsity + " with --structured " + asked + ": removes "
                    + "all " + units + " " + what + "; expected a sparsity that leaves at least one (below "
                    + String.format(Locale.ROOT, "%.4f", (units - 0.5) / units) + ")");
        }
        return left;
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

    /** How a transformer's parameter meets the residual stream's channels ({@code troupe.model.embedding}). */
    enum ChannelAxis {
        /** Not at all (a projection's bias inside a block, the heads' biases). */
        NONE,
        /**
         * Axis 0 writes them, {@code n x embedding} long, channel c of token t at row {@code t x embedding + c}: the
         * tokenizers (patch convolution, token embedding, the state projection to n tokens), the attention's output
         * projection and the second feed-forward layer (weight and bias).
         */
        ROWS,
        /** Axis 1 of a 2-D weight reads them: the key, query and value projections, the first feed-forward layer,
         * the policy and value heads. */
        COLUMNS,
        /**
         * The last axis: positions, modality types and the summary token {@code (1, tokens, embedding)}; every
         * LayerNorm's gamma and beta, {@code (tokens, embedding)} inside a block (DJL's LayerNorm normalizes over
         * every axis but the batch: a block's norms over all tokens and channels of a sequence together) or
         * {@code (embedding)} for the final norm.
         */
        LAST
    }

    /** How parameter {@code name} of a transformer holds the embedding's channels. */
    static ChannelAxis channelAxis(String name) {
        if (name.endsWith("_positions") || name.endsWith("_type") || name.endsWith("summary")
                || name.endsWith("gamma") || name.endsWith("beta")) {
            return ChannelAxis.LAST;
        }
        if (name.endsWith("resultProjection_weight")
                || name.endsWith("resultProjection_bias") || name.endsWith("ff2_weight") || name.endsWith("ff2_bias")
                || TOKENIZER.matcher(name).matches()) {
            return ChannelAxis.ROWS;
        }
        if (name.endsWith("keyProjection_weight") || name.endsWith("queryProjection_weight")
                || name.endsWith("valueProjection_weight") || name.endsWith("ff1_weight")
                || name.endsWith("policy_weight") || name.endsWith("value_weight")) {
            return ChannelAxis.COLUMNS;
        }
        return ChannelAxis.NONE;
    }

    /** A tokenizer's weight or bias: child block {@code m<index>_<modality>} of the transformer. */
    private static final Pattern TOKENIZER = Pattern.compile("\\d*m\\d+_.*_(weight|bias)");

    /** {@code channels} repeated for each of {@code tokens} tokens of {@code e} channels: {@code t x e + c}. */
    private static int[] perToken(int[] channels, int tokens, int e) {
        return IntStream.range(0, tokens).flatMap(t -> Arrays.stream(channels).map(c -> t * e + c)).toArray();
    }

    /**
     * Each residual-stream channel's saliency: the L2 norm of everything that writes it (the tokenizers' rows,
     * positions, types, the summary token, every block's output-projection and second feed-forward rows and biases)
     * times the L2 norm of everything that reads it, each reader's column scaled by the gamma of the LayerNorm in
     * front of it (the key, query and value projections, the first feed-forward layer, the policy and value heads).
     * A channel nothing writes is zero in every token and scores zero; one no reader sees (zero columns or a zero
     * gamma) scores zero too. Only LayerNorm's statistics still see such a channel, which is why removing even a silent
     * channel changes the outputs a little (README).
     */
    static double[] channelSaliency(PolicyModel model) {
        int e = model.config().embedding();
        double[] written = new double[e];
        double[] read = new double[e];
        double[] gamma = null;
        for (Pair<String, Parameter> p : model.parameters()) {
            String name = p.getKey();
            var a = p.getValue().getArray();
            float[] v = a.toFloatArray();
            ChannelAxis axis = channelAxis(name);
            if (name.endsWith("gamma")) {
                // the LayerNorm in front of the readers that follow it in parameter order; a block's norm has a
                // gamma per token and channel: its root mean square over the tokens
                gamma = new double[e];
                for (int j = 0; j < v.length; j++) {
                    gamma[j % e] += (double) v[j] * v[j] * e / v.length;
                }
                for (int c = 0; c < e; c++) {
                    gamma[c] = Math.sqrt(gamma[c]);
                }
            } else if (name.endsWith("beta")) {
                continue; // added after the normalization: neither writes the stream nor reads it
            } else if (axis == ChannelAxis.ROWS) {
                int per = v.length / (int) a.getShape().get(0); // values of one row
                for (int r = 0; r < a.getShape().get(0); r++) {
                    for (int j = 0; j < per; j++) {
                        written[r % e] += (double) v[r * per + j] * v[r * per + j];
                    }
                }
            } else if (axis == ChannelAxis.LAST) {
                for (int j = 0; j < v.length; j++) {
                    written[j % e] += (double) v[j] * v[j];
                }
            } else if (axis == ChannelAxis.COLUMNS) {
                for (int j = 0; j < v.length; j++) {
                    int c = j % e;
                    double g = gamma == null ? 1 : gamma[c];
                    read[c] += (double) v[j] * v[j] * g * g;
                }
            }
        }
        double[] s = new double[e];
        for (int c = 0; c < e; c++) {
            s[c] = Math.sqrt(written[c]) * Math.sqrt(read[c]);
        }
        return s;
    }

    /** The {@code keep} most salient channels of the residual stream, in their original order. */
    static int[] keptChannels(PolicyModel model, int keep) {
        return keptChannels(model, keep, null);
    }

    /** The {@code keep} channels of largest activation over {@code calibration} (by weights when null), in order. */
    static int[] keptChannels(PolicyModel model, int keep, ObservationBatch calibration) {
        double[] s = calibration == null ? channelSaliency(model) : model.channelActivations(calibration);
        return IntStream.range(0, s.length).boxed()
                .sorted(Comparator.comparingDouble((Integer c) -> -s[c]).thenComparingInt(c -> c))
                .limit(keep).mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The model of shape {@code smaller} holding {@code model}'s most salient units of {@code kinds}. */
    static PolicyModel keep(PolicyModel model, ModelConfig smaller, long seed, Set<Kind> kinds,
                            ObservationBatch calibration) {
        PolicyModel pruned = PolicyModel.create(model.spec(), smaller, seed, model.device());
        try {
            Map<Integer, int[]> keptRows = new HashMap<>();
            Map<Integer, int[]> keptColumns = new HashMap<>();
            for (Kind kind : kinds) {
                if (kind == Kind.EMBEDDING) {
                    continue;
                }
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
            if (kinds.contains(Kind.EMBEDDING)) {
                int[] channels = keptChannels(model, smaller.embedding(), calibration);
                int e = model.config().embedding();
                for (int i = 0; i < from.size(); i++) {
                    long[] shape = from.get(i).getValue().getArray().getShape().getShape();
                    switch (channelAxis(from.get(i).getKey())) {
                        case ROWS -> keptRows.put(i, perToken(channels, (int) shape[0] / e, e));
                        case COLUMNS -> keptColumns.put(i, channels);
                        case LAST -> {
                            if (shape.length == 1) {
                                keptRows.put(i, channels);
                            } else { // axis 0 flattened against the rest: channel c of group t at t x e + c
                                keptColumns.put(i, perToken(channels, (int) (Arrays.stream(shape)
                                        .reduce(1, (a, b) -> a * b) / shape[0] / e), e));
                            }
                        }
                        case NONE -> { }
                    }
                }
            }
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
