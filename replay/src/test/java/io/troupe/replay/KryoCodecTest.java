package io.troupe.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.KryoException;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.ReplayItem;
import io.troupe.core.experience.Unroll;
import io.troupe.core.reward.RewardHistory;
import io.troupe.transport.wire.KryoRegistrations;
import io.troupe.transport.wire.TroupeKryo;
import io.troupe.replay.durable.WalRecord;
import io.troupe.replay.table.SampledItem;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KryoCodecTest {
    private final TroupeKryo kryo = new TroupeKryo(KryoRegistrations.fromConfig(ConfigFactory.load()), null);

    @Test
    void unrollsAndBatchesRoundTrip() {
        Unroll cart = Items.unroll(Items.CARTPOLE, "agent-1", 7, 64, 3, 2);
        Unroll multi = Items.unroll(Items.MULTIMODAL, "agent-2", 8, 16, 4, 1);
        Unroll one = Items.unroll(Items.CARTPOLE, "agent-3", 9, 1, 0, 0);
        for (Object o : List.of(cart, multi, one)) {
            assertEquals(o, kryo.fromBytes(kryo.toBytes(o)));
        }
        ExperienceBatch batch = new ExperienceBatch(List.<ReplayItem>of(cart, multi, one), new double[] {1, 2, 3});
        ExperienceBatch back = (ExperienceBatch) kryo.fromBytes(kryo.toBytes(batch));
        assertEquals(batch, back);
        assertArrayEquals(new double[] {1, 2, 3}, back.priorities());
        WalRecord.Insert rec = new WalRecord.Insert("p", 5, new long[] {1, 2, 3}, batch);
        WalRecord.Insert recBack = (WalRecord.Insert) kryo.fromBytes(kryo.toBytes(rec));
        assertEquals(batch, recBack.batch());
        assertArrayEquals(rec.keys(), recBack.keys());
        SampledItem s = new SampledItem(one, 42, 0.25, 10, 1.5, 2);
        assertEquals(s, kryo.fromBytes(kryo.toBytes(s)));
    }

    @Test
    void rewardHistoriesRoundTrip() {
        RewardHistory h = RewardHistory.initial("CartPole-v1")
                .submit("expr", "1 - abs(theta) / 0.21", "ann", 1234, "shaped")
                .submit("class", "com.acme.Reward", "bob", 5678, "")
                .rollback(Optional.empty());
        assertEquals(h, kryo.fromBytes(kryo.toBytes(h)));
    }

    @Test
    void encodingIsCompact() {
        Unroll u = Items.unroll(Items.CARTPOLE, "agent-1", 7, 64, 3, 2);
        int bytes = kryo.toBytes(u).length;
        // 65 observations x 4 floats, 64 x (action, reward, 2 logits, logp, value) + flags: ~2.9 KB of raw data
        assertTrue(bytes < 65 * 16 + 64 * 4 * 6 + 64 * 2 + 100, "unroll of 64 CartPole steps takes " + bytes + " bytes");
        assertTrue(u.estimatedBytes() >= bytes, "estimate " + u.estimatedBytes() + " bounds the real size " + bytes);
    }

    record NotRegistered(int x) {
    }

    @Test
    void unregisteredClassesAreRefusedBothWays() {
        IllegalArgumentException write = assertThrows(IllegalArgumentException.class,
                () -> kryo.toBytes(new NotRegistered(1)));
        assertTrue(write.getMessage().contains("not registered"), write.getMessage());
        // bytes that name an unknown class id are refused, not instantiated
        byte[] bytes = kryo.toBytes(Items.unroll(Items.CARTPOLE, "p", 1, 1, 0, 0));
        bytes[0] = (byte) 120; // varint class id that no registration uses
        assertThrows(KryoException.class, () -> kryo.fromBytes(bytes));
    }

    @Test
    void badRegistrationsFailAtStartUpNamingTheKey() {
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> KryoRegistrations.fromConfig(
                ConfigFactory.parseString("troupe.serialization.kryo.registrations { "
                        + "\"io.troupe.core.experience.Unroll\" { id = 150 }, "
                        + "\"io.troupe.core.PolicyWeights\" { id = 150 } }")));
        assertTrue(dup.getMessage().contains("150"), dup.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> KryoRegistrations.fromConfig(ConfigFactory.parseString(
                        "troupe.serialization.kryo.registrations { \"com.acme.Nope\" { id = 150 } }")));
        assertTrue(missing.getMessage().contains("com.acme.Nope"), missing.getMessage());
    }
}
