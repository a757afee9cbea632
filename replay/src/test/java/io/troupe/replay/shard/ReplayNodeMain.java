package io.troupe.replay.shard;

import io.troupe.transport.testing.TestNodes;
import com.typesafe.config.Config;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A replay node in its own JVM, for the crash test: {@code ReplayNodeMain <system> <seedPort> <walDir>}, on a port it
 * binds itself. Prints {@code READY <port>} once it has initialized sharding; the test kills it with SIGKILL.
 */
public final class ReplayNodeMain {
    private ReplayNodeMain() {
    }

    public static void main(String[] args) {
        String name = args[0];
        int seed = Integer.parseInt(args[1]);
        Config config = TestNodes.node(name, seed, List.of("replay"),
                "troupe.replay { shards = 2, durability { mode = wal, dir = \"" + args[2] + "\" } }");
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config);
        ReplaySharding.init(system, ReplaySettings.fromConfig(config.getConfig("troupe.replay")), Optional.empty());
        System.out.println("READY " + TestNodes.port(system));
        System.out.flush();
    }
}
