package io.cqrs.benchmarks.model;

import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;

/** Turns domain events into the stored form of each framework, outside any measured code. */
public final class Histories {
  private static final String AXON_AGGREGATE_TYPE = "AxonAccount";

  private Histories() {}

  /** A registry that knows the benchmark aggregate, its six event types and {@link Deposit}. */
  public static TypeRegistry registry() {
    return new TypeRegistry()
        .registerAggregate(
            BenchAccount.class,
            AccountOpened.class,
            MoneyDeposited.class,
            MoneyWithdrawn.class,
            OverdraftLimitChanged.class,
            OwnerChanged.class,
            StatementIssued.class)
        .registerCommands(Deposit.class);
  }

  /** cqrs envelopes of {@code events} for one stream, versions 1, 2, 3 … */
  public static List<VersionedEvent> envelopes(
      String streamId, List<Object> events, TypeRegistry registry) {
    String correlationId = UUID.randomUUID().toString();
    Instant now = Instant.now();
    List<VersionedEvent> envelopes = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      Object event = events.get(i);
      registry.nameOf(event.getClass()); // fails for an unregistered event
      envelopes.add(
          VersionedEvent.builder(streamId, i + 1, event)
              .correlationId(correlationId)
              .created(now)
              .build());
    }
    return envelopes;
  }

  /** Axon domain event messages of {@code events} for one aggregate, sequence numbers 0, 1, 2 … */
  public static List<DomainEventMessage<?>> axonMessages(String aggregateId, List<Object> events) {
    List<DomainEventMessage<?>> messages = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      messages.add(
          new GenericDomainEventMessage<>(AXON_AGGREGATE_TYPE, aggregateId, i, events.get(i)));
    }
    return messages;
  }
}
