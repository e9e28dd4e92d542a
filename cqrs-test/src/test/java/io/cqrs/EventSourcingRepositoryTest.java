package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import io.cqrs.Wallet.Deposited;
import io.cqrs.Wallet.Opened;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.ForwardingRelayStore;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class EventSourcingRepositoryTest {
  private final ObservedStore store = new ObservedStore();
  private final RecordingBus bus = new RecordingBus(store);
  private final TypeRegistry registry = Wallet.types();

  // ---------------------------------------------------------------- save

  @Test
  void save_returns_the_committed_events_with_versions_correlation_and_type_names() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.deposit(new BigDecimal("10.50"));

    List<VersionedEvent> committed = repository.save(wallet, "correlation-1");

    assertThat(committed).extracting(VersionedEvent::version).containsExactly(1L, 2L);
    assertThat(committed)
        .extracting(VersionedEvent::eventType)
        .containsExactly("Opened", "Deposited");
    assertThat(committed)
        .extracting(VersionedEvent::event)
        .containsExactly(new Opened("ada"), new Deposited(new BigDecimal("10.50")));
    assertThat(committed).allSatisfy(e -> assertThat(e.sourceId()).isEqualTo("w-1"));
    assertThat(committed).allSatisfy(e -> assertThat(e.correlationId()).isEqualTo("correlation-1"));
    assertThat(committed).allSatisfy(e -> assertThat(e.causationId()).isNull());
    assertThat(committed).extracting(VersionedEvent::id).doesNotHaveDuplicates();
    assertThat(store.load("w-1")).containsExactlyElementsOf(committed);
    assertThat(wallet.version()).isEqualTo(2);
    assertThat(wallet.pendingEvents()).isEmpty();
  }

  @Test
  void saving_for_a_command_takes_its_correlation_causation_actor_and_principal() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());
    Command command =
        Command.create(new Opened("ignored"), "correlation-7")
            .withMetadata("actor", "ada")
            .withMetadata("onBehalfOf", "grace");
    Wallet wallet = Wallet.open("w-1", "ada");

    List<VersionedEvent> committed = repository.save(wallet, command);

    assertThat(committed)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.correlationId()).isEqualTo("correlation-7");
              assertThat(e.causationId()).isEqualTo(command.messageId());
              assertThat(e.actor()).isEqualTo("ada");
              assertThat(e.onBehalfOf()).isEqualTo("grace");
            });
    assertThat(store.eventsByCorrelationId("correlation-7")).containsExactlyElementsOf(committed);
  }

  @Test
  void saving_with_nothing_pending_writes_and_publishes_nothing() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());

    assertThat(repository.save(new Wallet("w-1"), "c")).isEmpty();

    assertThat(store.calls).isEmpty();
    assertThat(bus.published).isEmpty();
  }

  @Test
  void a_saved_aggregate_loads_back_with_its_state_and_version() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.deposit(new BigDecimal("10.50"));
    repository.save(wallet, "c-1");
    Wallet again = repository.get("w-1", Wallet::new);
    again.withdraw(new BigDecimal("0.25"));
    repository.save(again, "c-2");

    Wallet loaded = repository.get("w-1", Wallet::new);

    assertThat(loaded.owner()).isEqualTo("ada");
    assertThat(loaded.balance()).isEqualByComparingTo("10.25");
    assertThat(loaded.version()).isEqualTo(3);
    assertThat(loaded.pendingEvents()).isEmpty();
  }

  @Test
  void an_aggregate_without_events_is_not_found() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());

    assertThatThrownBy(() -> repository.get("nobody", Wallet::new))
        .isInstanceOf(AggregateNotFoundException.class)
        .hasMessageContaining("'nobody'");
    assertThat(repository.find("nobody", Wallet::new)).isEmpty();
  }

  @Test
  void a_stale_aggregate_fails_with_concurrency_exception_keeps_its_events_and_writes_nothing() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());
    repository.save(Wallet.open("w-1", "ada"), "c-0");
    Wallet first = repository.get("w-1", Wallet::new);
    Wallet second = repository.get("w-1", Wallet::new);
    first.deposit(BigDecimal.ONE);
    repository.save(first, "c-1");
    second.deposit(BigDecimal.TEN);
    bus.published.clear();

    ConcurrencyException conflict =
        catchThrowableOfType(ConcurrencyException.class, () -> repository.save(second, "c-2"));

    assertThat(conflict.streamId()).isEqualTo("w-1");
    assertThat(conflict.expected()).isEqualTo(1);
    assertThat(conflict.actual()).isEqualTo(2);
    assertThat(second.pendingEvents()).containsExactly(new Deposited(BigDecimal.TEN));
    assertThat(second.version()).isEqualTo(1);
    assertThat(store.load("w-1")).hasSize(2);
    assertThat(store.eventsByCorrelationId("c-2")).isEmpty();
    assertThat(bus.published).isEmpty();
  }

  @Test
  void an_unregistered_event_fails_the_save_before_anything_is_written() {
    EventSourcingRepository withoutWalletEvents =
        EventSourcingRepository.builder(store, new TypeRegistry()).publisher(bus).build();
    Wallet wallet = Wallet.open("w-1", "ada");

    assertThatThrownBy(() -> withoutWalletEvents.save(wallet, "c-1"))
        .isInstanceOf(UnknownTypeException.class)
        .hasMessageContaining(Opened.class.getName());

    assertThat(wallet.pendingEvents()).containsExactly(new Opened("ada"));
    assertThat(wallet.version()).isZero();
    assertThat(store.calls).isEmpty();
    assertThat(bus.published).isEmpty();
  }

  // ---------------------------------------------------------------- publishing

  @Test
  void events_are_published_after_they_are_committed() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.deposit(BigDecimal.ONE);

    List<VersionedEvent> committed = repository.save(wallet, "c-1");

    assertThat(bus.published).containsExactly(committed);
    assertThat(bus.storeVersionAtPublish).containsExactly(2L);
  }

  @Test
  void a_failing_publish_does_not_fail_the_committed_save() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());
    bus.failure = new TransientCqrsException("broker down");
    Wallet wallet = Wallet.open("w-1", "ada");

    List<VersionedEvent> committed = repository.save(wallet, "c-1");

    assertThat(committed).hasSize(1);
    assertThat(store.load("w-1")).containsExactlyElementsOf(committed);
    assertThat(store.readLog(1, 10))
        .extracting(LoggedEvent::event)
        .containsExactlyElementsOf(committed);
    assertThat(wallet.pendingEvents()).isEmpty();
  }

  @Test
  void published_asynchronously_save_returns_before_the_bus_confirms_and_marks_once_it_has() {
    InMemoryEventStreamRepository marks = new InMemoryEventStreamRepository();
    ConfirmLaterBus later = new ConfirmLaterBus();
    EventSourcingRepository repository = publishingAsynchronously(marks, later);
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.deposit(BigDecimal.ONE);

    List<VersionedEvent> committed = repository.save(wallet, "c-1");

    assertThat(later.calls).singleElement().isEqualTo(committed);
    assertThat(marks.readLog(1, 10)).noneMatch(LoggedEvent::published);
    later.confirm(0);
    assertThat(marks.readLog(1, 10)).hasSize(2).allMatch(LoggedEvent::published);
  }

  @Test
  void published_asynchronously_events_the_bus_fails_stay_unmarked_for_the_relay() {
    InMemoryEventStreamRepository marks = new InMemoryEventStreamRepository();
    ConfirmLaterBus later = new ConfirmLaterBus();
    EventSourcingRepository repository = publishingAsynchronously(marks, later);
    repository.save(Wallet.open("w-1", "ada"), "c-1");
    repository.save(Wallet.open("w-2", "bob"), "c-2");

    later.fail(0, new TransientCqrsException("broker down"));
    later.confirm(1);

    assertThat(marks.readLog(1, 10))
        .extracting(entry -> entry.event().sourceId(), LoggedEvent::published)
        .containsExactly(tuple("w-1", false), tuple("w-2", true));
  }

  @Test
  void published_asynchronously_a_bus_that_refuses_at_once_does_not_fail_the_committed_save() {
    InMemoryEventStreamRepository marks = new InMemoryEventStreamRepository();
    ConfirmLaterBus closed = new ConfirmLaterBus();
    closed.refusal = new IllegalStateException("The bus is closed");
    EventSourcingRepository repository = publishingAsynchronously(marks, closed);

    List<VersionedEvent> committed = repository.save(Wallet.open("w-1", "ada"), "c-1");

    assertThat(marks.load("w-1")).containsExactlyElementsOf(committed);
    assertThat(marks.readLog(1, 10)).noneMatch(LoggedEvent::published);
  }

  @Test
  void a_save_does_not_wait_for_its_publication_mark_and_the_mark_shows_once_written() {
    MarkLaterStore marking = new MarkLaterStore();
    EventSourcingRepository repository =
        EventSourcingRepository.builder(marking, registry).publisher(bus).build();
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.deposit(BigDecimal.ONE);

    List<VersionedEvent> committed = repository.save(wallet, "c-1"); // the mark is still in flight

    assertThat(bus.published).containsExactly(committed);
    assertThat(marking.marks).containsExactly("w-1 1..2");
    assertThat(marking.synchronousMarks).isEmpty();
    assertThat(marking.readLog(1, 10)).noneMatch(LoggedEvent::published);
    marking.land(0);
    assertThat(marking.readLog(1, 10)).hasSize(2).allMatch(LoggedEvent::published);
  }

  @Test
  void a_publication_mark_that_fails_leaves_the_events_to_the_relay_and_later_saves_unharmed() {
    MarkLaterStore marking = new MarkLaterStore();
    EventSourcingRepository repository =
        EventSourcingRepository.builder(marking, registry).publisher(bus).build();
    repository.save(Wallet.open("w-1", "ada"), "c-1");

    marking.fail(0, new TransientCqrsException("store down"));
    Wallet again = repository.get("w-1", Wallet::new);
    again.deposit(BigDecimal.TEN);
    repository.save(again, "c-2");
    marking.land(1);

    assertThat(marking.readLog(1, 10))
        .extracting(entry -> entry.event().version(), LoggedEvent::published)
        .containsExactly(tuple(1L, false), tuple(2L, true));
  }

  @Test
  void whatever_stage_a_store_answers_a_mark_with_the_save_that_committed_succeeds() {
    List<Supplier<CompletionStage<Void>>> answers =
        List.of(
            () -> CompletableFuture.completedStage(null), // a minimal stage: isDone() throws
            () -> CompletableFuture.failedStage(new TransientCqrsException("store down")),
            () -> new CompletableFuture<Void>().minimalCompletionStage(),
            () -> CompletableFuture.completedFuture(null),
            () -> null);
    for (int i = 0; i < answers.size(); i++) {
      Supplier<CompletionStage<Void>> answer = answers.get(i);
      InMemoryEventStreamRepository memory = new InMemoryEventStreamRepository();
      ForwardingRelayStore answering =
          new ForwardingRelayStore(memory) {
            @Override
            public CompletionStage<Void> markPublishedAsync(
                String streamId, long fromVersion, long toVersion) {
              return answer.get();
            }
          };
      RecordingBus published = new RecordingBus(store);
      EventSourcingRepository repository =
          EventSourcingRepository.builder(answering, registry).publisher(published).build();

      List<VersionedEvent> committed = repository.save(Wallet.open("w-" + i, "ada"), "c-" + i);

      assertThat(committed).as("answer %d", i).hasSize(1);
      assertThat(published.published).as("answer %d", i).containsExactly(committed);
      assertThat(memory.version("w-" + i)).as("answer %d", i).isOne();
    }
  }

  // ---------------------------------------------------------------- snapshot policies

  @Test
  void every_n_snapshots_when_a_save_crosses_a_multiple_of_n() {
    EventSourcingRepository repository = repository(SnapshotPolicy.every(3));
    Wallet wallet = Wallet.open("w-1", "ada");
    repository.save(wallet, "c");
    List<Long> snapshotVersions = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      wallet.deposit(BigDecimal.ONE);
      if (i == 3) {
        wallet.deposit(BigDecimal.ONE);
      }
      repository.save(wallet, "c");
      store.delegate.loadSnapshot("w-1").ifPresent(s -> snapshotVersions.add(s.version()));
    }

    // Versions after each save: 2, 3, 4, 6 (a batch of two crossing 6), 7, 8.
    assertThat(store.calls)
        .filteredOn(c -> c.startsWith("saveSnapshot"))
        .containsExactly("saveSnapshot w-1 @3", "saveSnapshot w-1 @6");
    assertThat(snapshotVersions).containsExactly(3L, 3L, 6L, 6L, 6L);
  }

  @Test
  void when_suggested_snapshots_only_when_the_aggregate_asks() {
    EventSourcingRepository repository = repository(SnapshotPolicy.whenSuggested());
    Wallet wallet = Wallet.open("w-1", "ada");
    repository.save(wallet, "c");
    wallet.deposit(BigDecimal.ONE);
    wallet.askForSnapshot();
    repository.save(wallet, "c");

    assertThat(store.calls)
        .filteredOn(c -> c.startsWith("saveSnapshot"))
        .containsExactly("saveSnapshot w-1 @2");
    Snapshot snapshot = store.delegate.loadSnapshot("w-1").orElseThrow();
    assertThat(snapshot.aggregateType()).isEqualTo("Wallet");
    assertThat(snapshot.state()).contains("\"owner\":\"ada\"").contains("\"balance\":1");
  }

  @Test
  void either_policy_combined_with_or_snapshots() {
    SnapshotPolicy policy = SnapshotPolicy.every(100).or(SnapshotPolicy.whenSuggested());
    EventSourcingRepository repository = repository(policy);
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.askForSnapshot();

    repository.save(wallet, "c");

    assertThat(store.delegate.loadSnapshot("w-1")).isPresent();
  }

  @Test
  void snapshot_policy_arguments_are_validated() {
    assertThatThrownBy(() -> SnapshotPolicy.every(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("events");
  }

  // ---------------------------------------------------------------- loading from snapshots

  @Test
  void loading_starts_from_the_snapshot_and_replays_only_later_events() {
    EventSourcingRepository repository = repository(SnapshotPolicy.every(2));
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.deposit(BigDecimal.ONE);
    repository.save(wallet, "c");
    wallet.deposit(BigDecimal.TEN);
    repository.save(wallet, "c");
    // Doctor the snapshot so that only a load that used it can show this balance.
    Snapshot real = store.delegate.loadSnapshot("w-1").orElseThrow();
    store.delegate.saveSnapshot(
        new Snapshot(
            "w-1",
            2,
            real.aggregateType(),
            real.schema(),
            "{\"owner\":\"from snapshot\",\"balance\":1000}",
            Instant.now()));
    store.calls.clear();

    Wallet loaded = repository.get("w-1", Wallet::new);

    assertThat(loaded.owner()).isEqualTo("from snapshot");
    assertThat(loaded.balance()).isEqualByComparingTo("1010");
    assertThat(loaded.version()).isEqualTo(3);
    assertThat(store.calls).containsExactly("loadSnapshot w-1", "load w-1 from 3");
  }

  @Test
  void a_snapshot_plus_later_events_gives_the_same_state_as_a_full_replay() {
    EventSourcingRepository snapshotting = repository(SnapshotPolicy.every(2));
    Wallet wallet = Wallet.open("w-1", "ada");
    for (int i = 1; i <= 5; i++) {
      wallet.deposit(new BigDecimal(i + ".10"));
      snapshotting.save(wallet, "c");
    }

    Wallet fromSnapshot = snapshotting.get("w-1", Wallet::new);
    Wallet replayed = repository(SnapshotPolicy.never()).get("w-1", Wallet::new);

    assertThat(store.delegate.loadSnapshot("w-1").orElseThrow().version()).isEqualTo(6);
    assertThat(fromSnapshot.balance()).isEqualTo(replayed.balance()).isEqualTo("15.50");
    assertThat(fromSnapshot.owner()).isEqualTo(replayed.owner());
    assertThat(fromSnapshot.version()).isEqualTo(replayed.version()).isEqualTo(6);
  }

  @Test
  void a_snapshot_of_another_schema_is_ignored_and_the_stream_replayed() {
    EventSourcingRepository repository = seededWithSnapshot();
    Snapshot real = store.delegate.loadSnapshot("w-1").orElseThrow();
    store.delegate.saveSnapshot(
        new Snapshot("w-1", 2, "Wallet", "an-older-shape", "{\"balance\":1000}", Instant.now()));
    assertThat(real.schema()).isNotEqualTo("an-older-shape");
    store.calls.clear();

    Wallet loaded = repository.get("w-1", Wallet::new);

    assertThat(loaded.balance()).isEqualByComparingTo("11");
    assertThat(loaded.version()).isEqualTo(3);
    assertThat(store.calls).contains("load w-1 from 1");
  }

  @Test
  void a_snapshot_of_another_aggregate_type_is_never_applied_and_fails_the_load_naming_both() {
    EventSourcingRepository repository = seededWithSnapshot();
    Snapshot real = store.delegate.loadSnapshot("w-1").orElseThrow();
    store.delegate.saveSnapshot(
        new Snapshot("w-1", 2, "Purse", real.schema(), "{\"balance\":1000}", Instant.now()));

    AggregateTypeMismatchException mismatch =
        catchThrowableOfType(
            () -> repository.get("w-1", Wallet::new), AggregateTypeMismatchException.class);

    assertThat(mismatch.recordedType()).isEqualTo("Purse");
    assertThat(mismatch.requestedType()).isEqualTo("Wallet");
  }

  @Test
  void a_snapshot_with_garbage_state_is_ignored_and_the_stream_replayed() {
    EventSourcingRepository repository = seededWithSnapshot();
    Snapshot real = store.delegate.loadSnapshot("w-1").orElseThrow();
    for (String garbage :
        List.of("not json", "{\"balance\":\"lots\"}", "[1,2]", "{\"balance\":1000,\"owner\":")) {
      store.delegate.saveSnapshot(
          new Snapshot("w-1", 2, "Wallet", real.schema(), garbage, Instant.now()));

      Wallet loaded = repository.get("w-1", Wallet::new);

      assertThat(loaded.balance()).as("after snapshot %s", garbage).isEqualByComparingTo("11");
      assertThat(loaded.owner()).isEqualTo("ada");
      assertThat(loaded.version()).isEqualTo(3);
    }
  }

  @Test
  void a_failing_snapshot_write_does_not_fail_the_save() {
    EventSourcingRepository repository = repository(SnapshotPolicy.every(1));
    store.failSaveSnapshot = new TransientCqrsException("store busy");
    Wallet wallet = Wallet.open("w-1", "ada");

    List<VersionedEvent> committed = repository.save(wallet, "c-1");

    assertThat(committed).hasSize(1);
    assertThat(store.calls).contains("saveSnapshot w-1 @1");
    assertThat(store.load("w-1")).containsExactlyElementsOf(committed);
    assertThat(bus.published).containsExactly(committed);
    assertThat(wallet.version()).isEqualTo(1);
  }

  @Test
  void a_failing_snapshot_read_falls_back_to_replaying_the_stream() {
    EventSourcingRepository repository = seededWithSnapshot();
    store.failLoadSnapshot = new TransientCqrsException("store busy");

    Wallet loaded = repository.get("w-1", Wallet::new);

    assertThat(loaded.balance()).isEqualByComparingTo("11");
    assertThat(loaded.version()).isEqualTo(3);
  }

  @Test
  void the_never_policy_does_not_even_read_snapshots() {
    seededWithSnapshot();
    store.failLoadSnapshot = new IllegalStateException("must not be called");
    store.calls.clear();

    Wallet loaded = repository(SnapshotPolicy.never()).get("w-1", Wallet::new);

    assertThat(loaded.version()).isEqualTo(3);
    assertThat(store.calls).containsExactly("load w-1 from 1");
  }

  // ---------------------------------------------------------------- aggregate types

  @Test
  void a_save_records_the_aggregates_logical_type_name_with_its_stream() {
    repository(SnapshotPolicy.never()).save(Wallet.open("w-1", "ada"), "c");

    assertThat(store.loadStream("w-1", 1).aggregateType()).isEqualTo("Wallet");
  }

  @Test
  void loading_a_stream_into_another_aggregate_class_fails_naming_the_stream_and_both_types() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());
    repository.save(Wallet.open("w-1", "ada"), "c");

    AggregateTypeMismatchException mismatch =
        catchThrowableOfType(
            () -> repository.find("w-1", Purse::new), AggregateTypeMismatchException.class);

    assertThat(mismatch.streamId()).isEqualTo("w-1");
    assertThat(mismatch.recordedType()).isEqualTo("Wallet");
    assertThat(mismatch.requestedType()).isEqualTo("Purse");
    assertThat(mismatch)
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessage("Stream 'w-1' belongs to a Wallet, not to a Purse");
    assertThatThrownBy(() -> repository.get("w-1", Purse::new))
        .isInstanceOf(AggregateTypeMismatchException.class);
  }

  @Test
  void loading_from_a_snapshot_still_checks_the_streams_type() {
    EventSourcingRepository repository = seededWithSnapshot();
    Snapshot real = store.delegate.loadSnapshot("w-1").orElseThrow();
    // A snapshot that claims the requested type cannot hide the stream's own.
    store.delegate.saveSnapshot(
        new Snapshot("w-1", 2, "Purse", real.schema(), real.state(), real.created()));

    assertThatThrownBy(() -> repository.get("w-1", Purse::new))
        .isInstanceOf(AggregateTypeMismatchException.class)
        .hasMessageContaining("belongs to a Wallet, not to a Purse");
  }

  @Test
  void saving_an_aggregate_of_another_class_to_a_typed_stream_is_refused_and_writes_nothing() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());
    List<VersionedEvent> committed = repository.save(Wallet.open("w-1", "ada"), "c");
    Purse purse = new Purse("w-1");
    purse.replay(new Opened("ada"), 1);
    purse.raise(new Opened("eve"));

    assertThatThrownBy(() -> repository.save(purse, "c-2"))
        .isInstanceOf(AggregateTypeMismatchException.class)
        .hasMessageContaining("'w-1'")
        .hasMessageContaining("Wallet")
        .hasMessageContaining("Purse");
    assertThat(store.load("w-1")).containsExactlyElementsOf(committed);
    assertThat(purse.pendingEvents()).hasSize(1);
  }

  @Test
  void a_stream_written_without_a_type_loads_into_any_class_as_before() {
    EventSourcingRepository repository = repository(SnapshotPolicy.never());
    VersionedEvent opened = VersionedEvent.of("w-1", 1, new Opened("ada"), "c");
    store.delegate.save("w-1", 0, List.of(opened));

    assertThat(repository.get("w-1", Wallet::new).owner()).isEqualTo("ada");
    assertThat(repository.get("w-1", Purse::new).version()).isEqualTo(1);
  }

  // ---------------------------------------------------------------- factories

  @Test
  void a_factory_that_makes_the_wrong_aggregate_is_rejected() {
    EventSourcingRepository repository = seededWithSnapshot();

    assertThatThrownBy(() -> repository.get("w-1", id -> new Wallet("other")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'other'")
        .hasMessageContaining("'w-1'");
    assertThatThrownBy(() -> repository.get("w-1", id -> Wallet.open(id, "x")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("empty aggregate");
    assertThatThrownBy(() -> repository.get("w-1", id -> null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("factory");
  }

  // ---------------------------------------------------------------- helpers

  /** Another kind of aggregate that also handles {@link Opened}. */
  static final class Purse extends EventSourceBased {
    Purse(String id) {
      super(id);
    }

    void raise(Object event) {
      update(event);
    }

    private void handleOpened(Opened e) {}
  }

  /** A wallet w-1 at version 3 (opened, +1, +10) with a snapshot at version 2. */
  private EventSourcingRepository seededWithSnapshot() {
    EventSourcingRepository repository = repository(SnapshotPolicy.every(2));
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.deposit(BigDecimal.ONE);
    repository.save(wallet, "c");
    wallet.deposit(BigDecimal.TEN);
    repository.save(wallet, "c");
    assertThat(store.delegate.loadSnapshot("w-1").orElseThrow().version()).isEqualTo(2);
    return repository;
  }

  private EventSourcingRepository publishingAsynchronously(
      InMemoryEventStreamRepository marks, EventBus bus) {
    return EventSourcingRepository.builder(marks, registry)
        .publisher(bus)
        .publishAsynchronously(true)
        .build();
  }

  @Test
  void ids_in_log_lines_are_cut_to_a_bounded_length() {
    assertThat(EventSourcingRepository.shown("w-1")).isEqualTo("w-1");
    String huge = "a".repeat(199) + "\uD83D\uDE00" + "b".repeat(5_000_000);

    String shown = EventSourcingRepository.shown(huge);

    assertThat(shown)
        .startsWith("a".repeat(199) + "...")
        .endsWith("(" + (huge.length() - 199) + " characters cut)")
        .hasSizeLessThan(EventSourcingRepository.MAX_SHOWN_ID + 40);
  }

  private EventSourcingRepository repository(SnapshotPolicy policy) {
    return EventSourcingRepository.builder(store, registry)
        .publisher(bus)
        .snapshotPolicy(policy)
        .build();
  }

  /** A bus whose asynchronous publications the test confirms or fails, one call at a time. */
  static final class ConfirmLaterBus implements EventBus {
    final List<List<VersionedEvent>> calls = new CopyOnWriteArrayList<>();
    private final List<CompletableFuture<Void>> futures = new CopyOnWriteArrayList<>();
    volatile RuntimeException refusal;

    @Override
    public CompletableFuture<Void> publishAsync(List<VersionedEvent> events) {
      if (refusal != null) {
        throw refusal;
      }
      calls.add(List.copyOf(events));
      CompletableFuture<Void> future = new CompletableFuture<>();
      futures.add(future);
      return future;
    }

    void confirm(int call) {
      futures.get(call).complete(null);
    }

    void fail(int call, RuntimeException failure) {
      futures.get(call).completeExceptionally(failure);
    }

    @Override
    public void publish(List<VersionedEvent> events) {
      throw new AssertionError("published synchronously: " + events);
    }

    @Override
    public Subscription subscribe(
        String subscription, int listeners, VersionedEventHandler consumer) {
      throw new UnsupportedOperationException("publish-only test bus");
    }

    @Override
    public void close() {}
  }

  /** Records what is published and how far the store was when it was. */
  static final class RecordingBus implements EventBus {
    final List<List<VersionedEvent>> published = new CopyOnWriteArrayList<>();
    final List<Long> storeVersionAtPublish = new CopyOnWriteArrayList<>();
    private final ObservedStore store;
    volatile RuntimeException failure;

    RecordingBus(ObservedStore store) {
      this.store = store;
    }

    @Override
    public void publish(List<VersionedEvent> events) {
      if (failure != null) {
        throw failure;
      }
      published.add(List.copyOf(events));
      storeVersionAtPublish.add(store.version(events.get(0).sourceId()));
    }

    @Override
    public Subscription subscribe(
        String subscription, int listeners, VersionedEventHandler consumer) {
      throw new UnsupportedOperationException("publish-only test bus");
    }

    @Override
    public void close() {}
  }
}
