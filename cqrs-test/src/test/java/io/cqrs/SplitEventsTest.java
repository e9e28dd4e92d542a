package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.AggregateFixture;
import io.cqrs.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Stored events that upcasters split into several or drop: stream versions stay the stored ones for
 * aggregates, optimistic concurrency, projections, the relay and event processors.
 */
class SplitEventsTest {
  /** Revision 1 also credited a first deposit: {"owner", "deposit"}. */
  @TypeName(revision = 2)
  record Opened(String owner) {}

  /** Revision 1 had no currency and recorded deposits of nothing, which revision 2 drops. */
  @TypeName(revision = 2)
  record Deposited(long amount, String currency) {}

  /** An account that remembers what it handled, in order. */
  static final class Account extends EventSourceBased {
    final List<Object> handled = new ArrayList<>();
    long balance;

    Account(String id) {
      super(id);
    }

    void deposit(long amount) {
      update(new Deposited(amount, "EUR"));
    }

    private void handleOpened(Opened event) {
      handled.add(event);
    }

    private void handleDeposited(Deposited event) {
      handled.add(event);
      balance += event.amount();
    }
  }

  static TypeRegistry registry() {
    return new TypeRegistry()
        .registerAggregate(Account.class, Opened.class, Deposited.class)
        .splittingUpcaster(
            Opened.class,
            1,
            List.of(Opened.class, Deposited.class),
            opened -> {
              ObjectNode deposit =
                  opened.objectNode().put("amount", opened.get("deposit").asLong());
              opened.remove("deposit");
              return List.of(
                  SplittingUpcaster.part(Opened.class, 2, opened),
                  SplittingUpcaster.part(Deposited.class, 1, deposit));
            })
        .splittingUpcaster(
            Deposited.class,
            1,
            List.of(Deposited.class),
            deposited ->
                deposited.get("amount").asLong() == 0
                    ? List.of()
                    : List.of(
                        SplittingUpcaster.part(
                            Deposited.class, 2, deposited.put("currency", "EUR"))));
  }

  /** An envelope as the earlier version stored it: revision 1, no revision field. */
  static String stored(String stream, long version, String type, String payload) {
    return """
        {"id":"%s-%d","correlationId":"c-1","causationId":null,"sourceId":"%s","actor":null,\
        "onBehalfOf":null,"version":%d,"eventType":"%s","created":"2024-01-02T03:04:05Z",\
        "event":%s,"metadata":{}}"""
        .formatted(stream, version, stream, version, type, payload);
  }

