package io.troupe.learners.prune;

import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.troupe.learners.model.ModelKind;
import io.troupe.learners.model.PolicyModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Magnitude pruning (unstructured): over the weight matrices of the model (linear and convolution weights; the MLP's
 * input layers, the output heads, biases, layer norms and learned embeddings such as positions are kept), the
 * {@code sparsity} fraction of entries with the smallest absolute value is pruned, ranked over all the matrices
 * together ({@link Ranking#GLOBAL}) or within each matrix ({@link Ranking#LAYER}). Exactly
 * {@code round(sparsity * n)} entries, ties broken by position. Pure.
 */
public final class MagnitudePruning {
    private MagnitudePruning() {
    }

    /** How many entries of {@code values} are exactly zero (a pruned weight is exactly zero). */
    public static long zeros(float[] values) {
        long n = 0;
        for (float x : values) {
            n += x == 0f ? 1 : 0;
        }
        return n;
    }

    /**
     * Whether global magnitude pruning covers parameter {@code index} of {@code model}: a weight matrix (2-D) or
     * convolution kernel (4-D), except the output heads (the policy's logits and the value) and an MLP's input layers
     * (the first linear weight of actor and critic). The heads are kept because their weights are small by
     * construction (CleanRL's init gain 0.01 for the policy): ranked globally, 80% sparsity would prune the whole
     * policy head, leaving a policy that ignores its observation and cannot learn back. The input layers are kept
     * because their weights' magnitudes follow the raw observation's scales, not the features' importance: on a
     * trained CartPole policy (inputs x, x', theta, theta') the cart position's weights are the smallest, 50% global
     * sparsity left 13 of its 64 connections and the greedy return fell from 437 to 133 (the cart drifts off the
     * track), where pruning the hidden layers alone to 50% kept 478. They are few (inputs x width).
     */
    public static boolean prunable(PolicyModel model, int index) {
        Parameter p = model.parameters().get(index).getValue();
        int dims = p.getArray().getShape().dimension();
        return p.getType() == Parameter.Type.WEIGHT && (dims == 2 || dims == 4) && !isKeptLayer(model, index);
    }

    private static boolean isKeptLayer(PolicyModel model, int index) {
        if (model.config().kind() == ModelKind.MLP) {
            int perNet = 2 * (model.config().mlpHidden().length + 1);
            // the first and the last linear weight of actor and critic
            return index == 0 || index == perNet || index == perNet - 2 || index == 2 * perNet - 2;
        }
        String name = model.parameters().get(index).getKey();
        return name.endsWith("policy_weight") || name.endsWith("value_weight");
    }

    /**
     * How the pruned entries are shared among the covered weight matrices. Magnitudes are comparable within a matrix
     * but not always across matrices: a layer whose inputs are large has small weights. GoToObject's transformer
     * reads raw 0..255 pixels through its patch-embedding convolution, whose weights (mean |w| 0.06) are the smallest
     * of the model (attention 0.22, feed-forward 0.19): one global threshold at 80% pruned all 3,456 of them, so the
     * pruned policy was blind, and fine-tuning with the mask kept could not give it its sight back.
     */
    public enum Ranking {
        /** One magnitude threshold over every covered entry together: the matrices' sparsities differ. */
        GLOBAL,
        /** Each covered matrix pruned to the sparsity by its own magnitudes (uniform sparsity). */
        LAYER;

        /** The id on the command line. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The ranking {@code id} names; anything else is an error naming the input and the rankings there are. */
        public static Ranking parse(String id) {
            String s = id.trim().toLowerCase(Locale.ROOT);
            for (Ranking r : values()) {
                if (r.id().equals(s)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("--ranking " + id + ": unknown ranking; expected global (one "
                    + "magnitude threshold over every covered weight matrix) or layer (each matrix pruned to the "
                    + "sparsity by its own magnitudes)");
        }
    }

    /** The mask pruning {@code sparsity} (in (0, 1)) of {@code model}'s prunable entries by global magnitude. */
    public static ParameterMask select(PolicyModel model, double sparsity) {
        return select(model, sparsity, Ranking.GLOBAL);
    }

    /**
     * The mask pruning {@code sparsity} (in (0, 1)) of {@code model}'s prunable entries by magnitude, ranked as
     * {@code ranking} says. Either way exactly {@code round(sparsity * n)} of the n covered entries are pruned, the
     * smallest first, ties broken by position. By layer, a matrix of m entries loses {@code floor(sparsity * m)} or
     * one more: the entries left over by rounding down go to the matrices with the largest fractional parts (ties
     * to the earlier matrix).
     */
    public static ParameterMask select(PolicyModel model, double sparsity, Ranking ranking) {
        checkSparsity(sparsity);
        List<Pair<String, Parameter>> params = model.parameters();
        List<String> names = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        int total = 0;
        for (int i = 0; i < params.size(); i++) {
            Pair<String, Parameter> p = params.get(i);
            names.add(p.getKey());
            if (prunable(model, i)) {
                float[] v = p.getValue().getArray().toFloatArray();
                values.add(v);
                total += v.length;
            } else {
                values.add(null);
            }
        }
        int prune = (int) Math.round(sparsity * total);
        List<boolean[]> masks = new ArrayList<>();
        if (ranking == Ranking.GLOBAL) {
            float[] all = new float[total];
            int offset = 0;
            for (float[] v : values) {
                if (v != null) {
                    System.arraycopy(v, 0, all, offset, v.length);
                    offset += v.length;
                }
            }
            boolean[] flat = smallest(all, prune);
            offset = 0;
            for (float[] v : values) {
                if (v == null) {
                    masks.add(null);
                } else {
                    masks.add(Arrays.copyOfRange(flat, offset, offset + v.length));
                    offset += v.length;
                }
            }
        } else {
            int[] quota = layerQuotas(values, sparsity, prune);
            for (int i = 0; i < values.size(); i++) {
                masks.add(values.get(i) == null ? null : smallest(values.get(i), quota[i]));
            }
        }
        return new ParameterMask(names, masks);
    }

    /** Each matrix's share of {@code prune} pruned entries: floor(sparsity x m), the rest by largest remainder. */
    private static int[] layerQuotas(List<float[]> values, double sparsity, int prune) {
        int[] quota = new int[values.size()];
        double[] remainder = new double[values.size()];
        int given = 0;
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) != null) {
                double exact = sparsity * values.get(i).length;
                quota[i] = (int) Math.floor(exact);
                remainder[i] = exact - quota[i];
                given += quota[i];
            }
        }
        for (; given < prune; given++) {
            int best = -1;
            for (int i = 0; i < values.size(); i++) {
                if (values.get(i) != null && quota[i] < values.get(i).length
                        && (best < 0 || remainder[i] > remainder[best])) {
                    best = i;
                }
            }
            quota[best]++;
            remainder[best] = -1;
        }
        return quota;
    }

    /** The {@code count} entries of {@code v} with the smallest absolute value, ties broken by position. */
    private static boolean[] smallest(float[] v, int count) {
        // |w| as its float bits (monotonic for non-negative floats) above the entry's index: one sort of longs
        long[] keys = new long[v.length];
        for (int k = 0; k < v.length; k++) {
            keys[k] = ((long) Float.floatToIntBits(Math.abs(v[k])) << 32) | k;
        }
        Arrays.sort(keys);
        boolean[] pruned = new boolean[v.length];
        for (int i = 0; i < count; i++) {
            pruned[(int) (keys[i] & 0xffffffffL)] = true;
        }
        return pruned;
    }

    /** A sparsity must lie strictly between 0 and 1. */
    public static void checkSparsity(double sparsity) {
        if (!(sparsity > 0 && sparsity < 1)) {
            throw new IllegalArgumentException("--sparsity " + sparsity + " is outside (0, 1); expected the fraction "
                    + "to prune, e.g. 0.8");
        }
    }
}
