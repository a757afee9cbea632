package io.troupe.cluster.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.troupe.cluster.run.JobSnapshot;
import io.troupe.core.reward.RewardHistory;
import io.troupe.core.reward.RewardSpec;
import io.troupe.environments.reward.RewardTemplates;
import io.troupe.environments.reward.RewardValidator;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The admin API's JSON bodies, one record each, read and written by {@link io.troupe.cluster.json.JsonCodec} on both
 * sides (the routes and the CLI). Names on the wire are the components' names in snake_case unless a
 * {@code @JsonProperty} says otherwise. Requests validate in their compact constructors; their messages name the field
 * and what is expected.
 */
public final class AdminApi {
    /** The longest note, author or address a request may carry. */
    static final int MAX_TEXT = 500;

    private AdminApi() {
    }

    // ---- requests

    /** {@code POST /troupe/agents/pause|resume}: {@code {}} (every agent) or {@code {"agents": ["agent-0", ...]}}. */
    public record AgentSelection(List<String> agents) {
        public AgentSelection {
            if (agents != null && agents.contains(null)) {
                throw new IllegalArgumentException("\"agents\" must hold agent ids (strings), got " + agents);
            }
            agents = agents == null ? List.of() : List.copyOf(agents);
        }
    }

    /** {@code POST /troupe/agents/scale}: {@code {"count": N}}. */
    public record ScaleRequest(Integer count) {
        public ScaleRequest {
            if (count == null) {
                throw new IllegalArgumentException("the body needs \"count\": the number of agents that act");
            }
        }
    }

    /** {@code POST /troupe/cluster/join|leave|down}: {@code {"address": "pekko://troupe@host:port"}}. */
    public record MemberAddress(String address) {
        public MemberAddress {
            address = text("address", address);
        }
    }

    /** What {@code POST /troupe/cluster/join|leave|down} does with the address. */
    public enum AddressAction {
        JOIN, LEAVE, DOWN;

        /** The word in the route and the answer ({@code join}). */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code POST /troupe/rewards/{env}}: exactly one of {@code expr} and {@code class}, optional note and author. */
    public record RewardSubmission(String expr, @JsonProperty("class") String className, String note, String author) {
        public RewardSubmission {
            exactlyOne(expr, className);
            note = text("note", note);
            author = text("author", author);
        }

        public RewardSource source() {
            return RewardSource.of(expr, className);
        }
    }

    /** {@code POST /troupe/rewards/{env}/rollback}: {@code {}} (the version active before) or {@code {"to": N}}. */
    public record RollbackRequest(Long to) {
    }

    /** {@code POST /troupe/rewards/{env}/test}: exactly one of {@code expr} and {@code class}; steps (default 2000). */
    public record RewardTest(String expr, @JsonProperty("class") String className, Integer steps) {
        public static final int DEFAULT_STEPS = 2000;

        public RewardTest {
            exactlyOne(expr, className);
            if (steps == null) {
                steps = DEFAULT_STEPS;
            } else if (steps < 1) {
                throw new IllegalArgumentException("\"steps\" must be >= 1, got " + steps);
            }
        }

        public RewardSource source() {
            return RewardSource.of(expr, className);
        }
    }

    /** A reward's kind ({@link RewardSpec#EXPR} or {@link RewardSpec#CLASS}) and its source text. */
    public record RewardSource(String kind, String source) {
        static RewardSource of(String expr, String className) {
            return expr != null ? new RewardSource(RewardSpec.EXPR, expr) : new RewardSource(RewardSpec.CLASS,
                    className);
        }
    }

    private static void exactlyOne(String expr, String className) {
        if ((expr == null) == (className == null)) {
            throw new IllegalArgumentException("the body needs exactly one of \"expr\" (an expression) and \"class\" "
                    + "(a class name)");
        }
    }

    private static String text(String field, String value) {
        if (value == null) {
            return "";
        }
        if (value.length() > MAX_TEXT) {
            throw new IllegalArgumentException("\"" + field + "\" has " + value.length() + " characters; at most "
                    + MAX_TEXT);
        }
        return value;
    }

    // ---- answers

    /** Every error: {@code {"error": "..."}}. */
    public record ErrorBody(String error) {
    }

