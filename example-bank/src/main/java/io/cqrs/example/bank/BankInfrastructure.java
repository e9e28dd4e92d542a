package io.cqrs.example.bank;

import io.cqrs.CommandBus;
import io.cqrs.EventBus;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that chooses the bank's infrastructure: the event store, the event bus and the
 * command bus. Everything else takes them from here, so running on other servers changes this class
 * only.
 *
 * <p>Closing it closes what it created (buses first, so no handler runs against a closed store),
 * never what a caller passed in.
 */
public final class BankInfrastructure implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BankInfrastructure.class);

  /** Why {@code --store couchbase} fails until the Couchbase adapter is wired in here. */
  static final String COUCHBASE_MISSING =
      "--store couchbase needs the Couchbase adapter (cqrs-couchbase), which example-bank does not"
          + " use yet; use --store memory";

  /** Why {@code --bus rabbitmq} fails until the RabbitMQ adapter is wired in here. */
  static final String RABBITMQ_MISSING =
      "--bus rabbitmq needs the RabbitMQ adapter (cqrs-rabbitmq), which example-bank does not use"
          + " yet; use --bus memory";

  private final EventStreamRepository store;
  private final EventBus eventBus;
  private final CommandBus commandBus;
  private final String description;
  private final List<AutoCloseable> owned;

  private BankInfrastructure(
      EventStreamRepository store,
      EventBus eventBus,
      CommandBus commandBus,
      String description,
      List<AutoCloseable> owned) {
    this.store = store;
    this.eventBus = eventBus;
    this.commandBus = commandBus;
    this.description = description;
    this.owned = owned;
  }

  /** A store and buses in this process's memory (andrewwebber's in-memory scenario). */
  public static BankInfrastructure inMemory() {
    InMemoryEventBus eventBus = new InMemoryEventBus();
    InMemoryCommandBus commandBus = new InMemoryCommandBus();
    return new BankInfrastructure(
        new InMemoryEventStreamRepository(),
        eventBus,
        commandBus,
        InfrastructureOptions.inMemory().describe(),
        List.of(commandBus, eventBus));
  }

  /**
   * The infrastructure the options ask for.
   *
   * @throws UnsupportedOperationException naming the option, while an adapter it needs is not part
   *     of this build
   */
  public static BankInfrastructure create(InfrastructureOptions options) {
    Objects.requireNonNull(options, "options");
    if (options.store() == InfrastructureOptions.Store.COUCHBASE) {
      throw new UnsupportedOperationException(COUCHBASE_MISSING);
    }
    if (options.bus() == InfrastructureOptions.Bus.RABBITMQ) {
      throw new UnsupportedOperationException(RABBITMQ_MISSING);
    }
    return inMemory();
  }

  /**
   * Infrastructure the caller made and keeps ownership of; {@link #close()} leaves it open.
   *
   * @param description how to describe it in output, without secrets
   */
  public static BankInfrastructure of(
      EventStreamRepository store, EventBus eventBus, CommandBus commandBus, String description) {
    return new BankInfrastructure(
        Objects.requireNonNull(store, "store"),
        Objects.requireNonNull(eventBus, "eventBus"),
        Objects.requireNonNull(commandBus, "commandBus"),
        Objects.requireNonNull(description, "description"),
        List.of());
  }

  /** Where events, snapshots and the integration log are kept. */
  public EventStreamRepository store() {
    return store;
  }

  /** Where committed events are published. */
  public EventBus eventBus() {
    return eventBus;
  }

  /** Where commands are sent. */
  public CommandBus commandBus() {
    return commandBus;
  }

  /** What this infrastructure is, without secrets. */
  public String describe() {
    return description;
  }

  /**
   * Closes what this object created, in order. A failure is logged and the rest are still closed:
   * this runs at shutdown, where there is nobody left to handle it.
   */
  @Override
  public void close() {
    for (AutoCloseable resource : owned) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("Could not close {}", resource.getClass().getSimpleName(), e);
      }
    }
  }
}
