package io.troupe.learners.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/** Reads {@code troupe.learner.device}: {@code auto} (a GPU when the engine reports one), {@code cpu}, {@code gpu}, {@code gpu:N}. */
public final class Devices {
    private Devices() {
    }

    public static Device select(String setting) {
        String s = setting.trim().toLowerCase(Locale.ROOT);
        int gpus = Engine.getInstance().getGpuCount();
        if (s.equals("auto")) {
            return gpus > 0 ? Device.gpu() : Device.cpu();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("gpu") || s.startsWith("gpu:")) {
            int id = 0;
            if (s.startsWith("gpu:")) {
                try {
                    id = Integer.parseInt(s.substring(4));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("troupe.learner.device: '" + setting
                            + "' is not auto, cpu, gpu or gpu:N");
                }
            }
            if (id >= gpus) {
                throw new IllegalArgumentException("troupe.learner.device = " + setting + " but the engine reports "
                        + gpus + " GPU(s); use auto or cpu, or run with the CUDA profile on a GPU machine");
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("troupe.learner.device: '" + setting + "' is not auto, cpu, gpu or gpu:N");
    }
}
