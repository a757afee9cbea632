package io.troupe.replay.durable;

import com.typesafe.config.Config;
import io.troupe.transport.wire.KryoRegistrations;
import io.troupe.transport.wire.TroupeKryo;
import io.troupe.transport.wire.WireSettings;

/**
 * How a store encodes its records: the Kryo codec and the fingerprint of the registrations it was built from, which
 * every file's header records (see {@link FileHeader}).
 */
public record LogFormat(TroupeKryo kryo, long fingerprint) {

    /**
     * The codec of a node's config (no actor system: stored records hold no actor references): its registrations and
     * its wire limits ({@code troupe.transport.max-message-bytes} bounds every array and string a log read allocates).
     */
    public static LogFormat fromConfig(Config config) {
        KryoRegistrations registrations = KryoRegistrations.fromConfig(config);
        return new LogFormat(new TroupeKryo(registrations, null, WireSettings.fromConfig(config)),
                registrations.fingerprint());
    }
}
