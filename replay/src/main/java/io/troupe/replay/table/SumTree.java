package io.troupe.replay.table;

/**
 * A binary sum-tree over {@code capacity} non-negative leaf values: O(log n) update and prefix-sum search, the
 * structure behind prioritized sampling. Internal nodes are recomputed from their children on each update (no
 * accumulated floating-point drift). Single-threaded.
 */
public final class SumTree {
    private final int leaves;
    private final double[] nodes;

    public SumTree(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("sum-tree capacity must be >= 1, got " + capacity);
        }
        int n = 1;
        while (n < capacity) {
            n <<= 1;
        }
        this.leaves = n;
        this.nodes = new double[2 * n];
    }

    public void set(int index, double value) {
        int i = index + leaves;
        nodes[i] = value;
        i >>>= 1;
        while (i >= 1) {
            nodes[i] = nodes[2 * i] + nodes[2 * i + 1];
            i >>>= 1;
        }
    }

    public double get(int index) {
        return nodes[index + leaves];
    }

    public double total() {
        return nodes[1];
    }

    /**
     * The leaf whose cumulative range holds {@code u}, for {@code 0 <= u < total()}. Never returns a zero leaf while
     * the total is positive.
     */
    public int find(double u) {
        int i = 1;
        while (i < leaves) {
            int left = 2 * i;
            double l = nodes[left];
            if ((u < l && l > 0) || nodes[left + 1] <= 0) {
                i = left;
            } else {
                u -= l;
                i = left + 1;
            }
        }
        return i - leaves;
    }
}
