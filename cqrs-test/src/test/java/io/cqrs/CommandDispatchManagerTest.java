package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.Wallet.Deposited;
import io.cqrs.Wallet.InsufficientFunds;
import io.cqrs.memory.DeadLetter;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CommandDispatchManagerTest {
  record OpenWallet(String walletId, String owner) {}

  record Deposit(String walletId, BigDecimal amount) {}

  record Withdraw(String walletId, BigDecimal amount) {}

  record Unhandled(String text) {}

  /** Not the registered Deposit, though it goes by the same name. */
  @TypeName("Deposit")
  record ForeignDeposit(String walletId) {}

  private final ObservedStore store = new ObservedStore();
  private final TypeRegistry registry = Wallet.types();
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(store, registry)
          .snapshotPolicy(SnapshotPolicy.never())
          .build();
  private final InMemoryCommandBus bus = new InMemoryCommandBus();
  private final AtomicInteger handlerCalls = new AtomicInteger();
  private CommandDispatchManager manager = manager(10);

  @AfterEach
  void close() {
    manager.close();
    bus.close();
  }

  // ---------------------------------------------------------------- direct dispatch

  @Test
  void dispatch_runs_the_handler_of_the_command_type_with_body_and_envelope() throws Exception {
    Command open = Command.create(new OpenWallet("w-1", "ada"), "correlation-1");

    manager.dispatch(open);

    assertThat(repository.get("w-1", Wallet::new).owner()).isEqualTo("ada");
    assertThat(store.eventsByCorrelationId("correlation-1"))
        .singleElement()
        .satisfies(e -> assertThat(e.causationId()).isEqualTo(open.messageId()));
    assertThat(registry.typeOf("Deposit")).isEqualTo(Deposit.class);
    assertThat(manager.commandTypes())
        .containsExactlyInAnyOrder("OpenWallet", "Deposit", "Withdraw");
  }

  @Test
  void a_conflict_is_retried_with_the_aggregate_reloaded() throws Exception {
    manager.dispatch(Command.create(new OpenWallet("w-1", "ada")));
    AtomicInteger competitorWrites = new AtomicInteger();
    store.beforeSave =
        stream -> {
          if (competitorWrites.get() < 2) {
            competitorWrites.incrementAndGet();
            competingDeposit(stream, "100");
          }
        };
    handlerCalls.set(0);
    Command deposit = Command.create(new Deposit("w-1", BigDecimal.ONE), "correlation-2");

    manager.dispatch(deposit);

    assertThat(handlerCalls).hasValue(3);
    Wallet wallet = repository.get("w-1", Wallet::new);
    assertThat(wallet.balance()).isEqualByComparingTo("201");
    assertThat(wallet.version()).isEqualTo(4);
    assertThat(store.eventsByCorrelationId("correlation-2"))
        .singleElement()
        .satisfies(e -> assertThat(e.version()).isEqualTo(4));
  }

  @Test
  void a_conflict_that_persists_fails_after_max_attempts_and_is_not_recorded_as_an_outcome()
      throws Exception {
    manager = manager(3);
    manager.dispatch(Command.create(new OpenWallet("w-1", "ada")));
    store.beforeSave = stream -> competingDeposit(stream, "100");
    handlerCalls.set(0);
    Command deposit = Command.create(new Deposit("w-1", BigDecimal.ONE), "correlation-3");

    assertThatThrownBy(() -> manager.dispatch(deposit)).isInstanceOf(ConcurrencyException.class);

    assertThat(handlerCalls).hasValue(3);
    // Transient, so not an outcome: a redelivery must run the command, not find it "handled".
    assertThat(failuresOf("correlation-3")).isEmpty();
    store.beforeSave = stream -> {};
    manager.dispatch(deposit);
    assertThat(handlerCalls).hasValue(4);
    assertThat(store.eventsByCorrelationId("correlation-3")).hasSize(1);
  }

  @Test
  void a_domain_rejection_is_rethrown_once_and_recorded_under_the_correlation_id()
      throws Exception {
    manager.dispatch(Command.create(new OpenWallet("w-1", "ada")));
    handlerCalls.set(0);
    Command withdraw =
        Command.create(new Withdraw("w-1", BigDecimal.TEN), "correlation-4")
            .withMetadata("actor", "ada");

    assertThatThrownBy(() -> manager.dispatch(withdraw))
        .isInstanceOf(InsufficientFunds.class)
        .hasMessageContaining("cannot withdraw 10");

    assertThat(handlerCalls).hasValue(1);
    List<VersionedEvent> history = store.eventsByCorrelationId("correlation-4");
    assertThat(history)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.eventType()).isEqualTo("CommandFailed");
              assertThat(e.causationId()).isEqualTo(withdraw.messageId());
              assertThat(e.actor()).isEqualTo("ada");
              assertThat(e.version()).isZero();
              assertThat(e.event())
                  .isEqualTo(
                      new CommandFailed(
                          withdraw.messageId(),
                          "Withdraw",
                          InsufficientFunds.class.getName(),
                          "Wallet w-1 holds 0, cannot withdraw 10"));
            });
    assertThat(repository.get("w-1", Wallet::new).version()).isOne();
  }

  @Test
  void a_command_without_a_handler_fails_with_missing_handler_exception_and_is_recorded() {
    Command unhandled = Command.create(new Unhandled("x"), "correlation-5");

    assertThatThrownBy(() -> manager.dispatch(unhandled))
        .isInstanceOf(MissingHandlerException.class)
        .hasMessageContaining("No command handler registered for Unhandled");

    assertThat(failuresOf("correlation-5"))
        .singleElement()
        .satisfies(f -> assertThat(f.commandType()).isEqualTo("Unhandled"));
  }

  @Test
  void a_command_whose_body_is_not_the_registered_class_of_its_type_is_rejected() {
    Command lying =
        new Command(
            "m-1", "correlation-6", null, "Deposit", Instant.now(), new ForeignDeposit("w"), null);

    assertThatThrownBy(() -> manager.dispatch(lying))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("says Deposit")
        .hasMessageContaining(ForeignDeposit.class.getName());
    assertThat(handlerCalls).hasValue(0);
    assertThat(failuresOf("correlation-6")).hasSize(1);
  }

  @Test
  void a_transient_failure_is_rethrown_without_retry_or_record() {
    CommandDispatchManager flaky =
        CommandDispatchManager.builder(null, registry).errorLog(store).build();
    flaky.registerCommandHandler(
        Unhandled.class,
        (body, command) -> {
          handlerCalls.incrementAndGet();
          throw new TransientCqrsException("store briefly unavailable");
        });
    Command command = Command.create(new Unhandled("x"), "correlation-7");

    assertThatThrownBy(() -> flaky.dispatch(command)).isInstanceOf(TransientCqrsException.class);

    assertThat(handlerCalls).hasValue(1);
    assertThat(failuresOf("correlation-7")).isEmpty();
  }

  @Test
  void a_failing_error_log_does_not_hide_the_commands_failure() throws Exception {
    manager.dispatch(Command.create(new OpenWallet("w-1", "ada")));
    store.failRecordIntegrationEvent = new TransientCqrsException("log unavailable");

    assertThatThrownBy(() -> manager.dispatch(Command.create(new Withdraw("w-1", BigDecimal.TEN))))
        .isInstanceOf(InsufficientFunds.class);
  }

  @Test
  void a_second_handler_for_one_command_type_is_rejected() {
    assertThatThrownBy(() -> manager.registerCommandHandler(Deposit.class, (body, command) -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Deposit");
  }

  @Test
  void builder_settings_are_validated_naming_the_setting() {
    CommandDispatchManager.Builder builder = CommandDispatchManager.builder(null, registry);

    assertThatThrownBy(() -> builder.maxAttempts(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxAttempts");
    assertThatThrownBy(() -> builder.maxBackoff(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBackoff");
    assertThatThrownBy(() -> builder.maxBackoff(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBackoff");
    // A "never" would overflow where the first conflict's back-off is reckoned, not here.
    assertThatThrownBy(() -> builder.maxBackoff(ChronoUnit.FOREVER.getDuration()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBackoff must be at most 365 days");
    assertThatThrownBy(() -> builder.errorLog(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("errorLog");
    assertThatThrownBy(() -> CommandDispatchManager.builder(bus, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("registry");
  }

  @Test
  void listening_needs_a_bus_and_handlers() {
    CommandDispatchManager busless = CommandDispatchManager.builder(null, registry).build();
    busless.registerCommandHandler(Unhandled.class, (body, command) -> {});
    CommandDispatchManager empty = CommandDispatchManager.builder(bus, registry).build();

    assertThatThrownBy(() -> busless.listen("s", 1))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("without a bus");
    assertThatThrownBy(() -> empty.listen("s", 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Register command handlers");
  }

  // ---------------------------------------------------------------- through the bus

  @Test
  void commands_from_the_bus_are_handled() {
    manager.listen("wallets", 2);
    bus.publish(Command.create(new OpenWallet("w-1", "ada")));
    Await.until("w-1 opened", () -> store.version("w-1") == 1);

    for (int i = 0; i < 10; i++) {
      bus.publish(Command.create(new Deposit("w-1", BigDecimal.ONE)));
    }

    Await.until("ten deposits", () -> store.version("w-1") == 11);
    assertThat(repository.get("w-1", Wallet::new).balance()).isEqualByComparingTo("10");
  }

  @Test
  void a_rejection_from_the_bus_is_recorded_and_consumed_not_redelivered() {
    manager.listen("wallets", 1);
    bus.publish(Command.create(new OpenWallet("w-1", "ada")));
    Command withdraw = Command.create(new Withdraw("w-1", BigDecimal.TEN), "correlation-8");

    bus.publish(withdraw);
    Command marker = Command.create(new Deposit("w-1", BigDecimal.ONE));
    bus.publish(marker);

    Await.until("the marker deposit", () -> store.version("w-1") == 2);
    assertThat(failuresOf("correlation-8")).hasSize(1);
    assertThat(store.calls).filteredOn(c -> c.startsWith("save")).hasSize(2);
    assertThat(handlerCalls).hasValue(3);
    assertThat(bus.deadLetters()).isEmpty();
  }

  @Test
  void a_framework_failure_from_the_bus_is_rethrown_so_the_bus_dead_letters_it() {
    manager.registerCommandHandler(
        Unhandled.class,
        (body, command) -> {
          throw new UnknownTypeException("SomethingUnregistered");
        });
    manager.listen("wallets", 1);
    Command command = Command.create(new Unhandled("x"));

    bus.publish(command);

    Await.until("a dead letter", () -> !bus.deadLetters().isEmpty());
    DeadLetter<Command> dead = bus.deadLetters().get(0);
    assertThat(dead.message()).isEqualTo(command);
    assertThat(dead.subscription()).isEqualTo("wallets");
    assertThat(dead.reason()).contains("UnknownTypeException").contains("SomethingUnregistered");
  }

  @Test
  void a_transient_failure_from_the_bus_is_rethrown_so_the_bus_redelivers_it() {
    AtomicInteger attempts = new AtomicInteger();
    manager.registerCommandHandler(
        Unhandled.class,
        (body, command) -> {
          if (attempts.incrementAndGet() == 1) {
            throw new TransientCqrsException("briefly unavailable");
          }
        });
    manager.listen("wallets", 1);

    bus.publish(Command.create(new Unhandled("x")));

    Await.until("a second attempt", () -> attempts.get() == 2);
    Await.until("the bus to be idle", bus::isIdle);
    assertThat(bus.deadLetters()).isEmpty();
  }

  // ---------------------------------------------------------------- helpers

  private CommandDispatchManager manager(int maxAttempts) {
    CommandDispatchManager made =
        CommandDispatchManager.builder(bus, registry)
            .errorLog(store)
            .maxAttempts(maxAttempts)
            .maxBackoff(Duration.ofMillis(2))
            .build();
    made.registerCommandHandler(
        OpenWallet.class,
        (body, command) -> {
          handlerCalls.incrementAndGet();
          repository.save(Wallet.open(body.walletId(), body.owner()), command);
        });
    made.registerCommandHandler(
        Deposit.class,
        (body, command) -> {
          handlerCalls.incrementAndGet();
          Wallet wallet = repository.get(body.walletId(), Wallet::new);
          wallet.deposit(body.amount());
          repository.save(wallet, command);
        });
    made.registerCommandHandler(
        Withdraw.class,
        (body, command) -> {
          handlerCalls.incrementAndGet();
          Wallet wallet = repository.get(body.walletId(), Wallet::new);
          wallet.withdraw(body.amount());
          repository.save(wallet, command);
        });
    return made;
  }

  /** Another writer appends a deposit straight to the store, behind the handler's back. */
  private void competingDeposit(String stream, String amount) {
    long version = store.delegate.version(stream);
    store.delegate.save(
        stream,
        version,
        List.of(
            new VersionedEvent(
                "competitor-" + version,
                "competitor",
                null,
                stream,
                null,
                null,
                version + 1,
                "Deposited",
                Instant.now(),
                new Deposited(new BigDecimal(amount)),
                Map.of())));
  }

  private List<CommandFailed> failuresOf(String correlationId) {
    return store.eventsByCorrelationId(correlationId).stream()
        .map(VersionedEvent::event)
        .filter(CommandFailed.class::isInstance)
        .map(CommandFailed.class::cast)
        .toList();
  }
}
