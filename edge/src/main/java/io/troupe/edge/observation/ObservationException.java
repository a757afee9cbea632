package io.troupe.edge.observation;

/**
 * A JSON observation that does not fit the policy's observation space: {@link #path()} names the field
 * ({@code mission}, {@code image[2][0]}, {@code [3].state} in a batch) and the message says what was expected there.
 */
public final class ObservationException extends IllegalArgumentException {
    private final String path;
    private final String problem;

    public ObservationException(String path, String problem) {
        super(path.isEmpty() ? "observation: " + problem : "observation field " + path + ": " + problem);
        this.path = path;
        this.problem = problem;
    }

    /** The field's path in the JSON document, empty for the observation itself. */
    public String path() {
        return path;
    }

    /** What is wrong, without the path. */
    public String problem() {
        return problem;
    }

    /** The same problem, one level deeper in a document: {@code prefix} goes before this path. */
    ObservationException under(String prefix) {
        String p = path.isEmpty() ? prefix : path.startsWith("[") ? prefix + path : prefix + "." + path;
        return new ObservationException(p, problem);
    }
}
