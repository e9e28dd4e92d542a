package io.cqrs.testing;

import static io.cqrs.testing.BusHealths.consumersOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.MissingHandlerException;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.ContractEvents.Counted;
import io.cqrs.testing.ContractEvents.Happened;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract every {@link EventBus} keeps. An implementation runs it through a subclass that
 * implements {@link #newBus()} and, for a broker, {@link #secondInstanceOf(EventBus)}; for a bus in
 * one JVM that is one line:
 *
 * <pre>{@code
 * class MyEventBusContractTest extends EventBusContract {
 *   protected EventBus newBus() { return new MyEventBus(); }
 * }
 * }</pre>
 *
 * <p>Waits use deadlines of up to {@link Await#DEFAULT_TIMEOUT}, long enough for a broker's retries
 * with back-off; a passing run waits only as long as delivery takes.
 */
public abstract class EventBusContract {
  private static final Duration HOLD = Duration.ofSeconds(10);

  /** The bus under test, made fresh for each test and closed after it. */
  protected EventBus bus;

  private final List<AutoCloseable> toClose = Collections.synchronizedList(new ArrayList<>());

  /**
   * A bus in a fresh, isolated namespace: it sees no subscription or event of earlier calls. The
   * suite closes it after each test.
   */
  protected abstract EventBus newBus();

  /**
   * Another bus instance on the same namespace as {@code bus}, as another process would have. The
   * default returns {@code bus} itself (an in-memory bus has no other instance); broker adapters
   * return a second connection. The suite closes what it gets after the test.
   */
  protected EventBus secondInstanceOf(EventBus bus) {
    return bus;
  }

  /**
   * A new registry holding the suite's events ({@link ContractEvents}), from which serializing
   * buses build their {@code EventSerializer}.
   */
  protected static TypeRegistry contractTypes() {
    return new TypeRegistry().registerEvents(Happened.class, Counted.class);
  }

  @BeforeEach
  void createBus() {
    bus = newBus();
  }

  @AfterEach
  void closeEverything() throws Exception {
    List<AutoCloseable> closing = new ArrayList<>(toClose);
    Collections.reverse(closing);
    for (AutoCloseable closeable : closing) {
      closeable.close();
    }
    bus.close();
  }

  // ---------------------------------------------------------------- fan-out and competition

  @Test
  void every_subscription_gets_every_event_published_after_it_subscribed() {
    Received<VersionedEvent> first = received();
    Received<VersionedEvent> second = received();
    subscribe(bus, "first", 1, first::record);
    subscribe(bus, "second", 2, second::record);
    List<VersionedEvent> events = happened(10);

    bus.publish(events);

    first.awaitIds(events);
    second.awaitIds(events);
  }

  @Test
  void listeners_of_one_subscription_compete_so_each_event_is_handled_once() {
    Received<VersionedEvent> received = received();
    subscribe(bus, "shared", 3, received::record);
    List<VersionedEvent> events = happened(30);

    bus.publish(events);

    received.awaitIds(events);
    assertThat(received.count()).isEqualTo(events.size());
  }

  @Test
  void a_subscription_with_two_listeners_handles_two_events_at_once() {
    CountDownLatch bothInFlight = new CountDownLatch(2);
    AtomicInteger sawTheOther = new AtomicInteger();
    subscribe(
        bus,
        "parallel",
        2,
        event -> {
          bothInFlight.countDown();
          if (bothInFlight.await(HOLD.toMillis(), TimeUnit.MILLISECONDS)) {
            sawTheOther.incrementAndGet();
          }
        });

    bus.publish(happened(2));

    Await.until(
        HOLD.plusSeconds(5),
        () -> "both listeners to hold an event at once (" + sawTheOther + " did)",
        () -> sawTheOther.get() == 2);
  }

  @Test
  void instances_on_one_namespace_share_a_subscriptions_events_each_handled_once() {
    EventBus other = second();
    Received<VersionedEvent> received = received();
    Map<String, Integer> byInstance = new ConcurrentHashMap<>();
    CountDownLatch firstHandled = new CountDownLatch(1);
    CountDownLatch otherHandled = new CountDownLatch(1);
    subscribe(
        bus,
        "shared",
        1,
        holdUntilOtherHandled("first", byInstance, received, firstHandled, otherHandled));
    subscribe(
        other,
        "shared",
        1,
        holdUntilOtherHandled("other", byInstance, received, otherHandled, firstHandled));
    List<VersionedEvent> events = happened(20);

    bus.publish(events);

    received.awaitIds(events);
    assertThat(received.count()).isEqualTo(events.size());
    assertThat(byInstance).as("events handled per instance").containsKeys("first", "other");
  }

  @Test
  void a_subscription_made_on_another_instance_gets_events_published_on_this_one() {
    EventBus other = second();
    Received<VersionedEvent> received = received();
    subscribe(other, "elsewhere", 1, received::record);
    List<VersionedEvent> events = happened(3);

    bus.publish(events);

    received.awaitIds(events);
  }

  // ---------------------------------------------------------------- envelope

  @Test
  void events_arrive_with_every_envelope_field_intact() {
    Received<VersionedEvent> received = received();
    subscribe(bus, "fields", 1, received::record);
    VersionedEvent full =
        new VersionedEvent(
            id(),
            "correlation-" + id(),
            "cause-" + id(),
            "account-7",
            "ada",
            "grace",
            42,
            "Counted",
            Instant.parse("2024-02-29T23:59:59.123456789Z"),
            new Counted(
                Long.MAX_VALUE - 1,
                new BigDecimal("12345678901234567890.123456780"),
                Instant.parse("1999-12-31T23:59:59.987654321Z")),
            Map.of("actor", "ada", "unicode", "Grüße ✓"));
    VersionedEvent sparse =
        new VersionedEvent(
            id(),
            "c",
            null,
            "s",
            null,
            null,
            0,
            "Happened",
            Instant.now(),
            new Happened("with \"quotes\"\n", -1),
            Map.of());

    bus.publish(List.of(full, sparse));

    received.awaitIds(List.of(full, sparse));
    assertThat(received.messages()).containsExactlyInAnyOrder(full, sparse);
  }

  // ---------------------------------------------------------------- failures

  @Test
  void a_consumer_that_throws_once_gets_the_event_again() {
    Map<String, Integer> attempts = new ConcurrentHashMap<>();
    Received<VersionedEvent> received = received();
    subscribe(
        bus,
        "flaky",
        1,
        event -> {
          if (attempts.merge(event.id(), 1, Integer::sum) == 1) {
            throw new IllegalStateException("first attempt fails on purpose");
          }
          received.record(event);
        });
    List<VersionedEvent> events = happened(3);

    bus.publish(events);

    received.awaitIds(events);
    events.forEach(e -> assertThat(attempts.get(e.id())).isGreaterThanOrEqualTo(2));
  }

  @Test
  void a_consumer_that_always_throws_on_one_event_still_handles_later_events() {
    Received<VersionedEvent> received = received();
    AtomicInteger poisonAttempts = new AtomicInteger();
    subscribe(
        bus,
        "poisoned",
        1,
        event -> {
          if (event.event() instanceof Happened h && h.text().equals("poison")) {
            poisonAttempts.incrementAndGet();
            throw new IllegalStateException("this event always fails");
          }
          received.record(event);
        });
    VersionedEvent poison = happened("poison", 0);
    List<VersionedEvent> later = happened(5);

    bus.publish(List.of(poison));
    bus.publish(later);

    received.awaitIds(later);
    assertThat(poisonAttempts.get()).isPositive();
    assertThat(received.ids()).doesNotContain(poison.id());
  }

  @ParameterizedTest
  @EnumSource(mode = EnumSource.Mode.EXCLUDE, names = "OUT_OF_MEMORY_ERROR")
  void any_non_fatal_throwable_from_a_consumer_fails_one_delivery_and_the_listener_goes_on(
      ConsumerFailure failure) {
    Received<VersionedEvent> received = received();
    AtomicInteger poisonAttempts = new AtomicInteger();
    subscribe(
        bus,
        "throwing",
        1,
        event -> {
          if (event.event() instanceof Happened h && h.text().equals("poison")) {
            poisonAttempts.incrementAndGet();
            failure.throwIt();
          }
          received.record(event);
        });
    VersionedEvent poison = happened("poison", 0);
    List<VersionedEvent> later = happened(5);

    bus.publish(List.of(poison));
    bus.publish(later);

    // One listener: it handled the later events after the poison's first attempt, so it survived.
    received.awaitIds(later);
    Await.until("the poison event to be retried", () -> poisonAttempts.get() >= 2);
    assertThat(received.ids()).doesNotContain(poison.id());
    assertThat(consumersOf(bus.health())).isEqualTo(BusHealth.healthy(1));
  }

  @Test
  void a_fatal_error_stops_every_consumer_of_the_bus_and_its_event_is_not_lost() {
    AtomicInteger calls = new AtomicInteger();
    subscribe(
        bus,
        "fatal",
        1,
        event -> {
          calls.incrementAndGet();
          ConsumerFailure.OUT_OF_MEMORY_ERROR.throwIt();
        });
    subscribe(bus, "bystander", 2, event -> {});
    VersionedEvent event = happened("fatal", 1);

    bus.publish(List.of(event));

    Await.until(
        Await.DEFAULT_TIMEOUT,
        () -> "the bus to stop; health " + bus.health(),
        () -> bus.health().needsRestart() && bus.health().consumers() == 0);
    BusHealth health = bus.health();
    assertThat(health.healthy()).isFalse();
    assertThat(health.lastFailure().description())
        .contains(OutOfMemoryError.class.getName())
        .contains("poison: simulated out of memory");
    assertThat(calls).as("attempts: a fatal error is not retried here").hasValue(1);
    assertThatThrownBy(() -> bus.subscribe("late", 1, e -> {}))
        .isInstanceOf(IllegalStateException.class);
    EventBus other = second();
    if (other != bus) {
      // Not acknowledged: another instance of the subscription gets the event.
      Received<VersionedEvent> redelivered = received();
      subscribe(other, "fatal", 1, redelivered::record);
      redelivered.awaitIds(List.of(event));
    }
  }

  // ---------------------------------------------------------------- health

  @Test
  void health_counts_the_listeners_that_consume() {
    assertThat(consumersOf(bus.health())).isEqualTo(BusHealth.healthy(0));
    Subscription two = subscribe(bus, "two-listeners", 2, event -> {});
    Subscription one = subscribe(bus, "one-listener", 1, event -> {});

    assertThat(consumersOf(bus.health())).isEqualTo(BusHealth.healthy(3));
    assertThat(consumersOf(two.health())).isEqualTo(BusHealth.healthy(2));
    assertThat(consumersOf(one.health())).isEqualTo(BusHealth.healthy(1));
    two.close();
    assertThat(consumersOf(bus.health())).isEqualTo(BusHealth.healthy(1));
    assertThat(two.health().healthy()).as("a closed subscription").isFalse();
    assertThat(two.health().consumers()).isZero();
    assertThat(consumersOf(one.health())).isEqualTo(BusHealth.healthy(1));
  }

  @Test
  void a_closed_bus_is_not_healthy() {
    EventBus closing = newBus();
    closing.subscribe("closed-with-the-bus", 1, event -> {});
    closing.close();

    assertThat(closing.health().healthy()).isFalse();
    assertThat(closing.health().consumers()).isZero();
  }

  // ---------------------------------------------------------------- closing

  @Test
  void closing_a_subscription_waits_for_its_in_flight_handler() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean finished = new AtomicBoolean();
    Subscription subscription =
        subscribe(
            bus,
            "closing",
            1,
            event -> {
              entered.countDown();
              release.await(HOLD.toMillis() * 3, TimeUnit.MILLISECONDS);
              finished.set(true);
            });
    bus.publish(happened(1));
    assertThat(entered.await(Await.DEFAULT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Boolean> closed =
        OwnThread.supplyAsync(
            () -> {
              subscription.close();
              return finished.get();
            });
    // A close() that does not wait returns at once; give it a moment to do so. A correct one
    // cannot return before the handler is released, so this never fails spuriously.
    assertThatThrownBy(() -> closed.get(200, TimeUnit.MILLISECONDS))
        .isInstanceOf(TimeoutException.class);
    release.countDown();

    assertThat(closed.get(Await.DEFAULT_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
        .as("handler finished when close() returned")
        .isTrue();
  }

  @Test
  void a_closed_subscription_receives_nothing_more_and_its_events_wait_for_the_next_listener() {
    Received<VersionedEvent> before = received();
    Subscription subscription = subscribe(bus, "durable", 1, before::record);
    List<VersionedEvent> early = happened(2);
    bus.publish(early);
    before.awaitIds(early);

    subscription.close();
    List<VersionedEvent> late = happened(3);
    bus.publish(late);
    Received<VersionedEvent> after = received();
    subscribe(bus, "durable", 1, after::record);

    after.awaitIds(late);
    assertThat(before.ids()).doesNotContainAnyElementsOf(ids(late));
    assertThat(after.ids()).doesNotContainAnyElementsOf(ids(early));
  }

  @Test
  void an_event_published_while_its_subscription_closes_is_not_lost() throws Exception {
    Received<VersionedEvent> before = received();
    Subscription closing = subscribe(bus, "handed-on", 1, before::record);
    VersionedEvent early = happened("early", 1);
    bus.publish(List.of(early));
    before.awaitIds(List.of(early)); // its listener is up, waiting for the next event

    CompletableFuture<Void> closed = OwnThread.runAsync(closing::close);
    Await.until(
        "the closing subscription to stop consuming", () -> closing.health().consumers() == 0);
    // While close() runs, its listener may still be waiting for a message: the one it now gets
    // it must hand on (or handle), never drop.
    VersionedEvent late = happened("late", 2);
    bus.publish(List.of(late));
    closed.get(Await.DEFAULT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    Received<VersionedEvent> after = received();
    subscribe(bus, "handed-on", 1, after::record);

    Await.until(
        Await.DEFAULT_TIMEOUT,
        () -> "the late event; before: " + before.ids() + ", after: " + after.ids(),
        () -> before.ids().contains(late.id()) || after.ids().contains(late.id()));
  }

  // ---------------------------------------------------------------- asynchronous publishing

  @Test
  void an_asynchronous_publication_completes_and_every_subscription_gets_its_events() {
    Received<VersionedEvent> first = received();
    Received<VersionedEvent> second = received();
    subscribe(bus, "first", 1, first::record);
    subscribe(bus, "second", 1, second::record);
    List<VersionedEvent> events = happened(10);
    List<VersionedEvent> more = happened(10);

    CompletableFuture<Void> one = bus.publishAsync(events);
    CompletableFuture<Void> two = bus.publishAsync(more);

    assertThat(one).succeedsWithin(Await.DEFAULT_TIMEOUT);
    assertThat(two).succeedsWithin(Await.DEFAULT_TIMEOUT);
    List<VersionedEvent> all = new ArrayList<>(events);
    all.addAll(more);
    first.awaitIds(all);
    second.awaitIds(all);
  }

  @Test
  void an_asynchronous_publication_with_a_null_event_throws_at_once_and_publishes_none_of_it() {
    Received<VersionedEvent> received = received();
    subscribe(bus, "batch", 1, received::record);
    VersionedEvent good = happened("good", 1);
    List<VersionedEvent> batch = new ArrayList<>();
    batch.add(good);
    batch.add(null);

    assertThatThrownBy(() -> bus.publishAsync(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("events");
    assertThatThrownBy(() -> bus.publishAsync(batch)).isInstanceOf(NullPointerException.class);
    VersionedEvent marker = happened("marker", 2);
    assertThat(bus.publishAsync(List.of(marker))).succeedsWithin(Await.DEFAULT_TIMEOUT);

    received.awaitIds(List.of(marker));
    assertThat(received.ids()).doesNotContain(good.id());
  }

  @Test
  void publishing_on_a_closed_bus_throws_at_once() {
    EventBus closing = newBus();
    closing.close();

    assertThatThrownBy(() -> closing.publish(happened(1)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> closing.publishAsync(happened(1)))
        .isInstanceOf(IllegalStateException.class);
  }

  // ---------------------------------------------------------------- bad arguments

  @Test
  void publishing_null_is_rejected() {
    assertThatThrownBy(() -> bus.publish(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("events");
  }

  @Test
  void publishing_a_batch_with_a_null_event_publishes_none_of_it() {
    Received<VersionedEvent> received = received();
    subscribe(bus, "batch", 1, received::record);
    VersionedEvent good = happened("good", 1);
    List<VersionedEvent> batch = new ArrayList<>();
    batch.add(good);
    batch.add(null);

    assertThatThrownBy(() -> bus.publish(batch)).isInstanceOf(NullPointerException.class);
    VersionedEvent marker = happened("marker", 2);
    bus.publish(List.of(marker));

    received.awaitIds(List.of(marker));
    assertThat(received.ids()).doesNotContain(good.id());
  }

  @Test
  void subscribing_with_bad_arguments_is_rejected() {
    assertThatThrownBy(() -> bus.subscribe(null, 1, event -> {}))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("subscription");
    assertThatThrownBy(() -> bus.subscribe("s", 1, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("consumer");
    assertThatThrownBy(() -> bus.subscribe("s", 0, event -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("listeners");
  }

  @Test
  void a_rejected_subscription_is_not_created_and_keeps_no_events() {
    assertThatThrownBy(() -> bus.subscribe("late", 0, event -> {}))
        .isInstanceOf(IllegalArgumentException.class);
    VersionedEvent before = happened("published before the real subscription", 1);
    bus.publish(List.of(before));
    Received<VersionedEvent> received = received();
    subscribe(bus, "late", 1, received::record);
    VersionedEvent after = happened("published after it", 2);

    bus.publish(List.of(after));

    received.awaitIds(List.of(after));
    assertThat(received.ids()).doesNotContain(before.id());
  }

  // ---------------------------------------------------------------- dead letters

  @Test
  void dead_letters_are_shown_in_place_and_replayed_once_the_consumer_is_cured() throws Exception {
    Received<VersionedEvent> received = received();
    DeadLetterDrill<VersionedEvent> drill = new DeadLetterDrill<>(bus, "dead-letters", received);
    subscribe(bus, "dead-letters", 1, drill::handle);
    List<VersionedEvent> dead = happened(3);

    bus.publish(dead);

    drill.looksThenReplays(dead, ids(dead), "Happened", this::publishMarker);
  }

  @Test
  void two_racing_replays_replay_each_dead_letter_once() throws Exception {
    Received<VersionedEvent> received = received();
    DeadLetterDrill<VersionedEvent> drill = new DeadLetterDrill<>(bus, "raced", received);
    subscribe(bus, "raced", 1, drill::handle);
    List<VersionedEvent> dead = happened(6);

    bus.publish(dead);

    drill.racingReplaysTakeEachOnce(dead, ids(dead), this::publishMarker);
  }

  @Test
  void a_replay_of_one_takes_the_oldest_dead_letter_of_its_own_subscription_only()
      throws Exception {
    DeadLetterDrill<VersionedEvent> other = new DeadLetterDrill<>(bus, "bystander", received());
    subscribe(bus, "bystander", 1, other::handle);
    bus.publish(happened(2)); // the bystander's alone: the other subscription does not exist yet
    Received<VersionedEvent> received = received();
    DeadLetterDrill<VersionedEvent> drill = new DeadLetterDrill<>(bus, "replayed", received);
    subscribe(bus, "replayed", 1, drill::handle);

    bus.publish(happened(3));

    drill.replaysOnlyTheOldestOfItsOwnQueue(3, other, 5, this::publishMarker);
  }

  @Test
  void a_non_transient_failure_is_dead_lettered_after_one_attempt() {
    AtomicInteger attempts = new AtomicInteger();
    DeadLetterDrill<VersionedEvent> drill = new DeadLetterDrill<>(bus, "unhandled", received());
    subscribe(
        bus,
        "unhandled",
        1,
        event -> {
          attempts.incrementAndGet();
          throw new MissingHandlerException("no handler here", Object.class, Happened.class);
        });

    bus.publish(happened(1));

    drill.aNonTransientFailureIsDeadLetteredAtOnce(
        attempts, MissingHandlerException.class.getName());
  }

  private VersionedEvent publishMarker() {
    VersionedEvent marker = happened("marker", 1);
    bus.publish(List.of(marker));
    return marker;
  }

  // ---------------------------------------------------------------- helpers

  /** Subscribes and remembers the subscription, to close it after the test. */
  protected final Subscription subscribe(
      EventBus on, String name, int listeners, io.cqrs.VersionedEventHandler consumer) {
    Subscription subscription = on.subscribe(name, listeners, consumer);
    toClose.add(subscription);
    return subscription;
  }

  private EventBus second() {
    EventBus other = secondInstanceOf(bus);
    if (other != bus) {
      toClose.add(0, other);
    }
    return other;
  }

  private static io.cqrs.VersionedEventHandler holdUntilOtherHandled(
      String instance,
      Map<String, Integer> byInstance,
      Received<VersionedEvent> received,
      CountDownLatch mine,
      CountDownLatch theirs) {
    return event -> {
      byInstance.merge(instance, 1, Integer::sum);
      received.record(event);
      mine.countDown();
      // Holding the first event until the other instance has one proves they share the work;
      // an instance that never gets any makes this wait out and the test fail on byInstance.
      theirs.await(HOLD.toMillis(), TimeUnit.MILLISECONDS);
    };
  }

  /** {@code count} distinct events of one stream, versions 1 upwards. */
  protected static List<VersionedEvent> happened(int count) {
    String stream = "stream-" + id();
    List<VersionedEvent> events = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      events.add(happened(stream, "event " + i, i));
    }
    return events;
  }

  private static VersionedEvent happened(String text, int version) {
    return happened("stream-" + id(), text, version);
  }

  private static VersionedEvent happened(String stream, String text, int version) {
    return new VersionedEvent(
        id(),
        "correlation-" + id(),
        null,
        stream,
        null,
        null,
        version,
        "Happened",
        Instant.now(),
        new Happened(text, version),
        Map.of("n", Integer.toString(version)));
  }

  private static Received<VersionedEvent> received() {
    return new Received<>(VersionedEvent::id, "events");
  }

  private static List<String> ids(List<VersionedEvent> events) {
    return events.stream().map(VersionedEvent::id).toList();
  }

  private static String id() {
    return UUID.randomUUID().toString();
  }
}
