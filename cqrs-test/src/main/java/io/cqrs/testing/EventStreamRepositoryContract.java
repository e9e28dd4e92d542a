package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.cqrs.CommandFailed;
import io.cqrs.ConcurrencyException;
import io.cqrs.DuplicateCommandException;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Snapshot;
import io.cqrs.testing.ContractEvents.Counted;
import io.cqrs.testing.ContractEvents.Happened;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link EventStreamRepository} keeps. An implementation runs it through a
 * one-line subclass that implements {@link #newRepository()}, in its own test sources:
 *
 * <pre>{@code
 * class MyStoreContractTest extends EventStreamRepositoryContract {
 *   protected EventStreamRepository newRepository() { return new MyStore(freshNamespace()); }
 * }
 * }</pre>
 *
 * <p>Each test works on a repository of its own and asserts exact contents (of streams, the log and
 * the correlation index), so {@link #newRepository()} must return a repository that sees nothing
 * written through earlier calls: adapters use a fresh key prefix or namespace per call.
 */
public abstract class EventStreamRepositoryContract {
  private static final int PAGE = 50;

  /** The repository under test, made fresh for each test. */
  protected EventStreamRepository repository;

  /**
   * A repository that sees nothing written through repositories returned by earlier calls. Called
   * once before each test (and once more by the isolation test).
   */
  protected abstract EventStreamRepository newRepository();

  /**
   * A new registry holding the suite's events ({@link ContractEvents}), from which serializing
   * stores build their {@code EventSerializer}.
   */
  protected static TypeRegistry contractTypes() {
    return new TypeRegistry().registerEvents(Happened.class, Counted.class);
  }

  @BeforeEach
  void createRepository() {
    repository = newRepository();
  }

  // ---------------------------------------------------------------- streams

  @Test
  void saved_events_load_back_with_every_envelope_field_intact() {
    VersionedEvent first =
        new VersionedEvent(
            id(),
            "correlation-1",
            "cause-1",
            "account-1",
            "ada",
            "grace",
            1,
            "Counted",
            Instant.parse("2024-02-29T23:59:59.123456789Z"),
            new Counted(
                Long.MAX_VALUE - 1,
                new BigDecimal("12345678901234567890.123456780"),
                Instant.parse("1999-12-31T23:59:59.987654321Z")),
            Map.of("actor", "ada", "tenant", "t-42", "unicode", "Grüße ✓"));
    VersionedEvent second =
        new VersionedEvent(
            id(),
            "correlation-1",
            null,
            "account-1",
            null,
            null,
            2,
            "Happened",
            Instant.now(),
            new Happened("with \"quotes\", newline\n and ünïcödé", -7),
            Map.of());

    repository.save("account-1", 0, List.of(first, second));

    assertThat(repository.load("account-1")).containsExactly(first, second);
    assertThat(repository.version("account-1")).isEqualTo(2);
  }

  @Test
  void versions_run_from_one_without_gaps_across_saves() {
    saveHappened("s", 0, 1);
    saveHappened("s", 1, 3);
    saveHappened("s", 4, 2);

    assertThat(repository.load("s"))
        .extracting(VersionedEvent::version)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(repository.load("s"))
        .extracting(e -> ((Happened) e.event()).number())
        .containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(repository.version("s")).isEqualTo(6);
  }

  @Test
  void a_batch_of_hundreds_of_events_commits_whole_in_order_between_small_ones() {
    List<VersionedEvent> all = new ArrayList<>(saveHappened("s", 0, 1, "small"));
    // One commit larger than the first buffers a store may size for a stream or for its log (the
    // in-memory store's log chunks hold 256 entries), under one correlation id that spans them.
    all.addAll(saveHappened("s", 1, 300, "large"));
    all.addAll(saveHappened("s", 301, 2, "small-again"));

    assertNothingBut(all);
    assertThat(repository.load("s", 290)).containsExactlyElementsOf(all.subList(289, 303));
    assertEachEventOnceInStreamOrder(readWholeLog());
  }

  @Test
  void loading_from_a_version_returns_that_version_and_later_ones() {
    List<VersionedEvent> saved = saveHappened("s", 0, 5);

    assertThat(repository.load("s", 3)).containsExactlyElementsOf(saved.subList(2, 5));
    assertThat(repository.load("s", 5)).containsExactly(saved.get(4));
    assertThat(repository.load("s", 1)).containsExactlyElementsOf(saved);
  }

  @Test
  void loading_from_beyond_the_end_returns_nothing() {
    saveHappened("s", 0, 2);

    assertThat(repository.load("s", 3)).isEmpty();
    assertThat(repository.load("s", Long.MAX_VALUE)).isEmpty();
  }

  @Test
  void a_bounded_load_returns_the_first_events_from_a_version_for_every_cut_through_commits() {
    // Commits of 1, 3, 5, 1 and 2 events: pages cut through a commit, end at its last event, and
    // start inside one.
    List<VersionedEvent> all = new ArrayList<>();
    for (int size : new int[] {1, 3, 5, 1, 2}) {
      all.addAll(saveHappened("s", all.size(), size));
    }

    for (int from = 1; from <= all.size() + 2; from++) {
      for (int max = 1; max <= all.size() + 1; max++) {
        List<VersionedEvent> rest = all.subList(Math.min(from - 1, all.size()), all.size());
        assertThat(repository.loadStream("s", from, max).events())
            .as("from %d, at most %d", from, max)
            .containsExactlyElementsOf(rest.subList(0, Math.min(max, rest.size())));
      }
    }
    assertThat(repository.loadStream("s", 1, Integer.MAX_VALUE).events())
        .containsExactlyElementsOf(all);
    assertThat(repository.loadStream("s", Long.MAX_VALUE, Integer.MAX_VALUE).events()).isEmpty();
    assertThat(repository.loadStream("never-written", 1, 10).events()).isEmpty();
  }

  @Test
  void pages_of_a_bounded_load_read_a_long_stream_exactly_once_each() {
    List<VersionedEvent> all = new ArrayList<>();
    for (int commit = 0; commit < 40; commit++) {
      all.addAll(saveHappened("s", all.size(), 1 + commit % 4));
    }

    List<VersionedEvent> paged = new ArrayList<>();
    long from = 1;
    while (true) {
      List<VersionedEvent> page = repository.loadStream("s", from, 7).events();
      if (page.isEmpty()) {
        break;
      }
      assertThat(page.size()).isLessThanOrEqualTo(7);
      paged.addAll(page);
      from = page.get(page.size() - 1).version() + 1;
    }
    assertThat(paged).containsExactlyElementsOf(all);
  }

  @Test
  void a_bounded_load_reports_the_streams_aggregate_type() {
    List<VersionedEvent> first = happened("s", 1, 3, "c-" + id());
    repository.save(io.cqrs.spi.StreamAppend.of("s", 0, first).withAggregateType("Ledger"));
    repository.save("s", 3, happened("s", 4, 2, "c-" + id()));

    assertThat(repository.loadStream("s", 1, 2).aggregateType()).isEqualTo("Ledger");
    assertThat(repository.loadStream("s", 2, 1).events()).containsExactly(first.get(1));
    assertThat(repository.loadStream("s", 4, 1).aggregateType()).isEqualTo("Ledger");
  }

  @Test
  void a_stream_that_was_never_written_is_at_version_zero_and_loads_empty() {
    assertThat(repository.version("never-written")).isZero();
    assertThat(repository.load("never-written")).isEmpty();
    assertThat(repository.load("never-written", 4)).isEmpty();
  }

  @Test
  void streams_are_isolated_from_each_other() {
    List<VersionedEvent> a = saveHappened("stream-a", 0, 3);
    List<VersionedEvent> b = saveHappened("stream-b", 0, 1);
    List<VersionedEvent> moreA = saveHappened("stream-a", 3, 1);

    assertThat(repository.load("stream-a")).containsExactlyElementsOf(concat(a, moreA));
    assertThat(repository.load("stream-b")).containsExactlyElementsOf(b);
    assertThat(repository.version("stream-a")).isEqualTo(4);
    assertThat(repository.version("stream-b")).isEqualTo(1);
    // A stream whose id extends another's must not see the other's events.
    assertThat(repository.load("stream-a-2")).isEmpty();
  }

  /**
   * A snapshot above the stream's end is discarded, one at or below it stays, and a lower snapshot
   * can be stored again afterwards (an older one is otherwise ignored).
   */
  @Test
  void discard_snapshot_removes_only_a_snapshot_above_the_version() {
    saveHappened("s", 0, 2);
    repository.saveSnapshot(snapshot("s", 5, "{\"forged\":true}"));

    assertThat(repository.discardSnapshot("s", 5)).isFalse();
    assertThat(repository.loadSnapshot("s")).isPresent();
    assertThat(repository.discardSnapshot("s", 2)).isTrue();
    assertThat(repository.loadSnapshot("s")).isEmpty();
    assertThat(repository.discardSnapshot("s", 2)).isFalse();
    assertThat(repository.discardSnapshot("never-saved", 0)).isFalse();
    repository.saveSnapshot(snapshot("s", 2, "{}"));
    assertThat(repository.loadSnapshot("s").orElseThrow().version()).isEqualTo(2);
  }

  @Test
  void a_new_repository_sees_nothing_written_through_an_earlier_one() {
    saveHappened("s", 0, 2);
    repository.saveSnapshot(snapshot("s", 2, "{}"));
    repository.recordIntegrationEvent(integrationEvent("correlation-x"));

    EventStreamRepository other = newRepository();

    assertThat(other.version("s")).isZero();
    assertThat(other.load("s")).isEmpty();
    assertThat(other.loadSnapshot("s")).isEmpty();
    assertThat(other.readLog(1, PAGE)).isEmpty();
    assertThat(other.eventsByCorrelationId("correlation-x")).isEmpty();
  }

  // ---------------------------------------------------------------- optimistic concurrency

  @Test
  void saving_with_a_stale_version_throws_concurrency_exception_and_writes_nothing() {
    List<VersionedEvent> saved = saveHappened("s", 0, 2, "first");
    List<VersionedEvent> stale = happened("s", 2, 2, "stale");

    ConcurrencyException conflict =
        catchThrowableOfType(() -> repository.save("s", 1, stale), ConcurrencyException.class);

    assertThat(conflict.streamId()).isEqualTo("s");
    assertThat(conflict.expected()).isEqualTo(1);
    assertThat(conflict.actual()).isIn(2L, -1L);
    assertThat(conflict.isTransient()).isTrue();
    assertNothingBut(saved);
    assertThat(repository.eventsByCorrelationId("stale")).isEmpty();
  }

  @Test
  void saving_to_a_new_stream_with_a_positive_expected_version_throws_concurrency_exception() {
    ConcurrencyException conflict =
        catchThrowableOfType(
            () -> repository.save("s", 3, happened("s", 4, 1, "c")), ConcurrencyException.class);

    assertThat(conflict.streamId()).isEqualTo("s");
    assertThat(conflict.expected()).isEqualTo(3);
    assertThat(conflict.actual()).isIn(0L, -1L);
    assertNothingBut(List.of());
  }

  @Test
  void saving_ahead_of_the_stream_throws_concurrency_exception_and_writes_nothing() {
    List<VersionedEvent> saved = saveHappened("s", 0, 2, "first");

    assertThatThrownBy(() -> repository.save("s", 5, happened("s", 6, 1, "ahead")))
        .isInstanceOf(ConcurrencyException.class);

    assertNothingBut(saved);
  }

  @Test
  void a_conflicting_batch_writes_none_of_its_events() {
    List<VersionedEvent> saved = saveHappened("s", 0, 3, "first");
    // Versions 3..6 overlap the stored version 3 only; nothing of the batch may appear.
    List<VersionedEvent> batch = happened("s", 3, 4, "batch");

    assertThatThrownBy(() -> repository.save("s", 2, batch))
        .isInstanceOf(ConcurrencyException.class);

    assertNothingBut(saved);
    assertThat(repository.eventsByCorrelationId("batch")).isEmpty();
  }

  @Test
  void a_batch_with_one_bad_event_writes_none_of_its_events() {
    List<VersionedEvent> saved = saveHappened("s", 0, 1, "first");
    List<VersionedEvent> batch = new ArrayList<>(happened("s", 2, 3, "batch"));
    batch.set(2, batch.get(2).withVersion(7));

    assertThatThrownBy(() -> repository.save("s", 1, batch))
        .isInstanceOf(IllegalArgumentException.class);

    assertNothingBut(saved);
    assertThat(repository.eventsByCorrelationId("batch")).isEmpty();
  }

  @Test
  void exactly_one_of_two_writers_racing_for_the_same_version_wins() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    int logged = 0;
    try {
      for (int round = 0; round < 50; round++) {
        String stream = "race-" + round;
        saveHappened(stream, 0, 1, "setup");
        List<VersionedEvent> left = happened(stream, 2, 2, "left-" + round);
        List<VersionedEvent> right = happened(stream, 2, 1, "right-" + round);
        CountDownLatch start = new CountDownLatch(1);
        Future<Throwable> l = pool.submit(attempt(start, () -> repository.save(stream, 1, left)));
        Future<Throwable> r = pool.submit(attempt(start, () -> repository.save(stream, 1, right)));
        start.countDown();
        Throwable leftFailure = l.get(30, TimeUnit.SECONDS);
        Throwable rightFailure = r.get(30, TimeUnit.SECONDS);

        assertThat(leftFailure == null)
            .as(
                "round %d: exactly one writer fails (left: %s, right: %s)",
                round, leftFailure, rightFailure)
            .isNotEqualTo(rightFailure == null);
        Throwable failure = leftFailure != null ? leftFailure : rightFailure;
        assertThat(failure).as("round %d", round).isInstanceOf(ConcurrencyException.class);
        List<VersionedEvent> winner = leftFailure == null ? left : right;
        List<VersionedEvent> loser = leftFailure == null ? right : left;
        List<VersionedEvent> stored = repository.load(stream, 2);
        assertThat(stored).as("round %d", round).containsExactlyElementsOf(winner);
        assertThat(repository.eventsByCorrelationId(loser.get(0).correlationId())).isEmpty();
        logged += 1 + winner.size();
      }
    } finally {
      pool.shutdownNow();
    }
    List<LoggedEvent> log = readWholeLog();
    assertThat(log).hasSize(logged);
    assertEachEventOnceInStreamOrder(log);
  }

  @Test
  void concurrent_writers_with_retries_leave_contiguous_streams_and_each_event_once_in_the_log()
      throws Exception {
    int threads = 4;
    int streams = 3;
    int commitsPerThread = 15;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicInteger conflicts = new AtomicInteger();
    List<Future<List<VersionedEvent>>> results = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    try {
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  List<VersionedEvent> written = new ArrayList<>();
                  for (int i = 0; i < commitsPerThread; i++) {
                    String stream = "busy-" + ((thread + i) % streams);
                    int size = 1 + i % 2;
                    written.addAll(saveWithRetries(stream, size, "t" + thread, conflicts));
                  }
                  return written;
                }));
      }
      start.countDown();
      List<VersionedEvent> written = new ArrayList<>();
      for (Future<List<VersionedEvent>> result : results) {
        written.addAll(result.get(60, TimeUnit.SECONDS));
      }

      Set<String> writtenIds = new HashSet<>();
      written.forEach(e -> writtenIds.add(e.id()));
      int total = 0;
      for (int s = 0; s < streams; s++) {
        List<VersionedEvent> stream = repository.load("busy-" + s);
        total += stream.size();
        for (int v = 0; v < stream.size(); v++) {
          assertThat(stream.get(v).version()).isEqualTo(v + 1L);
        }
        assertThat(repository.version("busy-" + s)).isEqualTo(stream.size());
        stream.forEach(e -> assertThat(writtenIds).contains(e.id()));
      }
      assertThat(total).isEqualTo(written.size()).isEqualTo(writtenIds.size());
      List<LoggedEvent> log = readWholeLog();
      assertThat(log).extracting(logged -> logged.event().id()).hasSameElementsAs(writtenIds);
      assertEachEventOnceInStreamOrder(log);
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- at most once per command

  @Test
  void a_save_for_a_command_the_stream_already_holds_is_refused_and_writes_nothing() {
    List<VersionedEvent> saved = happened("s", 1, 2, "first");
    repository.save("s", 0, saved, "command-1");

    // The racing duplicate of issue 12: it loaded after the first delivery committed, so its
    // expected version is current and only the command id can stop it.
    DuplicateCommandException duplicate =
        catchThrowableOfType(
            () -> repository.save("s", 2, happened("s", 3, 1, "again"), "command-1"),
            DuplicateCommandException.class);

    assertThat(duplicate.streamId()).isEqualTo("s");
    assertThat(duplicate.commandId()).isEqualTo("command-1");
    assertThat(duplicate.isTransient()).isFalse();
    assertNothingBut(saved);
    assertThat(repository.eventsByCorrelationId("again")).isEmpty();
  }

  @Test
  void a_duplicate_with_a_stale_version_is_refused_and_after_reloading_is_told_duplicate() {
    List<VersionedEvent> saved = happened("s", 1, 1, "first");
    repository.save("s", 0, saved, "command-1");

    assertThatThrownBy(() -> repository.save("s", 0, happened("s", 1, 1, "stale"), "command-1"))
        .isInstanceOfAny(ConcurrencyException.class, DuplicateCommandException.class);
    long reloaded = repository.version("s");
    assertThatThrownBy(
            () ->
                repository.save(
                    "s", reloaded, happened("s", reloaded + 1, 1, "reloaded"), "command-1"))
        .isInstanceOf(DuplicateCommandException.class);

    assertNothingBut(saved);
  }

  @Test
  void a_command_is_remembered_by_every_later_commit_of_its_stream() {
    List<VersionedEvent> all = new ArrayList<>(happened("s", 1, 1, "first"));
    repository.save("s", 0, all, "command-0");
    for (int i = 1; i <= 40; i++) {
      List<VersionedEvent> next = happened("s", i + 1, 1, "next-" + i);
      repository.save("s", i, next, i % 2 == 0 ? "command-" + i : null);
      all.addAll(next);
    }

    for (String old : List.of("command-0", "command-2", "command-40")) {
      assertThatThrownBy(() -> repository.save("s", 41, happened("s", 42, 1, "late"), old))
          .as(old)
          .isInstanceOf(DuplicateCommandException.class);
    }
    assertNothingBut(all);
  }

  @Test
  void one_command_may_take_effect_once_in_each_of_several_streams() {
    repository.save("a", 0, happened("a", 1, 1, "c"), "command-1");
    repository.save("b", 0, happened("b", 1, 1, "c"), "command-1");

    assertThat(repository.version("a")).isEqualTo(1);
    assertThat(repository.version("b")).isEqualTo(1);
    assertThatThrownBy(() -> repository.save("b", 1, happened("b", 2, 1, "c"), "command-1"))
        .isInstanceOf(DuplicateCommandException.class);
  }

  @Test
  void saves_without_a_command_id_are_never_deduplicated() {
    List<VersionedEvent> first = happened("s", 1, 1, "c");
    List<VersionedEvent> second = happened("s", 2, 1, "c");
    repository.save("s", 0, first, null);
    repository.save("s", 1, second);

    assertNothingBut(concat(first, second));
  }

  @Test
  void command_ids_of_any_length_and_characters_are_deduplicated_exactly() {
    List<String> hostile =
        List.of(
            "x".repeat(10_000),
            "a.b`c[0]\"d\\e::v::s::1",
            "\u00e9\u4e2d\ud83d\ude00 spaced\ttab\nnewline",
            "\u0000\u0001control",
            "command-1",
            "COMMAND-1",
            "command-1 ");
    List<VersionedEvent> all = new ArrayList<>();
    for (String commandId : hostile) {
      List<VersionedEvent> events = happened("s", all.size() + 1, 1, "c");
      repository.save("s", all.size(), events, commandId);
      all.addAll(events);
    }
    for (String commandId : hostile) {
      long version = all.size();
      assertThatThrownBy(
              () -> repository.save("s", version, happened("s", version + 1, 1, "c"), commandId))
          .as("command id of %d chars", commandId.length())
          .isInstanceOf(DuplicateCommandException.class);
    }
    assertNothingBut(all);
  }

  @Test
  void of_many_deliveries_of_each_command_racing_with_retries_exactly_one_commits()
      throws Exception {
    int threads = 8;
    int commands = 60;
    int deliveries = 3;
    int streams = 3;
    List<String> work = new ArrayList<>();
    for (int c = 0; c < commands; c++) {
      for (int d = 0; d < deliveries; d++) {
        work.add("command-" + c);
      }
    }
    java.util.Collections.shuffle(work, new java.util.Random(12));
    java.util.concurrent.ConcurrentLinkedQueue<String> queue =
        new java.util.concurrent.ConcurrentLinkedQueue<>(work);
    AtomicInteger duplicates = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> results = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  for (String command = queue.poll(); command != null; command = queue.poll()) {
                    String stream = "hot-" + Math.floorMod(command.hashCode(), streams);
                    if (!saveOnce(stream, command)) {
                      duplicates.incrementAndGet();
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> result : results) {
        result.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    Map<String, Integer> effects = new HashMap<>();
    for (int s = 0; s < streams; s++) {
      for (VersionedEvent event : repository.load("hot-" + s)) {
        effects.merge(event.causationId(), 1, Integer::sum);
      }
    }
    assertThat(effects).hasSize(commands);
    assertThat(effects.values()).as("effects per command").containsOnly(1);
    assertThat(duplicates.get()).isEqualTo(commands * (deliveries - 1));
    List<LoggedEvent> log = readWholeLog();
    assertThat(log).hasSize(commands);
    assertEachEventOnceInStreamOrder(log);
  }

  /**
   * One delivery of a command: reload, save, retry on conflicts. Returns false if the stream held
   * the command's effect already.
   */
  private boolean saveOnce(String stream, String command) {
    for (int attempt = 1; attempt <= 1000; attempt++) {
      long version = repository.version(stream);
      VersionedEvent event = happened(stream, version + 1, 1, "corr-" + command).get(0);
      VersionedEvent caused =
          new VersionedEvent(
              event.id(),
              event.correlationId(),
              command,
              event.sourceId(),
              event.actor(),
              event.onBehalfOf(),
              event.version(),
              event.eventType(),
              event.created(),
              event.event(),
              event.metadata());
      try {
        repository.save(stream, version, List.of(caused), command);
        return true;
      } catch (ConcurrencyException e) {
        // reload and try again
      } catch (DuplicateCommandException e) {
        return false;
      }
    }
    throw new AssertionError("1000 conflicts in a row on " + stream);
  }

  // ---------------------------------------------------------------- bad arguments

  @Test
  void bad_save_arguments_are_rejected_naming_the_argument_and_write_nothing() {
    List<VersionedEvent> good = happened("s", 1, 1, "c");

    assertRejected(() -> repository.save(null, 0, good), NullPointerException.class, "streamId");
    assertRejected(() -> repository.save(" ", 0, good), IllegalArgumentException.class, "streamId");
    assertRejected(
        () -> repository.save("s", -1, good), IllegalArgumentException.class, "expectedVersion");
    assertRejected(() -> repository.save("s", 0, null), NullPointerException.class, "events");
    assertRejected(
        () -> repository.save("s", 0, List.of()), IllegalArgumentException.class, "events");
    assertRejected(
        () -> repository.save("s", 0, happened("other", 1, 1, "c")),
        IllegalArgumentException.class,
        "other");
    assertRejected(
        () -> repository.save("s", 0, List.of(good.get(0).withVersion(2))),
        IllegalArgumentException.class,
        "version");
    List<VersionedEvent> gap = List.of(good.get(0), happened("s", 3, 1, "c").get(0));
    assertRejected(() -> repository.save("s", 0, gap), IllegalArgumentException.class, "version");
    assertRejected(
        () -> repository.save("s", 0, good, " "), IllegalArgumentException.class, "commandId");

    assertNothingBut(List.of());
  }

  @Test
  void bad_read_arguments_are_rejected_naming_the_argument() {
    saveHappened("s", 0, 1);

    assertRejected(() -> repository.load(null, 1), NullPointerException.class, "streamId");
    assertRejected(() -> repository.load("", 1), IllegalArgumentException.class, "streamId");
    assertRejected(() -> repository.load("s", 0), IllegalArgumentException.class, "fromVersion");
    assertRejected(() -> repository.load("s", -3), IllegalArgumentException.class, "fromVersion");
    assertRejected(
        () -> repository.loadStream("s", 0, 5), IllegalArgumentException.class, "fromVersion");
    assertRejected(
        () -> repository.loadStream("s", 1, 0), IllegalArgumentException.class, "maxEvents");
    assertRejected(
        () -> repository.loadStream("s", 1, Integer.MIN_VALUE),
        IllegalArgumentException.class,
        "maxEvents");
    assertRejected(() -> repository.loadStream(null, 1, 5), NullPointerException.class, "streamId");
    assertRejected(() -> repository.version(null), NullPointerException.class, "streamId");
    assertRejected(() -> repository.version(" "), IllegalArgumentException.class, "streamId");
    assertRejected(() -> repository.loadSnapshot(null), NullPointerException.class, "streamId");
    assertRejected(() -> repository.readLog(0, 10), IllegalArgumentException.class, "fromPosition");
    assertRejected(() -> repository.readLog(1, 0), IllegalArgumentException.class, "maxEvents");
    assertRejected(
        () -> repository.eventsByCorrelationId(null), NullPointerException.class, "correlationId");
    assertRejected(
        () -> repository.eventsCausedBy(null, "m"), NullPointerException.class, "correlationId");
    assertRejected(
        () -> repository.eventsCausedBy("c", null), NullPointerException.class, "causationId");
  }

  @Test
  void bad_snapshot_and_integration_event_arguments_are_rejected_and_write_nothing() {
    assertRejected(() -> repository.saveSnapshot(null), NullPointerException.class, "snapshot");
    assertRejected(
        () -> repository.recordIntegrationEvent(null), NullPointerException.class, "event");

    assertThat(readWholeLog()).isEmpty();
  }

  // ---------------------------------------------------------------- snapshots

  @Test
  void a_saved_snapshot_loads_back_intact() {
    Snapshot snapshot =
        new Snapshot(
            "s",
            12,
            "Account",
            "0123456789abcdef",
            "{\"balance\":12.50,\"owner\":\"Ada \\\"the\\\" Countess\",\"tags\":[\"a\"]}",
            Instant.parse("2024-01-02T03:04:05.678901234Z"));

    repository.saveSnapshot(snapshot);

    Snapshot loaded = repository.loadSnapshot("s").orElseThrow();
    assertThat(loaded.streamId()).isEqualTo("s");
    assertThat(loaded.version()).isEqualTo(12);
    assertThat(loaded.aggregateType()).isEqualTo("Account");
    assertThat(loaded.schema()).isEqualTo("0123456789abcdef");
    assertThat(loaded.created()).isEqualTo(snapshot.created());
    assertThat(loaded.state()).isEqualTo(snapshot.state());
  }

  @Test
  void a_stream_without_a_snapshot_has_none() {
    repository.saveSnapshot(snapshot("other", 3, "{}"));

    assertThat(repository.loadSnapshot("s")).isEmpty();
  }

  @Test
  void a_newer_snapshot_replaces_an_older_one() {
    repository.saveSnapshot(snapshot("s", 3, "{\"n\":3}"));
    repository.saveSnapshot(snapshot("s", 7, "{\"n\":7}"));

    Snapshot loaded = repository.loadSnapshot("s").orElseThrow();
    assertThat(loaded.version()).isEqualTo(7);
    assertThat(loaded.state()).isEqualTo("{\"n\":7}");
  }

  @Test
  void an_older_snapshot_does_not_replace_a_newer_one() {
    repository.saveSnapshot(snapshot("s", 7, "{\"n\":7}"));
    repository.saveSnapshot(snapshot("s", 3, "{\"n\":3}"));

    Snapshot loaded = repository.loadSnapshot("s").orElseThrow();
    assertThat(loaded.version()).isEqualTo(7);
    assertThat(loaded.state()).isEqualTo("{\"n\":7}");
  }

  @Test
  void a_snapshot_of_the_stored_version_replaces_it() {
    // Not older, so not ignored: a rewrite of the latest state in a new shape (after the class
    // changed) is the one loaded from now on, instead of one every load would have to replay past.
    repository.saveSnapshot(
        new Snapshot("s", 7, "Account", "schema-1", "{\"n\":7}", Instant.now()));
    repository.saveSnapshot(
        new Snapshot("s", 7, "Account", "schema-2", "{\"count\":7}", Instant.now()));

    Snapshot loaded = repository.loadSnapshot("s").orElseThrow();
    assertThat(loaded.version()).isEqualTo(7);
    assertThat(loaded.schema()).isEqualTo("schema-2");
    assertThat(loaded.state()).isEqualTo("{\"count\":7}");
  }

  @Test
  void snapshots_are_kept_per_stream() {
    repository.saveSnapshot(snapshot("a", 2, "{\"s\":\"a\"}"));
    repository.saveSnapshot(snapshot("b", 5, "{\"s\":\"b\"}"));

    assertThat(repository.loadSnapshot("a").orElseThrow().state()).isEqualTo("{\"s\":\"a\"}");
    assertThat(repository.loadSnapshot("b").orElseThrow().version()).isEqualTo(5);
  }

  // ---------------------------------------------------------------- integration log

  @Test
  void the_log_holds_committed_events_in_commit_order() {
    List<VersionedEvent> expected = new ArrayList<>();
    expected.addAll(saveHappened("a", 0, 2));
    expected.addAll(saveHappened("b", 0, 1));
    expected.addAll(saveHappened("a", 2, 1));
    VersionedEvent integration = integrationEvent("c-1");
    repository.recordIntegrationEvent(integration);
    expected.add(integration);
    expected.addAll(saveHappened("b", 1, 2));

    List<LoggedEvent> log = readWholeLog();

    assertThat(log).extracting(LoggedEvent::event).containsExactlyElementsOf(expected);
    assertPositionsIncrease(log);
    assertThat(log.get(0).position()).isPositive();
  }

  @Test
  void reading_the_log_from_a_position_returns_that_entry_and_later_ones() {
    saveHappened("a", 0, 3);
    saveHappened("b", 0, 2);
    List<LoggedEvent> all = repository.readLog(1, 100);
    assertThat(all).hasSize(5);

    List<LoggedEvent> tail = repository.readLog(all.get(2).position(), 100);

    assertThat(tail).containsExactlyElementsOf(all.subList(2, 5));
    assertThat(repository.readLog(all.get(4).position() + 1, 100)).isEmpty();
  }

  @Test
  void the_log_pages_with_max_events_and_the_last_position_plus_one() {
    List<VersionedEvent> expected = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      expected.addAll(saveHappened("s-" + (i % 3), repository.version("s-" + (i % 3)), 1));
    }

    List<LoggedEvent> read = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    long from = 1;
    for (List<LoggedEvent> page = repository.readLog(from, 3);
        !page.isEmpty();
        page = repository.readLog(from, 3)) {
      pageSizes.add(page.size());
      read.addAll(page);
      from = page.get(page.size() - 1).position() + 1;
    }

    assertThat(pageSizes).containsExactly(3, 3, 1);
    assertThat(read).extracting(LoggedEvent::event).containsExactlyElementsOf(expected);
    assertPositionsIncrease(read);
  }

  @Test
  void reading_the_log_for_its_events_gives_the_same_events_at_the_same_positions() {
    List<VersionedEvent> expected = new ArrayList<>();
    expected.addAll(saveHappened("a", 0, 2));
    expected.addAll(saveHappened("b", 0, 1));
    VersionedEvent integration = integrationEvent("c-events");
    repository.recordIntegrationEvent(integration);
    expected.add(integration);
    expected.addAll(saveHappened("a", 2, 3));
    List<LoggedEvent> log = repository.readLog(1, 100);

    List<LoggedEvent> read = new ArrayList<>();
    long from = 1;
    for (List<LoggedEvent> page = repository.readLogEvents(from, 2);
        !page.isEmpty();
        page = repository.readLogEvents(from, 2)) {
      assertThat(page).hasSizeLessThanOrEqualTo(2);
      read.addAll(page);
      from = page.get(page.size() - 1).position() + 1;
    }

    assertThat(read).extracting(LoggedEvent::event).containsExactlyElementsOf(expected);
    assertThat(read)
        .extracting(LoggedEvent::position)
        .containsExactlyElementsOf(log.stream().map(LoggedEvent::position).toList());
    assertThat(repository.readLogEvents(log.get(3).position(), 100))
        .extracting(LoggedEvent::event)
        .containsExactlyElementsOf(expected.subList(3, expected.size()));
    assertRejected(
        () -> repository.readLogEvents(0, 10), IllegalArgumentException.class, "fromPosition");
  }

  @Test
  void an_empty_log_reads_empty() {
    assertThat(repository.readLog(1, 10)).isEmpty();
    assertThat(repository.readLog(Long.MAX_VALUE, 10)).isEmpty();
  }

  @Test
  void a_recorded_integration_event_appears_in_the_log_and_under_its_correlation_id() {
    VersionedEvent failed = integrationEvent("c-9");

    repository.recordIntegrationEvent(failed);

    assertThat(readWholeLog()).extracting(LoggedEvent::event).containsExactly(failed);
    assertThat(repository.eventsByCorrelationId("c-9")).containsExactly(failed);
    assertThat(repository.version(failed.sourceId())).isZero();
  }

  @Test
  void events_by_correlation_id_are_that_ids_stream_and_integration_events_in_commit_order() {
    List<VersionedEvent> expected = new ArrayList<>();
    expected.addAll(saveHappened("a", 0, 2, "wanted"));
    saveHappened("b", 0, 1, "unwanted");
    expected.addAll(saveHappened("b", 1, 1, "wanted"));
    VersionedEvent failure = integrationEvent("wanted");
    repository.recordIntegrationEvent(failure);
    expected.add(failure);
    repository.recordIntegrationEvent(integrationEvent("unwanted"));
    expected.addAll(saveHappened("a", 2, 1, "wanted"));
    saveHappened("c", 0, 2, "wanted-not");

    assertThat(repository.eventsByCorrelationId("wanted")).containsExactlyElementsOf(expected);
    assertThat(repository.eventsByCorrelationId("unwanted")).hasSize(2);
    assertThat(repository.eventsByCorrelationId("nobody")).isEmpty();
  }

  @Test
  void events_caused_by_a_message_are_those_of_its_correlation_that_name_it_as_cause() {
    // The command that starts the correlation (its message id is the correlation id), two that
    // join it, a commit whose events name two causes, a failure, and another correlation.
    VersionedEvent root = caused("root", 1, "corr", "corr");
    repository.save("root", 0, List.of(root));
    VersionedEvent a = caused("a", 1, "corr", "cmd-a");
    repository.save("a", 0, List.of(a));
    List<VersionedEvent> b =
        List.of(caused("b", 1, "corr", "cmd-b"), caused("b", 2, "corr", "cmd-b"));
    repository.save("b", 0, b);
    List<VersionedEvent> mixed = happened("m", 1, 2, "corr"); // caused by cause-1 and cause-2
    repository.save("m", 0, mixed);
    VersionedEvent failed = integrationEvent("corr");
    repository.recordIntegrationEvent(failed);
    // One commit, two correlations, one cause: each correlation sees its own event only.
    List<VersionedEvent> split =
        List.of(caused("x", 1, "corr", "cmd-x"), caused("x", 2, "corr-2", "cmd-x"));
    repository.save("x", 0, split);
    VersionedEvent later = caused("a", 2, "corr", "cmd-a");
    repository.save("a", 1, List.of(later));
    // Events without a cause: alone in a commit, and beside one with a cause.
    repository.save("n", 0, List.of(caused("n", 1, "corr", null), caused("n", 2, "corr", null)));
    List<VersionedEvent> half =
        List.of(caused("h", 1, "corr", "cmd-h"), caused("h", 2, "corr", null));
    repository.save("h", 0, half);

    assertThat(repository.eventsCausedBy("corr", "corr")).containsExactly(root);
    assertThat(repository.eventsCausedBy("corr", "cmd-a")).containsExactly(a, later);
    assertThat(repository.eventsCausedBy("corr", "cmd-b")).containsExactlyElementsOf(b);
    assertThat(repository.eventsCausedBy("corr", "cause-2")).containsExactly(mixed.get(1));
    assertThat(repository.eventsCausedBy("corr", failed.causationId())).containsExactly(failed);
    assertThat(repository.eventsCausedBy("corr", "cmd-x")).containsExactly(split.get(0));
    assertThat(repository.eventsCausedBy("corr-2", "cmd-x")).containsExactly(split.get(1));
    assertThat(repository.eventsCausedBy("corr", "cmd-nobody")).isEmpty();
    assertThat(repository.eventsCausedBy("corr-2", "cmd-a")).isEmpty();
    assertThat(repository.eventsCausedBy("corr", "cmd-h")).containsExactly(half.get(0));
    assertThat(repository.eventsByCorrelationId("corr")).hasSize(13);
    // A command that starts a correlation and caused nothing yet: no index at all.
    assertThat(repository.eventsCausedBy("fresh", "fresh")).isEmpty();
    assertThat(repository.eventsCausedBy("fresh", "other")).isEmpty();
  }

  // ---------------------------------------------------------------- helpers

  /** Events {@code from .. from+count-1} of a stream, under a fresh correlation id. */
  protected static List<VersionedEvent> happened(String stream, long from, int count) {
    return happened(stream, from, count, "correlation-" + id());
  }

  /** Events {@code from .. from+count-1} of a stream, under {@code correlationId}. */
  protected static List<VersionedEvent> happened(
      String stream, long from, int count, String correlationId) {
    List<VersionedEvent> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long version = from + i;
      events.add(
          new VersionedEvent(
              id(),
              correlationId,
              "cause-" + version,
              stream,
              "actor",
              null,
              version,
              "Happened",
              Instant.now(),
              new Happened(stream, (int) version),
              Map.of("n", Long.toString(version))));
    }
    return events;
  }

  /** Event {@code version} of a stream, under {@code correlationId}, caused by {@code cause}. */
  private static VersionedEvent caused(
      String stream, long version, String correlationId, String cause) {
    return VersionedEvent.builder(stream, version, new Happened(stream, (int) version))
        .correlationId(correlationId)
        .causationId(cause)
        .build();
  }

  private List<VersionedEvent> saveHappened(String stream, long expected, int count) {
    return saveHappened(stream, expected, count, "correlation-" + id());
  }

  private List<VersionedEvent> saveHappened(
      String stream, long expected, int count, String correlationId) {
    List<VersionedEvent> events = happened(stream, expected + 1, count, correlationId);
    repository.save(stream, expected, events);
    return events;
  }

  private List<VersionedEvent> saveWithRetries(
      String stream, int size, String writer, AtomicInteger conflicts) {
    for (int attempt = 1; attempt <= 1000; attempt++) {
      long version = repository.version(stream);
      List<VersionedEvent> events = happened(stream, version + 1, size, writer);
      try {
        repository.save(stream, version, events);
        return events;
      } catch (ConcurrencyException e) {
        conflicts.incrementAndGet();
      }
    }
    throw new AssertionError("1000 conflicts in a row on " + stream);
  }

  private static VersionedEvent integrationEvent(String correlationId) {
    String commandId = id();
    return new VersionedEvent(
        id(),
        correlationId,
        commandId,
        commandId,
        "ada",
        null,
        0,
        "CommandFailed",
        Instant.now(),
        new CommandFailed(commandId, "DoThis", "java.lang.IllegalStateException", "no funds"),
        Map.of("reason", "test"));
  }

  private static Snapshot snapshot(String stream, long version, String state) {
    return new Snapshot(stream, version, "Account", "schema-1", state, Instant.now());
  }

  private List<LoggedEvent> readWholeLog() {
    List<LoggedEvent> all = new ArrayList<>();
    long from = 1;
    for (List<LoggedEvent> page = repository.readLog(from, PAGE);
        !page.isEmpty();
        page = repository.readLog(from, PAGE)) {
      assertThat(page.size()).isLessThanOrEqualTo(PAGE);
      all.addAll(page);
      from = page.get(page.size() - 1).position() + 1;
    }
    return all;
  }

  /** The repository holds exactly {@code events} (of one stream "s") and nothing else. */
  private void assertNothingBut(List<VersionedEvent> events) {
    assertThat(repository.load("s")).containsExactlyElementsOf(events);
    assertThat(repository.version("s")).isEqualTo(events.size());
    assertThat(readWholeLog()).extracting(LoggedEvent::event).containsExactlyElementsOf(events);
    Map<String, List<VersionedEvent>> byCorrelation = new HashMap<>();
    events.forEach(
        e -> byCorrelation.computeIfAbsent(e.correlationId(), c -> new ArrayList<>()).add(e));
    byCorrelation.forEach(
        (correlationId, expected) ->
            assertThat(repository.eventsByCorrelationId(correlationId))
                .containsExactlyElementsOf(expected));
  }

  private static void assertPositionsIncrease(List<LoggedEvent> log) {
    for (int i = 1; i < log.size(); i++) {
      assertThat(log.get(i).position())
          .as("position of log entry %d", i)
          .isGreaterThan(log.get(i - 1).position());
    }
  }

  private static void assertEachEventOnceInStreamOrder(List<LoggedEvent> log) {
    assertPositionsIncrease(log);
    Set<String> ids = new HashSet<>();
    Map<String, Long> lastVersion = new HashMap<>();
    for (LoggedEvent logged : log) {
      VersionedEvent event = logged.event();
      assertThat(ids.add(event.id())).as("event %s logged once", event.id()).isTrue();
      long previous = lastVersion.getOrDefault(event.sourceId(), 0L);
      assertThat(event.version())
          .as("log order of stream %s", event.sourceId())
          .isEqualTo(previous + 1);
      lastVersion.put(event.sourceId(), event.version());
    }
  }

  private static void assertRejected(
      ThrowingCallable call, Class<? extends Throwable> type, String naming) {
    assertThatThrownBy(call).isInstanceOf(type).hasMessageContaining(naming);
  }

  private static <T extends Throwable> T catchThrowableOfType(
      ThrowingCallable call, Class<T> type) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(type);
    return type.cast(thrown);
  }

  private static Callable<Throwable> attempt(CountDownLatch start, Runnable save) {
    return () -> {
      start.await();
      try {
        save.run();
        return null;
      } catch (RuntimeException e) {
        return e;
      }
    };
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static String id() {
    return UUID.randomUUID().toString();
  }

  // ---------------------------------------------------------------- envelope integrity

  /**
   * A store may rely on every envelope's type name naming its payload: one that does not cannot
   * even be built, so it never reaches {@code save}, and the stream is as it was.
   */
  @Test
  void an_envelope_that_misnames_its_payload_never_reaches_the_store() {
    List<VersionedEvent> saved = saveHappened("s", 0, 1);

    assertThatThrownBy(
            () ->
                repository.save(
                    "s",
                    1,
                    List.of(
                        new VersionedEvent(
                            "misnamed-" + id(),
                            saved.get(0).correlationId(),
                            null,
                            "s",
                            null,
                            null,
                            2,
                            "Counted",
                            Instant.now(),
                            new Happened("s", 2),
                            Map.of()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("misnamed-")
        .hasMessageContaining("'Counted'")
        .hasMessageContaining("'Happened'");
    assertNothingBut(saved);
  }

  // ---------------------------------------------------------------- aggregate types

  @Test
  void a_stream_loads_with_the_aggregate_type_its_first_save_named() {
    List<VersionedEvent> first = happened("s", 1, 2, "c-" + id());
    repository.save(io.cqrs.spi.StreamAppend.of("s", 0, first).withAggregateType("Ledger"));
    List<VersionedEvent> second = happened("s", 3, 1, "c-" + id());
    repository.save(io.cqrs.spi.StreamAppend.of("s", 2, second).withAggregateType("Ledger"));

    io.cqrs.spi.EventStream all = repository.loadStream("s", 1);
    assertThat(all.streamId()).isEqualTo("s");
    assertThat(all.aggregateType()).isEqualTo("Ledger");
    assertThat(all.events()).containsExactlyElementsOf(concat(first, second));
    assertThat(repository.loadStream("s", 3).events()).containsExactlyElementsOf(second);
    assertThat(repository.loadStream("s", 4).aggregateType())
        .as("the type of a stream read past its end")
        .isEqualTo("Ledger");
  }

  @Test
  void a_load_after_a_version_the_stream_reached_returns_exactly_what_was_committed_since() {
    List<VersionedEvent> first = happened("s", 1, 2, "c-" + id());
    repository.save(io.cqrs.spi.StreamAppend.of("s", 0, first).withAggregateType("Ledger"));
    assertThat(repository.loadStreamAfter("s", 2).events()).as("nothing since").isEmpty();

    List<VersionedEvent> second = happened("s", 3, 3, "c-" + id());
    repository.save("s", 2, second);
    List<VersionedEvent> third = happened("s", 6, 1, "c-" + id());
    repository.save("s", 5, third);

    io.cqrs.spi.EventStream sinceFirst = repository.loadStreamAfter("s", 2);
    assertThat(sinceFirst.events()).containsExactlyElementsOf(concat(second, third));
    assertThat(sinceFirst.aggregateType()).isEqualTo("Ledger");
    assertThat(repository.loadStreamAfter("s", 5).events()).containsExactlyElementsOf(third);
    assertThat(repository.loadStreamAfter("s", 6).events()).isEmpty();
    assertThat(repository.loadStreamAfter("nobody", 3).events()).isEmpty();
    assertRejected(
        () -> repository.loadStreamAfter("s", 0), IllegalArgumentException.class, "readVersion");
    assertRejected(
        () -> repository.loadStreamAfter(null, 1), NullPointerException.class, "streamId");
    assertRejected(
        () -> repository.loadStreamAfter(" ", 1), IllegalArgumentException.class, "streamId");
  }

  @Test
  void a_stream_that_does_not_exist_loads_without_a_type() {
    io.cqrs.spi.EventStream nothing = repository.loadStream("nobody", 1);

    assertThat(nothing.aggregateType()).isNull();
    assertThat(nothing.events()).isEmpty();
  }

  @Test
  void a_stream_created_without_a_type_keeps_none_and_takes_saves_of_any_type() {
    List<VersionedEvent> first = saveHappened("s", 0, 1);
    List<VersionedEvent> second = happened("s", 2, 1, "c-" + id());
    repository.save(io.cqrs.spi.StreamAppend.of("s", 1, second).withAggregateType("Ledger"));
    List<VersionedEvent> third = happened("s", 3, 1, "c-" + id());
    repository.save(io.cqrs.spi.StreamAppend.of("s", 2, third).withAggregateType("Budget"));

    io.cqrs.spi.EventStream stream = repository.loadStream("s", 1);
    assertThat(stream.aggregateType()).isNull();
    assertThat(stream.events()).containsExactlyElementsOf(concat(concat(first, second), third));
  }

  @Test
  void a_save_for_another_aggregate_type_is_refused_naming_both_and_writes_nothing() {
    List<VersionedEvent> saved = happened("s", 1, 2, "c-" + id());
    repository.save(io.cqrs.spi.StreamAppend.of("s", 0, saved).withAggregateType("Ledger"));
    List<VersionedEvent> refused = happened("s", 3, 1, "refused-" + id());

    io.cqrs.AggregateTypeMismatchException mismatch =
        catchThrowableOfType(
            () ->
                repository.save(
                    io.cqrs.spi.StreamAppend.of("s", 2, refused)
                        .withCommandId("command-" + id())
                        .withAggregateType("Budget")),
            io.cqrs.AggregateTypeMismatchException.class);

    assertThat(mismatch.streamId()).isEqualTo("s");
    assertThat(mismatch.recordedType()).isEqualTo("Ledger");
    assertThat(mismatch.requestedType()).isEqualTo("Budget");
    assertThat(mismatch).hasMessageContaining("'s'").hasMessageContaining("Ledger");
    assertThat(mismatch.getMessage()).contains("Budget");
    assertNothingBut(saved);
    assertThat(repository.eventsByCorrelationId(refused.get(0).correlationId())).isEmpty();
    assertThat(repository.loadStream("s", 1).aggregateType()).isEqualTo("Ledger");
  }

  @Test
  void a_save_without_a_type_to_a_typed_stream_is_taken_and_the_type_stays() {
    List<VersionedEvent> first = happened("s", 1, 1, "c-" + id());
    repository.save(io.cqrs.spi.StreamAppend.of("s", 0, first).withAggregateType("Ledger"));
    List<VersionedEvent> second = saveHappened("s", 1, 2);

    io.cqrs.spi.EventStream stream = repository.loadStream("s", 1);
    assertThat(stream.aggregateType()).isEqualTo("Ledger");
    assertThat(stream.events()).containsExactlyElementsOf(concat(first, second));
  }

  @Test
  void a_racing_first_save_of_another_type_loses_and_the_winners_type_stays() {
    List<VersionedEvent> winner = happened("s", 1, 1, "c-" + id());
    repository.save(io.cqrs.spi.StreamAppend.of("s", 0, winner).withAggregateType("Ledger"));

    assertThatThrownBy(
            () ->
                repository.save(
                    io.cqrs.spi.StreamAppend.of("s", 0, happened("s", 1, 1, "late-" + id()))
                        .withAggregateType("Budget")))
        .isInstanceOf(ConcurrencyException.class);
    assertThat(repository.loadStream("s", 1).aggregateType()).isEqualTo("Ledger");
    assertNothingBut(winner);
  }

  @Test
  void a_blank_aggregate_type_is_refused() {
    assertRejected(
        () -> io.cqrs.spi.StreamAppend.of("s", 0, happened("s", 1, 1, "c")).withAggregateType(" "),
        IllegalArgumentException.class,
        "aggregateType");
  }
}
