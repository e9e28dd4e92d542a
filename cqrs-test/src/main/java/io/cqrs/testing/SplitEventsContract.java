package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.ConcurrencyException;
import io.cqrs.EventProcessor;
import io.cqrs.EventRelay;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.Projection;
import io.cqrs.SnapshotPolicy;
import io.cqrs.SplitEvent;
import io.cqrs.SplittingUpcaster;
import io.cqrs.SubscribingEventProcessor;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.TypeName;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.StreamAppend;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract a store keeps for stored events that today's upcasters split into several or drop
 * ({@link SplittingUpcaster}): versions stay the stored ones when loading, for aggregates,
 * optimistic concurrency, snapshots, the integration log, tracking processors and the relay. An
 * implementation runs it through a subclass that makes the store and lets an earlier version of the
 * application write to it:
 *
 * <pre>{@code
 * class MyStoreSplitEventsTest extends SplitEventsContract {
 *   private final String namespace = freshNamespace();
 *
 *   protected EventStreamRepository newStore() {
 *     return new MyStore(namespace, new EventSerializer(contractTypes()));
 *   }
 *
 *   protected void saveAsEarlierVersion(StreamAppend append) {
 *     new MyStore(namespace, new EventSerializer(earlierTypes())).save(append);
 *   }
 * }
 * }</pre>
 *
 * <p>The history: the earlier version stored an account's opening with its first deposit in it, and
 * deposits without a currency, deposits of nothing among them. Today an opening is two events
 * ({@link Opened}, {@link Deposited}), a deposit has a currency, and a deposit of nothing is
 * dropped.
 */
public abstract class SplitEventsContract {
  /**
   * The events of {@link #mixedStream}, in the order an aggregate or a processor gets them: the
   * split opening's two parts, the earlier deposit upcast one to one, today's deposit.
   */
  protected static final List<Object> MIXED_STREAM_EVENTS =
      List.of(
          new Opened("ada"),
          new Deposited(10, "EUR"),
          new Deposited(3, "EUR"),
          new Deposited(5, "USD"));

  private static final Instant STORED_AT = Instant.parse("2024-01-02T03:04:05Z");

  /** The store under test, made fresh for each test by {@link #newStore()}. */
  protected EventStreamRepository store;

  private final List<AutoCloseable> closing = new ArrayList<>();

  /**
   * An empty store that reads and writes with {@link #contractTypes()} and sees what {@link
   * #saveAsEarlierVersion} writes during the same test; it must also be a {@link
   * io.cqrs.spi.RelayStore} and a {@link io.cqrs.spi.ProcessorStore}, as the relay and tracking
   * processors need. Called once before each test; closed after it if it is {@link AutoCloseable}.
   */
  protected abstract EventStreamRepository newStore();

  /**
   * Saves {@code append}, whose events are of {@link #earlierTypes()} (revision 1: no revision in
   * the stored JSON), into the store under test as the earlier version of the application did, so
   * that the store reads them back through today's upcasters. A store that serializes writes them
   * through a second instance over the same data that serializes with {@code earlierTypes()}; one
   * that keeps the objects it is given saves {@link #asReadToday(StreamAppend)}.
   */
  protected abstract void saveAsEarlierVersion(StreamAppend append);

  /** Revision 1 also credited a first deposit; see {@link OpenedWithDeposit}. */
  @TypeName(revision = 2)
  public record Opened(String owner) {}

  /** Revision 1 had no currency and recorded deposits of nothing, which revision 2 drops. */
  @TypeName(revision = 2)
  public record Deposited(long amount, String currency) {}

  /** The earlier version's opening, revision 1 of {@link Opened}. */
  @TypeName("Opened")
  public record OpenedWithDeposit(String owner, long deposit) {}

  /** The earlier version's deposit, revision 1 of {@link Deposited}. */
  @TypeName("Deposited")
  public record DepositedWithoutCurrency(long amount) {}

  /** An account that remembers what it handled, in order, and its balance. */
  public static final class Account extends EventSourceBased {
    private final List<Object> handled = new ArrayList<>();
    private long balance;

    /** A new account with id {@code id}. */
    public Account(String id) {
      super(id);
    }

    /** Deposits {@code amount} euros. */
    public void deposit(long amount) {
      update(new Deposited(amount, "EUR"));
    }

    /** The events handled so far, in order. */
    public List<Object> handled() {
      return handled;
    }

    /** The sum of the deposits handled. */
    public long balance() {
      return balance;
    }

    private void handleOpened(Opened event) {
      handled.add(event);
    }

    private void handleDeposited(Deposited event) {
      handled.add(event);
      balance += event.amount();
    }
  }

