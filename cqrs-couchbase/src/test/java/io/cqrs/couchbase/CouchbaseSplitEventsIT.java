package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.ConcurrencyException;
import io.cqrs.EventProcessor;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.Projection;
import io.cqrs.SplittingUpcaster;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.TypeName;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.Await;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A stream that an earlier version wrote through the Couchbase store (its classes, its JSON: no
 * revisions) and whose events today's upcasters split and drop: the commit decoder, the aggregate,
 * optimistic concurrency, the integration log and a tracking projection all count stored versions.
 */
class CouchbaseSplitEventsIT extends RepositoryIT {
  /** The earlier version's opening, which also credited the first deposit. */
  @TypeName("Opened")
  record OpenedWithDeposit(String owner, long deposit) {}

  /** Today's opening; its deposit is a Deposited of its own. */
  @TypeName(value = "Opened", revision = 2)
  record Opened(String owner) {}

  /** Today's deposit: revision 2 added the currency and dropped deposits of nothing. */
  @TypeName(value = "Deposited", revision = 2)
  record DepositedInCurrency(long amount, String currency) {}

  static final class Account extends EventSourceBased {
    final List<Object> handled = new ArrayList<>();

    Account(String id) {
      super(id);
    }

    void deposit(long amount) {
      update(new DepositedInCurrency(amount, "EUR"));
    }

    private void handleOpened(Opened event) {
      handled.add(event);
    }

    private void handleDepositedInCurrency(DepositedInCurrency event) {
      handled.add(event);
    }
  }

  private final TypeRegistry today =
      new TypeRegistry()
          .registerAggregate(Account.class, Opened.class, DepositedInCurrency.class)
          .splittingUpcaster(
              Opened.class,
              1,
              List.of(Opened.class, DepositedInCurrency.class),
              opened -> {
                ObjectNode deposit = opened.objectNode().set("amount", opened.remove("deposit"));
                return List.of(
                    SplittingUpcaster.part(Opened.class, 2, opened),
                    SplittingUpcaster.part(DepositedInCurrency.class, 1, deposit));
              })
          .splittingUpcaster(
              DepositedInCurrency.class,
              1,
              List.of(DepositedInCurrency.class),
              deposited ->
                  deposited.get("amount").asLong() == 0
                      ? List.of()
                      : List.of(
                          SplittingUpcaster.part(
                              DepositedInCurrency.class, 2, deposited.put("currency", "EUR"))));

  private CouchbaseEventStreamRepository todaysStore() {
    return CouchbaseEventStreamRepository.builder(collection, new EventSerializer(today))
        .keyPrefix(prefix)
        .gapGracePeriod(SHORT_GRACE)
        .build();
  }

  /**
   * Written by the earlier version: one commit of an opening with a deposit (1) and a deposit of
   * nothing (2), then a deposit (3).
   */
  private void writtenByTheEarlierVersion(String id) {
    CouchbaseEventStreamRepository earlier =
        CouchbaseEventStreamRepository.builder(
                collection,
                new EventSerializer(
                    new TypeRegistry()
                        .registerEvents(OpenedWithDeposit.class, TestEvents.Deposited.class)))
            .keyPrefix(prefix)
            .gapGracePeriod(SHORT_GRACE)
            .build();
    earlier.save(
        StreamAppend.of(
            id,
            0,
            List.of(
                TestEvents.event(id, 1, new OpenedWithDeposit("ada", 10), "c-1"),
                TestEvents.event(id, 2, new TestEvents.Deposited(0), "c-1"))));
    earlier.save(
        StreamAppend.of(
            id, 2, List.of(TestEvents.event(id, 3, new TestEvents.Deposited(4), "c-2"))));
  }

  @Test
  void a_split_and_a_dropped_event_load_at_their_stored_versions_and_saving_after_them_is_exact() {
    writtenByTheEarlierVersion("acc-1");
    assertThat(raw(keys.log(1)).orElseThrow()).doesNotContain("\"revision\"");
    CouchbaseEventStreamRepository store = todaysStore();
    EventSourcingRepository repository = EventSourcingRepository.builder(store, today).build();

    List<VersionedEvent> stream = store.load("acc-1");
    Account mine = repository.get("acc-1", Account::new);
    Account theirs = repository.get("acc-1", Account::new);

    assertThat(stream).extracting(VersionedEvent::version).containsExactly(1L, 2L, 3L);
    assertThat(stream.get(0).parts())
        .extracting(VersionedEvent::version, VersionedEvent::event)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1L, new Opened("ada")),
            org.assertj.core.groups.Tuple.tuple(1L, new DepositedInCurrency(10, "EUR")));
    assertThat(stream.get(1).parts()).isEmpty();
    assertThat(mine.version()).isEqualTo(3).isEqualTo(store.version("acc-1"));
    assertThat(mine.handled)
        .containsExactly(
            new Opened("ada"),
            new DepositedInCurrency(10, "EUR"),
            new DepositedInCurrency(4, "EUR"));

    mine.deposit(1);
    assertThat(repository.save(mine, "c-3"))
        .extracting(VersionedEvent::version)
        .containsExactly(4L);
    theirs.deposit(2);
    assertThatThrownBy(() -> repository.save(theirs, "c-4"))
        .isInstanceOf(ConcurrencyException.class);
    assertThat(repository.get("acc-1", Account::new).handled).hasSize(4);
  }

  @Test
  void the_log_has_one_position_per_stored_event_and_a_tracking_projection_applies_a_split_once() {
    writtenByTheEarlierVersion("acc-1");
    CouchbaseEventStreamRepository store = todaysStore();

    List<LoggedEvent> log = store.readLog(1, 10);
    assertThat(log).hasSize(3);
    assertThat(log.get(0).event().parts()).hasSize(2);
    assertThat(store.readLog(log.get(0).position() + 1, 10)).hasSize(2);

    Totals totals = new Totals();
    totals.crashBetweenParts.set(true);
    TrackingEventProcessor processor =
        EventProcessor.tracking("totals", store, store).projection(totals).build();
    processor.start();
    try {
      Await.until(
          "the projection to catch up",
          () -> processor.lag().caughtUp() && totals.appliedVersion("acc-1") == 3);
    } finally {
      processor.close();
    }
    assertThat(totals.crashBetweenParts).as("the crash between the parts happened").isFalse();
    assertThat(totals.entries.get("acc-1")).isEqualTo(new Totals.Entry(3, 14, 3));
  }

  /** Per stream: applied version, total and how many deposits, replaced together. */
  static final class Totals implements Projection {
    record Entry(long version, long total, int events) {}

    final Map<String, Entry> entries = new ConcurrentHashMap<>();
    final AtomicBoolean crashBetweenParts = new AtomicBoolean();

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
      Entry entry = entries.getOrDefault(streamId, new Entry(0, 0, 0));
      long total = entry.total();
      int count = entry.events();
      for (VersionedEvent event : events) {
        if (count > 0 && events.size() > 1 && crashBetweenParts.compareAndSet(true, false)) {
          throw new IllegalStateException("crash between the parts of version " + version);
        }
        count++;
        if (event.event() instanceof DepositedInCurrency deposited) {
          total += deposited.amount();
        }
      }
      entries.put(streamId, new Entry(version, total, count));
    }
  }
}
