package io.troupe.cluster.http;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How long the admin API and its CLI client wait, from {@code troupe.admin} (every value in {@code reference.conf},
 * commented there), read once.
 *
 * @param ask           an answer from an agent, a replay shard or the cluster receptionist ({@code ask-timeout}); one
 *                      that does not answer in time is listed as not answering
 * @param storedIds     every replay shard's id list for {@code GET /troupe/replay/stored} ({@code stored-ids-timeout})
 * @param registryRead  a reward history from the local Distributed Data replica ({@code registry-read-timeout})
 * @param bind          binding the admin port ({@code bind-timeout})
 * @param unbind        requests in flight when the server closes ({@code unbind-timeout})
 * @param clientConnect the CLI connecting to an admin API ({@code client.connect-timeout})
 * @param clientRequest the CLI waiting for one answer, a submission's dry run included
 *                      ({@code client.request-timeout})
 */
public record AdminTimeouts(Duration ask, Duration storedIds, Duration registryRead, Duration bind, Duration unbind,
                            Duration clientConnect, Duration clientRequest) {

    public AdminTimeouts {
        positive("ask-timeout", ask);
        positive("stored-ids-timeout", storedIds);
        positive("registry-read-timeout", registryRead);
        positive("bind-timeout", bind);
        positive("unbind-timeout", unbind);
        positive("client.connect-timeout", clientConnect);
        positive("client.request-timeout", clientRequest);
    }

    private static void positive(String key, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("troupe.admin." + key + " must be a duration > 0 such as 3s, got "
                    + value);
        }
    }

    /** From the {@code troupe.admin} block. */
    public static AdminTimeouts fromConfig(Config admin) {
        return new AdminTimeouts(admin.getDuration("ask-timeout"), admin.getDuration("stored-ids-timeout"),
                admin.getDuration("registry-read-timeout"), admin.getDuration("bind-timeout"),
                admin.getDuration("unbind-timeout"), admin.getDuration("client.connect-timeout"),
                admin.getDuration("client.request-timeout"));
    }
}