    /** {@code GET /troupe/status}: the job's latest figures, replay's size and the cluster's members. */
    public record Status(@JsonUnwrapped JobSnapshot job, List<Member> members, int replayShards, long replayItems) {
    }

    /** An agent as {@code GET /troupe/agents} lists it; one that did not answer has only agent, node and state. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AgentView(String agent, Integer index, String node, String env, String state, Long steps,
                            Long episodes, Long policyVersion, Long rewardVersion, Long rewardFallbacks,
                            Long unrollsSent, Long unrollsConfirmed) {
        public static final String NOT_ANSWERING = "not answering";

        static AgentView notAnswering(String agent, String node) {
            return new AgentView(agent, null, node, null, NOT_ANSWERING, null, null, null, null, null, null, null);
        }
    }

    /** {@code GET /troupe/agents}. */
    public record AgentList(int count, List<AgentView> agents) {
    }

    /** {@code POST /troupe/agents/pause}: the agents told. */
    public record Paused(List<String> paused) {
    }

    /** {@code POST /troupe/agents/resume}: the agents told. */
    public record Resumed(List<String> resumed) {
    }

    /** {@code POST /troupe/agents/scale}: how many act and how many are paused. */
    public record Scaled(int active, int paused) {
    }

    /** A cluster member: address, status, roles (without the data-center role), reachability. */
    public record Member(String address, String status, List<String> roles, boolean reachable) {
    }

    /** {@code GET /troupe/cluster/members}; {@code leader} is null while there is none. */
    public record Members(String self, String leader, List<Member> members) {
    }

    /** {@code POST /troupe/cluster/join|leave|down}: accepted (the change happens asynchronously). */
    public record MembershipChange(String action, String address, boolean accepted) {
    }

    /** A replay shard as {@code GET /troupe/replay} lists it; one that did not answer has only shard, node, state. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ShardView(String shard, String node, String state, Long items, Long maxItems,
                            Long stepsStored, Long inserts, Long samples, Long batchesStored, Long duplicatesDropped,
                            String durability, Long recoveredItems) {
        static ShardView notAnswering(String shard, String node) {
            return new ShardView(shard, node, AgentView.NOT_ANSWERING, null, null, null, null, null, null, null, null,
                    null);
        }
    }

    /** {@code GET /troupe/replay}. */
    public record Shards(List<ShardView> shards) {
    }

    /** {@code GET /troupe/replay/stored?producer=ID}: the unroll sequence numbers replay holds for one agent. */
    public record StoredSequences(String producer, List<Long> sequences, boolean truncated) {
    }

    /** One reward version of an env's history. {@code created} is ISO-8601, null for version 0. */
    public record RewardVersion(long version, String kind, String source, String author, String created, String note,
                                boolean active) {
    }

    /** {@code GET /troupe/rewards/{env}} and the answer to a rollback; a submission adds its dry run. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RewardHistoryView(String env, long active, List<RewardVersion> versions, DryRun dryRun) {
        public static RewardHistoryView of(RewardHistory h, DryRun dryRun) {
            List<RewardVersion> versions = h.versions().stream().map(s -> new RewardVersion(s.version(), s.kind(),
                    s.source(), s.author(), s.createdMillis() == 0 ? null : Instant.ofEpochMilli(s.createdMillis())
                    .toString(), s.note(), s.version() == h.active())).toList();
            return new RewardHistoryView(h.envId(), h.active(), versions, dryRun);
        }
    }

    /** A dry run's reward distribution over simulated transitions ({@code POST .../test}, a submission's check). */
    public record DryRun(String env, int steps, int episodes, double mean, double std, double min, double p05,
                         double p50, double p95, double max, double envRewardMean, List<String> variablesUsed) {
        public static DryRun of(RewardValidator.Report r) {
            return new DryRun(r.envId(), r.steps(), r.episodes(), r.mean(), r.std(), r.min(), r.p05(), r.p50(),
                    r.p95(), r.max(), r.envRewardMean(), r.variablesUsed());
        }
    }

    /** {@code GET /troupe/rewards/{env}/templates}. */
    public record Templates(String env, List<RewardTemplates.Template> templates) {
    }
}
