package io.troupe.core.experience;

import io.troupe.core.CrossNode;

/** Something a replay table stores: a {@link Transition} or an {@link Unroll}. */
public sealed interface ReplayItem extends CrossNode permits Transition, Unroll {
    /** Steps of experience in the item (1 for a transition, T for an unroll of length T). */
    int steps();

    /** Approximate serialized size in bytes, for keeping messages under the remote frame size. */
    long estimatedBytes();

    /** Policy version that acted. */
    long policyVersion();

    /** Reward-function version that scored the steps. */
    long rewardVersion();
}
