package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.EventProcessor;
import io.cqrs.EventSerializer;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.Await;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A rolling deploy: a newer build writes an event of a type the older one's registry does not know.
 * The older process's log reads return what precedes it, and its tracking processor handles exactly
 * those events and stops right before the unreadable one, saying what it is.
 */
class CouchbaseUnreadableLogIT {
  private final CouchbaseTestServer server = CouchbaseTestServer.shared();
  private final String prefix = server.newKeyPrefix();
  private final CouchbaseEventStreamRepository newer =
      store(new TypeRegistry().registerEvents(TestEvents.Deposited.class, TestEvents.Noted.class));
  private final CouchbaseEventStreamRepository older =
      store(new TypeRegistry().registerEvents(TestEvents.Deposited.class));

  private CouchbaseEventStreamRepository store(TypeRegistry types) {
    return CouchbaseEventStreamRepository.builder(server.collection(), new EventSerializer(types))
        .keyPrefix(prefix)
        .build();
  }

  @AfterEach
  void close() {
    newer.close();
    older.close();
  }

  private void writeWithANewTypeThird() {
    newer.save("acc-1", 0, TestEvents.batch("acc-1", 0, 1));
    newer.save("acc-2", 0, TestEvents.batch("acc-2", 0, 1));
    newer.save(
        "acc-1", 1, List.of(TestEvents.event("acc-1", 2, new TestEvents.Noted("new"), "corr-new")));
    newer.save("acc-2", 1, TestEvents.batch("acc-2", 1, 1));
  }

  @Test
  void a_log_read_returns_what_precedes_an_event_it_cannot_read_then_fails_on_it() {
    writeWithANewTypeThird();

    List<LoggedEvent> readable = older.readLogEvents(1, 100);

    assertThat(readable)
        .extracting(logged -> logged.event().sourceId(), logged -> logged.event().version())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("acc-1", 1L),
            org.assertj.core.groups.Tuple.tuple("acc-2", 1L));
    long next = readable.get(1).position() + 1;
    assertThatThrownBy(() -> older.readLogEvents(next, 100))
        .isInstanceOf(NonTransientCqrsException.class)
        .hasStackTraceContaining("Unknown type 'Noted'");
    assertThat(newer.readLogEvents(1, 100)).hasSize(4);
  }

  @Test
  void a_tracking_processor_handles_what_precedes_it_and_stops_right_before_it() {
    writeWithANewTypeThird();
    List<VersionedEvent> handled = new CopyOnWriteArrayList<>();
    TrackingEventProcessor processor =
        EventProcessor.tracking("balances", older).handler(handled::add).build();
    processor.start();
    try {
      Await.until("the segment stopped", () -> processor.failure() != null);
      assertThat(handled)
          .extracting(VersionedEvent::sourceId, VersionedEvent::version)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("acc-1", 1L),
              org.assertj.core.groups.Tuple.tuple("acc-2", 1L));
      assertThat(processor.failure())
          .hasMessageContaining("Processor 'balances' segment 0 cannot read the log after position")
          .hasMessageContaining("Unknown type 'Noted'");
    } finally {
      processor.close();
    }
  }

  /**
   * The log's head is a position, which needs no event read: a process whose registry does not know
   * the type of the newest commit's events (a rolling deploy's older build, or a read-model service
   * that registers only the types it follows) still reads it. It failed with the unknown type, so
   * every lag of that process was unknown and the Spring Boot health of its store was DOWN.
   */
  @Test
  void the_log_head_is_read_whatever_the_types_of_the_newest_commit() {
    newer.save("acc-1", 0, TestEvents.batch("acc-1", 0, 2));
    newer.save(
        "acc-1", 2, List.of(TestEvents.event("acc-1", 3, new TestEvents.Noted("new"), "corr-new")));
    newer.recordIntegrationEvent(
        TestEvents.event("cmd-1", 0, new TestEvents.Noted("integration"), "corr-int"));
    long head = newer.logHead();

    assertThat(older.logHead()).isEqualTo(head);

    newer.save(
        "acc-2",
        0,
        List.of(
            TestEvents.event("acc-2", 1, new TestEvents.Noted("a"), "corr-2"),
            TestEvents.event("acc-2", 2, new TestEvents.Noted("b"), "corr-2")));

    assertThat(older.logHead()).isEqualTo(newer.logHead()).isGreaterThan(head);
  }
}
