package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.AggregateCache;
import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.ConcurrencyException;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.memory.DeadLetter;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.spi.EventStreamRepository;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once effect of commands, end to end through {@link CommandDispatchManager} and {@link
 * EventSourcingRepository}, on a store under test: every order of two deliveries' steps, a command
 * whose conflicts outlast its retries, and thousands of commands each delivered two or three times
 * to competing listeners. A store runs it through a one-line subclass:
 *
 * <pre>{@code
 * class MyStoreDeduplicationTest extends CommandDeduplicationContract {
 *   protected EventStreamRepository newStore(TypeRegistry types) { return new MyStore(types); }
 * }
 * }</pre>
 *
 * <p>The effect of a command is counted by causation id: each command must leave exactly one event
 * caused by it, however its deliveries raced.
 */
public abstract class CommandDeduplicationContract {

  /** A command and its event, on a counter aggregate. */
  public record Add(String counterId, int amount) {}

  /** Opens a counter (adding nothing); refused if the counter exists. */
  public record Open(String counterId) {}

  /** The event of {@link Add}. */
  public record Added(int amount) {}

  /** The aggregate the suite's commands change. */
  public static final class Counter extends EventSourceBased {
    private int total;

    public Counter(String id) {
      super(id);
    }

    /** Adds a non-negative amount. */
    public void add(int amount) {
      if (amount < 0) {
        throw new IllegalArgumentException("negative amount " + amount);
      }
      update(new Added(amount));
    }

    private void handleAdded(Added event) {
      total += event.amount();
    }

    /** The sum of the amounts added. */
    public int total() {
      return total;
    }
  }

  /** The types of the suite, for stores that serialize. */
  protected static TypeRegistry types() {
    return new TypeRegistry()
        .registerAggregate(Counter.class, Added.class)
        .registerCommands(Add.class, Open.class);
  }

  /** A store that sees nothing written through earlier calls, holding {@code types}. */
  protected abstract EventStreamRepository newStore(TypeRegistry types);

  /** How many commands the stress test sends (each two or three times). */
  protected int stressCommands() {
    return 2000;
  }

  // ---------------------------------------------------------------- every interleaving

  @Test
  void two_deliveries_take_effect_once_in_every_order_of_check_load_and_commit() throws Exception {
    // Each delivery: look the command up, load the counter, commit.
    for (List<Integer> schedule : Turnstile.interleavings(3, 3)) {
      assertOneEffectOfTwoDeliveries(schedule, true, new Add("c", 5), false, 6);
    }
  }

  @Test
  void two_deliveries_of_a_command_joining_a_correlation_take_effect_once_in_every_order()
      throws Exception {
    // As a process manager's step: the command joins a correlation that already holds another
    // command's commit and events with no cause, which a look-up must read past, not stop at.
    for (List<Integer> schedule : Turnstile.interleavings(3, 3)) {
      assertOneEffectOfTwoDeliveries(schedule, true, new Add("c", 5), true, 6);
    }
    for (List<Integer> schedule : Turnstile.interleavings(3, 3)) {
      assertOneEffectOfTwoDeliveries(schedule, true, new Open("o"), true, 0);
    }
  }

  /**
   * Both deliveries in one process whose repository caches the counter, with {@code
   * lookupProvesEffects}: a delivery whose look-up and cached load prove the command has no effect
   * saves with {@link EventStreamRepository#saveChecked}, which a store may make without checking
   * the command again. In every order of the look-up, the load from the cache (the store's {@code
   * loadStreamAfter}) and the commit, only one may take effect.
   */
  @Test
  void two_deliveries_on_a_cached_aggregate_take_effect_once_in_every_order() throws Exception {
    for (List<Integer> schedule : Turnstile.interleavings(3, 3)) {
      assertOneEffectOfTwoDeliveries(schedule, true, true, new Add("c", 5), false, 6);
    }
  }

  /**
   * The same with {@code deferCacheChecks}: the loads from the cache ask the store nothing, so the
   * store sees each delivery's look-up and commit only (and a retry's load and commit), and the
   * commit alone must refuse a delivery that saves on a version the other took.
   */
  @Test
  void two_deliveries_on_a_cached_aggregate_that_defer_their_checks_take_effect_once()
      throws Exception {
    for (List<Integer> schedule : Turnstile.interleavings(3, 3)) {
      assertOneEffectOfTwoDeliveries(schedule, true, true, true, new Add("c", 5), false, 6);
    }
  }

