package io.troupe.core.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;

/**
 * The bearer-token rule both HTTP ports follow (the admin API, and the policy service's inference and admin tokens): a
 * token comes from its environment variable when that is set and not blank, else from its config key; blank means
 * none; a token has at least {@value #MIN_LENGTH} characters; a request carries it as
 * {@code Authorization: Bearer <token>}, compared in constant time. Pure and thread-safe.
 */
public final class BearerToken {
    /** The fewest characters a token may have. */
    public static final int MIN_LENGTH = 16;
    /** The admin token's environment variable (mutations of the admin API; load, unload and pin on the service). */
    public static final String ADMIN_TOKEN_VARIABLE = "TROUPE_ADMIN_TOKEN";
    /** The admin token's config key. */
    public static final String ADMIN_TOKEN_KEY = "troupe.admin.token";

    /** What a request's {@code Authorization} header says about the token. */
    public enum Check { ACCEPTED, MISSING, INVALID }

    private BearerToken() {
    }

    /**
     * The token of {@code variable} in {@code environment}, else {@code configured} (the value of {@code key}); empty
     * when both are blank. A token shorter than {@value #MIN_LENGTH} characters is an error naming both sources.
     *
     * @param what what the token is, for the error ("the admin token")
     */
    public static Optional<String> read(Map<String, String> environment, String variable, String configured,
                                        String key, String what) {
        String fromEnvironment = environment.get(variable);
        String s = fromEnvironment != null && !fromEnvironment.isBlank() ? fromEnvironment.trim()
                : configured == null ? "" : configured.trim();
        Optional<String> token = s.isEmpty() ? Optional.empty() : Optional.of(s);
        requireLength(token, what + " (" + variable + " or " + key + ")");
        return token;
    }

    /** The admin token: {@value #ADMIN_TOKEN_VARIABLE}, else {@code configured} ({@value #ADMIN_TOKEN_KEY}). */
    public static Optional<String> admin(Map<String, String> environment, String configured) {
        return read(environment, ADMIN_TOKEN_VARIABLE, configured, ADMIN_TOKEN_KEY, "the admin token");
    }

    /** Refuses a token shorter than {@value #MIN_LENGTH} characters, naming {@code source} ("the admin token (...)"). */
    public static void requireLength(Optional<String> token, String source) {
        if (token.isPresent() && token.get().length() < MIN_LENGTH) {
            throw new IllegalArgumentException(source + " must have at least " + MIN_LENGTH + " characters");
        }
    }

    /** Whether {@code header} (the Authorization header's value, if any) carries {@code token}. */
    public static Check check(String token, Optional<String> header) {
        if (header.isEmpty()) {
            return Check.MISSING;
        }
        byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(header.get().trim().getBytes(StandardCharsets.UTF_8), expected) ? Check.ACCEPTED
                : Check.INVALID;
    }
}
