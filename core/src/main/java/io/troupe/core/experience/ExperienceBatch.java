package io.troupe.core.experience;

import io.troupe.core.CrossNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What an agent sends to a replay shard in one reliable-delivery message: items with their initial priorities.
 * Keep each batch under the remote frame size: {@link #split} cuts a list of items into batches that fit.
 */
public record ExperienceBatch(List<ReplayItem> items, double[] priorities) implements CrossNode {
    public ExperienceBatch {
        items = List.copyOf(items);
        if (items.size() != priorities.length) {
            throw new IllegalArgumentException(items.size() + " items but " + priorities.length + " priorities");
        }
    }

    /** Items with priority 1. */
    public static ExperienceBatch of(List<? extends ReplayItem> items) {
        double[] p = new double[items.size()];
        Arrays.fill(p, 1.0);
        return new ExperienceBatch(new ArrayList<>(items), p);
    }

    /** Total steps of experience. */
    public long steps() {
        long s = 0;
        for (ReplayItem i : items) {
            s += i.steps();
        }
        return s;
    }

    public long estimatedBytes() {
        long b = 16;
        for (ReplayItem i : items) {
            b += i.estimatedBytes() + 8;
        }
        return b;
    }

    /**
     * Cuts {@code items} (priority 1 each) into batches of at most {@code maxBytes} estimated bytes. An item larger
     * than {@code maxBytes} on its own is refused: shorten the unroll or raise the frame size.
     */
    public static List<ExperienceBatch> split(List<? extends ReplayItem> items, long maxBytes) {
        List<ExperienceBatch> out = new ArrayList<>();
        List<ReplayItem> current = new ArrayList<>();
        long bytes = 16;
        for (ReplayItem item : items) {
            long size = item.estimatedBytes() + 8;
            if (size + 16 > maxBytes) {
                throw new IllegalArgumentException("one item of " + item.steps() + " steps takes about " + size
                        + " bytes, more than the " + maxBytes + "-byte message budget; shorten troupe.agent.unroll-length, or "
                        + "raise troupe.replay.max-message-bytes, troupe.transport.max-message-bytes and "
                        + "pekko.remote.artery.advanced.maximum-frame-size together");
            }
            if (bytes + size > maxBytes && !current.isEmpty()) {
                out.add(of(current));
                current = new ArrayList<>();
                bytes = 16;
            }
            current.add(item);
            bytes += size;
        }
        if (!current.isEmpty()) {
            out.add(of(current));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExperienceBatch b && items.equals(b.items) && Arrays.equals(priorities, b.priorities);
    }

    @Override
    public int hashCode() {
        return items.hashCode() * 31 + Arrays.hashCode(priorities);
    }

    @Override
    public String toString() {
        return "ExperienceBatch(" + items.size() + " items, " + steps() + " steps)";
    }
}
