package io.troupe.transport.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Output;
import com.sun.management.ThreadMXBean;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.DType;
import io.troupe.core.ObservationBatch;
import io.troupe.core.PolicyWeights;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.transport.weights.WeightsPublisher;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every length a read takes from the bytes (arrays, strings, counts of items) is checked against the maximum message
 * size before anything is allocated: forged lengths give a {@link KryoException} naming the field, real messages up to
 * the largest that crosses (a 200 KiB weights chunk) still read.
 */
class WireLimitsTest {
    private static final int POLICY_WEIGHTS = 104;
    private static final int UNROLL = 101;
    private static final int EXPERIENCE_BATCH = 103;
    private static final int STRING_ARRAY = 26;

    private final TroupeKryo kryo = TroupeKryo.fromConfig(ConfigFactory.load(), null);

    /** A message as Kryo would start it: the class id (Kryo writes id + 2), then what {@code body} writes. */
    private static byte[] message(int classId, Consumer<Output> body) {
        Output out = new Output(256, -1);
        out.writeVarInt(classId + 2, true);
        body.accept(out);
        out.writeBytes(new byte[64]); // some bytes after the forged length, as a real message would have
        return out.toBytes();
    }

    /** Reads {@code bytes}, expecting a refusal; checks that the read allocated far less than the forged length. */
    private KryoException refused(byte[] bytes) {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        KryoException e = assertThrows(KryoException.class, () -> kryo.fromBytes(bytes));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 1024 * 1024, "refused before allocating: the read allocated " + allocated + " bytes");
        assertTrue(e.getMessage().contains("troupe.transport.max-message-bytes"), e.getMessage());
        return e;
    }

    private static ObservationBatch cartPoleRows(int rows) {
        return ObservationBatch.of(rows, List.of(new ObservationBatch.Modality("state", DType.FLOAT32, new int[] {4},
                4)), List.of(new float[rows * 4]));
    }

    @Test
    void theDefaultLimitIsTheArteryFrameSizeAndFollowsIt() {
        assertEquals(256 * 1024, WireSettings.fromConfig(ConfigFactory.load()).maxMessageBytes());
        assertEquals(1024 * 1024, WireSettings.fromConfig(ConfigFactory.parseString(
                "pekko.remote.artery.advanced.maximum-frame-size = 1 MiB").withFallback(ConfigFactory
                .defaultReferenceUnresolved()).resolve()).maxMessageBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WireSettings.fromConfig(
                ConfigFactory.parseString("troupe.transport.max-message-bytes = 100")));
        assertTrue(e.getMessage().contains("troupe.transport.max-message-bytes") && e.getMessage().contains("100"),
                e.getMessage());
    }

    @Test
    void aForgedByteArrayLengthIsRefusedNamingTheRecordField() {
        KryoException e = refused(message(POLICY_WEIGHTS, out -> {
            out.writeString("model");
            out.writeVarLong(1, false);
            out.writeVarInt(Integer.MAX_VALUE, true); // bytes: 2^31-1 of them
        }));
        assertTrue(e.getMessage().contains("io.troupe.core.PolicyWeights.bytes: length 2147483647"), e.getMessage());
    }

    @Test
    void aLengthThatWouldFitTheHeapButNotAMessageIsRefusedToo() {
        // 16 MiB would be allocated (and only then found missing) without the check
        KryoException e = refused(message(POLICY_WEIGHTS, out -> {
            out.writeString("model");
            out.writeVarLong(1, false);
            out.writeVarInt(16 * 1024 * 1024, true);
        }));
        assertTrue(e.getMessage().contains("PolicyWeights.bytes"), e.getMessage());
    }

    @Test
    void aForgedStringLengthIsRefusedNamingTheField() {
        KryoException e = refused(message(POLICY_WEIGHTS, out -> {
            out.writeVarIntFlag(true, Integer.MAX_VALUE, true); // a UTF-8 string of 2^31-2 chars
        }));
        assertTrue(e.getMessage().contains("string: length 2147483646") && e.getMessage().contains(
                "io.troupe.core.PolicyWeights.modelId"), e.getMessage());
    }

    @Test
    void aForgedArrayLengthInAnUnrollIsRefusedNamingTheField() {
        ObservationBatchSerializer observations = new ObservationBatchSerializer();
        KryoException e = refused(message(UNROLL, out -> {
            out.writeString("agent-1");
            out.writeVarLong(1, true);
            out.writeVarLong(0, false);
            out.writeVarLong(0, false);
            observations.write(null, out, cartPoleRows(3));
            out.writeVarInt(Integer.MAX_VALUE, true); // discrete actions
        }));
        assertTrue(e.getMessage().contains("Unroll.discreteActions: length 2147483647"), e.getMessage());
    }

    @Test
    void observationShapesWhoseProductWrapsAroundAreRefused() {
        KryoException e = refused(message(UNROLL, out -> {
            out.writeString("agent-1");
            out.writeVarLong(1, true);
            out.writeVarLong(0, false);
            out.writeVarLong(0, false);
            out.writeVarInt(1, true); // rows
            out.writeVarInt(1, true); // one modality
            out.writeString("image");
            out.writeByte(DType.UINT8.ordinal());
            out.writeVarInt(2, true);
            out.writeVarInt(65536, true); // 65536 x 65536 = 2^32: 0 in int arithmetic
            out.writeVarInt(65536, true);
        }));
        assertTrue(e.getMessage().contains("ObservationBatch.modalities[0] 'image'"), e.getMessage());
    }

    @Test
    void aForgedItemCountIsRefusedNamingTheField() {
        KryoException e = refused(message(EXPERIENCE_BATCH, out -> out.writeVarInt(Integer.MAX_VALUE, true)));
        assertTrue(e.getMessage().contains("ExperienceBatch.items: length 2147483647"), e.getMessage());
    }

    @Test
    void kryosOwnArraySerializersAreBoundedToo() {
        KryoException e = refused(message(STRING_ARRAY, out -> out.writeVarInt(Integer.MAX_VALUE, true)));
        assertTrue(e.getMessage().contains("String[]: length 2147483646"), e.getMessage());
        byte[] roundTrip = kryo.toBytes(new String[] {"a", null, "\u00e9t\u00e9"});
        assertArrayEquals(new String[] {"a", null, "\u00e9t\u00e9"}, (String[]) kryo.fromBytes(roundTrip));
    }

    @Test
    void theLargestRealMessagesStillRead() {
        byte[] chunk = new byte[200 * 1024]; // troupe.learner.weights-chunk-bytes allows at most 200 KiB
        new SplittableRandom(1).nextBytes(chunk);
        WeightsPublisher.Chunk c = new WeightsPublisher.Chunk("model", 3, 0, 50, chunk);
        assertEquals(c, kryo.fromBytes(kryo.toBytes(c)));

        int length = 5000; // about 190 KiB of unroll: just under troupe.replay.max-message-bytes
        Unroll u = new Unroll("agent-1", 7, cartPoleRows(length + 1), new int[length], new float[0],
                new float[length], new boolean[length], new boolean[length], new float[length * 2],
                new float[length], new float[length], 4, 0);
        ExperienceBatch batch = ExperienceBatch.of(List.of(u));
        assertTrue(kryo.toBytes(batch).length > 180 * 1024);
        ExperienceBatch back = (ExperienceBatch) kryo.fromBytes(kryo.toBytes(batch));
        assertEquals(length, ((Unroll) back.items().get(0)).rewards().length);
    }

    @Test
    void theConfiguredLimitIsTheOneApplied() {
        TroupeKryo small = TroupeKryo.fromConfig(ConfigFactory.parseString(
                "troupe.transport.max-message-bytes = 8 KiB").withFallback(ConfigFactory.load()), null);
        PolicyWeights fits = new PolicyWeights("m", 1, new byte[6 * 1024]);
        assertEquals(fits, small.fromBytes(small.toBytes(fits)));
        KryoException e = assertThrows(KryoException.class, () -> small.fromBytes(small.toBytes(
                new PolicyWeights("m", 1, new byte[10 * 1024]))));
        assertTrue(e.getMessage().contains("PolicyWeights.bytes: length 10240") && e.getMessage().contains(
                "8192 bytes"), e.getMessage());
    }
}
