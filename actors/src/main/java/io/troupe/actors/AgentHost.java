package io.troupe.actors;

import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The sharded face of agent {@code i}: a ShardedDaemonProcess instance (a fixed number of always-running entities,
 * moved when agent nodes join or leave, no remember-entities store needed) that runs the {@link Agent} as a child on
 * the agent dispatcher, forwards {@link Agent.GetStats} to it, and stops it on {@link #STOP}. State lost on a move:
 * the agent's unfinished unroll and episodes.
 */
public final class AgentHost {
    /** The stop message sharding sends when it moves or stops an agent. */
    public static final Agent.Command STOP = Agent.Stop.INSTANCE;

    private AgentHost() {
    }

    /** The host behaviour of agent {@code index}, given a factory of agent specs by index. */
    public static Behavior<Agent.Command> create(int index, IntFunction<Agent.Spec> specs) {
        return Behaviors.setup(ctx -> {
            ActorRef<Agent.Command> agent = ctx.spawn(Agent.supervised(specs.apply(index)), "agent", Agent.dispatcher());
            return Behaviors.receive(Agent.Command.class)
                    .onMessageEquals(Agent.Stop.INSTANCE, Behaviors::stopped)
                    .onMessage(Agent.Command.class, m -> {
                        agent.tell(m);
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
