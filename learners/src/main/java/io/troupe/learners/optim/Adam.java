package io.troupe.learners.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.troupe.learners.model.GradMode;
import io.troupe.learners.model.InPlace;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam with global gradient-norm clipping, whose state (step count and both moment estimates) can be saved and
 * restored, so a learner resumes from a checkpoint without resetting its optimizer. Non-finite gradients skip the
 * update: the parameters stay as they were.
 *
 * <p>On the CPU the arithmetic runs in Java, straight on the gradients' and parameters' storage (two native calls per
 * parameter, where the tensor path costs about a dozen): the small models of RL spend more time in per-call overhead
 * than in arithmetic (3x fewer native calls per PPO minibatch than the tensor path). On other devices the moments
 * stay on the device and the update is a handful of tensor operations.
 */
public final class Adam implements AutoCloseable {
    private final List<Pair<String, Parameter>> parameters;
    private final NDManager manager;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    /** Whether the parameters live on the CPU: then the update runs in Java over {@link #hostM}/{@link #hostV}. */
    private final boolean onHost;
    /** Runs after every step that changed the parameters (see {@link #afterEachStep}). */
    private Runnable afterStep = () -> { };
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final List<float[]> hostM = new ArrayList<>();
    private final List<float[]> hostV = new ArrayList<>();
    /** Scratch for each parameter's gradient and values during a host step, reused. */
    private final List<float[]> hostG = new ArrayList<>();
    private final List<float[]> hostW = new ArrayList<>();
    /** Zeros written over the gradients by {@link #zeroGradients} on the host, grown to the largest parameter. */
    private float[] zeros = new float[0];
    private long step;

    public Adam(List<Pair<String, Parameter>> parameters, NDManager parent, float beta1, float beta2, float epsilon) {
        this(parameters, parent, beta1, beta2, epsilon, false);
    }

    private Adam(List<Pair<String, Parameter>> parameters, NDManager parent, float beta1, float beta2, float epsilon,
                 boolean tensorArithmetic) {
        this.parameters = parameters.stream().filter(p -> p.getValue().requiresGradient()).toList();
        this.manager = parent.newSubManager();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.onHost = !tensorArithmetic && this.parameters.stream().map(p -> p.getValue().getArray())
                .allMatch(a -> a.getDevice().getDeviceType().equals(Device.Type.CPU)
                        && a.getDataType() == DataType.FLOAT32);
        for (Pair<String, Parameter> p : this.parameters) {
            NDArray w = p.getValue().getArray();
            if (onHost) {
                hostM.add(new float[Math.toIntExact(w.size())]);
                hostV.add(new float[Math.toIntExact(w.size())]);
                hostG.add(new float[Math.toIntExact(w.size())]);
                hostW.add(new float[Math.toIntExact(w.size())]);
            } else {
                m.add(manager.zeros(w.getShape(), w.getDataType(), w.getDevice()));
                v.add(manager.zeros(w.getShape(), w.getDataType(), w.getDevice()));
            }
        }
    }

    /** PyTorch's defaults with CleanRL's epsilon: beta1 0.9, beta2 0.999, eps 1e-5. */
    public static Adam withDefaults(List<Pair<String, Parameter>> parameters, NDManager parent) {
        return new Adam(parameters, parent, 0.9f, 0.999f, 1e-5f);
    }

    /**
     * PyTorch's defaults, always with tensor arithmetic (what parameters on a GPU use), even on the CPU: for checking
     * that both paths take the same steps.
     */
    public static Adam withTensorArithmetic(List<Pair<String, Parameter>> parameters, NDManager parent) {
        return new Adam(parameters, parent, 0.9f, 0.999f, 1e-5f, true);
    }

