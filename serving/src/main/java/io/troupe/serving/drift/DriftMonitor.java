package io.troupe.serving.drift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares a served policy's live traffic with its {@link ReferenceProfile}: the last {@code window} rows' features,
 * actions and values, compared every {@code checkEvery} rows once the window is full (PSI per feature and for the
 * actions, KS per feature); the returns clients report are tracked with {@link PageHinkley} against the evaluation
 * return. An alarm is raised while its comparison is over its threshold. Thread-safe (the batch workers call
 * {@link #observe}, HTTP threads {@link #feedback} and {@link #report}).
 */
public final class DriftMonitor {
    /** The latest comparison. */
    public record Report(long rows, int windowRows, double[] featurePsi, double[] featureKs, double[] featureKsP,
                         double actionPsi, double valuePsi, long feedbackEpisodes, double meanFeedbackReturn,
                         double pageHinkley, List<String> alarms) {
    }

    private final ReferenceProfile reference;
    private final long referenceVersion;
    private final DriftSettings settings;
    private final double[][] features;
    private final int[] actions;
    private final double[] values;
    private final PageHinkley returns;
    private long rows;
    private double feedbackSum;
    private Report latest;

    /** A monitor of {@code reference}, recorded from policy version {@code referenceVersion} (-1: not known). */
    public DriftMonitor(ReferenceProfile reference, DriftSettings settings, long referenceVersion) {
        this.reference = reference;
        this.referenceVersion = referenceVersion;
        this.settings = settings;
        this.features = new double[reference.features().size()][settings.window()];
        this.actions = new int[settings.window()];
        this.values = new double[settings.window()];
        double scale = Math.max(Math.abs(reference.evalReturn()), 1e-9);
        this.returns = new PageHinkley(reference.evalReturn(), settings.phDelta() * scale, settings.phLambda() * scale);
        int n = reference.features().size();
        this.latest = new Report(0, 0, new double[n], new double[n], new double[n], 0, 0, 0, Double.NaN, 0, List.of());
    }

    public ReferenceProfile reference() {
        return reference;
    }

    /** The policy version the reference profile was recorded from; -1 when not known. */
    public long referenceVersion() {
        return referenceVersion;
    }

    /** One served row: its flattened features (as many as the reference has), its action and value. */
    public synchronized void observe(double[] row, int action, double value) {
        if (row.length != features.length) {
            throw new IllegalArgumentException("the reference profile has " + features.length + " features, the row "
                    + row.length);
        }
        int slot = (int) (rows % settings.window());
        for (int f = 0; f < row.length; f++) {
            features[f][slot] = row[f];
        }
        actions[slot] = action;
        values[slot] = value;
        rows++;
        if (rows >= settings.window() && rows % settings.checkEvery() == 0) {
            latest = compare();
        }
    }

    /** One episode's return reported by a client. */
    public synchronized void feedback(double episodeReturn) {
        if (!Double.isFinite(episodeReturn)) {
            throw new IllegalArgumentException("\"return\" must be a finite number, got " + episodeReturn);
        }
        returns.add(episodeReturn);
        feedbackSum += episodeReturn;
        latest = withFeedback(latest);
    }

    public synchronized Report report() {
        return latest;
    }

    private Report compare() {
        int n = features.length;
        int w = settings.window();
        double[] psi = new double[n];
        double[] ks = new double[n];
        double[] ksP = new double[n];
        for (int f = 0; f < n; f++) {
            ReferenceProfile.Feature ref = reference.features().get(f);
            psi[f] = Stability.psi(ref.shares(), Stability.shares(ref.edges(), features[f], w));
            double[] sorted = features[f].clone();
            Arrays.sort(sorted);
            ks[f] = Stability.ksStatistic(ref.sample(), sorted);
            ksP[f] = Stability.ksPValue(ks[f], ref.sample().length, w);
        }
        double[] actionShares = new double[reference.actionShares().length];
        for (int a : actions) {
            if (a >= 0 && a < actionShares.length) {
                actionShares[a] += 1.0 / w;
            }
        }
        double actionPsi = Stability.psi(reference.actionShares(), actionShares);
        ReferenceProfile.Feature value = reference.value();
        double valuePsi = Stability.psi(value.shares(), Stability.shares(value.edges(), values, w));
        return withFeedback(new Report(rows, w, psi, ks, ksP, actionPsi, valuePsi, 0, Double.NaN, 0, List.of()));
    }

    /** {@code r} with the feedback figures and every alarm now raised. */
    private Report withFeedback(Report r) {
        List<String> alarms = new ArrayList<>();
        if (r.windowRows() > 0) {
            for (int f = 0; f < r.featurePsi().length; f++) {
                String name = reference.features().get(f).name();
                if (r.featurePsi()[f] > settings.psiThreshold()) {
                    alarms.add("psi:" + name);
                }
                if (r.featureKs()[f] > settings.ksThreshold()) {
                    alarms.add("ks:" + name);
                }
            }
            if (r.actionPsi() > settings.psiThreshold()) {
                alarms.add("psi:action");
            }
        }
        if (returns.alarm()) {
            alarms.add("return");
        }
        long episodes = returns.count();
        return new Report(r.rows(), r.windowRows(), r.featurePsi(), r.featureKs(), r.featureKsP(), r.actionPsi(),
                r.valuePsi(), episodes, episodes == 0 ? Double.NaN : feedbackSum / episodes, returns.statistic(),
                List.copyOf(alarms));
    }
}
