package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.Command;
import io.cqrs.CommandFailed;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccount;
import io.cqrs.example.bank.domain.InsufficientFundsException;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.UnknownAccountException;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.BankReadModels;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bank's wiring: commands synchronous and through the bus, read models, rebuilds. */
class BankTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final BankInfrastructure infrastructure = BankInfrastructure.inMemory();
  private final Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();
  private final BankService service = bank.service();

  @AfterEach
  void close() {
    bank.close();
    infrastructure.close();
  }

  @Test
  void the_read_models_catch_up_with_synchronous_commands() throws Exception {
    String id =
        service.openAccount("Ada", "Lovelace", "ada@cqrs.example", "$password", BigDecimal.TEN);
    service.credit(id, new BigDecimal("2.50"));
    service.changeEmailAddress(id, "ada@engine.example");

    bank.awaitReadModels(List.of(id), List.of(), TIMEOUT);

    assertThat(bank.accounts().find(id))
        .contains(
            new AccountView(
                id, "Ada", "Lovelace", "ada@engine.example", new BigDecimal("12.50"), false));
    assertThat(bank.users().find(id).orElseThrow().email()).isEqualTo("ada@engine.example");
    assertThat(ReadModelCheck.differences(bank, List.of(id), List.of())).isEmpty();
  }

  @Test
  void a_command_sent_through_the_bus_is_handled_under_its_correlation_id() throws Exception {
    String id =
        service.openAccount("Ada", "Lovelace", "ada@cqrs.example", "$password", BigDecimal.TEN);

    Command credit = service.send(new CreditAccount(id, new BigDecimal("5")));
    List<VersionedEvent> outcome = service.awaitOutcome(credit, TIMEOUT);

    assertThat(outcome).extracting(VersionedEvent::eventType).containsExactly("AccountCredited");
    assertThat(outcome.get(0).causationId()).isEqualTo(credit.messageId());
    assertThat(service.findAccount(id).orElseThrow().balance()).isEqualTo(new BigDecimal("15.00"));
  }

  @Test
  void a_refused_command_is_thrown_to_its_caller_and_recorded_under_its_correlation_id() {
    String id =
        service.openAccount("Ada", "Lovelace", "ada@cqrs.example", "$password", BigDecimal.TEN);
    Command debit = Command.create(new DebitAccount(id, new BigDecimal("11")));

    assertThatThrownBy(() -> service.execute(debit)).isInstanceOf(InsufficientFundsException.class);

    assertThat(service.eventsOfCorrelation(debit.correlationId()))
        .singleElement()
        .satisfies(
            event ->
                assertThat(event.eventAs(CommandFailed.class).errorType())
                    .isEqualTo(InsufficientFundsException.class.getName()));
    assertThat(service.findAccount(id).orElseThrow().version()).isEqualTo(1);
  }

  @Test
  void a_refused_command_sent_through_the_bus_is_recorded_not_retried() throws Exception {
    Command credit = service.send(new CreditAccount("nobody", new BigDecimal("5")));

    List<VersionedEvent> outcome = service.awaitOutcome(credit, TIMEOUT);

    assertThat(outcome)
        .singleElement()
        .satisfies(
            event ->
                assertThat(event.eventAs(CommandFailed.class).errorType())
                    .isEqualTo(UnknownAccountException.class.getName()));
  }

  @Test
  void the_read_models_rebuilt_from_the_integration_log_equal_the_live_ones() throws Exception {
    String ada =
        service.openAccount("Ada", "Lovelace", "ada@cqrs.example", "$password", BigDecimal.TEN);
    String bob =
        service.openAccount("Bob", "Babbage", "bob@cqrs.example", "$password", BigDecimal.ONE);
    String transfer = service.transfer(ada, bob, new BigDecimal("3"));
    service.awaitTransfer(transfer, TIMEOUT);
    bank.awaitReadModels(List.of(ada, bob), List.of(transfer), TIMEOUT);
    List<AccountView> live = bank.accounts().all();

    long replayed = bank.rebuildReadModels(TIMEOUT);

    // In memory a log position counts entries: the replay read the whole log.
    assertThat(replayed).isEqualTo(infrastructure.store().readLog(1, 1_000).size());
    assertThat(bank.accounts().all()).isEqualTo(live);
    assertThat(ReadModelCheck.differences(bank, List.of(ada, bob), List.of(transfer))).isEmpty();
  }

  @Test
  void
      a_blue_green_rebuild_while_commands_keep_flowing_ends_equal_to_the_live_read_models_and_a_fold()
          throws Exception {
    String ada =
        service.openAccount(
            "Ada", "Lovelace", "ada@cqrs.example", "$password", new BigDecimal("500"));
    String bob =
        service.openAccount("Bob", "Babbage", "bob@cqrs.example", "$password", BigDecimal.ONE);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger commands = new AtomicInteger();
    List<String> transfers = new CopyOnWriteArrayList<>();
    ExecutorService sender = Executors.newSingleThreadExecutor();
    Future<?> traffic =
        sender.submit(
            () -> {
              while (!stop.get()) {
                service.credit(bob, new BigDecimal("1.25"));
                if (commands.incrementAndGet() % 5 == 0) {
                  transfers.add(service.transfer(ada, bob, BigDecimal.ONE));
                }
              }
              return null;
            });
    try {
      Await.await("commands before the rebuild").atMost(TIMEOUT).until(() -> commands.get() >= 20);
      BlueGreenRebuild.Result result =
          new BlueGreenRebuild(bank, new PrintStream(OutputStream.nullOutputStream()), TIMEOUT)
              .run();
      int atSwitch = commands.get();
      Await.await("commands after the switch")
          .atMost(TIMEOUT)
          .until(() -> commands.get() >= atSwitch + 20);
      stop.set(true);
      traffic.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

      assertThat(result.differences()).isEmpty();
      assertThat(result.switched()).isTrue();
      assertThat(infrastructure.generation().current()).isEqualTo(result.rebuilt());
      // A process started now serves the new generation; its processors resume from the rebuild's
      // checkpoints and catch up with what came after the switch.
      BankReadModels next =
          new BankReadModels(infrastructure.store(), infrastructure.viewsOf(result.rebuilt()));
      List<TrackingEventProcessor> processors = next.processors(result.rebuilt(), 4);
      try {
        processors.forEach(TrackingEventProcessor::start);
        for (String transfer : transfers) {
          service.awaitTransfer(transfer, TIMEOUT);
        }
        BankReadModels.awaitCaughtUp(processors, TIMEOUT);
        bank.awaitReadModels(List.of(ada, bob), transfers, TIMEOUT);
      } finally {
        processors.forEach(TrackingEventProcessor::close);
      }
      assertThat(transfers).isNotEmpty();
      assertThat(next.differencesFrom(bank.readModels())).isEmpty();
      assertThat(next.differencesFrom(BankOnServers.fold(infrastructure.store()))).isEmpty();
      assertThat(next.accounts().version(bob)).isEqualTo(infrastructure.store().version(bob));
    } finally {
      stop.set(true);
      sender.shutdownNow();
    }
  }

  @Test
  void the_history_of_an_unknown_account_is_refused() throws Exception {
    assertThatThrownBy(() -> service.history("nobody", 0, 10))
        .isInstanceOf(UnknownAccountException.class);
    String ada =
        service.openAccount("Ada", "Lovelace", "ada@cqrs.example", "$password", BigDecimal.TEN);
    String bob =
        service.openAccount("Bob", "Babbage", "bob@cqrs.example", "$password", BigDecimal.ONE);
    String transfer = service.transfer(ada, bob, new BigDecimal("3"));
    service.awaitTransfer(transfer, TIMEOUT);
    // A transfer's stream is not an account's, whichever page is asked for.
    for (long after : new long[] {0, 1, 100, Long.MAX_VALUE}) {
      assertThatThrownBy(() -> service.history(transfer, after, 10))
          .as("after " + after)
          .isInstanceOf(UnknownAccountException.class);
    }
    assertThat(service.history(ada, 0, 1).events()).hasSize(1);
    assertThat(service.history(ada, 0, 1).more()).isTrue();
    assertThat(service.history(ada, Long.MAX_VALUE, 1).events()).isEmpty();
    assertThatThrownBy(() -> service.history(ada, -1, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("after");
    assertThatThrownBy(() -> service.history(ada, 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limit");
  }
}
