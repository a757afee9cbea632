package io.troupe.replay.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.CrossNode;
import io.troupe.transport.wire.KryoRegistrations;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The shard's public protocol is what something sends: a message nobody sends (once {@code UpdatePriorities}) is
 * removed with its handler and its Kryo id, and the id stays retired so an old peer's bytes are never read as another
 * class.
 */
class ReplayProtocolTest {

    @Test
    void theCrossNodeCommandsAreTheOnesInUse() {
        Set<String> crossNode = Arrays.stream(ReplayShard.Command.class.getPermittedSubclasses())
                .filter(CrossNode.class::isAssignableFrom).map(Class::getSimpleName).collect(Collectors.toSet());
        assertEquals(Set.of("Sample", "GetStats", "GetStoredIds"), crossNode);
    }

    @Test
    void retiredKryoIdsAreGivenToNoClass() {
        List<KryoRegistrations.Registration> registrations = KryoRegistrations.fromConfig(ConfigFactory.load())
                .registrations();
        assertTrue(registrations.stream().anyMatch(r -> r.id() == 220), "the replay range is loaded");
        assertEquals(List.of(), registrations.stream().filter(r -> r.id() == 221).toList(),
                "221 (ReplayShard$UpdatePriorities) is retired");
    }
}
