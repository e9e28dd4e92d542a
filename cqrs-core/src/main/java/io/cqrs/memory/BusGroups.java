package io.cqrs.memory;

import io.cqrs.internal.Texts;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.QueuedDeadLetter;
import io.cqrs.spi.Subscription;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The named listener groups of one in-memory bus (a command bus's services, an event bus's
 * subscriptions) and all that both buses do with them alike: make a group on its first subscribe,
 * keep what the groups dead-letter and answer the bus's {@code DeadLetterQueues} from it, tell
 * whether the groups are idle and their listeners healthy, and close. A bus keeps only how it
 * routes a message to its groups. Thread-safe.
 */
final class BusGroups<T> {
  private static final Logger log = LoggerFactory.getLogger(BusGroups.class);

  private final String bus;
  private final int maxAttempts;
  private final Map<String, ListenerGroup<T>> groups = new ConcurrentHashMap<>();

  /**
   * The groups' values as an array, replaced when a group is added: a publisher walks it without
   * the iterator a map's values cost on every call.
   */
  @SuppressWarnings("unchecked")
  private volatile ListenerGroup<T>[] all = new ListenerGroup[0];

  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private final DeadLetterShelf<T> deadLetters;
  private final BusConsumers consumers;
  private final Function<T, String> describe;
  private volatile boolean closed;

  /**
   * Groups of the bus named {@code bus} (as its messages say), each trying a message {@code
   * maxAttempts} times before dead-lettering it; {@code messageId} and {@code type} show a dead
   * letter to an operator.
   */
  BusGroups(String bus, int maxAttempts, Function<T, String> messageId, Function<T, String> type) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
    }
    this.bus = bus;
    this.maxAttempts = maxAttempts;
    this.deadLetters = new DeadLetterShelf<>(messageId, type);
    this.consumers = new BusConsumers(bus);
    this.describe =
        message -> Texts.shown(type.apply(message)) + " " + Texts.shown(messageId.apply(message));
  }

  /** Throws if the bus is closed. */
  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(bus + " is closed");
    }
  }

  /**
   * The group {@code name}, made on its first subscribe.
   *
   * @throws IllegalStateException if the bus is closed or a fatal error stopped it
   */
  ListenerGroup<T> groupFor(String name) {
    ensureOpen();
    consumers.ensureNotStopped();
    synchronized (groups) {
      ListenerGroup<T> group =
          groups.computeIfAbsent(
              name,
              n -> new ListenerGroup<>(n, maxAttempts, deadLetters::add, consumers, describe));
      if (groups.size() != all.length) {
        all = groups.values().toArray(all);
      }
      return group;
    }
  }

  /** Starts {@code listeners} threads on {@code group}; closing the bus closes them. */
  Subscription start(ListenerGroup<T> group, int listeners, ListenerGroup.Handler<T> handler) {
    Subscription started = group.start(listeners, handler);
    subscriptions.add(started);
    return started;
  }

  /** Every group; the array is shared, not to be written. */
  ListenerGroup<T>[] all() {
    return all;
  }

  List<DeadLetter<T>> deadLetters() {
    return deadLetters.all();
  }

  long deadLetterCount(String name) {
    return deadLetters.count(name);
  }

  List<QueuedDeadLetter> peekDeadLetters(String name, int max) {
    return deadLetters.peek(name, max);
  }

  long replayDeadLetters(String name, long max) {
    return deadLetters.replay(name, max, groups);
  }

  /** Whether every message offered to a group has been handled or dead-lettered. */
  boolean isIdle() {
    return groups.values().stream().allMatch(ListenerGroup::isIdle);
  }

  BusHealth health() {
    return consumers.health();
  }

  /**
   * Closes the bus: no publish or subscribe from now on, and every listener stops, each group's
   * last one after handling what was queued. What is still queued then (published with no listener
   * left, or more than a drain takes) is gone with the bus: an in-memory bus keeps nothing, and
   * says so in a warning per group.
   */
  void close() {
    closed = true;
    consumers.close();
    subscriptions.forEach(Subscription::close);
    subscriptions.clear();
    for (ListenerGroup<T> group : all) {
      int left = group.unfinished();
      if (left > 0) {
        log.warn(
            "{} closed with {} message(s) of '{}' not handled (queued, or in a handler that had not"
                + " returned): an in-memory bus keeps nothing, so they are lost",
            bus,
            left,
            group.name());
      }
    }
  }
}
