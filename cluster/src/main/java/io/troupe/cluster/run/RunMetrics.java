package io.troupe.cluster.run;

import io.troupe.actors.Agent;
import java.util.ArrayList;
import java.util.List;
import io.troupe.core.CrossNode;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Collects what agents report (episodes ended or aborted, reward events) for the run's reporter, which drains it once
 * per report interval. A cluster singleton of the learner role in a distributed job. State lost on a crash or a move:
 * episodes not yet drained, and the step count (the new instance counts from zero).
 */
public final class RunMetrics extends AbstractBehavior<RunMetrics.Command> {

    public sealed interface Command permits Reported, Drain {
    }

    /** An agent's report, forwarded to the run-metrics singleton (which may live on another node). */
    public record Reported(Agent.Report report) implements Command, CrossNode {
    }

    /** Hands over the episodes reported since the last drain. */
    public record Drain(ActorRef<Drained> replyTo) implements Command, CrossNode {
    }

    public record Drained(List<Agent.EpisodeEnded> episodes, long envSteps, long aborted, String lastAbort,
                          List<Agent.RewardEvent> rewardEvents) implements CrossNode {
    }

    private final List<Agent.EpisodeEnded> episodes = new ArrayList<>();
    private final List<Agent.RewardEvent> rewardEvents = new ArrayList<>();
    private long envSteps;
    private long aborted;
    private String lastAbort = "";

    private RunMetrics(ActorContext<Command> context) {
        super(context);
    }

    public static Behavior<Command> create() {
        return Behaviors.setup(RunMetrics::new);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Reported.class, r -> {
                    if (r.report() instanceof Agent.EpisodeEnded e) {
                        episodes.add(e);
                        envSteps += e.length();
                    } else if (r.report() instanceof Agent.Aborted a) {
                        aborted += a.episodes();
                        lastAbort = a.agentId() + ": " + a.reason();
                    } else if (r.report() instanceof Agent.RewardEvent e) {
                        rewardEvents.add(e);
                    }
                    return this;
                })
                .onMessage(Drain.class, d -> {
                    d.replyTo().tell(new Drained(new ArrayList<>(episodes), envSteps, aborted, lastAbort,
                            new ArrayList<>(rewardEvents)));
                    episodes.clear();
                    rewardEvents.clear();
                    return this;
                })
                .build();
    }

    /** A reference agents can report to, adapting their reports into this actor's protocol. */
    public static Behavior<Agent.Report> adapter(ActorRef<Command> metrics) {
        return Behaviors.receiveMessage(r -> {
            metrics.tell(new Reported(r));
            return Behaviors.same();
        });
    }
}
