package io.cqrs.testing;

import static io.cqrs.testing.BusHealths.consumersOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.cqrs.Command;
import io.cqrs.MissingHandlerException;
import io.cqrs.TypeRegistry;
import io.cqrs.UnroutableMessageException;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.CommandConsumer;
import io.cqrs.spi.Subscription;
import io.cqrs.testing.ContractCommands.DoNobodysJob;
import io.cqrs.testing.ContractCommands.DoThat;
import io.cqrs.testing.ContractCommands.DoThis;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract every {@link CommandBus} keeps. An implementation runs it through a subclass that
 * implements {@link #newBus()} and, for a broker, {@link #secondInstanceOf(CommandBus)}; for a bus
 * in one JVM that is one line:
 *
 * <pre>{@code
 * class MyCommandBusContractTest extends CommandBusContract {
 *   protected CommandBus newBus() { return new MyCommandBus(); }
 * }
 * }</pre>
 *
 * <p>Waits use deadlines of up to {@link Await#DEFAULT_TIMEOUT}, long enough for a broker's retries
 * with back-off; a passing run waits only as long as delivery takes.
 */
public abstract class CommandBusContract {
  private static final Duration HOLD = Duration.ofSeconds(10);
  private static final String THIS = "DoThis";
  private static final String THAT = "DoThat";

  /** The bus under test, made fresh for each test and closed after it. */
  protected CommandBus bus;

  private final List<AutoCloseable> toClose = Collections.synchronizedList(new ArrayList<>());

  /**
   * A bus in a fresh, isolated namespace: it sees no subscription or command of earlier calls. The
   * suite closes it after each test.
   */
  protected abstract CommandBus newBus();

  /**
   * Another bus instance on the same namespace as {@code bus}, as another process would have. The
   * default returns {@code bus} itself; broker adapters return a second connection. The suite
   * closes what it gets after the test.
   */
  protected CommandBus secondInstanceOf(CommandBus bus) {
    return bus;
  }

  /**
   * A new registry holding the suite's commands ({@link ContractCommands}), from which serializing
   * buses build their {@code EventSerializer}.
   */
  protected static TypeRegistry contractCommandTypes() {
    return new TypeRegistry().registerCommands(DoThis.class, DoThat.class, DoNobodysJob.class);
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

  // ---------------------------------------------------------------- routing

  @Test
  void a_command_reaches_the_service_subscribed_to_its_type_once() {
    Received<Command> received = received();
    subscribe(bus, "this-service", Set.of(THIS), 1, received::record);
    Command command = doThis("hello", 1);

    bus.publish(command);

    received.awaitIds(List.of(command));
    Command marker = doThis("marker", 2);
    bus.publish(marker);
    received.awaitIds(List.of(marker));
    assertThat(received.ids()).containsOnlyOnce(command.messageId());
  }

  @Test
  void two_services_each_get_only_the_commands_of_their_types() {
    Received<Command> these = received();
    Received<Command> those = received();
    subscribe(bus, "this-service", Set.of(THIS), 1, these::record);
    subscribe(bus, "that-service", Set.of(THAT), 1, those::record);
    List<Command> forThis = List.of(doThis("a", 1), doThis("b", 2));
    List<Command> forThat = List.of(doThat(1), doThat(2));

    bus.publish(List.of(forThis.get(0), forThat.get(0), forThis.get(1), forThat.get(1)));

    these.awaitIds(forThis);
    those.awaitIds(forThat);
    assertThat(these.ids()).containsExactlyInAnyOrderElementsOf(ids(forThis));
    assertThat(those.ids()).containsExactlyInAnyOrderElementsOf(ids(forThat));
  }

  @Test
  void a_service_subscribed_to_two_types_gets_both() {
    Received<Command> received = received();
    subscribe(bus, "both-service", Set.of(THIS, THAT), 1, received::record);
    List<Command> commands = List.of(doThis("a", 1), doThat(2));

    bus.publish(commands);

    received.awaitIds(commands);
  }

  @Test
  void listeners_of_one_service_compete_so_each_command_is_handled_once() {
    Received<Command> received = received();
    subscribe(bus, "this-service", Set.of(THIS), 3, received::record);
    List<Command> commands = doThese(30);

    bus.publish(commands);

    received.awaitIds(commands);
    assertThat(received.count()).isEqualTo(commands.size());
  }

  @Test
  void instances_of_one_service_share_its_commands_each_handled_once() {
    CommandBus other = second();
    Received<Command> received = received();
    Map<String, Integer> byInstance = new ConcurrentHashMap<>();
    CountDownLatch firstHandled = new CountDownLatch(1);
    CountDownLatch otherHandled = new CountDownLatch(1);
    subscribe(
        bus,
        "this-service",
        Set.of(THIS),
        1,
        holdUntilOtherHandled("first", byInstance, received, firstHandled, otherHandled));
    subscribe(
        other,
        "this-service",
        Set.of(THIS),
        1,
        holdUntilOtherHandled("other", byInstance, received, otherHandled, firstHandled));
    List<Command> commands = doThese(20);

    bus.publish(commands);

    received.awaitIds(commands);
    assertThat(received.count()).isEqualTo(commands.size());
    assertThat(byInstance).as("commands handled per instance").containsKeys("first", "other");
  }

  @Test
  void a_service_on_another_instance_gets_commands_published_on_this_one() {
    CommandBus other = second();
    Received<Command> received = received();
    subscribe(other, "this-service", Set.of(THIS), 1, received::record);
    List<Command> commands = doThese(3);

    bus.publish(commands);

    received.awaitIds(commands);
  }

  @Test
  void publishing_a_type_nobody_subscribed_to_throws_unroutable_message_exception() {
    Received<Command> received = received();
    subscribe(bus, "this-service", Set.of(THIS), 1, received::record);
    Command unwanted = Command.create(new DoNobodysJob("anyone?"));

    UnroutableMessageException unroutable =
        catchThrowableOfType(UnroutableMessageException.class, () -> bus.publish(unwanted));

    assertThat(unroutable).as("publish of an unroutable command").isNotNull();
    assertThat(unroutable.messageType()).isEqualTo("DoNobodysJob");
    assertThat(unroutable.isTransient()).isFalse();
    // The bus stays usable.
    Command fine = doThis("after", 1);
    bus.publish(fine);
    received.awaitIds(List.of(fine));
  }

  @Test
  void an_asynchronous_publication_completes_once_and_its_commands_are_handled() {
    Received<Command> received = received();
    subscribe(bus, "this-service", Set.of(THIS), 1, received::record);
    List<Command> commands = List.of(doThis("one", 1), doThis("two", 2), doThis("three", 3));

    CompletableFuture<Void> published = bus.publishAsync(commands);

    assertThat(published).succeedsWithin(Await.DEFAULT_TIMEOUT);
    received.awaitIds(commands);
  }

  @Test
  void an_asynchronous_publication_of_a_type_nobody_subscribed_to_fails_its_future() {
    Received<Command> received = received();
    subscribe(bus, "this-service", Set.of(THIS), 1, received::record);
    Command unwanted = Command.create(new DoNobodysJob("anyone?"));

    CompletableFuture<Void> published = bus.publishAsync(unwanted);

    assertThat(published)
        .failsWithin(Await.DEFAULT_TIMEOUT)
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOf(UnroutableMessageException.class);
    // Stages see the exception itself, as from a failed future, not a CompletionException.
    assertThat(published.handle((done, failure) -> failure))
        .succeedsWithin(Await.DEFAULT_TIMEOUT)
        .isInstanceOf(UnroutableMessageException.class);
    Command fine = doThis("after", 1);
    assertThat(bus.publishAsync(fine)).succeedsWithin(Await.DEFAULT_TIMEOUT);
    received.awaitIds(List.of(fine));
  }

  // ---------------------------------------------------------------- envelope

  @Test
  void commands_arrive_with_every_envelope_field_intact() {
    Received<Command> received = received();
    subscribe(bus, "both-service", Set.of(THIS, THAT), 1, received::record);
    Command full =
        new Command(
            id(),
            "correlation-" + id(),
            "cause-" + id(),
            THAT,
            Instant.parse("2024-02-29T23:59:59.123456789Z"),
            new DoThat(
                Long.MAX_VALUE - 1,
                new BigDecimal("12345678901234567890.123456780"),
                Instant.parse("1999-12-31T23:59:59.987654321Z")),
            Map.of("actor", "ada", "onBehalfOf", "grace", "unicode", "Grüße ✓"));
    Command sparse = Command.create(new DoThis("with \"quotes\"\n", -1));

    bus.publish(List.of(full, sparse));

    received.awaitIds(List.of(full, sparse));
    assertThat(received.messages()).containsExactlyInAnyOrder(full, sparse);
  }

  // ---------------------------------------------------------------- failures

  @Test
  void a_consumer_that_throws_once_gets_the_command_again() {
    Map<String, Integer> attempts = new ConcurrentHashMap<>();
    Received<Command> received = received();
    subscribe(
        bus,
        "flaky-service",
        Set.of(THIS),
        1,
        command -> {
          if (attempts.merge(command.messageId(), 1, Integer::sum) == 1) {
            throw new IllegalStateException("first attempt fails on purpose");
          }
          received.record(command);
        });
    List<Command> commands = doThese(3);

    bus.publish(commands);

    received.awaitIds(commands);
    commands.forEach(c -> assertThat(attempts.get(c.messageId())).isGreaterThanOrEqualTo(2));
  }

  @Test
  void a_poison_command_does_not_block_later_ones() {
    Received<Command> received = received();
    AtomicInteger poisonAttempts = new AtomicInteger();
    subscribe(
        bus,
        "poisoned-service",
        Set.of(THIS),
        1,
        command -> {
          if (command.body() instanceof DoThis d && d.text().equals("poison")) {
            poisonAttempts.incrementAndGet();
            throw new IllegalStateException("this command always fails");
          }
          received.record(command);
        });
    Command poison = doThis("poison", 0);
    List<Command> later = doThese(5);

    bus.publish(poison);
    bus.publish(later);

    received.awaitIds(later);
    assertThat(poisonAttempts.get()).isPositive();
    assertThat(received.ids()).doesNotContain(poison.messageId());
  }

  @ParameterizedTest
  @EnumSource(mode = EnumSource.Mode.EXCLUDE, names = "OUT_OF_MEMORY_ERROR")
  void any_non_fatal_throwable_from_a_consumer_fails_one_delivery_and_the_listener_goes_on(
      ConsumerFailure failure) {
    Received<Command> received = received();
    AtomicInteger poisonAttempts = new AtomicInteger();
    subscribe(
        bus,
        "throwing-service",
        Set.of(THIS),
        1,
        command -> {
          if (command.body() instanceof DoThis d && d.text().equals("poison")) {
            poisonAttempts.incrementAndGet();
            failure.throwIt();
          }
          received.record(command);
        });
    Command poison = doThis("poison", 0);
    List<Command> later = doThese(5);

    bus.publish(poison);
    bus.publish(later);

    // One listener: it handled the later commands after the poison's first attempt: it survived.
    received.awaitIds(later);
    Await.until("the poison command to be retried", () -> poisonAttempts.get() >= 2);
    assertThat(received.ids()).doesNotContain(poison.messageId());
    assertThat(consumersOf(bus.health())).isEqualTo(BusHealth.healthy(1));
  }

  @Test
  void a_fatal_error_stops_every_consumer_of_the_bus_and_its_command_is_not_lost() {
    AtomicInteger calls = new AtomicInteger();
    subscribe(
        bus,
        "fatal-service",
        Set.of(THIS),
        1,
        command -> {
          calls.incrementAndGet();
          ConsumerFailure.OUT_OF_MEMORY_ERROR.throwIt();
        });
    subscribe(bus, "bystander-service", Set.of(THAT), 2, command -> {});
    Command command = doThis("fatal", 1);

    bus.publish(command);

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
    assertThatThrownBy(() -> bus.subscribe("late-service", Set.of(THAT), 1, c -> {}))
        .isInstanceOf(IllegalStateException.class);
    CommandBus other = second();
    if (other != bus) {
      // Not acknowledged: another instance of the service gets the command.
      Received<Command> redelivered = received();
      subscribe(other, "fatal-service", Set.of(THIS), 1, redelivered::record);
      redelivered.awaitIds(List.of(command));
    }
  }

  // ---------------------------------------------------------------- health

  @Test
  void health_counts_the_listeners_that_consume() {
    assertThat(consumersOf(bus.health())).isEqualTo(BusHealth.healthy(0));
    Subscription two = subscribe(bus, "this-service", Set.of(THIS), 2, command -> {});
    Subscription one = subscribe(bus, "that-service", Set.of(THAT), 1, command -> {});

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
    CommandBus closing = newBus();
    closing.subscribe("closed-with-the-bus", Set.of(THIS), 1, command -> {});
    closing.close();

    assertThat(closing.health().healthy()).isFalse();
    assertThat(closing.health().consumers()).isZero();
  }

  // ---------------------------------------------------------------- bad arguments

  @Test
  void publishing_null_is_rejected() {
    assertThatThrownBy(() -> bus.publish((List<Command>) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("commands");
    assertThatThrownBy(() -> bus.publish((Command) null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void an_asynchronous_publication_with_a_null_command_throws_at_once() {
    Received<Command> received = received();
    subscribe(bus, "this-service", Set.of(THIS), 1, received::record);
    assertThatThrownBy(() -> bus.publishAsync((List<Command>) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("commands");
    List<Command> withNull = new ArrayList<>();
    withNull.add(doThis("fine", 1));
    withNull.add(null);
    assertThatThrownBy(() -> bus.publishAsync(withNull)).isInstanceOf(NullPointerException.class);
    Command marker = doThis("marker", 2);
    assertThat(bus.publishAsync(marker)).succeedsWithin(Await.DEFAULT_TIMEOUT);
    received.awaitIds(List.of(marker));
    assertThat(received.ids()).doesNotContain(withNull.get(0).messageId());
  }

  @Test
  void publishing_on_a_closed_bus_throws_at_once() {
    CommandBus closing = newBus();
    closing.close();

    assertThatThrownBy(() -> closing.publish(doThis("late", 1)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> closing.publishAsync(doThis("late", 2)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void subscribing_with_bad_arguments_is_rejected() {
    CommandConsumer ignore = command -> {};
    assertThatThrownBy(() -> bus.subscribe(null, Set.of(THIS), 1, ignore))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("service");
    assertThatThrownBy(() -> bus.subscribe("s", null, 1, ignore))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("commandTypes");
    assertThatThrownBy(() -> bus.subscribe("s", Set.of(), 1, ignore))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("commandTypes");
    assertThatThrownBy(() -> bus.subscribe("s", Set.of(THIS), 1, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("consumer");
    assertThatThrownBy(() -> bus.subscribe("s", Set.of(THIS), 0, ignore))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("listeners");
  }

  @Test
  void a_rejected_subscription_does_not_make_its_types_routable() {
    assertThatThrownBy(
            () -> bus.subscribe("nobody-service", Set.of("DoNobodysJob"), 0, command -> {}))
        .isInstanceOf(IllegalArgumentException.class);

    assertThatThrownBy(() -> bus.publish(Command.create(new DoNobodysJob("anyone?"))))
        .isInstanceOf(UnroutableMessageException.class);
  }

  // ---------------------------------------------------------------- dead letters

  @Test
  void dead_letters_are_shown_in_place_and_replayed_once_the_consumer_is_cured() throws Exception {
    Received<Command> received = received();
    DeadLetterDrill<Command> drill = new DeadLetterDrill<>(bus, "dead-letter-service", received);
    subscribe(bus, "dead-letter-service", Set.of(THIS), 1, drill::handle);
    List<Command> dead = doThese(3);

    bus.publish(dead);

    drill.looksThenReplays(dead, ids(dead), THIS, this::publishMarker);
  }

  @Test
  void two_racing_replays_replay_each_dead_letter_once() throws Exception {
    Received<Command> received = received();
    DeadLetterDrill<Command> drill = new DeadLetterDrill<>(bus, "raced-service", received);
    subscribe(bus, "raced-service", Set.of(THIS), 1, drill::handle);
    List<Command> dead = doThese(6);

    bus.publish(dead);

    drill.racingReplaysTakeEachOnce(dead, ids(dead), this::publishMarker);
  }

  @Test
  void a_replay_of_one_takes_the_oldest_dead_letter_of_its_own_service_only() throws Exception {
    Received<Command> received = received();
    DeadLetterDrill<Command> drill = new DeadLetterDrill<>(bus, "replayed-service", received);
    DeadLetterDrill<Command> other = new DeadLetterDrill<>(bus, "bystander-service", received());
    subscribe(bus, "replayed-service", Set.of(THIS), 1, drill::handle);
    subscribe(bus, "bystander-service", Set.of(THAT), 1, other::handle);

    bus.publish(List.of(doThat(1), doThat(2)));
    other.awaitDeadLetters(2); // older than the ones a replay of this service may take
    bus.publish(doThese(3));

    drill.replaysOnlyTheOldestOfItsOwnQueue(3, other, 2, this::publishMarker);
  }

  @Test
  void a_non_transient_failure_is_dead_lettered_after_one_attempt() {
    AtomicInteger attempts = new AtomicInteger();
    DeadLetterDrill<Command> drill = new DeadLetterDrill<>(bus, "unhandled-service", received());
    subscribe(
        bus,
        "unhandled-service",
        Set.of(THIS),
        1,
        command -> {
          attempts.incrementAndGet();
          throw new MissingHandlerException("no handler here", Object.class, DoThis.class);
        });

    bus.publish(doThis("unhandled", 1));

    drill.aNonTransientFailureIsDeadLetteredAtOnce(
        attempts, MissingHandlerException.class.getName());
  }

  private Command publishMarker() {
    Command marker = doThis("marker", 0);
    bus.publish(marker);
    return marker;
  }

  // ---------------------------------------------------------------- helpers

  /** Subscribes and remembers the subscription, to close it after the test. */
  protected final Subscription subscribe(
      CommandBus on, String service, Set<String> types, int listeners, CommandConsumer consumer) {
    Subscription subscription = on.subscribe(service, types, listeners, consumer);
    toClose.add(subscription);
    return subscription;
  }

  private CommandBus second() {
    CommandBus other = secondInstanceOf(bus);
    if (other != bus) {
      toClose.add(0, other);
    }
    return other;
  }

  private static CommandConsumer holdUntilOtherHandled(
      String instance,
      Map<String, Integer> byInstance,
      Received<Command> received,
      CountDownLatch mine,
      CountDownLatch theirs) {
    return command -> {
      byInstance.merge(instance, 1, Integer::sum);
      received.record(command);
      mine.countDown();
      // Holding the first command until the other instance has one proves they share the work;
      // an instance that never gets any makes this wait out and the test fail on byInstance.
      theirs.await(HOLD.toMillis(), TimeUnit.MILLISECONDS);
    };
  }

  private static Command doThis(String text, int number) {
    return Command.create(new DoThis(text, number)).withMetadata("n", Integer.toString(number));
  }

  private static Command doThat(int n) {
    return Command.create(new DoThat(n, BigDecimal.valueOf(n, 2), Instant.now()));
  }

  private static List<Command> doThese(int count) {
    List<Command> commands = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      commands.add(doThis("command " + i, i));
    }
    return commands;
  }

  private static Received<Command> received() {
    return new Received<>(Command::messageId, "commands");
  }

  private static List<String> ids(List<Command> commands) {
    return commands.stream().map(Command::messageId).toList();
  }

  private static String id() {
    return UUID.randomUUID().toString();
  }
}
