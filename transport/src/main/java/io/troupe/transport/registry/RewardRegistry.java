package io.troupe.transport.registry;

import io.troupe.core.reward.RewardHistory;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegisterKey;

/**
 * Where reward histories live: one Distributed Data last-writer-wins register per env id, replicated to every node
 * (written with write-majority by the admin API, read locally by agents, which subscribe to it). The register holds
 * the whole {@link RewardHistory}, so any node can list, show and roll back versions. It lives in this module because
 * agents (actors), the learner (learners) and the admin API (cluster) all read it.
 */
public final class RewardRegistry {
    private static final String PREFIX = "troupe-reward-";

    private RewardRegistry() {
    }

    public static Key<LWWRegister<RewardHistory>> key(String envId) {
        return LWWRegisterKey.create(PREFIX + envId);
    }
}