  @Test
  void two_deliveries_take_effect_once_in_every_order_of_load_and_commit_without_lookup()
      throws Exception {
    // Without deduplicate(true) there is no lookup: only the commit can stop the second effect.
    for (List<Integer> schedule : Turnstile.interleavings(2, 2)) {
      assertOneEffectOfTwoDeliveries(schedule, false, new Add("c", 5), false, 6);
    }
  }

  @Test
  void a_delivery_refused_because_the_other_took_effect_is_no_rejection_in_any_order()
      throws Exception {
    // The second delivery of "open" may load after the first committed and find the counter
    // open: its refusal is the first delivery's effect, not an outcome of its own. Steps: look
    // up, load, then commit or (refused) look up again.
    for (List<Integer> schedule : Turnstile.interleavings(3, 3)) {
      assertOneEffectOfTwoDeliveries(schedule, true, new Open("o"), false, 0);
    }
    for (List<Integer> schedule : Turnstile.interleavings(2, 2)) {
      assertOneEffectOfTwoDeliveries(schedule, false, new Open("o"), false, 0);
    }
  }

  /**
   * Two deliveries of a command with {@code body} on two threads, their store calls in the order of
   * {@code schedule}: both must return normally, with one effect, no recorded failure, and the
   * counter at {@code total}.
   *
   * @param joins whether the command joins the correlation of an earlier command (which also holds
   *     events without a cause) instead of starting its own
   */
  private void assertOneEffectOfTwoDeliveries(
      List<Integer> schedule, boolean lookup, Object body, boolean joins, int total)
      throws Exception {
    assertOneEffectOfTwoDeliveries(schedule, lookup, false, body, joins, total);
  }

  private void assertOneEffectOfTwoDeliveries(
      List<Integer> schedule, boolean lookup, boolean cached, Object body, boolean joins, int total)
      throws Exception {
    assertOneEffectOfTwoDeliveries(schedule, lookup, cached, false, body, joins, total);
  }

