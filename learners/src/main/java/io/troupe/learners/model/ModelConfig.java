package io.troupe.learners.model;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.Arrays;

/**
 * The size and kind of a policy/value network, read from {@code troupe.model}.
 *
 * @param kind        the network: the transformer (any observation space) or separate actor and critic MLPs
 * @param mlpHidden   hidden layer sizes of the MLPs
 * @param embedding   transformer embedding size
 * @param heads       attention heads (must divide {@code embedding} unless {@code headSize} is given)
 * @param layers      transformer encoder blocks
 * @param feedForward hidden size of each block's feed-forward network
 * @param patchSize   image patch side in pixels (a strided convolution)
 * @param stateTokens tokens a vector observation is projected to
 * @param ablate      the modality replaced by a constant before the network sees it (none, text, image)
 * @param parallel    how the learner splits the model over devices ({@code troupe.model.parallel}); not part of the
 *                    architecture: {@link #describe()}, {@link #equals} and the model id ignore it
 * @param headSize    each attention head's width ({@code troupe.model.head-size}); 0 (the default) means
 *                    {@code embedding / heads}. The attention's inner width is {@code heads x headSize}, so a model
 *                    whose heads were pruned keeps its head size with fewer heads
 * @param readout     where the transformer reads the logits and the value from: the summary token or the mean over
 *                    every token ({@code troupe.model.readout})
 * @param film        whether the mission conditions every image token before the encoder ({@code troupe.model.film}):
 *                    feature-wise linear modulation (FiLM, Perez et al. 2018, as BabyAI's models do), a scale and a
 *                    shift per channel computed from the mean of the text tokens
 * @param stem        the images' cell stem ({@code troupe.model.stem}): a nonlinear per-cell encoder before the patch
 *                    embedding, or {@link ImageStem#NONE} (the patch embedding alone, linear)
 */
