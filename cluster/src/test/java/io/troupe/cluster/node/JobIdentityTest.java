package io.troupe.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What nodes of one job must agree on, compared key by key. */
class JobIdentityTest {
    private static Config job(String overrides) {
        return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve();
    }

    @Test
    void theSameSettingsAgree() {
        assertEquals(List.of(), JobIdentity.of(job("")).differences(JobIdentity.of(job(""))));
    }

    @Test
    void thePacingOfAgentsAndLearnerIsPartOfTheJob() {
        // agents on one node wait for weights up to policy-wait-timeout; the learner on another must not cut a
        // partial batch sooner: checkPacing sees one node's settings, so the nodes must share them
        JobIdentity mine = JobIdentity.of(job("troupe.agent.max-policy-lag = 0\n"
                + "troupe.agent.policy-wait-timeout = 10s\ntroupe.learner.partial-batch-after = 15s"));
        JobIdentity theirs = JobIdentity.of(job("troupe.agent.max-policy-lag = 1\n"
                + "troupe.agent.policy-wait-timeout = 10s\ntroupe.learner.partial-batch-after = 5s"));
        List<String> differences = mine.differences(theirs);
        assertEquals(2, differences.size(), differences.toString());
        assertTrue(differences.get(0).startsWith("troupe.agent.max-policy-lag (this node: 0, the cluster's job: 1)"),
                differences.toString());
        assertTrue(differences.get(1).matches("troupe\\.learner\\.partial-batch-after \\(this node: \"?15s\"?, "
                + "the cluster's job: \"?5s\"?\\)"), differences.toString());
    }

    @Test
    void settingsOfOneNodeAloneAreNotCompared() {
        // a node's report interval, how long its agents wait for confirmations: free per node
        JobIdentity mine = JobIdentity.of(job("troupe.train.report-interval = 1s\n"
                + "troupe.agent.confirm-timeout = 1m"));
        JobIdentity theirs = JobIdentity.of(job("troupe.train.report-interval = 9s"));
        assertEquals(List.of(), mine.differences(theirs));
    }
}
