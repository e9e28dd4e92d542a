package io.cqrs.rabbitmq;

import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Events and commands the adapter's own integration tests send. */
final class TestMessages {
  private TestMessages() {}

  /** An event of the tests. */
  record ItemAdded(String item, int quantity) {}

  /** A command of the tests. */
  record AddItem(String item, int quantity) {}

  /** Another command of the tests, which no service handles unless a test says so. */
  record RemoveItem(String item) {}

  static EventSerializer serializer() {
    return new EventSerializer(
        new TypeRegistry()
            .registerEvents(ItemAdded.class)
            .registerCommands(AddItem.class, RemoveItem.class));
  }

  static VersionedEvent event(String sourceId, long version) {
    return new VersionedEvent(
        UUID.randomUUID().toString(),
        UUID.randomUUID().toString(),
        null,
        sourceId,
        "tester",
        null,
        version,
        "ItemAdded",
        Instant.now(),
        new ItemAdded("item-" + version, (int) version),
        Map.of());
  }

  /** {@code count} events of one stream, versions 1 … count. */
  static List<VersionedEvent> stream(String sourceId, int count) {
    List<VersionedEvent> events = new ArrayList<>(count);
    for (int version = 1; version <= count; version++) {
      events.add(event(sourceId, version));
    }
    return events;
  }

  /** {@code count} events of distinct streams. */
  static List<VersionedEvent> events(int count) {
    List<VersionedEvent> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      events.add(event("stream-" + i, 1));
    }
    return events;
  }

  static Command addItem(String item) {
    return Command.create(new AddItem(item, 1));
  }

  static Command removeItem(String item) {
    return Command.create(new RemoveItem(item));
  }
}