    /**
     * Clips the gradients to {@code maxGradNorm} (global L2 norm; 0 disables clipping) and takes one Adam step with
     * learning rate {@code lr}. Returns the gradient norm before clipping; when it is not finite no parameter changes.
     */
    public double step(float lr, float maxGradNorm) {
        GradMode.off(); // in-place updates of parameters must not be recorded
        double norm = onHost ? hostStep(lr, maxGradNorm) : tensorStep(lr, maxGradNorm);
        if (Double.isFinite(norm)) {
            afterStep.run();
        }
        return norm;
    }

    /**
     * Runs {@code hook} after every step that changed the parameters, before the caller sees them (a prune mask
     * re-applied, so pruned weights stay exactly zero). One hook; a second call replaces it.
     */
    public void afterEachStep(Runnable hook) {
        this.afterStep = hook;
    }

    private double tensorStep(float lr, float maxGradNorm) {
        double sq = 0;
        try (NDManager scope = manager.newSubManager()) {
            for (Pair<String, Parameter> p : parameters) {
                NDArray g = p.getValue().getArray().getGradient();
                g.attach(scope); // the handle (not the gradient itself) closes with the scope
                sq += g.square().sum().getFloat();
            }
        }
        double norm = Math.sqrt(sq);
        if (!Double.isFinite(norm)) {
            return norm;
        }
        Scalars k = nextStep(lr, maxGradNorm, norm);
        float scale = k.scale();
        float c2 = k.c2();
        float stepSize = k.stepSize();
        for (int i = 0; i < parameters.size(); i++) {
            NDArray w = parameters.get(i).getValue().getArray();
            try (NDManager scope = manager.newSubManager()) {
                // temporaries of an operation attach to its first operand's manager: borrow the long-lived arrays
                // into the scope so every temporary is freed with it
                scope.tempAttachAll(m.get(i), v.get(i), w);
                NDArray g = w.getGradient();
                g.attach(scope);
                NDArray gs = scale == 1f ? g : g.mul(scale);
                m.get(i).muli(beta1).addi(gs.mul(1 - beta1));
                v.get(i).muli(beta2).addi(gs.square().muli(1 - beta2));
                NDArray denom = v.get(i).div(c2).sqrt().addi(epsilon);
                w.subi(m.get(i).div(denom).muli(stepSize));
            }
        }
        return norm;
    }

    /** What one step scales by: the clipping factor, the second moment's bias correction, the step size. */
    private record Scalars(float scale, float c2, float stepSize) {
    }

    /** Counts the step and derives its scalars from the gradient norm (both paths share this arithmetic). */
    private Scalars nextStep(float lr, float maxGradNorm, double norm) {
        float scale = maxGradNorm > 0 && norm > maxGradNorm ? (float) (maxGradNorm / (norm + 1e-6)) : 1f;
        step++;
        float c1 = (float) (1 - Math.pow(beta1, step));
        float c2 = (float) (1 - Math.pow(beta2, step));
        return new Scalars(scale, c2, lr / c1);
    }

    /**
     * {@link #step} in Java: the same arithmetic as the tensor path, in float like PyTorch's. Each gradient is read
     * from, and each parameter read from and written back to, its own storage ({@link InPlace#hostView}) in bulk
     * copies through reused arrays: two native calls per parameter and no allocation (the arithmetic runs on arrays,
     * which the client compiler that {@code ./troupe train} uses handles far better than buffer accessors). The
     * gradients' handles close with the step (each {@code getGradient()} makes a new one).
     */
    private double hostStep(float lr, float maxGradNorm) {
        int n = parameters.size();
        try (NDManager scope = manager.newSubManager()) {
            double sq = 0;
            for (int i = 0; i < n; i++) {
                NDArray gArray = parameters.get(i).getValue().getArray().getGradient();
                gArray.attach(scope);
                float[] g = hostG.get(i);
                InPlace.hostView(gArray).get(g);
                for (float x : g) {
                    sq += (double) x * x;
                }
            }
            double norm = Math.sqrt(sq);
            if (!Double.isFinite(norm)) {
                return norm;
            }
            Scalars k = nextStep(lr, maxGradNorm, norm);
            float scale = k.scale();
            float c2 = k.c2();
            float stepSize = k.stepSize();
            for (int i = 0; i < n; i++) {
                FloatBuffer view = InPlace.hostView(parameters.get(i).getValue().getArray());
                float[] w = hostW.get(i);
                view.get(0, w);
                float[] g = hostG.get(i);
                float[] mi = hostM.get(i);
                float[] vi = hostV.get(i);
                for (int j = 0; j < w.length; j++) {
                    float gs = g[j] * scale;
                    mi[j] = mi[j] * beta1 + gs * (1 - beta1);
                    vi[j] = vi[j] * beta2 + gs * gs * (1 - beta2);
                    float denom = (float) Math.sqrt(vi[j] / c2) + epsilon;
                    w[j] -= mi[j] / denom * stepSize;
                }
                view.put(0, w);
            }
            return norm;
        }
    }