  private final TypeRegistry registry = registry();
  private final EventSerializer serializer = new EventSerializer(registry);
  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    Collections.reverse(closing);
    for (AutoCloseable closeable : closing) {
      closeable.close();
    }
  }

  private VersionedEvent read(String json) {
    return serializer.deserializeEvent(json.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A mixed stream: 1 an old opening that splits, 2 a current deposit, 3 an old deposit of nothing
   * (dropped), 4 an old deposit upcast one to one; saved as a store holds what it read.
   */
  private void mixedStream(String id) {
    store.save(id, 0, List.of(read(stored(id, 1, "Opened", "{\"owner\":\"ada\",\"deposit\":10}"))));
    store.save(id, 1, List.of(VersionedEvent.of(id, 2, new Deposited(5, "USD"), "c-2")));
    store.save(id, 2, List.of(read(stored(id, 3, "Deposited", "{\"amount\":0}"))));
    store.save(id, 3, List.of(read(stored(id, 4, "Deposited", "{\"amount\":3}"))));
  }

  private EventSourcingRepository repository() {
    return EventSourcingRepository.builder(store, registry).build();
  }

  @Test
  void a_split_event_reads_as_one_stored_event_whose_parts_share_its_version_in_order() {
    VersionedEvent split = read(stored("acc-1", 7, "Opened", "{\"owner\":\"ada\",\"deposit\":10}"));

    assertThat(split.isSplit()).isTrue();
    assertThat(split.version()).isEqualTo(7);
    assertThat(((SplitEvent) split.event()).storedType()).isEqualTo("Opened");
    assertThat(split.parts())
        .extracting(VersionedEvent::id, VersionedEvent::version, VersionedEvent::event)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("acc-1-7#1", 7L, new Opened("ada")),
            org.assertj.core.groups.Tuple.tuple("acc-1-7#2", 7L, new Deposited(10, "EUR")));
    VersionedEvent dropped = read(stored("acc-1", 8, "Deposited", "{\"amount\":0}"));
    assertThat(dropped.isSplit()).isTrue();
    assertThat(dropped.parts()).isEmpty();
    VersionedEvent oneToOne = read(stored("acc-1", 9, "Deposited", "{\"amount\":4}"));
    assertThat(oneToOne.isSplit()).isFalse();
    assertThat(oneToOne.event()).isEqualTo(new Deposited(4, "EUR"));
    assertThat(oneToOne.parts()).containsExactly(oneToOne);
  }

  @Test
  void a_split_event_written_again_reads_back_as_the_same_parts_without_upcasting() {
    VersionedEvent split = read(stored("acc-1", 7, "Opened", "{\"owner\":\"ada\",\"deposit\":10}"));

    byte[] written = serializer.serialize(split);

    assertThat(new String(written, StandardCharsets.UTF_8)).contains("\"cqrs.SplitEvent\"");
    assertThat(serializer.deserializeEvent(written)).isEqualTo(split);
    assertThat(serializer.fromTree(serializer.toTree(split))).isEqualTo(split);
    VersionedEvent dropped = read(stored("acc-1", 8, "Deposited", "{\"amount\":0}"));
    assertThat(serializer.deserializeEvent(serializer.serialize(dropped))).isEqualTo(dropped);
  }

  @Test
  void a_mixed_stream_replays_in_order_and_the_aggregate_is_at_the_stored_version() {
    mixedStream("acc-1");

    Account account = repository().get("acc-1", Account::new);

    assertThat(account.version()).isEqualTo(4).isEqualTo(store.version("acc-1"));
    assertThat(account.handled)
        .containsExactly(
            new Opened("ada"),
            new Deposited(10, "EUR"),
            new Deposited(5, "USD"),
            new Deposited(3, "EUR"));
    assertThat(account.balance).isEqualTo(18);
  }

  @Test
  void a_stream_whose_last_event_was_dropped_keeps_the_dropped_version() {
    store.save(
        "acc-1",
        0,
        List.of(read(stored("acc-1", 1, "Opened", "{\"owner\":\"ada\",\"deposit\":1}"))));
    store.save("acc-1", 1, List.of(read(stored("acc-1", 2, "Deposited", "{\"amount\":0}"))));

    Account account = repository().get("acc-1", Account::new);

    assertThat(account.version()).isEqualTo(2);
    assertThat(account.balance).isEqualTo(1);
  }

  @Test
  void saving_after_loading_a_split_stream_neither_conflicts_nor_misses_a_concurrent_writer() {
    mixedStream("acc-1");
    EventSourcingRepository repository = repository();
    Account mine = repository.get("acc-1", Account::new);
    Account theirs = repository.get("acc-1", Account::new);

    mine.deposit(1);
    List<VersionedEvent> saved = repository.save(mine, "c-3");
    theirs.deposit(2);

    assertThat(saved).extracting(VersionedEvent::version).containsExactly(5L);
    assertThat(mine.version()).isEqualTo(5);
    assertThatThrownBy(() -> repository.save(theirs, "c-4"))
        .isInstanceOf(ConcurrencyException.class);
    assertThat(repository.get("acc-1", Account::new).balance).isEqualTo(19);
  }

  @Test
  void a_snapshot_taken_after_a_split_is_at_the_stored_version() {
    mixedStream("acc-1");
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, registry)
            .snapshotPolicy(SnapshotPolicy.every(1))
            .build();
    Account account = repository.get("acc-1", Account::new);
    account.deposit(1);
    repository.save(account, "c-3");

    assertThat(store.loadSnapshot("acc-1").orElseThrow().version()).isEqualTo(5);
    Account restored = repository.get("acc-1", Account::new);
    assertThat(restored.version()).isEqualTo(5);
    assertThat(restored.balance).isEqualTo(19);
  }

  @Test
  void the_log_holds_one_entry_per_stored_event_so_a_position_never_falls_between_parts() {
    mixedStream("acc-1");

    List<LoggedEvent> log = store.readLog(1, 10);

    assertThat(log).extracting(LoggedEvent::position).containsExactly(1L, 2L, 3L, 4L);
    assertThat(log.get(0).event().parts()).hasSize(2);
    assertThat(log.get(2).event().parts()).isEmpty();
  }

  /**
   * Per stream, the applied version and the deposits seen, replaced together in one step; it throws
   * once between the parts of a group when told to, before anything is written.
   */
  static final class Balances implements Projection {
    record Entry(long version, List<Object> seen) {}

    final Map<String, Entry> entries = new ConcurrentHashMap<>();
    final AtomicBoolean crashBetweenParts = new AtomicBoolean();
    final AtomicInteger crashes = new AtomicInteger();

    @Override
    public long appliedVersion(String streamId) {
      Entry entry = entries.get(streamId);
      return entry == null ? 0 : entry.version();
    }

    @Override
    public void apply(VersionedEvent event) {
      applyAll(event.sourceId(), event.version(), List.of(event));
    }

    @Override
    public void applyAll(String streamId, long version, List<VersionedEvent> events) {
      Entry entry = entries.get(streamId);
      List<Object> seen = new ArrayList<>(entry == null ? List.of() : entry.seen());
      if (version != (entry == null ? 0 : entry.version()) + 1) {
        throw new AssertionError(streamId + " got " + version + " at " + entry);
      }
      for (VersionedEvent event : events) {
        seen.add(event.event());
        if (seen.size() > 1 && events.size() > 1 && crashBetweenParts.compareAndSet(true, false)) {
          crashes.incrementAndGet();
          throw new IllegalStateException("crash between the parts of " + version);
        }
      }
      entries.put(streamId, new Entry(version, List.copyOf(seen)));
    }
  }

  private static final List<Object> ALL_OF_THE_MIXED_STREAM =
      List.of(
          new Opened("ada"),
          new Deposited(10, "EUR"),
          new Deposited(5, "USD"),
          new Deposited(3, "EUR"));

  @Test
  void a_tracking_projection_gets_both_parts_once_even_if_it_fails_between_them() {
    mixedStream("acc-1");
    Balances balances = new Balances();
    balances.crashBetweenParts.set(true);

    TrackingEventProcessor processor =
        EventProcessor.tracking("balances", store).projection(balances).build();
    closing.add(processor);
    processor.start();
    Await.until(
        "caught up", () -> processor.lag().caughtUp() && balances.appliedVersion("acc-1") == 4);

    assertThat(balances.crashes.get()).isEqualTo(1);
    assertThat(balances.entries.get("acc-1").seen()).isEqualTo(ALL_OF_THE_MIXED_STREAM);
  }

  @Test
  void a_projection_that_cannot_apply_a_group_atomically_refuses_it_with_the_reason() {
    mixedStream("acc-1");
    Projection oneByOne =
        new Projection() {
          @Override
          public long appliedVersion(String streamId) {
            return 0;
          }

          @Override
          public void apply(VersionedEvent event) {
            throw new AssertionError("a part applied alone: " + event);
          }
        };
    VersionGate gate = new VersionGate(oneByOne, store);

    assertThatThrownBy(() -> gate.handle(store.load("acc-1").get(0)))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("cannot apply version 1 of stream 'acc-1', which upcasters split")
        .hasMessageContaining("override Projection.applyAll");
  }

  @Test
  void the_gate_compares_stored_versions_so_a_redelivered_split_is_skipped_and_a_hole_filled()
      throws Exception {
    mixedStream("acc-1");
    Balances balances = new Balances();
    VersionGate gate = new VersionGate(balances, store);
    List<VersionedEvent> stream = store.load("acc-1");

    assertThat(gate.handle(stream.get(0))).isEqualTo(1);
    assertThat(gate.handle(stream.get(0))).isZero();
    assertThat(gate.handle(stream.get(3))).isEqualTo(3); // 2, the dropped 3, and 4 from the store

    assertThat(balances.entries.get("acc-1"))
        .isEqualTo(new Balances.Entry(4, ALL_OF_THE_MIXED_STREAM));
  }

  /** Records every event a handler gets, in order. */
  static final class Recorder implements VersionedEventHandler {
    final List<VersionedEvent> got = new CopyOnWriteArrayList<>();

    @Override
    public void handle(VersionedEvent event) {
      got.add(event);
    }

    List<Object> events() {
      return got.stream().map(VersionedEvent::event).toList();
    }
  }

  @Test
  void a_tracking_processor_hands_each_part_once_in_order_across_a_restart() {
    mixedStream("acc-1");
    Recorder first = new Recorder();
    TrackingEventProcessor processor =
        EventProcessor.tracking("recorder", store).handler(first).build();
    processor.start();
    Await.until("caught up", () -> processor.lag().caughtUp() && first.got.size() == 4);
    processor.close();
    store.save(
        "acc-2",
        0,
        List.of(read(stored("acc-2", 1, "Opened", "{\"owner\":\"bob\",\"deposit\":2}"))));

    Recorder second = new Recorder();
    TrackingEventProcessor restarted =
        EventProcessor.tracking("recorder", store).handler(second).build();
    closing.add(restarted);
    restarted.start();
    Await.until("caught up", () -> restarted.lag().caughtUp() && second.got.size() == 2);

    assertThat(first.events()).isEqualTo(ALL_OF_THE_MIXED_STREAM);
    assertThat(first.got).extracting(VersionedEvent::version).containsExactly(1L, 1L, 2L, 4L);
    assertThat(second.events()).containsExactly(new Opened("bob"), new Deposited(2, "EUR"));
    assertThat(second.got).extracting(VersionedEvent::id).containsExactly("acc-2-1#1", "acc-2-1#2");
  }

  @Test
  void the_relay_publishes_a_split_once_and_a_subscribed_projection_and_handler_get_its_parts() {
    mixedStream("acc-1");
    InMemoryEventBus bus = new InMemoryEventBus();
    closing.add(bus);
    Balances balances = new Balances();
    SubscribingEventProcessor projecting =
        EventProcessor.subscribing("balances", bus, store)
            .projection(balances)
            .listeners(1)
            .build();
    Recorder recorder = new Recorder();
    SubscribingEventProcessor recording =
        EventProcessor.subscribing("recorder", bus, store).handler(recorder).listeners(1).build();
    closing.add(projecting);
    closing.add(recording);
    projecting.start();
    recording.start();

    EventRelay relay = EventRelay.builder(store, bus).grace(Duration.ZERO).build();
    assertThat(relay.publishPending()).isEqualTo(4);
    EventRelay restarted = EventRelay.builder(store, bus).grace(Duration.ZERO).build();
    assertThat(restarted.publishPending()).isZero();

    Await.until(
        "both applied", () -> balances.appliedVersion("acc-1") == 4 && recorder.got.size() == 4);
    assertThat(balances.entries.get("acc-1").seen()).isEqualTo(ALL_OF_THE_MIXED_STREAM);
    assertThat(recorder.events()).isEqualTo(ALL_OF_THE_MIXED_STREAM);
  }

  @Test
  void the_fixture_takes_history_that_splits_and_drops() {
    AggregateFixture<Account> fixture = AggregateFixture.of(Account::new, registry);

    fixture
        .givenJson("acc-1", "Opened", 1, "{\"owner\":\"ada\",\"deposit\":10}")
        .givenJson("acc-1", "Deposited", 1, "{\"amount\":0}")
        .when("acc-1", account -> account.deposit(account.balance))
        .then(new Deposited(10, "EUR"));
  }

  /** docs/schema-evolution.md's worked example, on example-bank's account events. */
  static final class BankExample {
    @TypeName(revision = 2)
    record EmailAddressChanged(String previousEmail, String newEmail) {}

    record PasswordChanged(String newPasswordHash) {}

    static final class Login extends EventSourceBased {
      String email;
      String passwordHash;

      Login(String id) {
        super(id);
      }

      void changePassword(String hash) {
        update(new PasswordChanged(hash));
      }

      private void handleEmailAddressChanged(EmailAddressChanged event) {
        email = event.newEmail();
      }

      private void handlePasswordChanged(PasswordChanged event) {
        passwordHash = event.newPasswordHash();
      }
    }

    static TypeRegistry types() {
      return new TypeRegistry()
          .registerAggregate(Login.class, EmailAddressChanged.class, PasswordChanged.class)
          .splittingUpcaster(
              EmailAddressChanged.class,
              1,
              List.of(EmailAddressChanged.class, PasswordChanged.class),
              changed -> {
                com.fasterxml.jackson.databind.JsonNode hash = changed.remove("newPasswordHash");
                SplittingUpcaster.Part address =
                    SplittingUpcaster.part(EmailAddressChanged.class, 2, changed);
                if (hash == null) {
                  return List.of(address); // an address change alone: one event, as before
                }
                ObjectNode password = changed.objectNode().set("newPasswordHash", hash);
                return List.of(address, SplittingUpcaster.part(PasswordChanged.class, 1, password));
              });
    }
  }

  @Test
  void the_worked_example_an_address_change_that_reset_the_password_reads_as_two_events() {
    EventSerializer bank = new EventSerializer(BankExample.types());
    String storedByTheFirstVersion =
        """
        {"id":"e-3","correlationId":"c-3","causationId":null,"sourceId":"john","actor":null,        "onBehalfOf":null,"version":3,"eventType":"EmailAddressChanged",        "created":"2024-01-02T03:04:05Z","event":{"previousEmail":"john@old.example",        "newEmail":"john@cqrs.example","newPasswordHash":"pbkdf2$1000$c2FsdA$aGFzaA"},        "metadata":{}}""";

    VersionedEvent read =
        bank.deserializeEvent(storedByTheFirstVersion.getBytes(StandardCharsets.UTF_8));

    assertThat(read.version()).isEqualTo(3);
    assertThat(read.parts())
        .extracting(VersionedEvent::id, VersionedEvent::version, VersionedEvent::event)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "e-3#1",
                3L,
                new BankExample.EmailAddressChanged("john@old.example", "john@cqrs.example")),
            org.assertj.core.groups.Tuple.tuple(
                "e-3#2", 3L, new BankExample.PasswordChanged("pbkdf2$1000$c2FsdA$aGFzaA")));
    VersionedEvent alone =
        bank.deserializeEvent(
            storedByTheFirstVersion
                .replace(",\"newPasswordHash\":\"pbkdf2$1000$c2FsdA$aGFzaA\"", "")
                .getBytes(StandardCharsets.UTF_8));
    assertThat(alone.isSplit()).isFalse();
    assertThat(alone.eventType()).isEqualTo("EmailAddressChanged");

    AggregateFixture<BankExample.Login> fixture =
        AggregateFixture.of(BankExample.Login::new, BankExample.types());
    fixture
        .givenJson(
            "john",
            "EmailAddressChanged",
            1,
            "{\"previousEmail\":\"a@x\",\"newEmail\":\"b@x\",\"newPasswordHash\":\"h1\"}")
        .when(
            "john",
            login -> {
              assertThat(login.version()).isEqualTo(1);
              assertThat(login.email).isEqualTo("b@x");
              assertThat(login.passwordHash).isEqualTo("h1");
              login.changePassword("h2");
            })
        .then(new BankExample.PasswordChanged("h2"));
  }

  @Test
  void registration_mistakes_of_splitting_upcasters_fail_at_start_up_naming_type_and_revisions() {
    assertThatThrownBy(() -> registry().upcaster(Opened.class, 1, payload -> payload))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Two upcasters of Opened from revision 1 to 2");
    TypeRegistry unregisteredPart =
        new TypeRegistry()
            .registerEvents(Opened.class)
            .splittingUpcaster(Opened.class, 1, List.of(Deposited.class), payload -> List.of());
    assertThatThrownBy(() -> Cqrs.builder().types(unregisteredPart).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "The splitting upcaster of Opened from revision 1 to 2 makes parts of "
                + Deposited.class.getName()
                + ", which is not registered");
    assertThatThrownBy(
            () ->
                new TypeRegistry()
                    .registerEvents(Deposited.class)
                    .splittingUpcaster(Deposited.class, 2, List.of(), payload -> List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Deposited is at revision 2, so upcasters go from revision 1 to 1");
  }

  /** A part type whose JSON binds as another class, as in EnvelopeIntegrityTest. */
  @com.fasterxml.jackson.databind.annotation.JsonDeserialize(as = Impostor.class)
  interface Shifty {}

  record Impostor(long amount) implements Shifty {}

  @Test
  void a_part_that_binds_as_another_class_than_its_type_is_refused() {
    TypeRegistry shifty =
        new TypeRegistry()
            .registerEvents(Opened.class, Shifty.class, Impostor.class)
            .splittingUpcaster(
                Opened.class,
                1,
                List.of(Opened.class, Shifty.class),
                opened ->
                    List.of(
                        SplittingUpcaster.part(Opened.class, 2, opened.deepCopy()),
                        SplittingUpcaster.part(
                            Shifty.class, 1, opened.objectNode().put("amount", 1))));

    assertThatThrownBy(
            () ->
                new EventSerializer(shifty)
                    .deserializeEvent(
                        stored("a", 1, "Opened", "{\"owner\":\"x\"}")
                            .getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("A Shifty event reads as a " + Impostor.class.getName())
        .hasMessageContaining("named 'Impostor'");
  }

  @Test
  void a_part_the_upcaster_did_not_declare_or_that_would_loop_is_refused_when_read() {
    TypeRegistry undeclared =
        new TypeRegistry()
            .registerEvents(Opened.class, Deposited.class)
            .splittingUpcaster(
                Opened.class,
                1,
                List.of(Opened.class),
                opened -> List.of(SplittingUpcaster.part(Deposited.class, 2, opened)));
    assertThatThrownBy(
            () ->
                new EventSerializer(undeclared)
                    .deserializeEvent(
                        stored("a", 1, "Opened", "{\"owner\":\"x\"}")
                            .getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("The upcaster of Opened from revision 1 made a part of")
        .hasMessageContaining("not among the part types it was registered with");
    TypeRegistry looping =
        new TypeRegistry()
            .registerEvents(Opened.class)
            .splittingUpcaster(
                Opened.class,
                1,
                List.of(Opened.class),
                opened -> List.of(SplittingUpcaster.part(Opened.class, 1, opened)));
    assertThatThrownBy(
            () ->
                new EventSerializer(looping)
                    .deserializeEvent(
                        stored("a", 1, "Opened", "{\"owner\":\"x\"}")
                            .getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("a part of its own type must be at a revision above 1");
  }
}