public record ModelConfig(ModelKind kind, int[] mlpHidden, int embedding, int heads, int layers, int feedForward,
                          int patchSize, int stateTokens, Ablation ablate, Parallelism parallel, int headSize,
                          Readout readout, boolean film, ImageStem stem) {
    public ModelConfig {
        if (stem == null) {
            stem = ImageStem.NONE;
        }
        if (stem.on() && kind != ModelKind.TRANSFORMER) {
            throw new IllegalArgumentException("troupe.model.stem.channels = " + stem.channels() + " adds a cell "
                    + "stem to a transformer's image tokens; troupe.model.kind = " + kind.label() + " has none (use 0)");
        }
        if (stem.on() && patchSize % stem.cellSize() != 0) {
            throw new IllegalArgumentException("troupe.model.stem.cell-size = " + stem.cellSize() + " must divide "
                    + "troupe.model.patch-size = " + patchSize + " (each image token covers whole cells)");
        }
        if (readout == null) {
            throw new IllegalArgumentException("troupe.model.readout is missing; expected summary or mean");
        }
        if (ablate == null) {
            throw new IllegalArgumentException("troupe.model.ablate is missing; expected none, text or image");
        }
        if (kind == null) {
            throw new IllegalArgumentException("troupe.model.kind is missing; expected transformer or mlp");
        }
        if (mlpHidden.length == 0 || Arrays.stream(mlpHidden).anyMatch(h -> h < 1)) {
            throw new IllegalArgumentException("troupe.model.mlp-hidden must list positive layer sizes, got "
                    + Arrays.toString(mlpHidden));
        }
        positive("embedding", embedding);
        positive("heads", heads);
        positive("layers", layers);
        positive("feed-forward", feedForward);
        positive("patch-size", patchSize);
        positive("state-tokens", stateTokens);
        if (headSize < 0) {
            throw new IllegalArgumentException("troupe.model.head-size must be >= 1, or 0 for embedding / heads, got "
                    + headSize);
        }
        if (headSize == 0) {
            if (embedding % heads != 0) {
                throw new IllegalArgumentException("troupe.model.heads = " + heads + " must divide "
                        + "troupe.model.embedding = " + embedding);
            }
            headSize = embedding / heads;
        }
        if (parallel == null) {
            parallel = Parallelism.NONE;
        }
        if (parallel.pipelined() && kind != ModelKind.TRANSFORMER) {
            throw new IllegalArgumentException("troupe.model.parallel.pipeline-stages = " + parallel.pipelineStages()
                    + " splits a transformer's blocks; troupe.model.kind = " + kind.label() + " has none (use 1)");
        }
        if (film && kind != ModelKind.TRANSFORMER) {
            throw new IllegalArgumentException("troupe.model.film = true conditions a transformer's image tokens on "
                    + "the mission; troupe.model.kind = " + kind.label() + " has no tokens (use false)");
        }
        if (parallel.pipelineStages() > layers) {
            throw new IllegalArgumentException("troupe.model.parallel.pipeline-stages = " + parallel.pipelineStages()
                    + " exceeds troupe.model.layers = " + layers + ": every stage needs at least one block");
        }
    }

    /** No cell stem ({@code troupe.model.stem.channels = 0}). */
    public ModelConfig(ModelKind kind, int[] mlpHidden, int embedding, int heads, int layers, int feedForward,
                       int patchSize, int stateTokens, Ablation ablate, Parallelism parallel, int headSize,
                       Readout readout, boolean film) {
        this(kind, mlpHidden, embedding, heads, layers, feedForward, patchSize, stateTokens, ablate, parallel, headSize,
                readout, film, ImageStem.NONE);
    }

    /** No mission conditioning ({@code troupe.model.film = false}). */
    public ModelConfig(ModelKind kind, int[] mlpHidden, int embedding, int heads, int layers, int feedForward,
                       int patchSize, int stateTokens, Ablation ablate, Parallelism parallel, int headSize,
                       Readout readout) {
        this(kind, mlpHidden, embedding, heads, layers, feedForward, patchSize, stateTokens, ablate, parallel, headSize,
                readout, false);
    }

    /** Read out from the summary token ({@code troupe.model.readout = summary}). */
    public ModelConfig(ModelKind kind, int[] mlpHidden, int embedding, int heads, int layers, int feedForward,
                       int patchSize, int stateTokens, Ablation ablate, Parallelism parallel, int headSize) {
        this(kind, mlpHidden, embedding, heads, layers, feedForward, patchSize, stateTokens, ablate, parallel, headSize,
                Readout.SUMMARY);
    }

    /** Heads of size {@code embedding / heads} ({@code troupe.model.head-size = 0}). */
    public ModelConfig(ModelKind kind, int[] mlpHidden, int embedding, int heads, int layers, int feedForward,
                       int patchSize, int stateTokens, Ablation ablate, Parallelism parallel) {
        this(kind, mlpHidden, embedding, heads, layers, feedForward, patchSize, stateTokens, ablate, parallel, 0);
    }

    /** A network that sees every modality, unsplit ({@link Ablation#NONE}, {@link Parallelism#NONE}). */
    public ModelConfig(ModelKind kind, int[] mlpHidden, int embedding, int heads, int layers, int feedForward,
                       int patchSize, int stateTokens) {
        this(kind, mlpHidden, embedding, heads, layers, feedForward, patchSize, stateTokens, Ablation.NONE,
                Parallelism.NONE);
    }

    /** This architecture, split as {@code p} says. */
    public ModelConfig withParallelism(Parallelism p) {
        return new ModelConfig(kind, mlpHidden, embedding, heads, layers, feedForward, patchSize, stateTokens, ablate,
                p, headSize, readout, film, stem);
    }

    /** The same network denied {@code modality}. */
    public ModelConfig withAblation(Ablation modality) {
        return new ModelConfig(kind, mlpHidden, embedding, heads, layers, feedForward, patchSize, stateTokens,
                modality, parallel, headSize, readout, film, stem);
    }

    /** The same network with {@code n} attention heads of this one's head size (head pruning). */
    public ModelConfig withHeads(int n) {
        return new ModelConfig(kind, mlpHidden, embedding, n, layers, feedForward, patchSize, stateTokens, ablate,
                parallel, headSize, readout, film, stem);
    }

    /** The same network with feed-forward networks of {@code units} hidden units. */
    public ModelConfig withFeedForward(int units) {
        return new ModelConfig(kind, mlpHidden, embedding, heads, layers, units, patchSize, stateTokens, ablate,
                parallel, headSize, readout, film, stem);
    }

    /**
     * The same network with a residual stream of {@code channels} (width pruning); the heads keep their size, so the
     * attention's inner width stays {@code heads x headSize}.
     */
    public ModelConfig withEmbedding(int channels) {
        return new ModelConfig(kind, mlpHidden, channels, heads, layers, feedForward, patchSize, stateTokens, ablate,
                parallel, headSize, readout, film, stem);
    }

    /** The same network read out as {@code r} says. */
    public ModelConfig withReadout(Readout r) {
        return new ModelConfig(kind, mlpHidden, embedding, heads, layers, feedForward, patchSize, stateTokens, ablate,
                parallel, headSize, r, film, stem);
    }

    /** The same network with the mission conditioning the image tokens ({@code on}) or not. */
    public ModelConfig withFilm(boolean on) {
        return new ModelConfig(kind, mlpHidden, embedding, heads, layers, feedForward, patchSize, stateTokens, ablate,
                parallel, headSize, readout, on, stem);
    }

    /** The same network with cell stem {@code s} ({@link ImageStem#NONE}: none). */
    public ModelConfig withStem(ImageStem s) {
        return new ModelConfig(kind, mlpHidden, embedding, heads, layers, feedForward, patchSize, stateTokens, ablate,
                parallel, headSize, readout, film, s);
    }

    /** The attention's inner width, {@code heads x headSize} (the embedding unless the heads were resized). */
    public int attentionWidth() {
        return heads * headSize;
    }

    private static void positive(String key, int v) {
        if (v < 1) {
            throw new IllegalArgumentException("troupe.model." + key + " must be >= 1, got " + v);
        }
    }

    /** A 64-64 tanh MLP, CleanRL's CartPole network. */
    public static ModelConfig mlp(int... hidden) {
        return new ModelConfig(ModelKind.MLP, hidden, 64, 4, 2, 128, 6, 1);
    }

    /** A small transformer. */
    public static ModelConfig transformer(int embedding, int heads, int layers, int feedForward, int patchSize,
                                          int stateTokens) {
        return new ModelConfig(ModelKind.TRANSFORMER, new int[] {64, 64}, embedding, heads, layers, feedForward, patchSize,
                stateTokens);
    }

    public static ModelConfig fromConfig(Config model) {
        try {
            return new ModelConfig(ModelKind.parse(model.getString("kind")),
                    model.getIntList("mlp-hidden").stream().mapToInt(Integer::intValue).toArray(),
                    model.getInt("embedding"), model.getInt("heads"), model.getInt("layers"),
                    model.getInt("feed-forward"), model.getInt("patch-size"), model.getInt("state-tokens"),
                    model.hasPath("ablate") ? Ablation.parse(model.getString("ablate")) : Ablation.NONE,
                    model.hasPath("parallel") ? Parallelism.fromConfig(model.getConfig("parallel")) : Parallelism.NONE,
                    model.hasPath("head-size") ? model.getInt("head-size") : 0,
                    model.hasPath("readout") ? Readout.parse(model.getString("readout")) : Readout.SUMMARY,
                    model.hasPath("film") && model.getBoolean("film"),
                    model.hasPath("stem") ? ImageStem.fromConfig(model.getConfig("stem")) : ImageStem.NONE);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.model: " + e.getMessage(), e);
        }
    }

    /**
     * A short description, part of the model id (an ablation is named; none is not, the head size only where it is not
     * embedding / heads, the read-out only where it is the mean, FiLM and the cell stem only where they are on, so ids
     * stay as they were).
     */
    public String describe() {
        String net = switch (kind) {
            case MLP -> "mlp" + Arrays.toString(mlpHidden).replace(" ", "");
            case TRANSFORMER -> "transformer(e" + embedding + ",h" + heads
                    + (attentionWidth() == embedding ? "" : ",hs" + headSize) + ",l" + layers + ",ff" + feedForward
                    + ",p" + patchSize + ",s" + stateTokens + (readout == Readout.MEAN ? ",mean" : "")
                    + (film ? ",film" : "") + (stem.on() ? "," + stem.describe() : "") + ")";
        };
        return ablate == Ablation.NONE ? net : net + "-ablate-" + ablate.label();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig c && describe().equals(c.describe());
    }

    @Override
    public int hashCode() {
        return describe().hashCode();
    }
}
