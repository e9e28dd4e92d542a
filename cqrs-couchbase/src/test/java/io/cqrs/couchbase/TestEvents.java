package io.cqrs.couchbase;

import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Event types and envelopes for this module's tests. */
final class TestEvents {
  private TestEvents() {}

  record Deposited(long amount) {}

  record Noted(String text) {}

  /** An account of Deposited events, whose balance is its (snapshot) state. */
  static final class Account extends EventSourceBased {
    private long balance;

    Account(String id) {
      super(id);
    }

    void deposit(long amount) {
      update(new TestEvents.Deposited(amount));
    }

    long balance() {
      return balance;
    }

    private void handleDeposited(TestEvents.Deposited event) {
      balance += event.amount();
    }
  }

  static TypeRegistry registry() {
    return new TypeRegistry().registerEvents(Deposited.class, Noted.class);
  }

  static EventSerializer serializer() {
    return new EventSerializer(registry());
  }

  /** {@code count} Deposited events numbered after {@code expected}, under one correlation id. */
  static List<VersionedEvent> batch(String stream, long expected, int count, String correlationId) {
    List<VersionedEvent> events = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      events.add(event(stream, expected + i, new Deposited(expected + i), correlationId));
    }
    return events;
  }

  static List<VersionedEvent> batch(String stream, long expected, int count) {
    return batch(stream, expected, count, "corr-" + UUID.randomUUID());
  }

  static VersionedEvent event(String stream, long version, Object payload, String correlationId) {
    return new VersionedEvent(
        UUID.randomUUID().toString(),
        correlationId,
        "cause-" + version,
        stream,
        "tester",
        null,
        version,
        TypeRegistry.logicalName(payload.getClass()),
        Instant.parse("2024-05-01T10:15:30.123456Z"),
        payload,
        Map.of("origin", "test"));
  }

  static List<String> ids(List<VersionedEvent> events) {
    return events.stream().map(VersionedEvent::id).toList();
  }
}
