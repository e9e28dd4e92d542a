package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.SegmentState;
import io.cqrs.testing.Await;
import io.cqrs.testing.DeadEventBus;
import io.cqrs.testing.ParkingBus;
import io.cqrs.testing.PublisherWatch;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventRelayTest {
  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final InMemoryEventBus bus = new InMemoryEventBus();
  private final LedgerProjection ledger = new LedgerProjection();

  @AfterEach
  void closeBus() {
    bus.close();
  }

  static final class Ledger extends EventSourceBased {
    Ledger(String id) {
      super(id);
    }

    void deposit(long amount) {
      update(new LedgerProjection.Deposited(amount));
    }

    private void handleDeposited(LedgerProjection.Deposited e) {}
  }

  private EventSourcingRepository repository(EventBus publisher) {
    TypeRegistry types =
        new TypeRegistry().registerAggregate(Ledger.class, LedgerProjection.Deposited.class);
    return EventSourcingRepository.builder(store, types).publisher(publisher).build();
  }

  @Test
  void events_committed_but_never_published_are_published_by_the_relay_and_applied_once()
      throws Exception {
    SubscribingEventProcessor subscription =
        EventProcessor.subscribing("ledger", bus, store).projection(ledger).listeners(1).build();
    subscription.start();
    Ledger account = new Ledger("ledger-1");
    account.deposit(5);
    account.deposit(7);
    repository(new DeadEventBus()).save(account, "corr-1");
    assertThat(store.readLog(1, 10)).extracting(LoggedEvent::published).containsOnly(false);

    EventRelay relay = EventRelay.builder(store, bus).grace(Duration.ZERO).build();
    assertThat(relay.publishPending()).isEqualTo(2);

    Await.until(
        Duration.ofSeconds(10), () -> "the ledger to apply both", () -> ledger.applications() == 2);
    assertThat(ledger.entries()).isEqualTo(Ledgers.fold(store));
    assertThat(store.readLog(1, 10)).extracting(LoggedEvent::published).containsOnly(true);
    assertThat(relay.publishPending()).isZero();
    subscription.close();
  }

  /**
   * An event the bus refuses to carry at all (UnpublishableMessageException: too large for the
   * broker, an id too long for AMQP) held back every event after it for good, since the relay
   * retried the batch for ever. It is dead-lettered now, and the rest go out.
   */
  @Test
  void an_event_the_bus_refuses_to_carry_is_dead_lettered_and_the_events_after_it_go_out() {
    List<String> delivered = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean carries =
        new java.util.concurrent.atomic.AtomicBoolean();
    bus.subscribe("seen", 1, event -> delivered.add(event.sourceId()));
    EventBus refusing =
        publishingThrough(
            events -> {
              for (VersionedEvent event : events) {
                if (event.sourceId().equals("poison") && !carries.get()) {
                  throw new UnpublishableMessageException(
                      "Cannot publish " + event.id() + ": too large");
                }
              }
              bus.publish(events);
            });
    Ledger before = new Ledger("before");
    before.deposit(1);
    Ledger poison = new Ledger("poison");
    poison.deposit(2);
    Ledger after = new Ledger("after");
    after.deposit(3);
    EventSourcingRepository unpublished = repository(new DeadEventBus());
    unpublished.save(before, "corr-1");
    unpublished.save(poison, "corr-2");
    unpublished.save(after, "corr-3");
    EventRelay relay = EventRelay.builder(store, refusing).grace(Duration.ZERO).build();

    assertThat(relay.publishPending()).isEqualTo(2);

    Await.until("both deliveries", () -> delivered.size() == 2);
    assertThat(delivered).containsExactly("before", "after");
    assertThat(relay.deadLettered()).isEqualTo(1);
    List<EventProcessingFailed> letters =
        store.readLog(1, 100).stream()
            .map(entry -> entry.event().event())
            .filter(EventProcessingFailed.class::isInstance)
            .map(EventProcessingFailed.class::cast)
            .toList();
    assertThat(letters).hasSize(1);
    assertThat(letters.get(0).processor()).isEqualTo("relay:" + relay.name());
    assertThat(letters.get(0).sourceId()).isEqualTo("poison");
    assertThat(letters.get(0).message()).contains("too large");
    assertThat(relay.publishPending()).isZero(); // not tried again
    assertThat(relay.deadLettered()).isEqualTo(1);

    // A pass that failed after recording the letter records it again on its next try: one letter.
    LoggedEvent poisonEntry =
        store.readLog(1, 100).stream()
            .filter(entry -> entry.event().sourceId().equals("poison"))
            .findFirst()
            .orElseThrow();
    store.recordIntegrationEvent(
        EventProcessingFailed.of(
            "relay:" + relay.name(), poisonEntry, new UnpublishableMessageException("again")));

    // Listed, and replayed once the bus carries it (its limit raised, say).
    List<ProcessorDeadLetter> open = relay.deadLetters();
    assertThat(open).extracting(ProcessorDeadLetter::sourceId).containsExactly("poison");
    assertThat(relay.replayDeadLetter(open.get(0).id()).outcome())
        .isEqualTo(DeadLetterReplay.Outcome.FAILED);
    assertThat(relay.deadLetters()).hasSize(1);
    carries.set(true);
    assertThat(relay.replayDeadLetter(open.get(0).id()).outcome())
        .isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
    Await.until("the replayed event delivered", () -> delivered.contains("poison"));
    assertThat(relay.deadLetters()).isEmpty();
  }

  /**
   * A pass that fails after recording a dead letter (here the bus fails on the event after it, the
   * broker away) reads the refused event again on its next try: it recorded and counted it again,
   * one more failure record in the log for every failed pass while the broker stayed away.
   */
  @Test
  void a_pass_that_fails_after_dead_lettering_does_not_record_the_letter_again() {
    java.util.concurrent.atomic.AtomicInteger brokerAway =
        new java.util.concurrent.atomic.AtomicInteger(3);
    EventBus flapping =
        publishingThrough(
            events -> {
              for (VersionedEvent event : events) {
                if (event.sourceId().equals("poison")) {
                  throw new UnpublishableMessageException("Cannot publish " + event.id());
                }
                if (event.sourceId().equals("after") && brokerAway.getAndDecrement() > 0) {
                  throw new IllegalStateException("broker away");
                }
              }
              bus.publish(events);
            });
    Ledger poison = new Ledger("poison");
    poison.deposit(1);
    Ledger after = new Ledger("after");
    after.deposit(2);
    EventSourcingRepository unpublished = repository(new DeadEventBus());
    unpublished.save(poison, "corr-1");
    unpublished.save(after, "corr-2");
    EventRelay relay = EventRelay.builder(store, flapping).grace(Duration.ZERO).build();

    for (int pass = 0; pass < 3; pass++) {
      assertThatThrownBy(relay::publishPending).hasMessageContaining("broker away");
    }
    assertThat(relay.publishPending()).isEqualTo(1);

    assertThat(relay.deadLettered()).isEqualTo(1);
    assertThat(store.readLog(1, 100))
        .filteredOn(entry -> entry.event().event() instanceof EventProcessingFailed)
        .hasSize(1);
    assertThat(store.readLog(1, 100))
        .filteredOn(entry -> entry.event().sourceId().equals("poison"))
        .extracting(LoggedEvent::published)
        .containsExactly(true);
  }

  /**
   * Two replays of one relay dead letter at once (an operator's double click): the bus has no
   * version gate, so both published the event. Replays in one process now go one at a time, and the
   * second finds the letter resolved.
   */
  @Test
  void two_racing_replays_of_a_relay_dead_letter_publish_it_once() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean carries =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger published =
        new java.util.concurrent.atomic.AtomicInteger();
    EventBus refusing =
        publishingThrough(
            events -> {
              if (!carries.get()) {
                throw new UnpublishableMessageException("Cannot publish: too large");
              }
              published.incrementAndGet();
              inside.countDown();
              try {
                release.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    Ledger poison = new Ledger("poison");
    poison.deposit(1);
    repository(new DeadEventBus()).save(poison, "corr-1");
    EventRelay relay = EventRelay.builder(store, refusing).grace(Duration.ZERO).build();
    assertThat(relay.publishPending()).isZero();
    String id = relay.deadLetters().get(0).id();
    carries.set(true);
    ExecutorService replays = Executors.newFixedThreadPool(2);
    try {
      Future<DeadLetterReplay> first = replays.submit(() -> relay.replayDeadLetter(id));
      assertThat(inside.await(10, TimeUnit.SECONDS)).as("the first replay publishing").isTrue();
      Thread[] second = new Thread[1];
      Future<DeadLetterReplay> secondReplay =
          replays.submit(
              () -> {
                second[0] = Thread.currentThread();
                return relay.replayDeadLetter(id);
              });
      Await.until(
          "the second replay to wait for the first",
          () ->
              second[0] != null
                  && java.util.concurrent.locks.LockSupport.getBlocker(second[0]) != null);
      release.countDown();

      assertThat(first.get(10, TimeUnit.SECONDS).outcome())
          .isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
      assertThat(secondReplay.get(10, TimeUnit.SECONDS).outcome())
          .isEqualTo(DeadLetterReplay.Outcome.NOT_FOUND);
      assertThat(published).as("publications of the replayed event").hasValue(1);
    } finally {
      release.countDown();
      replays.shutdownNow();
    }
  }

  /** A replay stuck in the bus holds up the replays of its own letter only, not of others. */
  @Test
  void a_stuck_replay_does_not_hold_up_the_replay_of_another_letter() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean carries =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    EventBus refusing =
        publishingThrough(
            events -> {
              if (!carries.get()) {
                throw new UnpublishableMessageException("Cannot publish: too large");
              }
              if (events.get(0).sourceId().equals("stuck")) {
                inside.countDown();
                try {
                  release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
    for (String id : List.of("stuck", "other")) {
      Ledger ledger = new Ledger(id);
      ledger.deposit(1);
      repository(new DeadEventBus()).save(ledger, "corr-" + id);
    }
    EventRelay relay = EventRelay.builder(store, refusing).grace(Duration.ZERO).build();
    assertThat(relay.publishPending()).isZero();
    List<ProcessorDeadLetter> letters = relay.deadLetters();
    assertThat(letters).extracting(ProcessorDeadLetter::sourceId).containsExactly("stuck", "other");
    carries.set(true);
    ExecutorService replays = Executors.newSingleThreadExecutor();
    try {
      Future<DeadLetterReplay> stuck =
          replays.submit(() -> relay.replayDeadLetter(letters.get(0).id()));
      assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();

      assertTimeoutPreemptively(
          Duration.ofSeconds(10),
          () ->
              assertThat(relay.replayDeadLetter(letters.get(1).id()).outcome())
                  .isEqualTo(DeadLetterReplay.Outcome.REPLAYED));
      release.countDown();
      assertThat(stuck.get(10, TimeUnit.SECONDS).outcome())
          .isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
    } finally {
      release.countDown();
      replays.shutdownNow();
    }
  }

  /** Any other refusal (a bug, an interceptor's) is retried, never dead-lettered. */
  @Test
  void an_illegal_argument_that_is_not_about_the_event_is_retried_not_dead_lettered() {
    EventBus failing =
        publishingThrough(
            events -> {
              throw new IllegalArgumentException("an interceptor's bug");
            });
    Ledger ledger = new Ledger("ledger-1");
    ledger.deposit(1);
    repository(new DeadEventBus()).save(ledger, "corr-1");
    EventRelay relay = EventRelay.builder(store, failing).grace(Duration.ZERO).build();

    assertThatThrownBy(relay::publishPending).hasMessageContaining("an interceptor's bug");

    assertThat(relay.deadLettered()).isZero();
    assertThat(store.readLog(1, 10)).extracting(LoggedEvent::published).containsOnly(false);
  }

  /** A bus whose publish is {@code publish}; it subscribes to the test's in-memory bus. */
  private EventBus publishingThrough(java.util.function.Consumer<List<VersionedEvent>> publish) {
    return new EventBus() {
      @Override
      public void publish(List<VersionedEvent> events) {
        publish.accept(events);
      }

      @Override
      public io.cqrs.spi.Subscription subscribe(
          String name, int listeners, VersionedEventHandler consumer) {
        return bus.subscribe(name, listeners, consumer);
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void events_the_fast_path_published_are_not_published_again() {
    Ledger account = new Ledger("ledger-1");
    account.deposit(5);
    repository(bus).save(account, "corr-1");

    EventRelay relay = EventRelay.builder(store, bus).grace(Duration.ZERO).build();

    assertThat(relay.publishPending()).isZero();
    assertThat(checkpoint()).isEqualTo(1);
  }

  @Test
  void unpublished_events_younger_than_the_grace_period_are_left_to_the_fast_path() {
    Ledgers.append(store, "ledger-1", 3, Instant.now());
    EventRelay relay = EventRelay.builder(store, bus).grace(Duration.ofHours(1)).build();

    assertThat(relay.publishPending()).isZero();
    assertThat(checkpoint()).isZero();
  }

  /**
   * An event its writer dated an hour ahead (a clock that is ahead) stopped every pass at it for
   * that hour, holding back every unpublished event after it, from any process.
   */
  @Test
  void an_event_dated_beyond_the_grace_period_ahead_does_not_hold_back_the_events_after_it() {
    Ledgers.append(store, "ledger-ahead", 1, Instant.now().plus(Duration.ofHours(1)));
    Ledgers.append(store, "ledger-1", 2, Instant.now().minusSeconds(300));
    EventRelay relay = EventRelay.builder(store, bus).grace(Duration.ofSeconds(10)).build();

    assertThat(relay.publishPending()).isEqualTo(3);
    assertThat(checkpoint()).isEqualTo(store.readLog(1, 10).get(2).position());
  }

  @Test
  void an_event_dated_ahead_within_the_grace_period_is_still_left_to_the_fast_path() {
    Ledgers.append(store, "ledger-ahead", 1, Instant.now().plusSeconds(5));
    Ledgers.append(store, "ledger-1", 2, Instant.now().minusSeconds(300));
    EventRelay relay = EventRelay.builder(store, bus).grace(Duration.ofSeconds(60)).build();

    assertThat(relay.publishPending()).isZero();
    assertThat(checkpoint()).isZero();
  }

  @Test
  void of_two_relays_only_one_publishes_at_a_time_and_a_dead_holder_is_replaced() throws Exception {
    SubscribingEventProcessor subscription =
        EventProcessor.subscribing("ledger", bus, store).projection(ledger).listeners(2).build();
    subscription.start();
    PublisherWatch watch = new PublisherWatch();
    EventRelay first = relay("first", watch).start();
    EventRelay second = relay("second", watch).start();

    Ledgers.append(store, "ledger-1", 50, Instant.now().minusSeconds(60));
    Await.until(Duration.ofSeconds(10), () -> "50 applied", () -> ledger.applications() == 50);
    assertThat(watch.publishers()).hasSize(1);
    EventRelay holder = first.isLeader() ? first : second;
    EventRelay other = holder == first ? second : first;

    holder.abandon();
    Ledgers.append(store, "ledger-2", 50, Instant.now().minusSeconds(60));
    Await.until(Await.DEFAULT_TIMEOUT, () -> "the other relay to take over", other::isLeader);
    Await.until(Duration.ofSeconds(10), () -> "100 applied", () -> ledger.applications() == 100);

    assertThat(watch.publishers()).containsExactlyInAnyOrder("first", "second");
    assertThat(watch.mostAtOnce()).isEqualTo(1);
    assertThat(ledger.violations()).isEmpty();
    assertThat(ledger.entries()).isEqualTo(Ledgers.fold(store));
    other.close();
    subscription.close();
  }

  /** A bus that cannot write the events, as with a type the process cannot serialize. */
  private static final class UnwritableBus implements EventBus {
    final java.util.concurrent.atomic.AtomicInteger attempts =
        new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public void publish(List<VersionedEvent> events) {
      attempts.incrementAndGet();
      throw new SerializationException("Cannot write " + events.get(0).eventType());
    }

    @Override
    public io.cqrs.spi.Subscription subscribe(
        String subscription, int listeners, VersionedEventHandler consumer) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }

  @Test
  void two_relays_given_one_owner_name_are_two_owners_to_the_lease_and_one_of_them_leads() {
    Ledgers.append(store, "ledger-1", 3, Instant.now().minusSeconds(60));
    Ledgers.append(store, "ledger-2", 2, Instant.now().minusSeconds(60));
    // A fixed name in every process's configuration: the store must still tell the relays apart.
    EventRelay first = EventRelay.builder(store, bus).owner("node").grace(Duration.ZERO).build();
    EventRelay second = EventRelay.builder(store, bus).owner("node").grace(Duration.ZERO).build();

    assertThat(first.publishPending()).isEqualTo(5);
    assertThat(first.isLeader()).isTrue();
    Ledgers.append(store, "ledger-3", 2, Instant.now().minusSeconds(60));
    assertThat(second.publishPending()).as("the second stands by").isZero();
    assertThat(second.isLeader()).isFalse();
    assertThat(first.owner()).startsWith("node#").isNotEqualTo(second.owner());
    assertThat(lease().owner()).isEqualTo(first.owner());
    assertThat(first.publishPending()).as("the first still leads").isEqualTo(2);
    first.close();
    second.close();
  }

  @Test
  void a_relay_that_cannot_publish_what_the_log_holds_next_gives_its_lease_to_one_that_can()
      throws Exception {
    SubscribingEventProcessor subscription =
        EventProcessor.subscribing("ledger", bus, store).projection(ledger).listeners(1).build();
    subscription.start();
    Ledgers.append(store, "ledger-1", 3, Instant.now().minusSeconds(60));
    UnwritableBus unwritable = new UnwritableBus();
    EventRelay stuck =
        EventRelay.builder(store, unwritable)
            .owner("stuck")
            .grace(Duration.ZERO)
            .leaseTtl(Duration.ofHours(1))
            .build()
            .start();
    Await.until(
        Await.DEFAULT_TIMEOUT,
        () -> "the stuck relay to try and give its lease up; lease " + lease(),
        () -> unwritable.attempts.get() >= 1 && lease().owner() == null);
    assertThat(stuck.isLeader()).isFalse();

    // Within the hour the lease would have lasted, a relay that can publish takes over.
    EventRelay able = EventRelay.builder(store, bus).owner("able").grace(Duration.ZERO).build();
    assertThat(able.publishPending()).isEqualTo(3);
    Await.until(Duration.ofSeconds(10), () -> "3 applied", () -> ledger.applications() == 3);
    assertThat(unwritable.attempts.get()).as("the stuck relay waits a lease's time").isEqualTo(1);
    stuck.close();
    able.close();
    subscription.close();
  }

  @Test
  void a_relay_whose_store_or_bus_keeps_failing_waits_longer_after_each_failure() {
    Duration poll = Duration.ofMillis(200);
    Duration lease = Duration.ofSeconds(10);

    assertThat(EventRelay.backOff(1, poll, lease)).isEqualTo(poll);
    assertThat(EventRelay.backOff(2, poll, lease)).isEqualTo(Duration.ofMillis(400));
    assertThat(EventRelay.backOff(4, poll, lease)).isEqualTo(Duration.ofMillis(1_600));
    assertThat(EventRelay.backOff(6, poll, lease))
        .as("at most a third of the lease, so that it is renewed in time")
        .isEqualTo(lease.dividedBy(3));
    assertThat(EventRelay.backOff(1_000, poll, lease)).isEqualTo(lease.dividedBy(3));
    assertThat(EventRelay.backOff(3, Duration.ofSeconds(5), lease))
        .as("never less than the poll interval")
        .isEqualTo(Duration.ofSeconds(5));
  }

  private SegmentState lease() {
    return store.segments(EventRelay.processorName("cqrs-relay")).get(0);
  }

  private long checkpoint() {
    return lease().checkpoint();
  }

  @Test
  void a_relay_that_stalled_past_its_lease_cannot_save_its_checkpoint_after_another_took_over()
      throws Exception {
    Instant t0 = Instant.now();
    Ledgers.append(store, "ledger-1", 3, t0.minusSeconds(60)); // committed, never published
    ParkingBus parking = new ParkingBus(bus);
    EventRelay stalled =
        EventRelay.builder(store, parking)
            .owner("stalled")
            .grace(Duration.ZERO)
            .leaseTtl(Duration.ofSeconds(10))
            .clock(Clock.fixed(t0, ZoneOffset.UTC)) // its clock never sees the lease run out
            .build();
    // The successor leaves young events to the fast path, so it takes the lease but, this pass,
    // does not move the checkpoint: any move would be the stalled relay's.
    EventRelay successor =
        EventRelay.builder(store, bus)
            .owner("successor")
            .grace(Duration.ofHours(1))
            .leaseTtl(Duration.ofSeconds(10))
            .clock(Clock.fixed(t0.plusSeconds(11), ZoneOffset.UTC))
            .build();
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      Future<Integer> stalledPass = thread.submit(stalled::publishPending);
      parking.awaitParked(Duration.ofSeconds(10)); // published, checkpoint not saved yet

      assertThat(successor.publishPending()).isZero();
      assertThat(successor.isLeader()).isTrue();
      parking.release();

      assertThat(stalledPass.get(10, TimeUnit.SECONDS))
          .as("it did publish, once more")
          .isEqualTo(3);
      assertThat(stalled.isLeader()).isFalse();
      assertThat(lease().checkpoint()).as("the stalled relay's write was refused").isZero();
      assertThat(lease().owner()).isEqualTo(successor.owner());
      assertThat(stalled.publishPending()).isZero();
      assertThat(stalled.isLeader()).isFalse();
    } finally {
      parking.release();
      thread.shutdownNow();
    }
  }

  /**
   * close() released the lease under a pass a publishPending() caller was running: the pass's
   * checkpoint was then refused, and the next relay published its batch again. close() now waits
   * for the pass; a later publishPending() fails instead of taking the lease again and holding it.
   */
  @Test
  void close_waits_for_a_callers_pass_so_its_checkpoint_holds_and_nothing_goes_out_twice()
      throws Exception {
    Ledgers.append(store, "ledger-1", 3, Instant.now().minusSeconds(60)); // never published
    ParkingBus parking = new ParkingBus(bus);
    EventRelay closing =
        EventRelay.builder(store, parking).owner("closing").grace(Duration.ZERO).build();
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<Integer> pass = threads.submit(closing::publishPending);
      parking.awaitParked(Duration.ofSeconds(10)); // published, checkpoint not saved yet
      Thread[] closer = new Thread[1];
      Future<?> close =
          threads.submit(
              () -> {
                closer[0] = Thread.currentThread();
                closing.close();
              });
      Await.until(
          "close() to wait for the pass",
          () ->
              closer[0] != null
                  && java.util.concurrent.locks.LockSupport.getBlocker(closer[0]) != null);
      assertThat(lease().owner()).as("the lease, while the pass runs").isEqualTo(closing.owner());
      parking.release();

      assertThat(pass.get(10, TimeUnit.SECONDS)).isEqualTo(3);
      close.get(10, TimeUnit.SECONDS);
      assertThat(checkpoint()).as("the pass's checkpoint").isEqualTo(3);
      assertThat(lease().owner()).as("the lease, released after the pass").isNull();
      PublisherWatch watch = new PublisherWatch();
      EventRelay next = relay("next", watch);
      assertThat(next.publishPending()).as("published again by the next holder").isZero();
      next.close();
      assertThatThrownBy(closing::publishPending)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      assertThat(lease().owner()).as("the lease, after the closed relay was asked").isNull();
    } finally {
      parking.release();
      threads.shutdownNow();
    }
  }

  private EventRelay relay(String owner, PublisherWatch watch) {
    return EventRelay.builder(store, watch.watch(owner, bus))
        .owner(owner)
        .grace(Duration.ZERO)
        // Long enough that a holder stalled by a loaded machine keeps its lease (the test asserts
        // one publisher at a time); the take-over after abandon() waits for it to run out.
        .leaseTtl(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .batchSize(10)
        .build();
  }

  @Test
  void a_duration_too_long_to_reckon_with_is_refused_when_set() {
    // Each is added to the clock's instant or waited for in nanoseconds, where a "never" would
    // overflow in the middle of a pass or a close.
    Duration forever = ChronoUnit.FOREVER.getDuration();
    EventRelay.Builder builder = EventRelay.builder(store, bus);
    assertThatThrownBy(() -> builder.leaseTtl(forever))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leaseTtl must be at most 365 days");
    assertThatThrownBy(() -> builder.grace(forever))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("grace must be at most 365 days");
    assertThatThrownBy(() -> builder.grace(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("grace must not be negative");
    assertThatThrownBy(() -> builder.pollInterval(forever))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pollInterval must be at most 365 days");
    assertThat(builder.leaseTtl(Duration.ofDays(365)).grace(Duration.ZERO))
        .as("a year, and no grace, are still taken")
        .isSameAs(builder);
  }

  @Test
  void a_store_that_cannot_keep_a_relay_checkpoint_is_rejected_with_a_clear_message() {
    var plainStore =
        new io.cqrs.spi.EventStreamRepository() {
          @Override
          public void save(io.cqrs.spi.StreamAppend a) {}

          @Override
          public io.cqrs.spi.EventStream loadStream(String s, long f) {
            return new io.cqrs.spi.EventStream(s, null, List.of());
          }

          @Override
          public long version(String s) {
            return 0;
          }

          @Override
          public void saveSnapshot(io.cqrs.spi.Snapshot s) {}

          @Override
          public java.util.Optional<io.cqrs.spi.Snapshot> loadSnapshot(String s) {
            return java.util.Optional.empty();
          }

          @Override
          public long logHead() {
            return 0;
          }

          @Override
          public List<LoggedEvent> readLog(long p, int m) {
            return List.of();
          }

          @Override
          public void recordIntegrationEvent(VersionedEvent e) {}

          @Override
          public List<VersionedEvent> eventsByCorrelationId(String c) {
            return List.of();
          }
        };

    assertThatThrownBy(() -> EventRelay.builder(plainStore, bus))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not implement RelayStore");
  }
}
