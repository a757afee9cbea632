package io.troupe.serving.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.core.DType;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Box;
import io.troupe.transport.wire.TroupeKryo;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The messages between stages cross the wire whole: Kryo (registration required, ids 600-603) writes the activations,
 * the observations and the route of actor refs, and reads back the same.
 */
class StageMessagesWireTest {
    private static final ActorTestKit KIT = ActorTestKit.create("stage-wire");

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @Test
    void forwardAndInferRoundTripWithTheirRoute() {
        TroupeKryo kryo = TroupeKryo.fromConfig(KIT.system().settings().config(), ActorRefResolver.get(KIT.system()));
        ActorRef<StageActor.Command> a = KIT.spawn(Behaviors.ignore(), "a");
        ActorRef<StageActor.Command> b = KIT.spawn(Behaviors.ignore(), "b");
        TestProbe<StageActor.Answer> requester = KIT.createTestProbe();
        float[] activations = {1, 2, 3, 4, 5, 6};
        StageActor.Forward f = new StageActor.Forward(7, 2, 9, 1, 3, 2, activations, List.of(a, b), requester.ref());
        StageActor.Forward back = (StageActor.Forward) kryo.fromBytes(kryo.toBytes(f));
        assertEquals(List.of(a, b), back.next());
        assertEquals(requester.ref(), back.replyTo());
        assertArrayEquals(activations, back.activations());
        assertEquals(List.of(7L, 2, 9, 1, 3, 2), List.of(back.request(), back.from(), back.total(), back.rows(),
                back.tokens(), back.embedding()));

        ObservationBatch obs = ObservationBatch.forSpace(Box.uniform(-1, 1, DType.FLOAT32, 2), 2);
        obs.floats(0)[3] = 0.5f;
        StageActor.Infer i = new StageActor.Infer(3, 0, 2, obs, List.of(), requester.ref());
        StageActor.Infer in = (StageActor.Infer) kryo.fromBytes(kryo.toBytes(i));
        assertEquals(obs, in.observations());
        assertEquals(List.of(), in.next());

        StageActor.Inferred answer = (StageActor.Inferred) kryo.fromBytes(kryo.toBytes(
                new StageActor.Inferred(3, new float[] {1, 2}, new float[] {3}, 2)));
        assertArrayEquals(new float[] {1, 2}, answer.logits());
        assertEquals("why", ((StageActor.Failed) kryo.fromBytes(kryo.toBytes(new StageActor.Failed(3, "why"))))
                .reason());
    }
}