    /**
     * Zeroes the gradients of the parameters (PyTorch accumulates them across backward passes). Cheaper than
     * DJL's {@code GradientCollector.zeroGradients()}, which walks every array of the engine.
     */
    public void zeroGradients() {
        GradMode.off();
        try (NDManager scope = manager.newSubManager()) {
            for (Pair<String, Parameter> p : parameters) {
                NDArray w = p.getValue().getArray();
                if (w.hasGradient()) {
                    NDArray g = w.getGradient();
                    g.attach(scope);
                    if (onHost) {
                        float[] zeros = hostZeros(g.size());
                        InPlace.hostView(g).put(0, zeros, 0, (int) g.size());
                    } else {
                        // in place (index_put_): NDArray.set(Buffer) would swap the gradient's storage for a Java
                        // buffer that dies with this handle
                        g.set(new NDIndex("..."), 0f);
                    }
                }
            }
        }
    }

    /** A reused array of at least {@code size} zeros. */
    private float[] hostZeros(long size) {
        if (zeros.length < size) {
            zeros = new float[Math.toIntExact(size)];
        }
        return zeros;
    }

    public long steps() {
        return step;
    }

    /** Writes the step count and the moments, parameter by parameter. */
    public void save(DataOutputStream out) throws IOException {
        out.writeLong(step);
        out.writeInt(parameters.size());
        for (int i = 0; i < parameters.size(); i++) {
            out.writeUTF(parameters.get(i).getKey());
            writeFloats(out, onHost ? hostM.get(i) : m.get(i).toFloatArray());
            writeFloats(out, onHost ? hostV.get(i) : v.get(i).toFloatArray());
        }
    }

    /** Restores what {@link #save} wrote; the parameter list must match. */
    public void load(DataInputStream in) throws IOException {
        GradMode.off();
        long s = in.readLong();
        int n = in.readInt();
        if (n != parameters.size()) {
            throw new IllegalArgumentException("optimizer state has " + n + " parameters, the model " + parameters.size());
        }
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            if (!name.equals(parameters.get(i).getKey())) {
                throw new IllegalArgumentException("optimizer state parameter " + i + " is " + name + ", the model's is "
                        + parameters.get(i).getKey());
            }
            long size = parameters.get(i).getValue().getArray().size();
            float[] mi = readFloats(in, size);
            float[] vi = readFloats(in, size);
            if (onHost) {
                hostM.set(i, mi);
                hostV.set(i, vi);
            } else {
                InPlace.copy(m.get(i), mi);
                InPlace.copy(v.get(i), vi);
            }
        }
        step = s;
    }

    private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        out.writeInt(a.length);
        for (float f : a) {
            out.writeFloat(f);
        }
    }

    private static float[] readFloats(DataInputStream in, long expected) throws IOException {
        int n = in.readInt();
        if (n != expected) {
            throw new IllegalArgumentException("optimizer state array of " + n + " values, expected " + expected);
        }
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.readFloat();
        }
        return a;
    }

    @Override
    public void close() {
        manager.close();
    }
}
