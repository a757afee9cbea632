package io.troupe.core.experience;

import io.troupe.core.CrossNode;

/** Something a replay table stores: an {@link Unroll} (the one kind every algorithm here trains on). */
public sealed interface ReplayItem extends CrossNode permits Unroll {
    /** Steps of experience in the item (T for an unroll of length T). */
    int steps();

    /** Approximate serialized size in bytes, for keeping messages under the remote frame size. */
    long estimatedBytes();

    /** Policy version that acted. */
    long policyVersion();

    /** Reward-function version that scored the steps. */
    long rewardVersion();
}
