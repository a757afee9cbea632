package io.troupe.cluster.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * A benchmark's warm-up that ends when the JIT has compiled what is measured: a path runs in windows of
 * {@link #WINDOW_S} for at least a minimum, then until the JIT compiled for less than {@link #QUIET_SHARE} of each of
 * two windows in a row (it compiles in bursts), never longer than a maximum. A fixed warm-up of a few seconds measured
 * a partly compiled path (Pekko's dispatchers, delivery and HTTP stages kept compiling for 20-30 s in the acting and
 * serving benches) against a simpler one compiled early, such as a no-op route or a bare inference loop.
 */
public final class JitWarmUp {
    /** The warm-up's windows. */
    static final double WINDOW_S = 2;
    /** The JIT is quiet once it compiles for less than this share of a window. */
    static final double QUIET_SHARE = 0.01;

    private JitWarmUp() {
    }

    /** Something run for {@code seconds}: a path of a benchmark. */
    @FunctionalInterface
    public interface Measured {
        double measure(double seconds) throws Exception;
    }

    /**
     * Runs {@code path} in windows for at least {@code minSeconds}, then until the JIT is quiet, and never longer than
     * {@code maxSeconds}; returns the seconds it ran (one decimal). A JVM that does not report compile time warms up
     * for {@code minSeconds}.
     */
    public static double run(Measured path, double minSeconds, double maxSeconds) throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        int quietWindows = 0;
        while (true) {
            long compiledMs = timed ? jit.getTotalCompilationTime() : 0;
            long windowStart = System.nanoTime();
            path.measure(Math.min(WINDOW_S, maxSeconds));
            double window = (System.nanoTime() - windowStart) / 1e9;
            boolean quiet = !timed || (jit.getTotalCompilationTime() - compiledMs) / 1000.0 < QUIET_SHARE * window;
            quietWindows = quiet ? quietWindows + 1 : 0;
            double elapsed = (System.nanoTime() - start) / 1e9;
            if (elapsed >= maxSeconds || elapsed >= minSeconds && (!timed || quietWindows >= 2)) {
                return Math.round(elapsed * 10) / 10.0;
            }
        }
    }
}
