package io.troupe.transport.weights;

import io.troupe.core.CrossNode;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The newest policy version, replicated to every node with Distributed Data: small, so it fits any frame. The bytes
 * stay with {@code publisher}, which hands them out in {@code chunks} pieces of at most {@code chunkBytes}.
 */
public record WeightsAnnouncement(String modelId, long version, long sizeBytes, int chunks, int chunkBytes,
                                  ActorRef<WeightsPublisher.Command> publisher) implements CrossNode {
}