  private void assertOneEffectOfTwoDeliveries(
      List<Integer> schedule,
      boolean lookup,
      boolean cached,
      boolean defers,
      Object body,
      boolean joins,
      int total)
      throws Exception {
    TypeRegistry types = types();
    EventStreamRepository store = newStore(types);
    ScheduledStore scheduled = new ScheduledStore(store, new Turnstile(schedule));
    CommandDispatchManager manager = manager(null, types, scheduled, lookup, 10, cached, defers);
    // Another command first, so that a stream exists and versions are not all 1.
    Command first = Command.create(new Add("c", 1));
    manager.dispatch(first);
    if (joins) {
      store.save(
          "uncaused",
          0,
          List.of(
              VersionedEvent.of("uncaused", 1, new Added(7), first.correlationId()),
              VersionedEvent.of("uncaused", 2, new Added(8), first.correlationId())));
    }
    Command add = joins ? Command.create(body, first.correlationId()) : Command.create(body);
    String stream =
        add.body() instanceof Add adding ? adding.counterId() : add.bodyAs(Open.class).counterId();

    ExecutorService deliveries = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int party = 1; party <= 2; party++) {
        int delivery = party;
        done.add(
            deliveries.submit(
                () -> {
                  scheduled.as(delivery, () -> dispatch(manager, add));
                  return null;
                }));
      }
      for (Future<?> each : done) {
        each.get(60, TimeUnit.SECONDS);
      }
    } finally {
      deliveries.shutdownNow();
    }

    assertThat(effectsOf(store, stream, add.messageId()))
        .as("effects in order %s", schedule)
        .isOne();
    assertThat(load(types, store, stream).total).as("total in order %s", schedule).isEqualTo(total);
    assertThat(store.eventsByCorrelationId(add.correlationId()))
        .as("recorded outcomes in order %s", schedule)
        .allSatisfy(e -> assertThat(e.event()).isNotInstanceOf(io.cqrs.CommandFailed.class));
  }

  // ---------------------------------------------------------------- transient is not an outcome

  @Test
  void a_command_whose_conflicts_outlast_its_retries_takes_effect_when_redelivered()
      throws Exception {
    TypeRegistry types = types();
    EventStreamRepository store = newStore(types);
    CommandDispatchManager manager = manager(types, store, true, 1);
    manager.dispatch(Command.create(new Add("c", 1)));
    EventSourcingRepository competitor = repository(types, store);
    AtomicBoolean compete = new AtomicBoolean(true);
    CommandDispatchManager racing =
        CommandDispatchManager.builder(null, types)
            .errorLog(store)
            .deduplicate(true)
            .maxAttempts(1)
            .build()
            .registerCommandHandler(
                Add.class,
                (add, envelope) -> {
                  Counter counter = load(types, store, add.counterId());
                  if (compete.getAndSet(false)) {
                    // Another command commits between this delivery's load and its save.
                    Counter other = load(types, store, add.counterId());
                    other.add(100);
                    competitor.save(other, "competitor");
                  }
                  counter.add(add.amount());
                  repository(types, store).save(counter, envelope);
                });
    Command add = Command.create(new Add("c", 5));

    assertThatThrownBy(() -> racing.dispatch(add)).isInstanceOf(ConcurrencyException.class);
    assertThat(effectsOf(store, "c", add.messageId())).isZero();
    manager.dispatch(add);

    assertThat(effectsOf(store, "c", add.messageId())).isOne();
    assertThat(load(types, store, "c").total).isEqualTo(106);
  }

  // ---------------------------------------------------------------- a rejection is an outcome

  @Test
  void a_redelivered_rejected_command_is_not_handled_again_starting_or_joining_a_correlation()
      throws Exception {
    TypeRegistry types = types();
    EventStreamRepository store = newStore(types);
    CommandDispatchManager manager = manager(types, store, true, 3);
    Command first = Command.create(new Add("c", 1));
    manager.dispatch(first);
    // The correlation the joining command joins: another command's commit, events without a
    // cause, and the commits of two more commands.
    store.save(
        "uncaused",
        0,
        List.of(VersionedEvent.of("uncaused", 1, new Added(7), first.correlationId())));
    manager.dispatch(Command.create(new Add("d", 2), first.correlationId()));
    Command starts = Command.create(new Open("c"));
    Command joins = Command.create(new Open("c"), first.correlationId());

    for (Command refused : List.of(starts, joins)) {
      assertThatThrownBy(() -> manager.dispatch(refused)).isInstanceOf(IllegalStateException.class);
      manager.dispatch(refused); // the redelivery: found rejected before, not handled again
      manager.dispatch(Command.create(new Add("c", 1), first.correlationId()));

      assertThat(store.eventsCausedBy(refused.correlationId(), refused.messageId()))
          .as("what %s left", refused.messageId())
          .singleElement()
          .satisfies(e -> assertThat(e.event()).isInstanceOf(io.cqrs.CommandFailed.class));
    }
    assertThat(load(types, store, "c").total).isEqualTo(3);
  }

  // ---------------------------------------------------------------- stress

  @Test
  void every_command_delivered_two_or_three_times_to_competing_listeners_takes_effect_once()
      throws Exception {
    TypeRegistry types = types();
    EventStreamRepository store = newStore(types);
    InMemoryCommandBus bus = new InMemoryCommandBus(20);
    int hot = 5;
    DuplicatedCommands load = DuplicatedCommands.of(stressCommands(), hot, 20261203L);
    List<Command> sent = load.sent();
    List<Command> deliveries = load.deliveries();
    // No lookup before handling: every duplicate reaches the store, which alone must stop it.
    try (CommandDispatchManager manager = manager(bus, types, store, false, 3)) {
      manager.listen("counters", 8);
      int publishers = 4;
      ExecutorService pool = Executors.newFixedThreadPool(publishers);
      try {
        List<Future<?>> published = new ArrayList<>();
        for (int p = 0; p < publishers; p++) {
          List<Command> share =
              deliveries.subList(
                  p * deliveries.size() / publishers, (p + 1) * deliveries.size() / publishers);
          published.add(pool.submit(() -> share.forEach(c -> bus.publish(List.of(c)))));
        }
        for (Future<?> each : published) {
          each.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      Await.until(java.time.Duration.ofMinutes(5), "the bus to be idle", bus::isIdle);
    }

    Map<String, Integer> effects = new HashMap<>();
    Map<String, Integer> expectedTotals = new HashMap<>();
    for (int h = 0; h < hot; h++) {
      for (VersionedEvent event : store.load("hot-" + h)) {
        effects.merge(event.causationId(), 1, Integer::sum);
      }
    }
    Set<String> deadLettered = new HashSet<>();
    for (DeadLetter<Command> dead : bus.deadLetters()) {
      deadLettered.add(dead.message().messageId());
    }
    for (Command add : sent) {
      String id = add.messageId();
      int effect = effects.getOrDefault(id, 0);
      assertThat(effect).as("effects of command %s", id).isLessThanOrEqualTo(1);
      if (effect == 0) {
        assertThat(deadLettered).as("command %s: no effect, so dead-lettered", id).contains(id);
      } else {
        Add body = add.bodyAs(Add.class);
        expectedTotals.merge(body.counterId(), body.amount(), Integer::sum);
      }
    }
    assertThat(effects.keySet()).isSubsetOf(sent.stream().map(Command::messageId).toList());
    for (int h = 0; h < hot; h++) {
      assertThat(load(types, store, "hot-" + h).total)
          .as("total of hot-%d", h)
          .isEqualTo(expectedTotals.getOrDefault("hot-" + h, 0));
    }
  }

  // ---------------------------------------------------------------- helpers

  private static CommandDispatchManager manager(
      TypeRegistry types, EventStreamRepository store, boolean lookup, int maxAttempts) {
    return manager(null, types, store, lookup, maxAttempts);
  }

  private static CommandDispatchManager manager(
      InMemoryCommandBus bus,
      TypeRegistry types,
      EventStreamRepository store,
      boolean lookup,
      int maxAttempts) {
    return manager(bus, types, store, lookup, maxAttempts, false, false);
  }

  /**
   * With {@code cached}, the handlers' repository keeps an {@link AggregateCache} and the look-up
   * stands for the store's check ({@code lookupProvesEffects}); with {@code defers}, the handlers'
   * loads from it leave their check for later ({@code deferCacheChecks}).
   */
  private static CommandDispatchManager manager(
      InMemoryCommandBus bus,
      TypeRegistry types,
      EventStreamRepository store,
      boolean lookup,
      int maxAttempts,
      boolean cached,
      boolean defers) {
    EventSourcingRepository repository =
        cached
            ? EventSourcingRepository.builder(store, types)
                .snapshotPolicy(SnapshotPolicy.never())
                .cache(AggregateCache.maximumSize(100))
                .build()
            : repository(types, store);
    return CommandDispatchManager.builder(bus, types)
        .errorLog(store)
        .deduplicate(lookup)
        .lookupProvesEffects(lookup && cached)
        .deferCacheChecks(defers)
        .maxAttempts(maxAttempts)
        .maxBackoff(java.time.Duration.ofMillis(5))
        .build()
        .registerCommandHandler(
            Add.class,
            (add, envelope) -> {
              Counter counter =
                  repository
                      .find(add.counterId(), Counter::new)
                      .orElseGet(() -> new Counter(add.counterId()));
              counter.add(add.amount());
              repository.save(counter, envelope);
            })
        .registerCommandHandler(
            Open.class,
            (open, envelope) -> {
              if (repository.find(open.counterId(), Counter::new).isPresent()) {
                throw new IllegalStateException("counter " + open.counterId() + " is open");
              }
              Counter counter = new Counter(open.counterId());
              counter.add(0);
              repository.save(counter, envelope);
            });
  }

  private static EventSourcingRepository repository(
      TypeRegistry types, EventStreamRepository store) {
    return EventSourcingRepository.builder(store, types)
        .snapshotPolicy(SnapshotPolicy.never())
        .build();
  }

  private static Counter load(TypeRegistry types, EventStreamRepository store, String id) {
    return repository(types, store).get(id, Counter::new);
  }

  private static long effectsOf(EventStreamRepository store, String stream, String commandId) {
    return store.load(stream).stream().filter(e -> commandId.equals(e.causationId())).count();
  }

  private static void dispatch(CommandDispatchManager manager, Command command) {
    try {
      manager.dispatch(command);
    } catch (Exception e) {
      throw new AssertionError("delivery of " + command.messageId() + " failed", e);
    }
  }
}
