package io.troupe.cluster.http;

import io.troupe.actors.Agent;
import io.troupe.cluster.http.AdminApi.AgentView;
import io.troupe.cluster.http.AdminApi.Scaled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The job's agents as the admin API sees them: found through the cluster receptionist (every agent registers), asked
 * for their counters, paused or resumed. "Scaling" keeps the agents whose index is below the target acting and pauses
 * the others: the number of agents a job has is fixed when it starts ({@code troupe.train.num-agents}; a
 * ShardedDaemonProcess cannot grow in Pekko 1.7), so the target ranges over 0..num-agents.
 */
public final class AgentDirectory {
    private final ActorSystem<?> system;
    private final Duration ask;

    /** @param ask how long an agent (and the receptionist) may take to answer ({@code troupe.admin.ask-timeout}) */
    public AgentDirectory(ActorSystem<?> system, Duration ask) {
        this.system = system;
        this.ask = ask;
    }

    private CompletionStage<Set<ActorRef<Agent.Command>>> refs() {
        return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
                replyTo -> Receptionist.find(Agent.SERVICE_KEY, replyTo), ask, system.scheduler())
                .thenApply(l -> l.getServiceInstances(Agent.SERVICE_KEY));
    }

    /** An agent and what it answered. */
    private record Entry(ActorRef<Agent.Command> ref, AgentView view) {
        String id() {
            return view.agent();
        }

        int index() {
            return view.index() == null ? Integer.MAX_VALUE : view.index();
        }
    }

    /** Every agent's counters, node and state, sorted by index; one that does not answer in time is listed as such. */
    public CompletionStage<List<AgentView>> list() {
        return entries().thenApply(es -> es.stream().map(Entry::view).toList());
    }

    private CompletionStage<List<Entry>> entries() {
        return refs().thenCompose(refs -> {
            List<CompletableFuture<Entry>> answers = new ArrayList<>();
            for (ActorRef<Agent.Command> ref : refs) {
                String node = ref.path().address().hasGlobalScope() ? ref.path().address().toString()
                        : Cluster.get(system).selfMember().address().toString();
                answers.add(AskPattern.<Agent.Command, Agent.Stats>ask(ref, Agent.GetStats::new, ask,
                        system.scheduler()).toCompletableFuture().handle((s, failure) -> s == null
                        ? new Entry(ref, AgentView.notAnswering(ref.path().toString(), node))
                        : new Entry(ref, new AgentView(s.agentId(), s.index(), node, s.envId(),
                                String.valueOf(s.state()), s.steps(), s.episodes(), s.policyVersion(),
                                s.rewardVersion(), s.rewardFallbacks(), s.unrollsSent(), s.confirmedUnrolls()))));
            }
            return CompletableFuture.allOf(answers.toArray(new CompletableFuture[0])).thenApply(v -> {
                List<Entry> out = new ArrayList<>();
                answers.forEach(a -> out.add(a.join()));
                out.sort(Comparator.comparingInt(Entry::index));
                return out;
            });
        });
    }

    /** Pauses or resumes the named agents (all when {@code ids} is empty); returns the ids told. */
    public CompletionStage<List<String>> setPaused(List<String> ids, boolean paused) {
        return entries().thenApply(agents -> {
            List<String> known = agents.stream().map(Entry::id).toList();
            for (String id : ids) {
                if (!known.contains(id)) {
                    throw new IllegalArgumentException("no agent '" + id + "'; agents: " + known);
                }
            }
            List<String> told = new ArrayList<>();
            for (Entry a : agents) {
                if (ids.isEmpty() || ids.contains(a.id())) {
                    a.ref().tell(new Agent.SetPaused(paused));
                    told.add(a.id());
                }
            }
            return told;
        });
    }

    /** Keeps agents with index < {@code active} acting and pauses the rest. */
    public CompletionStage<Scaled> scale(int active) {
        return entries().thenApply(agents -> {
            if (active < 0 || active > agents.size()) {
                throw new IllegalArgumentException("\"count\" must be in 0.." + agents.size() + " (the job's agents; "
                        + "more need a restart with a larger troupe.train.num-agents), got " + active);
            }
            for (Entry a : agents) {
                a.ref().tell(new Agent.SetPaused(a.index() >= active));
            }
            return new Scaled(active, agents.size() - active);
        });
    }
}
