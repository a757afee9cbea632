package io.troupe.cluster.node;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.LWWRegisterKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * Makes sure a joining node runs the cluster's job: the first node writes its {@link JobIdentity} to Distributed
 * Data (write-majority, first write wins), and every node then reads the cluster's (read-majority) and compares. A
 * node with a different job is told which keys differ. The first write is the earliest by wall clock, so nodes' clocks
 * should agree to within the time between starting the first node and the others.
 */
public final class JobGuard {
    static final Key<LWWRegister<JobIdentity>> KEY = LWWRegisterKey.create("troupe-job");

    private JobGuard() {
    }

    /** The differing keys (empty when this node may run the job). */
    public static List<String> check(ActorSystem<?> system, JobIdentity mine, Duration timeout) throws Exception {
        SelfUniqueAddress self = DistributedData.get(system).selfUniqueAddress();
        var replicator = DistributedData.get(system).replicator();
        // keep the cluster's identity if this replica has one; write ours otherwise. The reverse clock makes the first
        // write win every merge, so a node that writes its (different) identity before it has heard of the cluster's
        // still loses to the job the first node wrote.
        AskPattern.<Replicator.Command, Replicator.UpdateResponse<LWWRegister<JobIdentity>>>ask(replicator,
                replyTo -> new Replicator.Update<>(KEY, LWWRegister.create(self, mine, LWWRegister.reverseClock()),
                        new Replicator.WriteMajority(timeout), replyTo, r -> r),
                timeout.plusSeconds(1), system.scheduler()).toCompletableFuture()
                .get(timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
        Replicator.GetResponse<LWWRegister<JobIdentity>> got =
                AskPattern.<Replicator.Command, Replicator.GetResponse<LWWRegister<JobIdentity>>>ask(replicator,
                        replyTo -> new Replicator.Get<>(KEY, new Replicator.ReadMajority(timeout), replyTo),
                        timeout.plusSeconds(1), system.scheduler()).toCompletableFuture()
                        .get(timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
        if (got instanceof Replicator.GetSuccess<LWWRegister<JobIdentity>> ok) {
            return mine.differences(ok.get(KEY).getValue());
        }
        throw new IllegalStateException("cannot read the cluster's job settings from a majority of nodes (" + got
                + "); are the other nodes reachable?");
    }
}
