package io.troupe.serving.batch;

import java.time.Duration;

/**
 * No answer within {@code troupe.serving.request-timeout}: a request that waited that long for its policy (queued, or
 * in a forward pass that ran that long), or any other request of the serving port that long unanswered (HTTP 503).
 */
public final class RequestTimeoutException extends RuntimeException {
    /** {@code what}: who did not answer, as "policy 'NAME'" or "the service". */
    public RequestTimeoutException(String what, Duration timeout) {
        super(what + " did not answer within " + timeout.toMillis() + " ms (troupe.serving.request-timeout); "
                + "try again later", null, false, false);
    }
}
