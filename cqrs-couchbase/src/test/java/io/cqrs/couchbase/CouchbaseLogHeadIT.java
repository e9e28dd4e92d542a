package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code logHead()} on Couchbase: the position of the last committed event, so that a reader that
 * has read up to it has seen every commit completed before the call.
 */
class CouchbaseLogHeadIT extends RepositoryIT {
  private final CouchbaseEventStreamRepository store = repository();

  private long lastPosition() {
    List<LoggedEvent> all = store.readLog(1, 10_000);
    return all.isEmpty() ? 0 : all.get(all.size() - 1).position();
  }

  @Test
  void an_empty_log_has_head_zero() {
    assertThat(store.logHead()).isZero();
  }

  @Test
  void the_head_is_the_position_of_the_last_event_after_saves_and_an_integration_event() {
    store.save("acc-1", 0, batch("acc-1", 0, 3));
    long afterFirst = store.logHead();
    assertThat(afterFirst).isEqualTo(lastPosition()).isEqualTo(LogReader.position(1, 2));

    store.save("acc-2", 0, batch("acc-2", 0, 1));
    store.save("acc-1", 3, batch("acc-1", 3, 2));
    assertThat(store.logHead()).isEqualTo(lastPosition()).isEqualTo(LogReader.position(3, 1));

    VersionedEvent failed = TestEvents.event("cmd-1", 0, new TestEvents.Noted("failed"), "corr-x");
    store.recordIntegrationEvent(failed);
    assertThat(store.logHead()).isEqualTo(lastPosition()).isEqualTo(LogReader.position(4, 0));
  }

  @Test
  void a_reader_that_read_up_to_the_head_has_seen_every_commit() {
    for (int i = 0; i < 5; i++) {
      store.save("acc-" + i, 0, batch("acc-" + i, 0, i + 1));
    }

    long head = store.logHead();
    List<LoggedEvent> upToHead = store.readLog(1, 10_000);

    assertThat(upToHead).hasSize(15);
    assertThat(upToHead.get(upToHead.size() - 1).position()).isEqualTo(head);
    assertThat(store.readLog(head + 1, 10)).isEmpty();
  }

  @Test
  void a_write_still_in_flight_at_the_top_is_not_counted_but_a_prepared_commit_is() {
    store.save("acc-1", 0, batch("acc-1", 0, 2));
    long committed = store.logHead();

    // A writer took the next sequence and has not stored its commit yet.
    kv.increment(keys.sequence());
    assertThat(store.logHead()).isEqualTo(committed);

    // A writer stored its commit but died before claiming the version: the head completes it.
    long seq = kv.increment(keys.sequence());
    kv.insert(keys.log(seq), codec.commit("acc-2", batch("acc-2", 0, 2)));
    assertThat(store.logHead()).isEqualTo(LogReader.position(seq, 1));
    assertThat(raw(keys.claim("acc-2", 1))).isPresent();
  }

  @Test
  void a_prepared_commit_this_process_cannot_read_is_not_counted_until_it_is_completed() {
    CouchbaseEventStreamRepository older =
        CouchbaseEventStreamRepository.builder(
                collection,
                new io.cqrs.EventSerializer(
                    new io.cqrs.TypeRegistry().registerEvents(TestEvents.Deposited.class)))
            .keyPrefix(prefix)
            .build();
    try {
      store.save("acc-1", 0, batch("acc-1", 0, 2));
      long committed = store.logHead();

      // A newer build's writer stored its commit, of a type the older build does not know, and
      // died before claiming the version: the older process cannot complete it, so it does not
      // count it, as for a write in flight.
      long seq = kv.increment(keys.sequence());
      kv.insert(
          keys.log(seq),
          codec.commit(
              "acc-2",
              List.of(
                  TestEvents.event("acc-2", 1, new TestEvents.Noted("a"), "corr-2"),
                  TestEvents.event("acc-2", 2, new TestEvents.Noted("b"), "corr-2"))));
      assertThat(older.logHead()).isEqualTo(committed);
      assertThat(raw(keys.claim("acc-2", 1))).isEmpty();

      // A process that reads it completes it; then every process counts it.
      assertThat(store.logHead()).isEqualTo(LogReader.position(seq, 1));
      assertThat(older.logHead()).isEqualTo(LogReader.position(seq, 1));
    } finally {
      older.close();
    }
  }
}
