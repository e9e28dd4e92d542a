package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.Wallet.Deposited;
import io.cqrs.Wallet.Opened;
import io.cqrs.Wallet.Withdrawn;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VersionedEventDispatchManagerTest {
  private final TypeRegistry registry = Wallet.types();
  private final InMemoryEventBus bus = new InMemoryEventBus();
  private final VersionedEventDispatchManager manager =
      new VersionedEventDispatchManager(bus, registry);
  private final List<String> calls = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    manager.close();
    bus.close();
  }

  @Test
  void type_handlers_run_in_registration_order_then_global_handlers() throws Exception {
    manager
        .registerGlobalHandler(e -> calls.add("global 1 " + e.eventType()))
        .registerEventHandler(Deposited.class, e -> calls.add("deposited 1"))
        .registerEventHandler(Opened.class, e -> calls.add("opened"))
        .registerEventHandler(Deposited.class, e -> calls.add("deposited 2"))
        .registerGlobalHandler(e -> calls.add("global 2 " + e.eventType()));

    manager.dispatch(event(1, new Deposited(BigDecimal.ONE)));

    assertThat(calls)
        .containsExactly("deposited 1", "deposited 2", "global 1 Deposited", "global 2 Deposited");
  }

  @Test
  void an_event_without_type_handlers_reaches_only_the_global_handlers() throws Exception {
    manager
        .registerEventHandler(Deposited.class, e -> calls.add("deposited"))
        .registerGlobalHandler(e -> calls.add("global " + e.eventType()));

    manager.dispatch(event(1, new Withdrawn(BigDecimal.ONE)));

    assertThat(calls).containsExactly("global Withdrawn");
  }

  @Test
  void an_event_nobody_handles_is_ignored() throws Exception {
    manager.registerEventHandler(Deposited.class, e -> calls.add("deposited"));

    manager.dispatch(event(1, new Opened("ada")));

    assertThat(calls).isEmpty();
  }

  @Test
  void a_failing_handler_stops_the_rest_for_that_event_and_propagates() {
    manager
        .registerEventHandler(
            Deposited.class,
            e -> {
              throw new IllegalStateException("read model down");
            })
        .registerEventHandler(Deposited.class, e -> calls.add("second"))
        .registerGlobalHandler(e -> calls.add("global"));

    assertThatThrownBy(() -> manager.dispatch(event(1, new Deposited(BigDecimal.ONE))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("read model down");
    assertThat(calls).isEmpty();
  }

  @Test
  void handlers_can_only_be_registered_for_registered_event_types() {
    record NotRegistered() {}

    assertThatThrownBy(() -> manager.registerEventHandler(NotRegistered.class, e -> {}))
        .isInstanceOf(UnknownTypeException.class);
    assertThatThrownBy(() -> manager.registerGlobalHandler(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("handler");
  }

  @Test
  void events_saved_through_a_publishing_repository_reach_the_handlers_over_the_bus() {
    Map<String, BigDecimal> balances = new ConcurrentHashMap<>();
    AtomicInteger seen = new AtomicInteger();
    manager
        .registerEventHandler(Opened.class, e -> balances.put(e.sourceId(), BigDecimal.ZERO))
        .registerEventHandler(
            Deposited.class,
            e -> balances.merge(e.sourceId(), e.eventAs(Deposited.class).amount(), BigDecimal::add))
        .registerGlobalHandler(e -> seen.incrementAndGet())
        .listen("balances", 1);
    EventSourcingRepository repository =
        EventSourcingRepository.builder(new InMemoryEventStreamRepository(), registry)
            .publisher(bus)
            .build();
    Wallet wallet = Wallet.open("w-1", "ada");
    wallet.deposit(new BigDecimal("2.50"));
    wallet.deposit(new BigDecimal("1.25"));

    repository.save(wallet, "c-1");

    Await.until("three events seen", () -> seen.get() == 3);
    assertThat(balances).containsEntry("w-1", new BigDecimal("3.75"));
  }

  @Test
  void every_subscription_gets_every_event() {
    AtomicInteger first = new AtomicInteger();
    AtomicInteger second = new AtomicInteger();
    manager.registerGlobalHandler(e -> first.incrementAndGet()).listen("first", 1);
    VersionedEventDispatchManager other = new VersionedEventDispatchManager(bus, registry);
    other.registerGlobalHandler(e -> second.incrementAndGet()).listen("second", 2);
    try {
      bus.publish(List.of(event(1, new Opened("ada")), event(2, new Deposited(BigDecimal.ONE))));

      Await.until(
          "both subscriptions to see both events", () -> first.get() == 2 && second.get() == 2);
    } finally {
      other.close();
    }
  }

  @Test
  void an_event_whose_handler_fails_once_is_redelivered_and_handled_completely() {
    AtomicInteger attempts = new AtomicInteger();
    AtomicInteger global = new AtomicInteger();
    manager
        .registerEventHandler(
            Deposited.class,
            e -> {
              if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("read model briefly down");
              }
            })
        .registerGlobalHandler(e -> global.incrementAndGet())
        .listen("flaky", 1);

    bus.publish(List.of(event(1, new Deposited(BigDecimal.ONE))));

    Await.until("the bus to be idle", bus::isIdle);
    assertThat(attempts).hasValue(2);
    assertThat(global).hasValue(1);
    assertThat(bus.deadLetters()).isEmpty();
  }

  @Test
  void closing_stops_receiving() {
    AtomicInteger seen = new AtomicInteger();
    manager.registerGlobalHandler(e -> seen.incrementAndGet()).listen("closing", 1);
    bus.publish(List.of(event(1, new Opened("ada"))));
    Await.until("the first event", () -> seen.get() == 1);

    manager.close();
    bus.publish(List.of(event(2, new Deposited(BigDecimal.ONE))));
    AtomicInteger successor = new AtomicInteger();
    VersionedEventDispatchManager next = new VersionedEventDispatchManager(bus, registry);
    next.registerGlobalHandler(e -> successor.incrementAndGet()).listen("closing", 1);
    try {
      Await.until("the successor to get the second event", () -> successor.get() == 1);
      assertThat(seen).hasValue(1);
    } finally {
      next.close();
    }
  }

  private VersionedEvent event(long version, Object payload) {
    return new VersionedEvent(
        "e-" + version + "-" + System.nanoTime(),
        "c-1",
        null,
        "w-1",
        null,
        null,
        version,
        registry.nameOf(payload.getClass()),
        Instant.now(),
        payload,
        Map.of());
  }
}
