package io.troupe.actors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.troupe.environments.reward.RewardShaper;

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
 */
public record AgentSettings(int envsPerAgent, int unrollLength, int replayShards, int maxMessageBytes,
                            int maxUnconfirmed, RewardShaper.SwitchAt rewardSwitchAt) {
    /** The dispatcher agents run on (DJL inference happens inside the agent). */
    public static final String DISPATCHER = "troupe.agent.dispatcher";

    public AgentSettings {
        if (envsPerAgent < 1 || unrollLength < 1 || replayShards < 1) {
            throw new IllegalArgumentException("troupe.agent: envs-per-agent, unroll-length and the replay shard count "
                    + "must be >= 1");
        }
        if (maxUnconfirmed < 1) {
            throw new IllegalArgumentException("troupe.agent.max-unconfirmed-batches must be >= 1, got "
                    + maxUnconfirmed);
        }
        if (maxMessageBytes < 4096) {
            throw new IllegalArgumentException("troupe.agent.max-message-bytes must be >= 4096, got " + maxMessageBytes);
        }
    }

    public static AgentSettings fromConfig(Config root) {
        try {
            Config c = root.getConfig("troupe.agent");
            return new AgentSettings(c.getInt("envs-per-agent"), c.getInt("unroll-length"),
                    root.getInt("troupe.replay.shards"), root.getInt("troupe.replay.max-message-bytes"),
                    c.getInt("max-unconfirmed-batches"),
                    RewardShaper.SwitchAt.parse(root.getString("troupe.reward.switch-at")));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.agent: " + e.getMessage(), e);
        }
    }
}
