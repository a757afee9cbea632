package io.troupe.transport.wire;

import com.typesafe.config.Config;

/**
 * Settings of the wire format ({@code troupe.transport}).
 *
 * @param maxMessageBytes the longest array or string a read accepts, in bytes ({@code max-message-bytes}): a length
 *                        prefix beyond it is refused before anything is allocated
 */
public record WireSettings(int maxMessageBytes) {
    /** Artery's default {@code maximum-frame-size}, 256 KiB: the reference.conf default of {@code max-message-bytes}. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

    public WireSettings {
        if (maxMessageBytes < 4096 || maxMessageBytes > TroupeKryo.MAX_BYTES) {
            throw new IllegalArgumentException("troupe.transport.max-message-bytes must be in 4 KiB.."
                    + TroupeKryo.MAX_BYTES / (1024 * 1024) + " MiB, got " + maxMessageBytes);
        }
    }

    /** Reads {@code troupe.transport} from the root {@code config}. */
    public static WireSettings fromConfig(Config config) {
        long bytes = config.getBytes("troupe.transport.max-message-bytes");
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("troupe.transport.max-message-bytes must be in 4 KiB.."
                    + TroupeKryo.MAX_BYTES / (1024 * 1024) + " MiB, got " + bytes);
        }
        return new WireSettings((int) bytes);
    }
}
