package io.troupe.serving.batch;

/**
 * What one request's observations got from the forward pass they were part of.
 *
 * @param logits    rows x actions, row-major
 * @param values    one value estimate per row
 * @param actions   actions per row
 * @param version   the policy version that computed them
 * @param batchRows the rows of the whole forward pass the request shared
 */
public record Inference(float[] logits, float[] values, int actions, long version, int batchRows) {
    public int rows() {
        return values.length;
    }
}
