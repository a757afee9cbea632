package io.troupe.serving.drift;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a policy sees and does in its own env, recorded when it is deployed (from evaluation episodes) or exported
 * beside the model ({@value #FILE}): per observation feature its decile bins, the reference's share in each and a
 * sorted sample (for KS); the action distribution; the value distribution; the evaluation return.
 *
 * @param features        one per flattened observation feature
 * @param actionShares    the share of each action
 * @param value           the value estimates' profile
 * @param evalReturn      the evaluation episodes' mean return
 * @param evalReturnStd   their standard deviation
 * @param episodes        how many evaluation episodes
 */
public record ReferenceProfile(List<Feature> features, double[] actionShares, Feature value, double evalReturn,
                               double evalReturnStd, int episodes) {
    /** The file name beside an exported model. */
    public static final String FILE = "reference-profile.json";
    /** The most reference values a feature keeps for KS. */
    static final int SAMPLE = 2000;
    private static final ObjectMapper JSON = new ObjectMapper();

    public ReferenceProfile {
        features = List.copyOf(features);
    }

    /** One feature's reference: bin edges, shares, and a sorted sample of at most {@link #SAMPLE} values. */
    public record Feature(String name, double[] edges, double[] shares, double[] sample) {
        static Feature of(String name, double[] values) {
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            double[] edges = Stability.decileEdges(sorted);
            double[] sample = new double[Math.min(SAMPLE, sorted.length)];
            for (int i = 0; i < sample.length; i++) {
                sample[i] = sorted[(int) ((long) i * sorted.length / sample.length)];
            }
            return new Feature(name, edges, Stability.shares(edges, sorted, sorted.length), sample);
        }
    }

    /**
     * Builds a profile from evaluation rows: {@code observations[i]} the flattened features of row i, its action and
     * value, and the episodes' returns.
     */
    public static ReferenceProfile of(List<double[]> observations, int[] actions, int actionCount, double[] values,
                                      double[] returns) {
        if (observations.isEmpty() || returns.length == 0) {
            throw new IllegalArgumentException("a reference profile needs at least one evaluation step and episode");
        }
        int width = observations.get(0).length;
        List<Feature> features = new ArrayList<>();
        for (int f = 0; f < width; f++) {
            double[] column = new double[observations.size()];
            for (int i = 0; i < column.length; i++) {
                column[i] = observations.get(i)[f];
            }
            features.add(Feature.of("obs_" + f, column));
        }
        double[] shares = new double[actionCount];
        for (int a : actions) {
            shares[a] += 1.0 / actions.length;
        }
        double mean = Arrays.stream(returns).average().orElse(0);
        double var = Arrays.stream(returns).map(r -> (r - mean) * (r - mean)).average().orElse(0);
        return new ReferenceProfile(features, shares, Feature.of("value", values), mean, Math.sqrt(var),
                returns.length);
    }

    public void write(Path file) {
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), this);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a profile; a missing or malformed file is an IllegalArgumentException naming it. */
    public static ReferenceProfile read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no reference profile at " + file);
        }
        try {
            return JSON.readValue(file.toFile(), ReferenceProfile.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not a reference profile: " + e.getMessage(), e);
        }
    }
}
