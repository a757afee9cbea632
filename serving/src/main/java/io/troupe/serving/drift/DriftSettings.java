package io.troupe.serving.drift;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code troupe.serving.drift}: how served traffic is compared with a policy's reference profile.
 *
 * @param window             the last requests (rows) a comparison covers
 * @param checkEvery         rows between two comparisons
 * @param psiThreshold       a feature's (or the actions') PSI above this raises its alarm
 * @param ksThreshold        a continuous feature's KS statistic above this raises its alarm
 * @param referenceEpisodes  evaluation episodes a reference profile is recorded from
 * @param phDelta            Page-Hinkley's tolerated drop per reported return, as a fraction of the evaluation return
 * @param phLambda           Page-Hinkley's alarm threshold, as a fraction of the evaluation return
 * @param followReprofileAfter a serve node re-records its followed policy's profile, from the version it serves then,
 *                           once the profile is older than this (the first version served is profiled at once)
 */
public record DriftSettings(boolean enabled, int window, int checkEvery, double psiThreshold, double ksThreshold,
                            int referenceEpisodes, double phDelta, double phLambda, Duration followReprofileAfter) {
    public DriftSettings {
        positive("window", window);
        positive("check-every", checkEvery);
        positive("reference-episodes", referenceEpisodes);
        if (!(psiThreshold > 0)) {
            throw new IllegalArgumentException("troupe.serving.drift.psi-threshold must be > 0, got " + psiThreshold);
        }
        if (!(ksThreshold > 0 && ksThreshold < 1)) {
            throw new IllegalArgumentException("troupe.serving.drift.ks-threshold must be in (0, 1), got "
                    + ksThreshold);
        }
        if (!(phDelta >= 0) || !(phLambda > 0)) {
            throw new IllegalArgumentException("troupe.serving.drift.page-hinkley: delta must be >= 0 and lambda > 0, "
                    + "got " + phDelta + " and " + phLambda);
        }
        if (followReprofileAfter == null || followReprofileAfter.isNegative() || followReprofileAfter.isZero()) {
            throw new IllegalArgumentException("troupe.serving.drift.follow-reprofile-after must be a positive "
                    + "duration (for example 10m), got " + followReprofileAfter);
        }
    }

    private static void positive(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException("troupe.serving.drift." + key + " must be >= 1, got " + value);
        }
    }

    /** Monitoring off (the other values are reference.conf's). */
    public static final DriftSettings OFF = defaults().disabled();

    /** The defaults of reference.conf. */
    public static DriftSettings defaults() {
        return new DriftSettings(true, 1000, 100, 0.2, 0.25, 20, 0.05, 1.0, Duration.ofMinutes(10));
    }

    /** These settings with monitoring off. */
    public DriftSettings disabled() {
        return new DriftSettings(false, window, checkEvery, psiThreshold, ksThreshold, referenceEpisodes, phDelta,
                phLambda, followReprofileAfter);
    }

    /** Reads {@code troupe.serving.drift}. */
    public static DriftSettings fromConfig(Config drift) {
        return new DriftSettings(drift.getBoolean("enabled"), drift.getInt("window"), drift.getInt("check-every"),
                drift.getDouble("psi-threshold"), drift.getDouble("ks-threshold"), drift.getInt("reference-episodes"),
                drift.getDouble("page-hinkley.delta"), drift.getDouble("page-hinkley.lambda"),
                drift.getDuration("follow-reprofile-after"));
    }
}
