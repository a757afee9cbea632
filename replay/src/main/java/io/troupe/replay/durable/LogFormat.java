package io.troupe.replay.durable;

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
}
