package io.troupe.cluster.run;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What a summary adds about how the run was set up and how far its learner got; absent values are left out of
 * {@code summary.json}.
 *
 * @param mode          where it trained ({@code cluster}, {@code cluster-nodes}; absent for the reference loop)
 * @param agents        agents, for the cluster modes
 * @param envsPerAgent  env copies per agent, for the cluster modes
 * @param model         the model's description or id
 * @param parameters    the model's parameter count
 * @param device        the learner's device
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunFacts(RunMode mode, Integer agents, Integer envsPerAgent, Long learnerUpdates, Long policyVersion,
                       String model, Long parameters, String device) {
    public static final RunFacts NONE = new RunFacts(null, null, null, null, null, null, null, null);

    /** A cluster run with {@code agents} agents of {@code envsPerAgent} env copies each. */
    public static RunFacts cluster(RunMode mode, int agents, int envsPerAgent) {
        return new RunFacts(mode, agents, envsPerAgent, null, null, null, null, null);
    }

    /** These facts with the learner's final counters, model and device. */
    public RunFacts withLearner(long updates, Long version, String model, Long parameters, String device) {
        return new RunFacts(mode, agents, envsPerAgent, updates, version, model, parameters, device);
    }
}
