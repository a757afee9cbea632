package io.troupe.replay.shard;

import io.troupe.core.experience.ExperienceBatch;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.delivery.ShardingProducerController;
import org.apache.pekko.util.Timeout;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.util.Try;

/**
 * The writing end of replay for one producer (an agent): a queue of batches in front of a
 * {@link ShardingProducerController}, which sends one message per demand signal and resends whatever a shard did not
 * confirm (for example after the shard's node died). The producer id must be unique per incarnation: sequence numbers
 * restart with a new controller, and shards deduplicate on (producer id, sequence number).
 *
 * <p>State lost with this actor: batches queued or unconfirmed here (a durable producer queue would need a journal).
 */
public final class ReplayProducer extends AbstractBehavior<ReplayProducer.Command> {

    public sealed interface Command permits Send, WrappedRequestNext, WrappedConfirmed {
    }

    /** Sends {@code batch} to shard {@code shardId}; {@code confirmTo} (may be null) hears when it is stored. */
    public record Send(String shardId, ExperienceBatch batch, long tag, ActorRef<Confirmed> confirmTo)
            implements Command, NoSerializationVerificationNeeded {
    }

    /** Batch {@code tag} was stored by {@code shardId} (or, if {@code ok} is false, not confirmed in time). */
    public record Confirmed(String shardId, long tag, boolean ok) implements NoSerializationVerificationNeeded {
    }

    private record WrappedRequestNext(ShardingProducerController.RequestNext<ExperienceBatch> next)
            implements Command, NoSerializationVerificationNeeded {
    }

    private record WrappedConfirmed(Send send, boolean ok) implements Command, NoSerializationVerificationNeeded {
    }

    private static final ClassTag<Done> DONE = ClassTag$.MODULE$.apply(Done.class);

    private final ArrayDeque<Send> queue = new ArrayDeque<>();
    private final Timeout confirmTimeout;
    private ShardingProducerController.RequestNext<ExperienceBatch> demand;

    private ReplayProducer(ActorContext<Command> context, String producerId,
                           ActorRef<ShardingEnvelope<ConsumerController.SequencedMessage<ExperienceBatch>>> region,
                           Duration confirmTimeout) {
        super(context);
        this.confirmTimeout = Timeout.create(confirmTimeout);
        ActorRef<ShardingProducerController.Command<ExperienceBatch>> controller = context.spawn(
                ShardingProducerController.create(ExperienceBatch.class, producerId, region, Optional.empty()),
                "producer-controller", DispatcherSelector.sameAsParent()); // where its producer runs
        ActorRef<ShardingProducerController.RequestNext<ExperienceBatch>> requestNext =
                context.messageAdapter(ShardingProducerController.requestNextClass(), WrappedRequestNext::new);
        controller.tell(new ShardingProducerController.Start<>(requestNext));
    }

    /**
     * A producer with a unique {@code producerId}, writing into the replay {@code region}; confirmations not heard
     * within {@code confirmTimeout} are reported as not ok (the batch may still be delivered).
     */
    public static Behavior<Command> create(String producerId,
                                           ActorRef<ShardingEnvelope<ConsumerController.SequencedMessage<ExperienceBatch>>> region,
                                           Duration confirmTimeout) {
        return Behaviors.setup(ctx -> new ReplayProducer(ctx, producerId, region, confirmTimeout));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Send.class, this::onSend)
                .onMessage(WrappedRequestNext.class, this::onRequestNext)
                .onMessage(WrappedConfirmed.class, this::onConfirmed)
                .build();
    }

    private Behavior<Command> onSend(Send s) {
        queue.add(s);
        sendIfDemand();
        return this;
    }

    private Behavior<Command> onRequestNext(WrappedRequestNext r) {
        demand = r.next();
        sendIfDemand();
        return this;
    }

    private void sendIfDemand() {
        if (demand == null || queue.isEmpty()) {
            return;
        }
        Send s = queue.poll();
        ShardingProducerController.RequestNext<ExperienceBatch> next = demand;
        demand = null;
        if (s.confirmTo() == null) {
            next.sendNextTo().tell(new ShardingEnvelope<>(s.shardId(), s.batch()));
        } else {
            // the Scala API's ask: its answer reaches this actor on the thread that completes it. The Java API's
            // converts the answer to a CompletableFuture whose every stage is async, one hand-off (on a 2-core
            // machine without the common-pool flag of conf/jvm.options, one new thread) per stored batch
            getContext().asScala().ask(next.askNextTo(),
                    (ActorRef<Done> replyTo) -> new ShardingProducerController.MessageWithConfirmation<>(s.shardId(),
                            s.batch(), replyTo),
                    (Try<Done> answer) -> new WrappedConfirmed(s, answer.isSuccess()),
                    confirmTimeout, DONE);
        }
    }

    private Behavior<Command> onConfirmed(WrappedConfirmed c) {
        c.send().confirmTo().tell(new Confirmed(c.send().shardId(), c.send().tag(), c.ok()));
        return this;
    }
}
