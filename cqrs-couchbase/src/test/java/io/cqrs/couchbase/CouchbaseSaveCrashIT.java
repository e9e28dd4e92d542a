package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static io.cqrs.couchbase.TestEvents.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.DuplicateCommandException;
import io.cqrs.EventRelay;
import io.cqrs.VersionedEvent;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A save in three round trips, stopped between any two of its writes (a hook throws there, as if
 * the writer died) and within its parallel round trips (the writes one of them may leave, played
 * with raw documents); then the next writer, a stream reader, a correlation reader and the relay
 * run. Each must see the save committed exactly once or not at all, and the relay must publish
 * every commit once, in stream order.
 */
class CouchbaseSaveCrashIT extends RepositoryIT {
  private final CouchbaseEventStreamRepository repository = repository();
  private final InMemoryEventBus bus = new InMemoryEventBus();
  private final List<VersionedEvent> published = new CopyOnWriteArrayList<>();

  /** What a hook throws to stop a save for good, as a dead process would. */
  static final class Died extends Error {
    Died(StreamWriter.Step step) {
      super("died at " + step);
    }
  }

  @AfterEach
  void closeBus() {
    bus.close();
  }

  private CouchbaseEventStreamRepository dyingAt(StreamWriter.Step step) {
    return builder()
        .saveHook(
            at -> {
              if (at == step) {
                throw new Died(step);
              }
            })
        .build();
  }

  /**
   * The whole log, as readers that go on reading see it: a read stops before a sequence without a
   * document, and the next read, starting there, waits for it at most the grace period.
   */
  private List<LoggedEvent> wholeLog() {
    List<LoggedEvent> log = new ArrayList<>();
    long from = 1;
    for (int read = 0; read < 10; read++) {
      List<LoggedEvent> batch = repository.readLog(from, 100);
      log.addAll(batch);
      if (!batch.isEmpty()) {
        from = batch.get(batch.size() - 1).position() + 1;
      }
    }
    return log;
  }

  /** Publishes what the log holds unpublished; returns the versions of stream acc-1 it sent. */
  private List<Long> relay() {
    bus.subscribe("watch", 1, published::add);
    EventRelay relay = EventRelay.builder(repository, bus).grace(Duration.ZERO).build();
    int committed = wholeLog().size();
    Await.until(
        "the relay to publish every committed event",
        () -> {
          relay.publishPending();
          return published.size() >= committed;
        });
    List<Long> versions = new ArrayList<>();
    for (VersionedEvent event : published) {
      versions.add(event.version());
    }
    return versions;
  }

  @Test
  void a_writer_that_died_after_checking_and_taking_a_sequence_leaves_only_a_gap() {
    List<VersionedEvent> first = batch("acc-1", 0, 1, "c-0");
    repository.save("acc-1", 0, first);
    long seq = kv.counter(keys.sequence()) + 1;

    assertThatThrownBy(
            () -> dyingAt(StreamWriter.Step.CHECKED).save("acc-1", 1, batch("acc-1", 1, 1, "c-x")))
        .isInstanceOf(Died.class);

    assertThat(kv.counter(keys.sequence())).isEqualTo(seq);
    assertThat(raw(keys.log(seq))).isEmpty();
    assertThat(repository.version("acc-1")).isEqualTo(1);
    List<VersionedEvent> next = batch("acc-1", 1, 1, "c-1");
    repository.save("acc-1", 1, next);
    // Log readers wait for the dead writer's sequence at most the grace period, then close it.
    assertThat(ids(wholeLog().stream().map(LoggedEvent::event).toList()))
        .containsExactly(first.get(0).id(), next.get(0).id());
    assertThat(raw(keys.log(seq))).hasValueSatisfying(doc -> assertThat(doc).contains("\"x\""));
    assertThat(repository.eventsByCorrelationId("c-x")).isEmpty();
    assertThat(relay()).containsExactly(1L, 2L);
  }

