package io.troupe.core;

/**
 * Marker for messages that may cross nodes. Every class implementing it is serialized by Troupe's Kryo serializer
 * (bound to this interface in {@code reference.conf}), and must be registered there with a fixed id.
 */
public interface CrossNode {
}
