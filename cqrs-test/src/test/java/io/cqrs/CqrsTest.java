package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.cqrs.internal.Texts;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.Await;
import io.cqrs.testing.ForwardingProcessorStore;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CqrsTest {
  record Add(String counterId, int amount) {}

  record Added(int amount) {}

  record Reset(String counterId) {}

  static final class Counter extends EventSourceBased {
    Counter(String id) {
      super(id);
    }

    void add(int amount) {
      update(new Added(amount));
    }

    private void handleAdded(Added e) {}
  }

  private static Cqrs.Builder counters() {
    return Cqrs.builder().aggregate(Counter.class, Added.class);
  }

  private static void handleAdds(Cqrs cqrs) {
    EventSourcingRepository repository = cqrs.repository();
    cqrs.onCommand(
        Add.class,
        (add, command) -> {
          Counter counter =
              repository
                  .find(add.counterId(), Counter::new)
                  .orElseGet(() -> new Counter(add.counterId()));
          counter.add(add.amount());
          repository.save(counter, command);
        });
  }

  @Test
  void a_command_sent_after_start_reaches_every_subscription_and_the_store() {
    Map<String, Integer> totals = new ConcurrentHashMap<>();
    List<String> audit = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs = counters().build()) {
      handleAdds(cqrs);
      cqrs.onEvent(
          "totals",
          Added.class,
          e -> totals.merge(e.sourceId(), e.eventAs(Added.class).amount(), Integer::sum));
      cqrs.onEvent("audit", Added.class, e -> audit.add(e.causationId()));
      cqrs.start();

      Command first = cqrs.send(new Add("c-1", 2));
      Command second = cqrs.send(new Add("c-1", 3));

      // Each subscription has its own listener thread: wait for the total itself, not its key,
      // which the first add already put there.
      Await.until(
          "both adds in both read models",
          () -> audit.size() == 2 && Integer.valueOf(5).equals(totals.get("c-1")));
      assertThat(totals).containsEntry("c-1", 5);
      assertThat(audit).containsExactlyInAnyOrder(first.messageId(), second.messageId());
      assertThat(cqrs.store().version("c-1")).isEqualTo(2);
    }
  }

  record Touch(String counterId) {}

  /**
   * An adopter found no way to learn what became of a command but reading example-bank's sources: a
   * rejection was an INFO line and an event under the correlation id. outcome() reads it.
   */
  @Test
  void the_outcome_of_a_command_is_what_the_store_recorded_for_it() {
    TypeRegistry types = new TypeRegistry().registerCommands(Add.class, Reset.class, Touch.class);
    try (Cqrs cqrs = counters().types(types).recordNoEffect(true).build()) {
      handleAdds(cqrs);
      cqrs.onCommand(
          Reset.class,
          (reset, command) -> {
            throw new IllegalStateException("counters cannot be reset");
          });
      cqrs.onCommand(Touch.class, (touch, command) -> {}); // handled, no effect
      cqrs.start();

      Command never = Command.create(new Add("c-0", 1));
      assertThat(cqrs.outcome(never).status()).isEqualTo(CommandOutcome.Status.PENDING);

      Command added = cqrs.send(new Add("c-1", 2));
      Command refused = cqrs.send(new Reset("c-1"));
      Command touched = cqrs.send(new Touch("c-1"));
      Await.until(
          Await.DEFAULT_TIMEOUT,
          () ->
              "three outcomes, were "
                  + List.of(cqrs.outcome(added), cqrs.outcome(refused), cqrs.outcome(touched))
                  + " in "
                  + cqrs.store().eventsByCorrelationId(refused.correlationId()),
          () ->
              !cqrs.outcome(added).isPending()
                  && !cqrs.outcome(refused).isPending()
                  && !cqrs.outcome(touched).isPending());

      CommandOutcome success = cqrs.outcome(added);
      assertThat(success.status()).isEqualTo(CommandOutcome.Status.SUCCEEDED);
      assertThat(success.events())
          .singleElement()
          .satisfies(
              event -> {
                assertThat(event.sourceId()).isEqualTo("c-1");
                assertThat(event.eventAs(Added.class).amount()).isEqualTo(2);
              });
      CommandOutcome rejection = cqrs.outcome(refused);
      assertThat(rejection.status()).isEqualTo(CommandOutcome.Status.REJECTED);
      assertThat(rejection.failure().message()).contains("counters cannot be reset");
      assertThat(rejection.events()).isEmpty();
      CommandOutcome noEffect = cqrs.outcome(touched);
      assertThat(noEffect.status()).isEqualTo(CommandOutcome.Status.SUCCEEDED);
      assertThat(noEffect.events()).isEmpty();
    }
  }

  /**
   * types(...) after aggregate(...) replaced the registry the aggregate was registered into: the
   * instance built and started, and every command failed at run time (its events of no registered
   * type). The aggregates registered before go into the new registry too.
   */
  @Test
  void a_registry_given_after_the_aggregates_gets_them_too() {
    TypeRegistry types = new TypeRegistry();
    try (Cqrs cqrs = counters().types(types).build()) {
      assertThat(types.nameOf(Added.class)).isEqualTo(TypeRegistry.logicalName(Added.class));
      handleAdds(cqrs);
      cqrs.start();
      Command added = cqrs.send(new Add("c-1", 1));
      Await.until("the add took effect", () -> !cqrs.outcome(added).isPending());
      assertThat(cqrs.outcome(added).status()).isEqualTo(CommandOutcome.Status.SUCCEEDED);
    }
  }

  /**
   * A handler that committed to one aggregate and then failed: the dispatcher records the partial
   * effect's failure beside its events, and the outcome shows both (it said SUCCEEDED, a review).
   */
  @Test
  void a_partly_applied_command_is_partial_with_its_events_and_its_failure() {
    Command command = Command.create(new Add("c-1", 1));
    VersionedEvent added =
        VersionedEvent.builder("c-1", 1, new Added(1))
            .correlationId(command.correlationId())
            .causationId(command.messageId())
            .build();
    VersionedEvent failed =
        VersionedEvent.builder(
                command.messageId(),
                0,
                new CommandFailed(
                    command.messageId(),
                    "Add",
                    CommandPartiallyAppliedException.class.getName(),
                    "the second save conflicted",
                    false))
            .correlationId(command.correlationId())
            .causationId(command.messageId())
            .build();
    CommandOutcome outcome = CommandOutcome.of(command.messageId(), List.of(added, failed));
    assertThat(outcome.status()).isEqualTo(CommandOutcome.Status.PARTIAL);
    assertThat(outcome.events()).containsExactly(added);
    assertThat(outcome.failure().message()).isEqualTo("the second save conflicted");
  }

  /** Two aggregate(...) calls for one class, then types(...): both calls' events reach it. */
  @Test
  void a_registry_given_after_two_registrations_of_one_aggregate_gets_both() {
    TypeRegistry types = new TypeRegistry();
    try (Cqrs cqrs =
        Cqrs.builder()
            .aggregate(Counter.class, Added.class)
            .aggregate(Counter.class)
            .types(types)
            .build()) {
      assertThat(types.nameOf(Added.class)).isEqualTo(TypeRegistry.logicalName(Added.class));
    }
  }

  /** A retryable failure (the framework's, not the domain's) is no outcome: still pending. */
  @Test
  void a_retryable_failure_leaves_the_outcome_pending() {
    Command command = Command.create(new Add("c-1", 1));
    VersionedEvent failed =
        VersionedEvent.builder(
                command.messageId(),
                0,
                new CommandFailed(
                    command.messageId(), "Add", "io.cqrs.MissingHandlerException", "none", true))
            .correlationId(command.correlationId())
            .causationId(command.messageId())
            .build();
    assertThat(CommandOutcome.of(command.messageId(), List.of(failed)).status())
        .isEqualTo(CommandOutcome.Status.PENDING);
    VersionedEvent refused =
        VersionedEvent.builder(
                command.messageId(),
                0,
                new CommandFailed(command.messageId(), "Add", "x.Rule", "no", false))
            .correlationId(command.correlationId())
            .causationId(command.messageId())
            .build();
    assertThat(CommandOutcome.of(command.messageId(), List.of(failed, refused)).status())
        .isEqualTo(CommandOutcome.Status.REJECTED);
  }

  /** A read model of counter totals that keeps each stream's applied version with its total. */
  static final class Totals implements Projection {
    record Entry(long version, int total) {}

    final Map<String, Entry> entries = new ConcurrentHashMap<>();

    @Override
    public long appliedVersion(String streamId) {
      Entry entry = entries.get(streamId);
      return entry == null ? 0 : entry.version();
    }

    @Override
    public void apply(VersionedEvent event) {
      entries.merge(
          event.sourceId(),
          new Entry(event.version(), event.eventAs(Added.class).amount()),
          (old, add) -> new Entry(add.version(), old.total() + add.total()));
    }
  }

  @Test
  void a_processor_builds_a_read_model_from_the_log_and_a_restart_resumes_it() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    Totals totals = new Totals();
    try (Cqrs cqrs = counters().store(store).build()) {
      handleAdds(cqrs);
      cqrs.processor("totals", totals);
      cqrs.start();
      cqrs.send(new Add("c-1", 2));
      cqrs.send(new Add("c-1", 3));
      Await.until("both adds applied", () -> totals.appliedVersion("c-1") == 2);
    }
    assertThat(totals.entries).containsEntry("c-1", new Totals.Entry(2, 5));

    // A second instance on the same store: it resumes after the checkpoint, nothing twice.
    try (Cqrs cqrs = counters().store(store).build()) {
      handleAdds(cqrs);
      cqrs.processor("totals", totals);
      cqrs.start();
      cqrs.send(new Add("c-1", 10));
      Await.until("the new add applied", () -> totals.appliedVersion("c-1") == 3);
    }
    assertThat(totals.entries).containsEntry("c-1", new Totals.Entry(3, 15));
    assertThat(store.segments("totals")).singleElement().matches(s -> s.checkpoint() == 3);
  }

  @Test
  void processor_settings_reach_processors_built_by_name_after_their_own_and_not_built_ones() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    List<String> given = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs = counters().store(store).build()) {
      handleAdds(cqrs);
      cqrs.processorSettings(
          (name, p) -> {
            given.add(name);
            p.segments(3); // configuration over the code's 2
          });
      cqrs.processor("spread", new Totals(), p -> p.segments(2));
      cqrs.processor("plain", new Totals());
      cqrs.localProcessor("mine", new Totals());
      cqrs.processor(EventProcessor.tracking("built", store).handler(event -> {}).build());
      cqrs.start();
      assertThatThrownBy(() -> cqrs.processorSettings((name, p) -> {}))
          .isInstanceOf(IllegalStateException.class);
    }
    assertThat(given).containsExactly("spread", "plain", "mine");
    assertThat(store.segments("spread")).hasSize(3);
    assertThat(store.segments("plain")).hasSize(3);
    assertThat(store.segments("built")).hasSize(1);
  }

  /**
   * A read model in a map on a store that keeps checkpoints (an adopter followed the README on
   * Couchbase): under processor(...) a restart resumed after the stored checkpoint with the map
   * empty, and of two processes one held every stream and the other none. localProcessor rebuilds
   * it from the start at every start, in every process.
   */
  @Test
  void a_local_processor_rebuilds_a_memory_read_model_at_every_start_and_in_every_process() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    try (Cqrs first = counters().store(store).build()) {
      handleAdds(first);
      Totals before = new Totals();
      first.localProcessor("totals", before);
      first.start();
      first.send(new Add("c-1", 2));
      first.send(new Add("c-2", 7));
      Await.until("both applied", () -> before.entries.size() == 2);
    }

    Totals a = new Totals();
    Totals b = new Totals();
    try (Cqrs processA = counters().store(store).build();
        Cqrs processB = counters().store(store).build()) {
      handleAdds(processA);
      handleAdds(processB);
      processA.localProcessor("totals", a);
      processB.localProcessor("totals", b);
      processA.start();
      processB.start();
      processA.send(new Add("c-1", 3));
      Await.until(
          "every stream in both, with the add after the restart",
          () -> a.appliedVersion("c-1") == 2 && b.appliedVersion("c-1") == 2);
      Await.until(
          "c-2 in both", () -> a.appliedVersion("c-2") == 1 && b.appliedVersion("c-2") == 1);
    }
    for (Totals totals : List.of(a, b)) {
      assertThat(totals.entries)
          .containsEntry("c-1", new Totals.Entry(2, 5))
          .containsEntry("c-2", new Totals.Entry(1, 7));
    }
    assertThat(store.segments("totals")).as("nothing of it kept in the store").isEmpty();
  }

  @Test
  void a_processor_given_settings_runs_them_with_the_instances_interceptors() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    Totals totals = new Totals();
    List<String> intercepted = new CopyOnWriteArrayList<>();
    io.cqrs.interceptor.EventHandlerInterceptor seen =
        handling -> {
          intercepted.add(handling.component());
          return handling.proceed();
        };
    try (Cqrs cqrs = counters().store(store).interceptors(seen).build()) {
      handleAdds(cqrs);
      cqrs.processor("spread", totals, p -> p.segments(4));
      cqrs.start();
      cqrs.send(new Add("c-1", 2));
      Await.until("the add applied", () -> totals.appliedVersion("c-1") == 1);
    }
    // The segments asked for, in the store (the one-segment overload makes one).
    assertThat(store.segments("spread")).hasSize(4);
    assertThat(intercepted).contains("spread");

    // Interceptors the settings give it run inside the instance's, which they do not replace.
    List<String> order = new CopyOnWriteArrayList<>();
    io.cqrs.interceptor.EventHandlerInterceptor outer =
        handling -> {
          order.add("instance");
          return handling.proceed();
        };
    io.cqrs.interceptor.EventHandlerInterceptor inner =
        handling -> {
          order.add("settings");
          return handling.proceed();
        };
    Totals more = new Totals();
    try (Cqrs cqrs = counters().interceptors(outer).build()) {
      handleAdds(cqrs);
      cqrs.processor(
          "layered", more, p -> p.interceptors(io.cqrs.interceptor.Interceptors.of(inner)));
      cqrs.start();
      cqrs.send(new Add("c-2", 1));
      Await.until("the add applied", () -> more.appliedVersion("c-2") == 1);
    }
    assertThat(order).containsExactly("instance", "settings");
    assertThatThrownBy(() -> counters().build().processor("bad", totals, p -> p.segments(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("segments must be in [1, 1024], was 0");
  }

  @Test
  void a_command_sent_again_under_its_message_id_takes_effect_once() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    Totals totals = new Totals();
    try (Cqrs cqrs = counters().store(store).build()) {
      handleAdds(cqrs);
      cqrs.processor("totals", totals);
      cqrs.start();
      Command first = Command.builder(new Add("c-1", 2)).messageId("client-retry-1").build();

      assertThat(cqrs.send(first)).isSameAs(first);
      cqrs.send(Command.builder(new Add("c-1", 2)).messageId("client-retry-1").build()); // a retry
      cqrs.send(new Add("c-1", 5)); // then another command, so the retry has had its turn
      Await.until("the later add applied", () -> totals.appliedVersion("c-1") == 2);
    }
    // Before send(Command), a Command passed to send(Object) became the body of a new one.
    assertThat(totals.entries).containsEntry("c-1", new Totals.Entry(2, 7));

    // So it would still, typed as Object (a List<Object> sent one by one), without the check.
    try (Cqrs cqrs = counters().store(store).build()) {
      handleAdds(cqrs);
      cqrs.start();
      Object envelope = Command.builder(new Add("c-1", 1)).messageId("client-retry-2").build();
      assertThat(cqrs.send(envelope)).isSameAs(envelope);
    }
  }

  @Test
  void a_processor_name_is_registered_once_and_before_start() {
    try (Cqrs cqrs = counters().build()) {
      cqrs.processor("totals", new Totals());
      assertThatThrownBy(() -> cqrs.processor("totals", new Totals()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'totals'");
      cqrs.start();
      assertThatThrownBy(() -> cqrs.processor("late", new Totals()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("processor() must come before start()");
    }
  }

  @Test
  void handlers_are_registered_before_start_and_start_runs_once() {
    try (Cqrs cqrs = counters().build()) {
      handleAdds(cqrs);
      cqrs.start();

      assertThatThrownBy(() -> cqrs.onCommand(Add.class, (add, command) -> {}))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("onCommand() must come before start()");
      assertThatThrownBy(() -> cqrs.onEvent("late", Added.class, e -> {}))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("onEvent()");
      assertThatThrownBy(cqrs::start).isInstanceOf(IllegalStateException.class);
    }
  }

  /**
   * An adopter built the store's serializer on one registry and gave types(...) none: the aggregate
   * registered into the instance's registry, the store's serializer did not know its event, and
   * every save failed at run time naming a type the application had registered. Refused at build,
   * and (for command types onCommand registers later) at start.
   */
  @Test
  void a_store_or_bus_serializing_with_another_registry_is_refused_naming_the_missing_types() {
    TypeRegistry storeTypes = new TypeRegistry();
    assertThatThrownBy(
            () ->
                counters()
                    .store(
                        InMemoryEventStreamRepository.serializing(new EventSerializer(storeTypes)))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("The store's EventSerializer is made on another TypeRegistry")
        .hasMessageContaining("[Added]")
        .hasMessageNotContaining("Counter");

    TypeRegistry busTypes = new TypeRegistry().registerEvents(Added.class);
    Cqrs cqrs =
        counters()
            .commandBus(
                io.cqrs.memory.InMemoryCommandBus.serializing(new EventSerializer(busTypes)))
            .build();
    try {
      handleAdds(cqrs);
      assertThatThrownBy(cqrs::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("The command bus's EventSerializer")
          .hasMessageContaining("[Add]");
    } finally {
      cqrs.close();
    }

    TypeRegistry one = new TypeRegistry();
    try (Cqrs same =
        counters()
            .types(one)
            .store(InMemoryEventStreamRepository.serializing(new EventSerializer(one)))
            .commandBus(io.cqrs.memory.InMemoryCommandBus.serializing(new EventSerializer(one)))
            .build()) {
      handleAdds(same);
      same.start();
      same.send(new Add("c-1", 2));
      Await.until(
          "the add saved through the serializing store", () -> same.store().version("c-1") == 1);
    }
  }

  @Test
  void close_stops_everything_and_closes_only_the_parts_it_created() {
    InMemoryEventBus given = new InMemoryEventBus();
    Cqrs cqrs = counters().eventBus(given).build();
    handleAdds(cqrs);
    cqrs.start();
    cqrs.close();
    cqrs.close(); // idempotent

    assertThatThrownBy(() -> cqrs.send(new Add("c-1", 1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    AtomicInteger received = new AtomicInteger();
    given.subscribe("still-open", 1, e -> received.incrementAndGet());
    given.publish(List.of(VersionedEvent.of("c-9", 1, new Added(1), "corr")));
    Await.until("the caller's bus still delivers", () -> received.get() == 1);
    given.close();
  }

  /**
   * With the store slow or gone, each processor's close waits out a timeout per call (checkpoint,
   * release, leave), and closing the log readers one after another made the shutdown last the sum.
   * Here each one's leave waits until the other's has begun: closed one after another, the first
   * waited in vain.
   */
  @Test
  void close_stops_the_log_readers_together() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    CountDownLatch bothLeaving = new CountDownLatch(2);
    AtomicBoolean leftAlone = new AtomicBoolean();
    ProcessorStore slowToLeave =
        new ForwardingProcessorStore(store) {
          @Override
          public void leave(String processor, String owner) {
            bothLeaving.countDown();
            try {
              if (!bothLeaving.await(20, TimeUnit.SECONDS)) {
                leftAlone.set(true);
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            super.leave(processor, owner);
          }
        };
    Cqrs cqrs = counters().store(store).shutdownTimeout(Duration.ofMinutes(2)).build();
    TrackingEventProcessor first =
        EventProcessor.tracking("first", store, slowToLeave).handler(e -> {}).build();
    TrackingEventProcessor second =
        EventProcessor.tracking("second", store, slowToLeave).handler(e -> {}).build();
    cqrs.processor(first).processor(second).start();
    Await.until(
        "both claimed their segment",
        () -> !first.ownedSegments().isEmpty() && !second.ownedSegments().isEmpty());

    cqrs.close();

    assertThat(leftAlone).as("a processor left while the other had not begun to").isFalse();
    assertThat(bothLeaving.getCount()).isZero();
  }

  @Test
  void a_handler_that_does_not_return_holds_close_only_for_the_shutdown_timeout() throws Exception {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    TrackingEventProcessor processor =
        EventProcessor.tracking("totals", store).handler(e -> {}).build();
    CountDownLatch handling = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger interrupted = new AtomicInteger();
    Cqrs cqrs =
        counters()
            .service("stuck-service")
            .store(store)
            .shutdownTimeout(Duration.ofMillis(200))
            .build();
    cqrs.onCommand(
        Add.class,
        (add, command) -> {
          handling.countDown();
          while (true) {
            try {
              release.await(); // a handler that does not return until the test says so
              return;
            } catch (InterruptedException e) {
              interrupted.incrementAndGet(); // close() must leave the handler's thread alone
            }
          }
        });
    cqrs.processor(processor).start();
    Await.until("the processor to claim its segment", () -> !processor.ownedSegments().isEmpty());
    cqrs.send(new Add("c-1", 1));
    assertThat(handling.await(30, TimeUnit.SECONDS)).isTrue();

    // Without the timeout, close() waited for the handler for ever.
    assertTimeoutPreemptively(Duration.ofSeconds(30), cqrs::close);

    assertThat(release.getCount()).isEqualTo(1); // returned while the handler still runs
    // Everything else was asked to stop: the processor, closed only after the commands in order,
    // gives up its segment although the shutdown still waits for the handler.
    Await.until("the processor to stop", () -> processor.ownedSegments().isEmpty());
    assertThat(shutdownThread("stuck-service")).isPresent();

    release.countDown();
    Await.until("the shutdown to finish", () -> shutdownThread("stuck-service").isEmpty());
    assertThat(interrupted.get()).isZero();
    cqrs.close(); // idempotent, and at once
  }

  /**
   * Two handlers that do not return, a command's and a subscription's: close() returns after the
   * timeout, and so does closing the application's own event bus afterwards (as Spring closes its
   * bean), which had waited for the subscription's handler for ever: the subscription was still
   * open, so the bus's close was the first to wait for it.
   */
  @Test
  void a_bus_closed_after_a_shutdown_that_timed_out_does_not_wait_for_a_stuck_handler()
      throws Exception {
    InMemoryEventBus events = new InMemoryEventBus();
    CountDownLatch commandHandling = new CountDownLatch(1);
    CountDownLatch eventHandling = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Cqrs cqrs =
        counters()
            .service("two-stuck")
            .eventBus(events)
            .shutdownTimeout(Duration.ofMillis(200))
            .build();
    handleAdds(cqrs);
    cqrs.onCommand(
        Reset.class,
        (reset, command) -> {
          commandHandling.countDown();
          release.await();
        });
    cqrs.onEvent(
        "slow",
        Added.class,
        event -> {
          eventHandling.countDown();
          release.await();
        });
    cqrs.start();
    cqrs.send(new Add("c-1", 1));
    assertThat(eventHandling.await(30, TimeUnit.SECONDS)).isTrue();
    cqrs.send(new Reset("c-1"));
    assertThat(commandHandling.await(30, TimeUnit.SECONDS)).isTrue();

    try {
      assertTimeoutPreemptively(Duration.ofSeconds(30), cqrs::close);
      assertTimeoutPreemptively(Duration.ofSeconds(30), events::close);
    } finally {
      release.countDown();
    }
    Await.until("the shutdown to finish", () -> shutdownThread("two-stuck").isEmpty());
  }

  private static Optional<Thread> shutdownThread(String service) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().equals("cqrs-shutdown-" + service))
        .findFirst();
  }

  @Test
  void events_the_bus_refused_at_commit_are_published_by_the_relay() {
    // A bus that refuses the first publish: the save commits, the fast path fails, and only the
    // relay that Cqrs runs by default can publish the event.
    InMemoryEventBus delegate = new InMemoryEventBus();
    AtomicInteger refusals = new AtomicInteger(1);
    EventBus flaky =
        new EventBus() {
          @Override
          public void publish(List<VersionedEvent> events) {
            if (refusals.getAndDecrement() > 0) {
              throw new TransientCqrsException("broker away");
            }
            delegate.publish(events);
          }

          @Override
          public Subscription subscribe(
              String name, int listeners, VersionedEventHandler consumer) {
            return delegate.subscribe(name, listeners, consumer);
          }

          @Override
          public void close() {
            delegate.close();
          }
        };
    List<String> seen = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs =
        counters().store(new InMemoryEventStreamRepository()).eventBus(flaky).build()) {
      handleAdds(cqrs);
      cqrs.onEvent("seen", Added.class, e -> seen.add(e.sourceId()));
      cqrs.start();

      cqrs.send(new Add("c-1", 1));

      Await.until(Duration.ofSeconds(30), "the relay to publish the event", () -> !seen.isEmpty());
      assertThat(seen).containsExactly("c-1");
    }
    delegate.close();
  }

  @Test
  void a_subscription_can_have_its_own_number_of_listeners() {
    InMemoryEventBus bus = new InMemoryEventBus();
    try (Cqrs cqrs = counters().eventBus(bus).eventListeners(3).eventListeners("one", 1).build()) {
      cqrs.onEvent("one", Added.class, e -> {});
      cqrs.onEvent("many", Added.class, e -> {});
      cqrs.start();

      assertThat(bus.health().consumers()).isEqualTo(1 + 3);
    }
    bus.close();
  }

  @Test
  void the_relay_is_there_when_the_store_keeps_marks_and_it_is_not_turned_off() {
    try (Cqrs withRelay = counters().build();
        Cqrs withoutRelay = counters().relay(false).build()) {
      assertThat(withRelay.relay()).isPresent();
      assertThat(withoutRelay.relay()).isEmpty();
    }
  }

  @Test
  void builder_settings_are_validated_naming_the_setting() {
    assertThatThrownBy(() -> Cqrs.builder().service(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("service");
    for (String forged :
        List.of(
            "bank\nWARN forged line",
            "bank\r",
            "\u0000bank",
            "bank\u0085",
            "bank\ud800",
            "\udc00")) {
      assertThatThrownBy(() -> Cqrs.builder().service(forged))
          .as(Texts.printable(forged))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("service")
          .hasMessageNotContaining("\n");
    }
    assertThat(Cqrs.builder().service("bank-\uD83C\uDFE6 east")).isNotNull(); // a pair, a space
    assertThatThrownBy(() -> Cqrs.builder().commandListeners(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("commandListeners");
    assertThatThrownBy(() -> Cqrs.builder().eventListeners(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("eventListeners");
    assertThatThrownBy(() -> Cqrs.builder().eventListeners("s", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("eventListeners");
    assertThatThrownBy(() -> Cqrs.builder().shutdownTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shutdownTimeout");
    // A "never" is taken: close() caps its wait.
    assertThat(Cqrs.builder().shutdownTimeout(ChronoUnit.FOREVER.getDuration())).isNotNull();
    assertThatThrownBy(() -> Cqrs.builder().store(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("store");
  }
}
