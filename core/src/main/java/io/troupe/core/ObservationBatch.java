package io.troupe.core;

import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Space;
import io.troupe.core.space.Text;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Observations of {@code rows} environments laid out per modality in contiguous arrays: modality {@code m} of row
 * {@code r} occupies {@code [r * elements(m), (r + 1) * elements(m))} of its array. This is the layout batched
 * inference reads and vectorized envs write in place, so the stepping hot path allocates nothing.
 * Modalities follow the observation space's order ({@link Dict} order, or one modality named
 * {@value Observation#SINGLE}).
 */
public final class ObservationBatch {

    /** One modality's layout: name, element type and per-row shape. Compares by content. */
    public record Modality(String name, DType dtype, int[] shape, int elements) {
        public Modality {
            if (elements != Shapes.size(shape)) {
                throw new IllegalArgumentException("modality '" + name + "' of shape " + Shapes.format(shape)
                        + " has " + Shapes.size(shape) + " elements, not " + elements);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Modality m && name.equals(m.name) && dtype == m.dtype
                    && Arrays.equals(shape, m.shape);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + ":" + dtype.label() + Shapes.format(shape);
        }

        /** Bytes per row of this modality. */
        public int bytesPerRow() {
            return dtype == DType.UINT8 ? elements : 4 * elements;
        }
    }

    private final int rows;
    private final List<Modality> modalities;
    private final Map<String, Integer> index;
    private final Object[] arrays;

    private ObservationBatch(int rows, List<Modality> modalities) {
        this(rows, modalities, true);
    }

    private ObservationBatch(int rows, List<Modality> modalities, boolean allocate) {
        this.rows = rows;
        this.modalities = List.copyOf(modalities);
        this.index = new LinkedHashMap<>();
        this.arrays = new Object[modalities.size()];
        for (int m = 0; m < modalities.size(); m++) {
            Modality mod = modalities.get(m);
            index.put(mod.name(), m);
            long n = (long) rows * mod.elements();
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("observation batch of " + rows + " rows of '" + mod.name()
                        + "' would exceed 2^31-1 elements");
            }
            if (allocate) {
                arrays[m] = switch (mod.dtype()) {
                    case FLOAT32 -> new float[(int) n];
                    case UINT8 -> new byte[(int) n];
                    case INT32 -> new int[(int) n];
                };
            }
        }
    }

    /** A batch over existing arrays (not copied), one per modality, each {@code rows * elements} long. */
    public static ObservationBatch of(int rows, List<Modality> modalities, List<Object> arrays) {
        if (modalities.size() != arrays.size()) {
            throw new IllegalArgumentException(modalities.size() + " modalities but " + arrays.size() + " arrays");
        }
        ObservationBatch b = new ObservationBatch(rows, modalities, false);
        for (int m = 0; m < modalities.size(); m++) {
            Modality mod = modalities.get(m);
            Object a = arrays.get(m);
            int len = a instanceof float[] f ? f.length : a instanceof byte[] by ? by.length
                    : a instanceof int[] i ? i.length : -1;
            boolean typeOk = switch (mod.dtype()) {
                case FLOAT32 -> a instanceof float[];
                case UINT8 -> a instanceof byte[];
                case INT32 -> a instanceof int[];
            };
            if (!typeOk || len != rows * mod.elements()) {
                throw new IllegalArgumentException("modality '" + mod.name() + "' needs a " + mod.dtype().label()
                        + " array of " + rows * mod.elements() + " elements");
            }
            b.arrays[m] = a;
        }
        return b;
    }

    /** An all-zero batch of {@code rows} observations of {@code space}. */
    public static ObservationBatch forSpace(Space space, int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("an observation batch needs rows >= 1, got " + rows);
        }
        return zeros(rows, modalitiesOf(space));
    }

    /** An all-zero batch of {@code rows} observations made of {@code modalities}. */
    public static ObservationBatch zeros(int rows, List<Modality> modalities) {
        if (rows < 1) {
            throw new IllegalArgumentException("an observation batch needs rows >= 1, got " + rows);
        }
        return new ObservationBatch(rows, modalities);
    }

    /** The modalities an observation of {@code space} is made of. */
    public static List<Modality> modalitiesOf(Space space) {
        List<Modality> out = new ArrayList<>();
        if (space instanceof Dict d) {
            d.spaces().forEach((name, s) -> out.add(modality(name, s)));
        } else {
            out.add(modality(Observation.SINGLE, space));
        }
        return out;
    }

    private static Modality modality(String name, Space s) {
        if (s instanceof Box b) {
            return new Modality(name, b.dtype(), b.shape().clone(), b.size());
        }
        if (s instanceof Text t) {
            return new Modality(name, DType.INT32, new int[] {t.maxTokens()}, t.maxTokens());
        }
        throw new IllegalArgumentException("observation space " + s.describe()
                + " cannot be batched: expected Box, Text or a Dict of them");
    }

    public int rows() {
        return rows;
    }

    public List<Modality> modalities() {
        return modalities;
    }

    /** The index of modality {@code name}; the error lists the names there are. */
    public int indexOf(String name) {
        Integer m = index.get(name);
        if (m == null) {
            throw new IllegalArgumentException("observation batch has no modality '" + name + "'; it has "
                    + index.keySet());
        }
        return m;
    }

    /** Elements per row of modality {@code m}. */
    public int elements(int m) {
        return modalities.get(m).elements();
    }

    public float[] floats(int m) {
        return (float[]) arrays[m];
    }

    public byte[] bytes(int m) {
        return (byte[]) arrays[m];
    }

    public int[] ints(int m) {
        return (int[]) arrays[m];
    }

    /** The backing array of modality {@code m} ({@code float[]}, {@code byte[]} or {@code int[]}). */
    public Object array(int m) {
        return arrays[m];
    }

    /** Copies {@code observation} into row {@code row}; its tensors must match the modalities in order and size. */
    public void write(int row, Observation observation) {
        Map<String, Tensor> tensors = observation.tensors();
        if (tensors.size() != modalities.size()) {
            throw new IllegalArgumentException("observation has tensors " + tensors.keySet() + "; batch expects "
                    + index.keySet());
        }
        int m = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Modality mod = modalities.get(m);
            Tensor t = e.getValue();
            if (t.dtype() != mod.dtype() || t.size() != mod.elements()) {
                throw new IllegalArgumentException("observation tensor '" + e.getKey() + "' is " + t.describe()
                        + "; batch modality '" + mod.name() + "' expects " + mod.dtype().label()
                        + Shapes.format(mod.shape()));
            }
            Object src = t instanceof FloatTensor f ? f.data() : t instanceof ByteTensor b ? b.data() : ((IntTensor) t).data();
            System.arraycopy(src, 0, arrays[m], row * mod.elements(), mod.elements());
            m++;
        }
    }

    /** A copy of row {@code row} as an observation. */
    public Observation read(int row) {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (int m = 0; m < modalities.size(); m++) {
            Modality mod = modalities.get(m);
            int n = mod.elements();
            int from = row * n;
            Tensor t = switch (mod.dtype()) {
                case FLOAT32 -> new FloatTensor(mod.shape().clone(), Arrays.copyOfRange(floats(m), from, from + n));
                case UINT8 -> new ByteTensor(mod.shape().clone(), Arrays.copyOfRange(bytes(m), from, from + n));
                case INT32 -> new IntTensor(mod.shape().clone(), Arrays.copyOfRange(ints(m), from, from + n));
            };
            out.put(mod.name(), t);
        }
        if (out.size() == 1 && out.containsKey(Observation.SINGLE)) {
            return Observation.of(out.get(Observation.SINGLE));
        }
        return Observation.of(out);
    }

    /** Bytes of observation data per row, over all modalities. */
    public int bytesPerRow() {
        int n = 0;
        for (Modality m : modalities) {
            n += m.bytesPerRow();
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ObservationBatch b) || b.rows != rows || !b.modalities.equals(modalities)) {
            return false;
        }
        for (int m = 0; m < arrays.length; m++) {
            if (!Objects.deepEquals(arrays[m], b.arrays[m])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = rows * 31 + modalities.hashCode();
        for (Object a : arrays) {
            h = h * 31 + Arrays.deepHashCode(new Object[] {a});
        }
        return h;
    }

    @Override
    public String toString() {
        return "ObservationBatch(" + rows + " rows, " + modalities + ")";
    }

    /** Copies row {@code fromRow} of this batch into row {@code toRow} of {@code target} (same layout). */
    public void copyRow(int fromRow, ObservationBatch target, int toRow) {
        for (int m = 0; m < modalities.size(); m++) {
            int n = modalities.get(m).elements();
            System.arraycopy(arrays[m], fromRow * n, target.arrays[m], toRow * n, n);
        }
    }
}
