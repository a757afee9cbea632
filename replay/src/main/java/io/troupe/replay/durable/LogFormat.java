package io.troupe.replay.durable;

import com.typesafe.config.Config;
import io.troupe.transport.wire.KryoRegistrations;
import io.troupe.transport.wire.TroupeKryo;

/**
 * How a store encodes its records: the Kryo codec and the fingerprint of the registrations it was built from, which
 * every file's header records (see {@link FileHeader}).
 */
public record LogFormat(TroupeKryo kryo, long fingerprint) {

    /** A codec for {@code registrations} (no actor system: stored records hold no actor references). */
    public static LogFormat of(KryoRegistrations registrations) {
        return new LogFormat(new TroupeKryo(registrations, null), registrations.fingerprint());
    }

    /**
     * The codec of a node's config: its registrations and its wire limits ({@code troupe.transport.max-message-bytes}
     * bounds every array and string a log read allocates).
     */
    public static LogFormat fromConfig(Config config) {
        return new LogFormat(TroupeKryo.fromConfig(config, null), KryoRegistrations.fromConfig(config).fingerprint());
    }
}
