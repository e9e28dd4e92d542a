package io.cqrs.memory;

import io.cqrs.EventSerializer;
import io.cqrs.UnpublishableMessageException;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.internal.Texts;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.DeadLetterQueues;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.QueuedDeadLetter;
import io.cqrs.spi.SerializingPart;
import io.cqrs.spi.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.RandomAccess;

/**
 * An {@link EventBus} in memory: each named subscription has a queue that its listener threads
 * compete for, and every subscription gets every event published after it was first subscribed. A
 * consumer that throws gets the event again, up to {@code maxAttempts} tries (at once: there is no
 * broker to delay it), then the event is kept in {@link #deadLetters()} until {@linkplain
 * #replayDeadLetters replayed}; that holds for {@code Error}s too. A fatal error ({@link
 * BusHealth#isFatal}) stops every listener of the bus instead, and the event stays queued; see
 * {@link #health()}.
 */
public final class InMemoryEventBus implements EventBus, DeadLetterQueues, SerializingPart {
  /**
   * The largest event, as JSON, a {@linkplain #serializing serializing} bus carries: RabbitMQ 4's
   * default {@code max_message_size} and the RabbitMQ buses' default {@code maxMessageBytes}, 16
   * MiB.
   */
  public static final int MAX_MESSAGE_BYTES = InMemoryCommandBus.MAX_MESSAGE_BYTES;

  private final BusGroups<VersionedEvent> groups;
  private final EventSerializer serializer; // null: events are delivered as given

  /** A bus that tries each event three times before dead-lettering it. */
  public InMemoryEventBus() {
    this(3);
  }

  /** A bus that tries each event {@code maxAttempts} times before dead-lettering it. */
  public InMemoryEventBus(int maxAttempts) {
    this(maxAttempts, null);
  }

  private InMemoryEventBus(int maxAttempts, EventSerializer serializer) {
    this.groups =
        new BusGroups<>(
            "InMemoryEventBus", maxAttempts, VersionedEvent::id, VersionedEvent::eventType);
    this.serializer = serializer;
  }

  /**
   * A bus that delivers what {@code serializer} reads back of each event, as a broker does, trying
   * each three times before dead-lettering it: for tests of an application whose events will travel
   * through RabbitMQ. An event that cannot be written or read back fails its publish with a {@link
   * io.cqrs.SerializationException}, and one over {@link #MAX_MESSAGE_BYTES} as JSON with an {@link
   * UnpublishableMessageException}, as the RabbitMQ bus refuses it; nothing of its list is
   * published then.
   */
  public static InMemoryEventBus serializing(EventSerializer serializer) {
    return new InMemoryEventBus(3, Objects.requireNonNull(serializer, "serializer"));
  }

  /** The serializer it writes and reads with (see {@link SerializingPart}). */
  @Override
  public Optional<EventSerializer> serializer() {
    return Optional.ofNullable(serializer);
  }

  @Override
  public void publish(List<VersionedEvent> given) {
    Objects.requireNonNull(given, "events");
    // Walked by index, as iterators here were a measurable part of a command's allocation.
    List<VersionedEvent> events = given instanceof RandomAccess ? given : new ArrayList<>(given);
    int count = events.size();
    for (int i = 0; i < count; i++) {
      Objects.requireNonNull(events.get(i), "events[]");
    }
    groups.ensureOpen();
    if (serializer != null) {
      events = readBack(events); // all of them first: one that fails publishes nothing of the list
    }
    for (ListenerGroup<VersionedEvent> group : groups.all()) {
      for (int i = 0; i < count; i++) {
        group.offer(events.get(i));
      }
    }
  }

  private List<VersionedEvent> readBack(List<VersionedEvent> events) {
    List<VersionedEvent> copies = new ArrayList<>(events.size());
    for (VersionedEvent event : events) {
      byte[] json = serializer.serialize(event);
      InMemoryCommandBus.requireCarried(
          json,
          () ->
              "event "
                  + Texts.shown(event.eventType())
                  + " "
                  + Texts.shown(event.id())
                  + " of stream '"
                  + Texts.shown(event.sourceId())
                  + "'");
      copies.add(serializer.deserializeEvent(json));
    }
    return copies;
  }

  @Override
  public Subscription subscribe(
      String subscription, int listeners, VersionedEventHandler consumer) {
    Objects.requireNonNull(subscription, "subscription");
    Objects.requireNonNull(consumer, "consumer");
    // Before the group exists: a group without listeners would buffer every event from now on.
    ListenerGroup.checkListeners(listeners);
    return groups.start(groups.groupFor(subscription), listeners, consumer::handle);
  }

  /** The events that exhausted their attempts, oldest first. */
  public List<DeadLetter<VersionedEvent>> deadLetters() {
    return groups.deadLetters();
  }

  /**
   * How many events of subscription {@code subscription} exhausted their attempts and wait for a
   * replay.
   */
  @Override
  public long deadLetterCount(String subscription) {
    return groups.deadLetterCount(subscription);
  }

  @Override
  public List<QueuedDeadLetter> peekDeadLetters(String subscription, int max) {
    return groups.peekDeadLetters(subscription, max);
  }

  /**
   * Offers up to {@code max} dead letters of {@code subscription} to its listeners again, oldest
   * first, each with {@code maxAttempts} attempts again. Each dead letter is taken by one call
   * only.
   */
  @Override
  public long replayDeadLetters(String subscription, long max) {
    return groups.replayDeadLetters(subscription, max);
  }

  /** Whether every published event has been handled or dead-lettered by every subscription. */
  public boolean isIdle() {
    return groups.isIdle();
  }

  /**
   * Whether every listener of this bus runs: a handler's fatal error ({@link BusHealth#isFatal})
   * stops them all, leaves its message queued and makes this unhealthy for good.
   */
  @Override
  public BusHealth health() {
    return groups.health();
  }

  @Override
  public void close() {
    groups.close();
  }
}
