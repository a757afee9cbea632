package io.troupe.replay.durable;

import io.troupe.core.CrossNode;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What recovery found: items restored from the snapshot and replayed from the log, and every damaged byte range met
 * on the way. Recovery reads past damage (each record carries a checksum; the reader scans forward to the next
 * record whose checksum passes), so a damaged range loses only what it held: for the log, the sequence numbers of
 * each producer that are missing between the records before and after it.
 */
public record RecoveryReport(String snapshotFile, long snapshotItems, long replayedInserts, long replayedRemoves,
                             List<Damage> damage) implements CrossNode {

    /**
     * Bytes {@code fromOffset} (inclusive) to {@code toOffset} (exclusive) of {@code file} could not be read, for
     * {@code reason}. {@code missing} lists the batches known lost (a producer's sequence numbers that jump across
     * the range); a range at the end of the log has none known: producers resend what was never confirmed.
     */
    public record Damage(String file, long fromOffset, long toOffset, String reason, List<Missing> missing)
            implements CrossNode {
        public String describe() {
            String s = file + " bytes " + fromOffset + ".." + toOffset + ": " + reason;
            return missing.isEmpty() ? s : s + "; missing batches " + missing.stream().map(Missing::describe)
                    .collect(Collectors.joining(", "));
        }
    }

    /** Batches {@code fromSeqNr..toSeqNr} (inclusive) of {@code producerId} were in a damaged range. */
    public record Missing(String producerId, long fromSeqNr, long toSeqNr) implements CrossNode {
        public String describe() {
            return producerId + " " + (fromSeqNr == toSeqNr ? "#" + fromSeqNr : "#" + fromSeqNr + "..#" + toSeqNr);
        }
    }

    public RecoveryReport {
        damage = List.copyOf(damage);
    }

    public static RecoveryReport empty() {
        return new RecoveryReport("", 0, 0, 0, List.of());
    }

    /** Whether any file was damaged. */
    public boolean corrupt() {
        return !damage.isEmpty();
    }

    public String describe() {
        String s = "snapshot " + (snapshotFile.isEmpty() ? "none" : snapshotFile) + " (" + snapshotItems + " items), "
                + replayedInserts + " inserts and " + replayedRemoves + " removes replayed from the log";
        return corrupt() ? s + "; damage (everything readable around it kept): " + damage.stream()
                .map(Damage::describe).collect(Collectors.joining("; ")) : s;
    }
}
