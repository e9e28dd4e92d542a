package io.cqrs;

import io.cqrs.spi.EventBus;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.ProcessorStore;
import java.util.Objects;

/**
 * A named consumer of events that feeds a read model or a process manager: the one way to build
 * either. Two kinds:
 *
 * <ul>
 *   <li>{@link #tracking tracking}: reads the store's integration log from a durable checkpoint and
 *       follows it, split into segments that several processes share ({@link
 *       TrackingEventProcessor}). A restart resumes after the checkpoint, a reset or a new name
 *       replays history, and the lag is known. The default choice.
 *   <li>{@link #subscribing subscribing}: consumes a subscription of an {@link EventBus} ({@link
 *       SubscribingEventProcessor}); the broker keeps the position, competing instances share the
 *       events, and the bus retries and dead-letters. For reactions to new events where a broker is
 *       the natural transport; it cannot replay history.
 * </ul>
 *
 * <p>Both deliver at least once; a {@link Projection} or an idempotent handler makes the effect
 * exactly once (see {@code docs/architecture.md}, "Event processors").
 */
public interface EventProcessor extends AutoCloseable {

  /**
   * A builder of a processor named {@code name} that tracks the integration log of {@code store},
   * which keeps the processor's checkpoints and claims too (the in-memory and Couchbase stores do).
   *
   * @throws IllegalArgumentException if {@code store} is not a {@link ProcessorStore}
   */
  static TrackingEventProcessor.Builder tracking(String name, EventStreamRepository store) {
    Objects.requireNonNull(store, "store");
    if (!(store instanceof ProcessorStore processors)) {
      throw new IllegalArgumentException(
          store.getClass().getName()
              + " is not a ProcessorStore: pass one with tracking(name, store, processorStore)");
    }
    return TrackingEventProcessor.builder(name, store, processors);
  }

  /**
   * A builder of a processor named {@code name} that tracks the integration log of {@code store}
   * and keeps its checkpoints and claims in {@code processors}.
   */
  static TrackingEventProcessor.Builder tracking(
      String name, EventStreamRepository store, ProcessorStore processors) {
    return TrackingEventProcessor.builder(name, store, processors);
  }

  /**
   * A builder of a tracking processor whose checkpoints and claims this process keeps in its own
   * memory: it reads the log of {@code store} from the start at every start and runs every segment
   * here, whatever other processes run under the name. For a read model kept in this process's
   * memory (a map), which a restart empties and which no other process shares: under {@link
   * #tracking(String, EventStreamRepository)} on a store that keeps checkpoints (Couchbase), such a
   * read model would lose what came before the stored checkpoint at a restart, and each process
   * would hold only the events of the segments it happened to run.
   */
  static TrackingEventProcessor.Builder local(String name, EventStreamRepository store) {
    return TrackingEventProcessor.builder(
            name,
            Objects.requireNonNull(store, "store"),
            io.cqrs.memory.InMemoryProcessors.create())
        .local();
  }

  /**
   * A builder of a processor that consumes subscription {@code name} of {@code bus}; {@code store}
   * is where a {@link Projection}'s version gate reads events the bus has not delivered yet.
   */
  static SubscribingEventProcessor.Builder subscribing(
      String name, EventBus bus, EventStreamRepository store) {
    return SubscribingEventProcessor.builder(name, bus, store);
  }

  /** The processor's name: the tracking processor's key in the store, or the subscription. */
  String name();

  /**
   * Starts consuming; returns without waiting for a catch-up.
   *
   * @throws IllegalStateException if started before
   */
  void start();

  /**
   * Stops handling events in this process until {@link #resume()}; returns once no handler here is
   * running.
   */
  void pause();

  /** Goes on after {@link #pause()}. */
  void resume();

  /** Whether {@link #pause()} holds the processor in this process. */
  boolean isPaused();

  /** Why the processor stopped handling in this process, or {@code null} while all is well. */
  Throwable failure();

  /** Stops consuming; handlers in flight finish first. Idempotent. */
  @Override
  void close();
}
