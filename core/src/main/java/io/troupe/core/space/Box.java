package io.troupe.core.space;

import io.troupe.core.Action;
import io.troupe.core.ByteTensor;
import io.troupe.core.DType;
import io.troupe.core.FloatTensor;
import io.troupe.core.Shapes;
import io.troupe.core.Tensor;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * A box in R^n with per-element bounds: float32 (vectors, continuous actions) or uint8 (images, CHW order). Bounds may
 * be infinite for float32. Contains tensors of the same dtype and shape inside the bounds, and, for 1-D float32
 * boxes, {@link Action.Continuous} actions.
 */
public record Box(int[] shape, float[] low, float[] high, DType dtype) implements Space {
    public Box {
        int n = Shapes.size(shape);
        if (dtype != DType.FLOAT32 && dtype != DType.UINT8) {
            throw new IllegalArgumentException("Box dtype must be float32 or uint8, got " + dtype.label());
        }
        if (low.length != n || high.length != n) {
            throw new IllegalArgumentException("Box of shape " + Shapes.format(shape) + " needs " + n
                    + " low and high bounds, got " + low.length + " and " + high.length);
        }
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(low[i]) || Float.isNaN(high[i]) || low[i] > high[i]) {
                throw new IllegalArgumentException("Box bound " + i + " is invalid: low=" + low[i] + " high=" + high[i]);
            }
            if (dtype == DType.UINT8 && (low[i] < 0 || high[i] > 255 || low[i] != Math.rint(low[i])
                    || high[i] != Math.rint(high[i]))) {
                throw new IllegalArgumentException("uint8 Box bound " + i + " must be an integer in 0..255: low="
                        + low[i] + " high=" + high[i]);
            }
        }
        shape = shape.clone();
        low = low.clone();
        high = high.clone();
    }

    /** A box with the same bounds for every element. */
    public static Box uniform(float low, float high, DType dtype, int... shape) {
        int n = Shapes.size(shape);
        float[] lo = new float[n];
        float[] hi = new float[n];
        Arrays.fill(lo, low);
        Arrays.fill(hi, high);
        return new Box(shape, lo, hi, dtype);
    }

    /** A 1-D float32 box with per-element bounds. */
    public static Box float32(float[] low, float[] high) {
        return new Box(new int[] {low.length}, low, high, DType.FLOAT32);
    }

    /** An image space: uint8, shape {@code [channels, height, width]}, values 0..255. */
    public static Box image(int channels, int height, int width) {
        return uniform(0, 255, DType.UINT8, channels, height, width);
    }

    /** Number of elements. */
    public int size() {
        return low.length;
    }

    @Override
    public Optional<String> violation(Object value) {
        if (value instanceof Action.Continuous a) {
            if (dtype != DType.FLOAT32 || shape.length != 1) {
                return Optional.of("action " + a + " is not in " + describe() + ": expected a " + dtype.label()
                        + Shapes.format(shape) + " value");
            }
            return checkFloats(a.values(), () -> "action " + a);
        }
        if (!(value instanceof Tensor t)) {
            return Optional.of("value " + value + " is not in " + describe() + ": expected a " + dtype.label()
                    + " tensor of shape " + Shapes.format(shape));
        }
        if (t.dtype() != dtype || !Arrays.equals(t.shape(), shape)) {
            return Optional.of("tensor " + t.describe() + " is not in " + describe() + ": expected " + dtype.label()
                    + Shapes.format(shape));
        }
        if (t instanceof FloatTensor f) {
            return checkFloats(f.data(), () -> "tensor " + t.describe());
        }
        byte[] b = ((ByteTensor) t).data();
        for (int i = 0; i < b.length; i++) {
            int v = b[i] & 0xFF;
            if (v < low[i] || v > high[i]) {
                return Optional.of("tensor " + t.describe() + " element " + i + " = " + v + " is outside [" + (int) low[i]
                        + ", " + (int) high[i] + "] of " + describe());
            }
        }
        return Optional.empty();
    }

    /** {@code what} names the value in a violation's message, built only when there is one (a hot path). */
    private Optional<String> checkFloats(float[] v, Supplier<String> what) {
        if (v.length != low.length) {
            return Optional.of(what.get() + " has " + v.length + " elements; " + describe() + " expects "
                    + low.length);
        }
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= low[i] && v[i] <= high[i])) {
                return Optional.of(what.get() + " element " + i + " = " + v[i] + " is outside [" + low[i] + ", "
                        + high[i] + "] of " + describe());
            }
        }
        return Optional.empty();
    }

    /** Samples as Gymnasium does: uniform where bounded, normal where unbounded, shifted exponential if half-bounded. */
    @Override
    public Tensor sample(RandomGenerator rng) {
        int n = low.length;
        if (dtype == DType.UINT8) {
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) {
                b[i] = (byte) (low[i] + rng.nextInt((int) (high[i] - low[i]) + 1));
            }
            return new ByteTensor(shape.clone(), b);
        }
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            boolean lo = Float.isFinite(low[i]);
            boolean hi = Float.isFinite(high[i]);
            double x;
            if (lo && hi) {
                x = low[i] + (high[i] - (double) low[i]) * rng.nextDouble();
            } else if (!lo && !hi) {
                x = rng.nextGaussian();
            } else if (lo) {
                x = low[i] + rng.nextExponential();
            } else {
                x = high[i] - rng.nextExponential();
            }
            f[i] = (float) Math.min(Math.max(x, low[i]), high[i]);
        }
        return new FloatTensor(shape.clone(), f);
    }

    @Override
    public String describe() {
        String bounds;
        if (allSame(low) && allSame(high)) {
            bounds = fmt(low[0]) + ".." + fmt(high[0]);
        } else {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < low.length && i < 8; i++) {
                sb.append(i == 0 ? "" : ", ").append(fmt(low[i])).append("..").append(fmt(high[i]));
            }
            bounds = sb.append(low.length > 8 ? ", ...]" : "]").toString();
        }
        return "Box(" + dtype.label() + ", " + Shapes.format(shape) + ", " + bounds + ")";
    }

    private static boolean allSame(float[] a) {
        for (float v : a) {
            if (Float.compare(v, a[0]) != 0) {
                return false;
            }
        }
        return true;
    }

    private static String fmt(float v) {
        if (v == Float.POSITIVE_INFINITY || v == Float.MAX_VALUE) {
            return "inf";
        }
        if (v == Float.NEGATIVE_INFINITY || v == -Float.MAX_VALUE) {
            return "-inf";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e6 ? Integer.toString((int) v) : Float.toString(v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Box b && dtype == b.dtype && Arrays.equals(shape, b.shape) && Arrays.equals(low, b.low)
                && Arrays.equals(high, b.high);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(shape) + Arrays.hashCode(low)) + Arrays.hashCode(high) + dtype.hashCode();
    }

    @Override
    public String toString() {
        return describe();
    }
}
