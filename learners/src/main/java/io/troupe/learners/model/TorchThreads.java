package io.troupe.learners.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's intra-op thread count ({@code at::set_num_threads}). With OpenMP the count is kept per calling thread, so a
 * learner that sets it on its own dispatcher thread gets that many threads for its updates; threads that have not yet
 * run a PyTorch operation start with the last value set, and MKL's count is process-wide.
 */
public final class TorchThreads {
    private static final boolean PYTORCH = "PyTorch".equals(Engine.getInstance().getEngineName());

    private TorchThreads() {
    }

    /**
     * Sets the intra-op thread count for the calling thread when {@code threads} is positive and differs from it;
     * returns the count in effect afterwards (0 on engines other than PyTorch, where this does nothing).
     */
    public static int setOnThisThread(int threads) {
        if (!PYTORCH) {
            return 0;
        }
        if (threads > 0 && JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
        return JniUtils.getNumThreads();
    }
}
