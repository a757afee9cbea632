package io.troupe.learners.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads {@code troupe.learner.device}: {@code auto} (every GPU the engine reports, data-parallel when there are
 * several; the CPU when there is none), {@code cpu}, {@code gpu} (the first GPU), {@code gpu:N}, {@code gpu:all}, or
 * a list such as {@code gpu:0,gpu:1} (data-parallel over those devices; the first holds the primary replica).
 */
public final class Devices {
    private static final String EXPECTED = "auto, cpu, gpu, gpu:N, gpu:all or a comma-separated list of those";

    private Devices() {
    }

    /**
     * Loads the deep-learning engine (PyTorch's native library, about a second) on a background thread, so a launch
     * overlaps it with starting the actor system. Later engine calls wait for it as they would anyway.
     */
    public static void preloadEngine() {
        Thread t = new Thread(() -> {
            try {
                Engine.getInstance();
            } catch (RuntimeException | Error e) {
                // reported by the first real use, with its context
            }
        }, "troupe-engine-preload");
        t.setDaemon(true);
        t.start();
    }

    /** The first (primary) device of the setting. */
    public static Device select(String setting) {
        return selectAll(setting).get(0);
    }

    /** Every device of the setting, primary first. */
    public static List<Device> selectAll(String setting) {
        int gpus = Engine.getInstance().getGpuCount();
        String s = setting.trim().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return gpus > 0 ? allGpus(gpus) : List.of(Device.cpu());
        }
        List<Device> devices = new ArrayList<>();
        for (String part : s.split(",")) {
            String p = part.trim();
            if (p.equals("cpu")) {
                devices.add(Device.cpu());
            } else if (p.equals("gpu:all")) {
                requireGpus(setting, gpus, 0);
                devices.addAll(allGpus(gpus));
            } else if (p.equals("gpu") || p.startsWith("gpu:")) {
                int id = 0;
                if (p.startsWith("gpu:")) {
                    try {
                        id = Integer.parseInt(p.substring(4));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("troupe.learner.device: '" + p + "' in '" + setting
                                + "' is not one of " + EXPECTED);
                    }
                }
                requireGpus(setting, gpus, id);
                devices.add(Device.gpu(id));
            } else {
                throw new IllegalArgumentException("troupe.learner.device: '" + p + "' in '" + setting
                        + "' is not one of " + EXPECTED);
            }
        }
        return List.copyOf(devices);
    }

    private static List<Device> allGpus(int gpus) {
        List<Device> all = new ArrayList<>();
        for (int i = 0; i < gpus; i++) {
            all.add(Device.gpu(i));
        }
        return all;
    }

    private static void requireGpus(String setting, int gpus, int id) {
        if (id < 0 || id >= gpus) {
            throw new IllegalArgumentException("troupe.learner.device = " + setting + " but the engine reports " + gpus
                    + " GPU(s); use auto or cpu, or build with the CUDA profile (mvn -Pcuda) on a GPU machine");
        }
    }
}
