package io.troupe.replay.durable;

import io.troupe.core.CrossNode;

/**
 * What recovery found: items restored from the snapshot and replayed from the log, and, if the log ended in a
 * corrupt or truncated record, where ({@code corruptFile} at {@code corruptOffset}) and why; everything before it
 * was kept.
 */
public record RecoveryReport(String snapshotFile, long snapshotItems, long replayedInserts, long replayedRemoves,
                             String corruptFile, long corruptOffset, String corruptReason) implements CrossNode {
    public static RecoveryReport empty() {
        return new RecoveryReport("", 0, 0, 0, "", -1, "");
    }

    public boolean corrupt() {
        return !corruptFile.isEmpty();
    }

    public String describe() {
        String s = "snapshot " + (snapshotFile.isEmpty() ? "none" : snapshotFile) + " (" + snapshotItems + " items), "
                + replayedInserts + " inserts and " + replayedRemoves + " removes replayed from the log";
        return corrupt() ? s + "; corrupt log tail in " + corruptFile + " at offset " + corruptOffset + ": "
                + corruptReason + " (everything before it kept)" : s;
    }
}
