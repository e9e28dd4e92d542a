package io.cqrs;

import static java.util.stream.Collectors.toList;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.memory.InMemoryEventStreamRepository;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Convention routing through the public API: {@code update} on live aggregates and replay through
 * {@link EventSourcingRepository#get}, for aggregates of one to fifty event types, all routed by
 * the one class generated per aggregate class.
 */
class ConventionRoutingTest {
  record Opened(String owner) {}

  record Renamed(String owner) {}

  record Boom(String reason) {}

  static class Animal {}

  static final class Dog extends Animal {}

  /** Few event types, handlers of every visibility. */
  static class Small extends EventSourceBased {
    final List<String> seen = new ArrayList<>();

    Small(String id) {
      super(id);
    }

    void raise(Object event) {
      update(event);
    }

    private void handleOpened(Opened e) {
      seen.add("opened " + e.owner());
    }

    void handleRenamed(Renamed e) {
      seen.add("renamed " + e.owner());
    }

    protected void handleBoom(Boom e) {
      throw new IllegalStateException(e.reason());
    }

    public void handleAnimal(Animal e) {
      seen.add("animal");
    }
  }

  /** Overrides one inherited handler and inherits the others. */
  static final class Derived extends Small {
    Derived(String id) {
      super(id);
    }

    void handleRenamed(Renamed e) {
      seen.add("derived renamed " + e.owner());
    }
  }

  record E1(int n) {}

  record E2(int n) {}

  record E3(int n) {}

  record E4(int n) {}

  record E5(int n) {}

  record E6(int n) {}

  record E7(int n) {}

  record E8(int n) {}

  record E9(int n) {}

  /** Nine event types: more than the eight the first generated routing took. */
  static final class Large extends EventSourceBased {
    long sum;

    Large(String id) {
      super(id);
    }

    void raise(Object event) {
      update(event);
    }

    private void handleE1(E1 e) {
      sum += e.n();
    }

    private void handleE2(E2 e) {
      sum += 10L * e.n();
    }

    private void handleE3(E3 e) {
      sum += 100L * e.n();
    }

    private void handleE4(E4 e) {
      sum += 1_000L * e.n();
    }

    private void handleE5(E5 e) {
      sum += 10_000L * e.n();
    }

    private void handleE6(E6 e) {
      sum += 100_000L * e.n();
    }

    private void handleE7(E7 e) {
      sum += 1_000_000L * e.n();
    }

    private void handleE8(E8 e) {
      sum += 10_000_000L * e.n();
    }

    private void handleE9(E9 e) {
      sum += 100_000_000L * e.n();
    }
  }

  @Test
  void update_calls_the_handler_of_the_events_class_whatever_its_visibility() {
    Small small = new Small("s-1");

    small.raise(new Opened("alice"));
    small.raise(new Renamed("bob"));
    small.raise(new Animal());

    assertThat(small.seen).containsExactly("opened alice", "renamed bob", "animal");
    assertThat(small.pendingEvents()).hasSize(3);
  }

  @Test
  void a_subclass_handler_hides_the_inherited_one_and_other_handlers_are_inherited() {
    Derived derived = new Derived("d-1");

    derived.raise(new Opened("alice"));
    derived.raise(new Renamed("bob"));

    assertThat(derived.seen).containsExactly("opened alice", "derived renamed bob");
  }

  @Test
  void a_subtype_of_a_handled_type_is_not_routed_and_names_the_missing_method() {
    Small small = new Small("s-2");

    assertThatThrownBy(() -> small.raise(new Dog()))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessageContaining("Small has no method handleDog(Dog)");
    assertThat(small.pendingEvents()).isEmpty();
    assertThat(small.seen).isEmpty();
  }

  @Test
  void a_throwing_handler_is_wrapped_and_records_nothing() {
    Small small = new Small("s-3");

    assertThatThrownBy(() -> small.raise(new Boom("no")))
        .isInstanceOf(EventHandlingException.class)
        .hasMessageContaining("'s-3'")
        .hasMessageContaining("Boom")
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(small.pendingEvents()).isEmpty();
  }

  @Test
  void two_aggregate_classes_that_handle_the_same_event_keep_their_own_handlers() {
    Small small = new Small("s-4");
    Derived derived = new Derived("d-2");

    for (int i = 0; i < 3; i++) {
      small.raise(new Renamed("r" + i));
      derived.raise(new Renamed("r" + i));
    }

    assertThat(small.seen).containsExactly("renamed r0", "renamed r1", "renamed r2");
    assertThat(derived.seen)
        .containsExactly("derived renamed r0", "derived renamed r1", "derived renamed r2");
  }

  @Test
  void an_aggregate_with_many_event_types_routes_each_to_its_own_handler() {
    Large large = new Large("l-1");

    large.raise(new E1(1));
    large.raise(new E2(2));
    large.raise(new E3(3));
    large.raise(new E4(4));
    large.raise(new E5(5));
    large.raise(new E6(6));
    large.raise(new E7(7));
    large.raise(new E8(8));
    large.raise(new E9(9));

    assertThat(large.sum).isEqualTo(987_654_321L);
    assertThatThrownBy(() -> large.raise(new Opened("x")))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessageContaining("Large has no method handleOpened(Opened)");
  }

  @Test
  void replay_through_the_repository_routes_every_event_like_update_did() {
    TypeRegistry types =
        new TypeRegistry()
            .registerAggregate(Derived.class, Opened.class, Renamed.class, Animal.class);
    EventSourcingRepository repository =
        EventSourcingRepository.builder(new InMemoryEventStreamRepository(), types).build();
    Derived original = new Derived("d-3");
    original.raise(new Opened("alice"));
    original.raise(new Animal());
    original.raise(new Renamed("bob"));
    repository.save(original, "correlation-1");

    Derived loaded = repository.get("d-3", Derived::new);

    assertThat(loaded.seen).containsExactlyElementsOf(original.seen);
    assertThat(loaded.version()).isEqualTo(3);
    assertThat(loaded.pendingEvents()).isEmpty();
  }

  @Test
  void fifty_event_types_each_reach_their_own_handler_whatever_its_visibility() {
    WideAggregate wide = new WideAggregate("w-1");
    List<Integer> order = IntStream.range(0, WideAggregate.TYPES).boxed().collect(toList());
    Collections.shuffle(order, new Random(7));

    for (int type : order) {
      wide.raise(WideAggregate.event(type, 1_000 + type));
    }

    assertThat(wide.calls).containsExactlyElementsOf(order);
    for (int type = 0; type < WideAggregate.TYPES; type++) {
      assertThat(wide.received[type]).as("W%d's handler", type).isEqualTo(1_000 + type);
    }
    assertThat(wide.pendingEvents()).hasSize(WideAggregate.TYPES);
    assertThatThrownBy(() -> wide.raise(new Opened("x")))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessage("WideAggregate has no method handleOpened(Opened)");
  }

  @Test
  void fifty_event_types_replay_through_the_repository_to_the_same_handlers() {
    Class<?>[] events = new Class<?>[WideAggregate.TYPES];
    for (int type = 0; type < events.length; type++) {
      events[type] = WideAggregate.event(type, 0).getClass();
    }
    TypeRegistry types = new TypeRegistry().registerAggregate(WideAggregate.class, events);
    EventSourcingRepository repository =
        EventSourcingRepository.builder(new InMemoryEventStreamRepository(), types).build();
    WideAggregate original = new WideAggregate("w-2");
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < 500; i++) {
      original.raise(WideAggregate.event(random.nextInt(WideAggregate.TYPES), i));
    }
    repository.save(original, "correlation-w");

    WideAggregate loaded = repository.get("w-2", WideAggregate::new);

    assertThat(loaded.calls).containsExactlyElementsOf(original.calls);
    assertThat(loaded.received).containsExactly(original.received);
    assertThat(loaded.version()).isEqualTo(500);
  }

  @Test
  void many_threads_route_through_one_generated_class_at_once() throws Exception {
    int threads = 8;
    int eventsPerThread = 20_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<long[]>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long seed = t;
        results.add(
            pool.submit(
                () -> {
                  WideAggregate wide = new WideAggregate("w-thread-" + seed);
                  SplittableRandom random = new SplittableRandom(seed);
                  long[] expected = new long[WideAggregate.TYPES];
                  start.await();
                  for (int i = 0; i < eventsPerThread; i++) {
                    int type = random.nextInt(WideAggregate.TYPES);
                    wide.raise(WideAggregate.event(type, i));
                    expected[type] += i;
                  }
                  assertThat(wide.received).containsExactly(expected);
                  assertThat(wide.calls).hasSize(eventsPerThread);
                  return wide.received;
                }));
      }
      start.countDown();

      for (Future<long[]> result : results) {
        assertThat(result.get(60, TimeUnit.SECONDS)).hasSize(WideAggregate.TYPES);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
