package io.troupe.environments;

import java.util.Collection;

/** An env id that is not registered; the message lists the registered ids. */
public final class UnknownEnvException extends IllegalArgumentException {
    public UnknownEnvException(String id, Collection<String> known) {
        super(message(id, known));
    }

    private static String message(String id, Collection<String> known) {
        String base = id.replaceFirst("-v\\d+$", "");
        String sameName = known.stream().filter(k -> k.replaceFirst("-v\\d+$", "").equals(base))
                .reduce((a, b) -> a + ", " + b).orElse("");
        return "unknown env id '" + id + "'" + (sameName.isEmpty() ? "" : " (registered versions: " + sameName + ")")
                + "; known ids: " + String.join(", ", known);
    }
}
