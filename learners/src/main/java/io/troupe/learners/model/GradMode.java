package io.troupe.learners.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's gradient mode is per thread and on by default; DJL turns it off only on the thread that loads the engine.
 * Actors run on pool threads, so every entry point that must not record a graph (inference, optimizer steps) turns it
 * off for the current thread first. {@code GradientCollector} turns it on for its own scope.
 */
public final class GradMode {
    private static final boolean PYTORCH = "PyTorch".equals(Engine.getInstance().getEngineName());

    private GradMode() {
    }

    /** Turns gradient recording off on this thread. */
    public static void off() {
        if (PYTORCH) {
            JniUtils.setGradMode(false);
        }
    }
}
