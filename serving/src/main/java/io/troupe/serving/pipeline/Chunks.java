package io.troupe.serving.pipeline;

import io.troupe.core.ObservationBatch;

/**
 * How a batch crosses between stages: cut into messages of whole rows under {@code troupe.serving.pipeline.
 * message-bytes} (each under Artery's frame and the wire's per-array limit), and the last stage's answers put back
 * together row by row. Pure: no actors.
 */
public final class Chunks {
    private Chunks() {
    }

    /** Rows one message carries when a row is {@code bytesPerRow}; a row over the limit is an error naming it. */
    public static int rowsPerMessage(int bytesPerRow, long messageBytes) {
        if (bytesPerRow > messageBytes) {
            throw new IllegalArgumentException("one row is " + bytesPerRow + " bytes between stages, more than "
                    + "troupe.serving.pipeline.message-bytes (" + messageBytes + "); raise it (and Artery's frame "
                    + "size with it) or split the model where its activations are smaller");
        }
        return (int) Math.max(1, messageBytes / Math.max(1, bytesPerRow));
    }

    /** Rows {@code [from, to)} of {@code batch} as their own batch (a copy; {@code batch} itself for all rows). */
    public static ObservationBatch rows(ObservationBatch batch, int from, int to) {
        if (from == 0 && to == batch.rows()) {
            return batch;
        }
        ObservationBatch out = ObservationBatch.zeros(to - from, batch.modalities());
        for (int r = from; r < to; r++) {
            batch.copyRow(r, out, r - from);
        }
        return out;
    }

    /** The logits and values of one request's rows, as its messages come out of the last stage, in any order. */
    public static final class Assembly {
        private final int actions;
        private final float[] logits;
        private final float[] values;
        private int received;

        public Assembly(int rows, int actions) {
            this.actions = actions;
            this.logits = new float[rows * actions];
            this.values = new float[rows];
        }

        /** Adds rows {@code [from, from + values.length)}; true when every row has come. */
        public boolean add(int from, float[] partLogits, float[] partValues) {
            if (from < 0 || from + partValues.length > values.length
                    || partLogits.length != partValues.length * actions) {
                throw new IllegalArgumentException("rows " + from + ".." + (from + partValues.length) + " with "
                        + partLogits.length + " logits do not fit a batch of " + values.length + " rows x " + actions
                        + " actions");
            }
            System.arraycopy(partLogits, 0, logits, from * actions, partLogits.length);
            System.arraycopy(partValues, 0, values, from, partValues.length);
            received += partValues.length;
            return received >= values.length;
        }

        public float[] logits() {
            return logits;
        }

        public float[] values() {
            return values;
        }

        public int actions() {
            return actions;
        }
    }
}
