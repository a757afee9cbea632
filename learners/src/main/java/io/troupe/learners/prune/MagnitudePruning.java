package io.troupe.learners.prune;

import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.troupe.learners.model.ModelKind;
import io.troupe.learners.model.PolicyModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Global magnitude pruning (unstructured): over every weight matrix of the model together (linear and convolution
 * weights; the MLP's input layers, the output heads, biases, layer norms and learned embeddings such as positions are
 * kept), the {@code sparsity} fraction of
 * entries with the smallest absolute value is pruned. Exactly {@code round(sparsity * n)} entries, ties broken by
 * position. Pure.
 */
public final class MagnitudePruning {
    private MagnitudePruning() {
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

    /** The mask pruning {@code sparsity} (in (0, 1)) of {@code model}'s prunable entries by global magnitude. */
    public static ParameterMask select(PolicyModel model, double sparsity) {
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
        // |w| as its float bits (monotonic for non-negative floats) above the entry's global index: one sort of longs
        long[] keys = new long[total];
        int k = 0;
        for (float[] v : values) {
            if (v != null) {
                for (float x : v) {
                    keys[k] = ((long) Float.floatToIntBits(Math.abs(x)) << 32) | k;
                    k++;
                }
            }
        }
        Arrays.sort(keys);
        int prune = (int) Math.round(sparsity * total);
        boolean[] flat = new boolean[total];
        for (int i = 0; i < prune; i++) {
            flat[(int) (keys[i] & 0xffffffffL)] = true;
        }
        List<boolean[]> masks = new ArrayList<>();
        int offset = 0;
        for (float[] v : values) {
            if (v == null) {
                masks.add(null);
            } else {
                masks.add(Arrays.copyOfRange(flat, offset, offset + v.length));
                offset += v.length;
            }
        }
        return new ParameterMask(names, masks);
    }

    /** A sparsity must lie strictly between 0 and 1. */
    public static void checkSparsity(double sparsity) {
        if (!(sparsity > 0 && sparsity < 1)) {
            throw new IllegalArgumentException("--sparsity " + sparsity + " is outside (0, 1); expected the fraction "
                    + "to prune, e.g. 0.8");
        }
    }
}
