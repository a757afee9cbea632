package io.troupe.learners.model;

import java.util.SplittableRandom;

/** Orthogonal initialization (Saxe et al.), as CleanRL's {@code layer_init}: a random orthonormal matrix times a gain. */
final class Orthogonal {
    private Orthogonal() {
    }

    /** A {@code rows x cols} matrix, row-major, with orthonormal rows or columns (whichever are fewer), times gain. */
    static float[] matrix(int rows, int cols, double gain, SplittableRandom rng) {
        boolean transpose = rows < cols;
        int r = transpose ? cols : rows;
        int c = transpose ? rows : cols;
        double[][] q = new double[c][r]; // c column vectors of length r
        for (int j = 0; j < c; j++) {
            for (int i = 0; i < r; i++) {
                q[j][i] = rng.nextGaussian();
            }
            for (int k = 0; k < j; k++) { // Gram-Schmidt, twice for stability
                for (int pass = 0; pass < 2; pass++) {
                    double dot = 0;
                    for (int i = 0; i < r; i++) {
                        dot += q[j][i] * q[k][i];
                    }
                    for (int i = 0; i < r; i++) {
                        q[j][i] -= dot * q[k][i];
                    }
                }
            }
            double norm = 0;
            for (int i = 0; i < r; i++) {
                norm += q[j][i] * q[j][i];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < r; i++) {
                q[j][i] /= norm;
            }
        }
        float[] out = new float[rows * cols];
        for (int row = 0; row < rows; row++) {
            for (int col = 0; col < cols; col++) {
                double v = transpose ? q[row][col] : q[col][row];
                out[row * cols + col] = (float) (gain * v);
            }
        }
        return out;
    }
}
