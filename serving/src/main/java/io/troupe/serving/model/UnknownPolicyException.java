package io.troupe.serving.model;

import java.util.List;

/** A request named a policy the server does not serve (HTTP 404); the message lists the ones it does. */
public final class UnknownPolicyException extends RuntimeException {
    private final List<String> known;

    public UnknownPolicyException(String name, List<String> known) {
        super("no policy named '" + name + "'; this server serves " + (known.isEmpty() ? "none" : known));
        this.known = List.copyOf(known);
    }

    public List<String> known() {
        return known;
    }
}