  @Test
  void a_writer_that_died_after_storing_its_commit_is_completed_by_the_relays_read_and_counts() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1, "c-0"));
    List<VersionedEvent> dead = batch("acc-1", 1, 2, "c-x");

    assertThatThrownBy(() -> dyingAt(StreamWriter.Step.STORED).save("acc-1", 1, dead, "command-x"))
        .isInstanceOf(Died.class);

    assertThat(repository.version("acc-1")).isEqualTo(1); // prepared: not committed yet
    assertThat(relay()).containsExactly(1L, 2L, 3L); // the relay's read completes it
    assertThat(repository.version("acc-1")).isEqualTo(3);
    assertThat(ids(repository.eventsByCorrelationId("c-x"))).isEqualTo(ids(dead));
    assertThatThrownBy(() -> repository.save("acc-1", 3, batch("acc-1", 3, 1), "command-x"))
        .isInstanceOf(DuplicateCommandException.class);
  }

  @Test
  void a_writer_that_died_after_storing_its_commit_loses_its_version_to_the_next_writer() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1, "c-0"));
    assertThatThrownBy(
            () ->
                dyingAt(StreamWriter.Step.STORED)
                    .save("acc-1", 1, batch("acc-1", 1, 1, "c-x"), "command-x"))
        .isInstanceOf(Died.class);

    // A redelivery of the same command finds version 2 free and commits the effect itself.
    List<VersionedEvent> redelivered = batch("acc-1", 1, 1, "c-y");
    repository.save("acc-1", 1, redelivered, "command-x");

    assertThat(relay()).containsExactly(1L, 2L);
    assertThat(repository.load("acc-1", 2)).containsExactlyElementsOf(redelivered);
    assertThat(repository.eventsByCorrelationId("c-x")).isEmpty(); // indexed, never committed
    assertThatThrownBy(() -> repository.save("acc-1", 2, batch("acc-1", 2, 1), "command-x"))
        .isInstanceOf(DuplicateCommandException.class);
  }

  /**
   * The index entries and the document go in one round trip: a writer may die with the document
   * stored and its index entries not. The document is only prepared; the reader that completes it
   * appends the entries before it claims, so a committed event is always found by correlation id.
   */
  @Test
  void a_commit_stored_without_its_index_entries_is_indexed_by_the_reader_that_completes_it() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1, "c-0"));
    List<VersionedEvent> dead = batch("acc-1", 1, 1, "c-x");
    long seq = kv.increment(keys.sequence());
    kv.insert(keys.log(seq), codec.commit("acc-1", dead));

    assertThat(repository.eventsByCorrelationId("c-x")).isEmpty();
    assertThat(repository.readLog(1, 10)).hasSize(2);

    assertThat(ids(repository.eventsByCorrelationId("c-x"))).isEqualTo(ids(dead));
    assertThat(repository.load("acc-1")).hasSize(2);
  }

  @Test
  void index_entries_whose_commit_document_never_landed_are_filtered_out() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1, "c-0"));
    List<VersionedEvent> dead = batch("acc-1", 1, 1, "c-x");
    long seq = kv.increment(keys.sequence());
    new CorrelationIndex(kv, keys).appendNow(seq, dead);

    List<VersionedEvent> next = batch("acc-1", 1, 1, "c-x");
    repository.save("acc-1", 1, next);

    assertThat(relay()).containsExactly(1L, 2L);
    assertThat(ids(repository.eventsByCorrelationId("c-x"))).isEqualTo(ids(next));
  }

  @Test
  void
      a_writer_that_died_after_its_claim_has_committed_and_readers_follow_the_claim_past_the_head() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1, "c-0"));
    List<VersionedEvent> dead = batch("acc-1", 1, 2, "c-x");

    assertThatThrownBy(() -> dyingAt(StreamWriter.Step.CLAIMED).save("acc-1", 1, dead, "command-x"))
        .isInstanceOf(Died.class);

    assertThat(new StreamReader(kv, keys, codec).head("acc-1").version()).isEqualTo(1);
    assertThat(repository.version("acc-1")).isEqualTo(3);
    assertThat(repository.loadStream("acc-1", 2).events()).containsExactlyElementsOf(dead);
    assertThat(repository.load("acc-1")).hasSize(3);
    assertThatThrownBy(() -> repository.save("acc-1", 3, batch("acc-1", 3, 1), "command-x"))
        .isInstanceOf(DuplicateCommandException.class);
    assertThatThrownBy(() -> repository.save("acc-1", 1, batch("acc-1", 1, 1)))
        .isInstanceOf(io.cqrs.ConcurrencyException.class);

    repository.save("acc-1", 3, batch("acc-1", 3, 1), "command-y");
    Await.until(
        "the next save to repair the head",
        () -> new StreamReader(kv, keys, codec).head("acc-1").version() == 4);
    assertThat(relay()).containsExactly(1L, 2L, 3L, 4L);
    assertThatThrownBy(() -> repository.save("acc-1", 4, batch("acc-1", 4, 1), "command-x"))
        .isInstanceOf(DuplicateCommandException.class);
  }

  /**
   * The sequence is taken in the same round trip as the check, so the counter may answer a writer
   * before the commit it will follow takes its own sequence. Stored under that lower sequence, the
   * commit would come before its predecessor in the log. Here the late writer's increment is
   * answered, then the predecessor is saved whole, then the late writer's check sees it.
   */
  @Test
  void a_sequence_taken_before_the_preceding_commit_took_its_own_is_given_back_and_replaced() {
    repository.save("acc-1", 0, batch("acc-1", 0, 1));
    long before = kv.counter(keys.sequence());
    List<VersionedEvent> predecessor = batch("acc-1", 1, 1);
    CouchbaseEventStreamRepository late =
        builder()
            .saveHook(
                step -> {
                  if (step == StreamWriter.Step.SEQUENCE_ASKED) {
                    Await.until(
                        "the late writer's sequence taken",
                        () -> kv.counter(keys.sequence()) == before + 1);
                    repository.save("acc-1", 1, predecessor);
                  }
                })
            .build();

    List<VersionedEvent> following = batch("acc-1", 2, 1);
    late.save("acc-1", 2, following);

    assertThat(kv.counter(keys.sequence())).isEqualTo(before + 3);
    assertThat(wholeLog())
        .extracting(logged -> logged.event().version())
        .containsExactly(1L, 2L, 3L);
    Await.until(
        "the late writer's first sequence given back",
        () -> raw(keys.log(before + 1)).filter(doc -> doc.contains("\"a\"")).isPresent());
    assertThat(relay()).containsExactly(1L, 2L, 3L);
  }
}
