package io.troupe.actors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.troupe.environments.reward.RewardShaper;
import java.time.Duration;

/**
 * The {@code troupe.agent} settings, read once and validated (errors name the key).
 *
 * @param envsPerAgent     K, env copies each agent steps together (one batched inference call per step)
 * @param unrollLength     T, steps per unroll sent to replay
 * @param replayShards     number of replay shards; agent i writes to shard i mod replayShards
 * @param maxMessageBytes  batches of unrolls stay under this size (under the remote frame size)
 * @param maxUnconfirmed   batches sent but not yet stored after which the agent pauses (replay backpressure)
 * @param rewardSwitchAt   when env copies adopt a new reward version ({@code troupe.reward.switch-at}): at their next
 *                         episode start (no episode mixes two rewards) or at their next step
 * @param maxPolicyLag     -1: act freely (the default). N >= 0: start an unroll only with a policy version newer than
 *                         the one that started the agent's unroll N + 1 unrolls back (and never before the learner's
 *                         first version): an agent stays at most N + 1 unrolls ahead of its weights. 0 is synchronous
 *                         PPO: with one unroll per env copy per update, every batch is trained by the version that
 *                         produced it (policy lag 0). The agent waits for weights at most {@code policyWaitTimeout},
 *                         then acts with what it has
 * @param policyWaitTimeout the longest such a wait lasts (the agent never stalls on a slow or missing learner)
 * @param confirmTimeout   how long the agent's replay producer waits for a batch to be confirmed stored before
 *                         reporting it unconfirmed (reliable delivery still resends it)
 * @param actingSlice      how long an agent goes on stepping within one message, never past the end of its unroll,
 *                         before other messages (weights, stats, pause) are let in; zero: one step per message
 */
public record AgentSettings(int envsPerAgent, int unrollLength, int replayShards, int maxMessageBytes,
                            int maxUnconfirmed, RewardShaper.SwitchAt rewardSwitchAt, int maxPolicyLag,
                            Duration policyWaitTimeout, Duration confirmTimeout, Duration actingSlice) {
    /** The dispatcher agents run on (DJL inference happens inside the agent). */
    public static final String DISPATCHER = "troupe.agent.dispatcher";
    /** reference.conf's {@code policy-wait-timeout} and {@code confirm-timeout}. */
    public static final Duration POLICY_WAIT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration CONFIRM_TIMEOUT = Duration.ofMinutes(10);
    /** reference.conf's {@code acting-slice}. */
    public static final Duration ACTING_SLICE = Duration.ofMillis(1);

    public AgentSettings {
        if (envsPerAgent < 1 || unrollLength < 1 || replayShards < 1) {
            throw new IllegalArgumentException("troupe.agent: envs-per-agent, unroll-length and the replay shard count "
                    + "must be >= 1");
        }
        if (maxUnconfirmed < 1) {
            throw new IllegalArgumentException("troupe.agent.max-unconfirmed-batches must be >= 1, got "
                    + maxUnconfirmed);
        }
        if (maxPolicyLag < -1) {
            throw new IllegalArgumentException("troupe.agent.max-policy-lag must be -1 (off) or >= 0, got "
                    + maxPolicyLag);
        }
        positive("policy-wait-timeout", policyWaitTimeout);
        positive("confirm-timeout", confirmTimeout);
        if (actingSlice == null || actingSlice.isNegative() || actingSlice.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("troupe.agent.acting-slice must be between 0 (one step per message) and "
                    + "1s, got " + (actingSlice == null ? "none" : actingSlice.toNanos() / 1e6 + " ms"));
        }
        if (maxMessageBytes < 4096) {
            throw new IllegalArgumentException("troupe.agent.max-message-bytes must be >= 4096, got " + maxMessageBytes);
        }
    }

    private static void positive(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("troupe.agent." + key + " must be a positive duration, got " + d);
        }
    }

    /** Settings with reference.conf's confirm timeout and acting slice. */
    public AgentSettings(int envsPerAgent, int unrollLength, int replayShards, int maxMessageBytes, int maxUnconfirmed,
                         RewardShaper.SwitchAt rewardSwitchAt, int maxPolicyLag, Duration policyWaitTimeout) {
        this(envsPerAgent, unrollLength, replayShards, maxMessageBytes, maxUnconfirmed, rewardSwitchAt, maxPolicyLag,
                policyWaitTimeout, CONFIRM_TIMEOUT, ACTING_SLICE);
    }

    /** Settings that let the agent act freely (no policy-lag bound), with reference.conf's timeouts. */
    public AgentSettings(int envsPerAgent, int unrollLength, int replayShards, int maxMessageBytes, int maxUnconfirmed,
                         RewardShaper.SwitchAt rewardSwitchAt) {
        this(envsPerAgent, unrollLength, replayShards, maxMessageBytes, maxUnconfirmed, rewardSwitchAt, -1,
                POLICY_WAIT_TIMEOUT);
    }

    /** These settings with agents acting freely (no policy-lag bound): for off-policy learners such as IMPALA. */
    public AgentSettings actingFreely() {
        return new AgentSettings(envsPerAgent, unrollLength, replayShards, maxMessageBytes, maxUnconfirmed,
                rewardSwitchAt, -1, policyWaitTimeout, confirmTimeout, actingSlice);
    }

    /** These settings with another acting slice. */
    public AgentSettings withActingSlice(Duration slice) {
        return new AgentSettings(envsPerAgent, unrollLength, replayShards, maxMessageBytes, maxUnconfirmed,
                rewardSwitchAt, maxPolicyLag, policyWaitTimeout, confirmTimeout, slice);
    }

    public static AgentSettings fromConfig(Config root) {
        try {
            Config c = root.getConfig("troupe.agent");
            return new AgentSettings(c.getInt("envs-per-agent"), c.getInt("unroll-length"),
                    root.getInt("troupe.replay.shards"), root.getInt("troupe.replay.max-message-bytes"),
                    c.getInt("max-unconfirmed-batches"),
                    RewardShaper.SwitchAt.parse(root.getString("troupe.reward.switch-at")), c.getInt("max-policy-lag"),
                    c.getDuration("policy-wait-timeout"), c.getDuration("confirm-timeout"),
                    c.getDuration("acting-slice"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.agent: " + e.getMessage(), e);
        }
    }
}
