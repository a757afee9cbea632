package io.troupe.cluster.run;

/**
 * Episodes that ended under one reward version since the start: how many, their mean return under the env's own
 * reward, and their mean return under that version's reward ({@code returns_by_reward_version} in reports).
 */
public record VersionReturns(long episodes, double meanReturn, double meanRewardReturn) {
}