  /**
   * Today's registry: the {@link Account} aggregate and its events, with the splitting upcasters
   * that make an {@link OpenedWithDeposit} an {@link Opened} and a {@link Deposited}, and drop a
   * {@link DepositedWithoutCurrency} of nothing.
   */
  public static TypeRegistry contractTypes() {
    return new TypeRegistry()
        .registerAggregate(Account.class, Opened.class, Deposited.class)
        .splittingUpcaster(
            Opened.class,
            1,
            List.of(Opened.class, Deposited.class),
            opened -> {
              ObjectNode deposit = opened.objectNode().set("amount", opened.remove("deposit"));
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

  /**
   * The earlier version's registry: {@link OpenedWithDeposit} and {@link DepositedWithoutCurrency}.
   */
  public static TypeRegistry earlierTypes() {
    return new TypeRegistry()
        .registerEvents(OpenedWithDeposit.class, DepositedWithoutCurrency.class);
  }

  /**
   * {@code append} with each event replaced by what today's serializer reads from the JSON the
   * earlier version's serializer wrote of it: what a store that keeps objects rather than bytes
   * would hold had the earlier version written it.
   */
  protected static StreamAppend asReadToday(StreamAppend append) {
    EventSerializer earlier = new EventSerializer(earlierTypes());
    EventSerializer today = new EventSerializer(contractTypes());
    List<VersionedEvent> read =
        append.events().stream()
            .map(event -> today.deserializeEvent(earlier.serialize(event)))
            .toList();
    return new StreamAppend(
        append.streamId(),
        append.expectedVersion(),
        read,
        append.commandId(),
        append.aggregateType());
  }

  /** An event as the earlier version stored it, with the id {@code stream-version}. */
  protected static VersionedEvent earlier(String stream, long version, Object payload) {
    return new VersionedEvent(
        stream + "-" + version,
        "c-earlier",
        null,
        stream,
        null,
        null,
        version,
        TypeRegistry.logicalName(payload.getClass()),
        STORED_AT,
        payload,
        Map.of());
  }

  /**
   * A stream of {@link #MIXED_STREAM_EVENTS}, as stored: the earlier version's commit of 1, an
   * opening with a deposit (split in two), and 2, a deposit of nothing (dropped); its commit of 3,
   * a deposit (upcast one to one); today's commit of 4, a deposit in dollars.
   */
  protected void mixedStream(String id) {
    saveAsEarlierVersion(
        StreamAppend.of(
            id,
            0,
            List.of(
                earlier(id, 1, new OpenedWithDeposit("ada", 10)),
                earlier(id, 2, new DepositedWithoutCurrency(0)))));
    saveAsEarlierVersion(
        StreamAppend.of(id, 2, List.of(earlier(id, 3, new DepositedWithoutCurrency(3)))));
    store.save(id, 3, List.of(VersionedEvent.of(id, 4, new Deposited(5, "USD"), "c-today")));
  }

  @BeforeEach
  void createStore() {
    store = newStore();
    if (store instanceof AutoCloseable closeable) {
      closing.add(closeable);
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(closing);
    for (AutoCloseable closeable : closing) {
      closeable.close();
    }
  }

  private EventSourcingRepository repository() {
    return EventSourcingRepository.builder(store, contractTypes()).build();
  }

  @Test
  void a_split_and_a_dropped_event_load_as_one_stored_event_each_at_their_stored_versions() {
    mixedStream("acc-1");

    List<VersionedEvent> stream = store.load("acc-1");

    assertThat(stream).extracting(VersionedEvent::version).containsExactly(1L, 2L, 3L, 4L);
    VersionedEvent split = stream.get(0);
    assertThat(split.isSplit()).isTrue();
    assertThat(((SplitEvent) split.event()).storedType()).isEqualTo("Opened");
    assertThat(split.parts())
        .extracting(VersionedEvent::id, VersionedEvent::version, VersionedEvent::event)
        .containsExactly(
            tuple("acc-1-1#1", 1L, new Opened("ada")),
            tuple("acc-1-1#2", 1L, new Deposited(10, "EUR")));
    assertThat(stream.get(1).isSplit()).isTrue();
    assertThat(stream.get(1).parts()).isEmpty();
    assertThat(stream.get(2).isSplit()).isFalse();
    assertThat(stream.get(2).parts()).containsExactly(stream.get(2));
    assertThat(stream.get(2).event()).isEqualTo(new Deposited(3, "EUR"));
    assertThat(stream.get(3).event()).isEqualTo(new Deposited(5, "USD"));
    assertThat(store.load("acc-1", 2)).containsExactlyElementsOf(stream.subList(1, 4));
  }

  @Test
  void a_mixed_stream_replays_in_order_and_the_aggregate_is_at_the_stored_version() {
    mixedStream("acc-1");

    Account account = repository().get("acc-1", Account::new);

    assertThat(account.version()).isEqualTo(4).isEqualTo(store.version("acc-1"));
    assertThat(account.handled()).isEqualTo(MIXED_STREAM_EVENTS);
    assertThat(account.balance()).isEqualTo(18);
  }

  @Test
  void a_stream_whose_last_event_was_dropped_keeps_the_dropped_version() {
    saveAsEarlierVersion(
        StreamAppend.of("acc-1", 0, List.of(earlier("acc-1", 1, new OpenedWithDeposit("ada", 1)))));
    saveAsEarlierVersion(
        StreamAppend.of("acc-1", 1, List.of(earlier("acc-1", 2, new DepositedWithoutCurrency(0)))));

    Account account = repository().get("acc-1", Account::new);

    assertThat(account.version()).isEqualTo(2).isEqualTo(store.version("acc-1"));
    assertThat(account.balance()).isEqualTo(1);
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
    Account reloaded = repository.get("acc-1", Account::new);
    assertThat(reloaded.handled()).hasSize(5).endsWith(new Deposited(1, "EUR"));
    assertThat(reloaded.balance()).isEqualTo(19);
  }

  @Test
  void a_snapshot_taken_after_a_split_is_at_the_stored_version() {
    mixedStream("acc-1");
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, contractTypes())
            .snapshotPolicy(SnapshotPolicy.every(1))
            .build();
    Account account = repository.get("acc-1", Account::new);
    account.deposit(1);
    repository.save(account, "c-3");

    assertThat(store.loadSnapshot("acc-1").orElseThrow().version()).isEqualTo(5);
    Account restored = repository.get("acc-1", Account::new);
    assertThat(restored.version()).isEqualTo(5);
    assertThat(restored.balance()).isEqualTo(19);
  }

  @Test
  void the_log_holds_one_entry_per_stored_event_so_a_position_never_falls_between_parts() {
    mixedStream("acc-1");

    List<LoggedEvent> log = store.readLog(1, 10);

    assertThat(log).extracting(entry -> entry.event().version()).containsExactly(1L, 2L, 3L, 4L);
    assertThat(log.get(0).event().parts()).hasSize(2);
    assertThat(log.get(1).event().parts()).isEmpty();
    for (int i = 0; i < log.size(); i++) {
      assertThat(store.readLog(log.get(i).position() + 1, 10))
          .as("the log after entry %d", i)
          .containsExactlyElementsOf(log.subList(i + 1, log.size()));
    }
  }

  @Test
  void a_tracking_projection_gets_both_parts_once_even_if_it_fails_between_them() {
    mixedStream("acc-1");
    Balances balances = new Balances();
    balances.crashOnceBetweenParts();

    TrackingEventProcessor processor =
        EventProcessor.tracking("balances", store).projection(balances).build();
    closing.add(processor);
    processor.start();
    Await.until(
        "caught up", () -> processor.lag().caughtUp() && balances.appliedVersion("acc-1") == 4);

    assertThat(balances.crashes()).isEqualTo(1);
    assertThat(balances.entry("acc-1")).isEqualTo(new Balances.Entry(4, MIXED_STREAM_EVENTS));
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
    saveAsEarlierVersion(
        StreamAppend.of("acc-2", 0, List.of(earlier("acc-2", 1, new OpenedWithDeposit("bob", 2)))));

    Recorder second = new Recorder();
    TrackingEventProcessor restarted =
        EventProcessor.tracking("recorder", store).handler(second).build();
    closing.add(restarted);
    restarted.start();
    Await.until("caught up", () -> restarted.lag().caughtUp() && second.got.size() == 2);

    assertThat(first.events()).isEqualTo(MIXED_STREAM_EVENTS);
    assertThat(first.got).extracting(VersionedEvent::version).containsExactly(1L, 1L, 3L, 4L);
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
    assertThat(balances.entry("acc-1").seen()).isEqualTo(MIXED_STREAM_EVENTS);
    assertThat(recorder.events()).isEqualTo(MIXED_STREAM_EVENTS);
  }

  /**
   * A projection that keeps, per stream, the applied version and the events seen, replaced together
   * in one step; it fails on a version that does not follow the applied one, and, when told to,
   * throws once between the parts of a group, before anything is written.
   */
  public static final class Balances implements Projection {
    /** A stream's applied version and the events seen up to it, in order. */
    public record Entry(long version, List<Object> seen) {}

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicBoolean crashBetweenParts = new AtomicBoolean();
    private final AtomicInteger crashes = new AtomicInteger();

    /** Makes the next group of two or more events throw between its parts. */
    public void crashOnceBetweenParts() {
      crashBetweenParts.set(true);
    }

    /** How many times it threw between parts. */
    public int crashes() {
      return crashes.get();
    }

    /** The entry of {@code streamId}; null if nothing was applied. */
    public Entry entry(String streamId) {
      return entries.get(streamId);
    }

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

  /** Records every event a handler gets, in order. */
  private static final class Recorder implements VersionedEventHandler {
    final List<VersionedEvent> got = new CopyOnWriteArrayList<>();

    @Override
    public void handle(VersionedEvent event) {
      got.add(event);
    }

    List<Object> events() {
      return got.stream().map(VersionedEvent::event).toList();
    }
  }
}
