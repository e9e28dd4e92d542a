package io.cqrs.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.CommandFailed;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventDispatchManager;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.scenario.AccountEvents.AccountCreated;
import io.cqrs.scenario.AccountEvents.AccountCredited;
import io.cqrs.scenario.AccountEvents.AccountDebited;
import io.cqrs.scenario.AccountEvents.EmailAddressChanged;
import io.cqrs.scenario.AccountEvents.PasswordChanged;
import io.cqrs.scenario.AccountsReadModel.AccountView;
import io.cqrs.scenario.BankCommands.ChangeEmailAddress;
import io.cqrs.scenario.BankCommands.ChangePassword;
import io.cqrs.scenario.BankCommands.CreditAccount;
import io.cqrs.scenario.BankCommands.DebitAccount;
import io.cqrs.scenario.UsersReadModel.User;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * andrewwebber's {@code TestScenario} (in-memory flavour), end to end: an account is created and
 * saved, then changed through commands on the command bus; read models follow through the event
 * bus; history is read back by correlation id and the account rebuilt from its events.
 */
class BankScenarioTest {
  private static final Duration SYNC = Duration.ofSeconds(10);

  private final TypeRegistry registry =
      new TypeRegistry()
          .registerAggregate(
              Account.class,
              AccountCreated.class,
              EmailAddressChanged.class,
              PasswordChanged.class,
              AccountCredited.class,
              AccountDebited.class);
  private final InMemoryEventStreamRepository persistence = new InMemoryEventStreamRepository();
  private final InMemoryEventBus eventBus = new InMemoryEventBus();
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(persistence, registry).publisher(eventBus).build();
  private final AccountsReadModel readModel = new AccountsReadModel();
  private final UsersReadModel usersModel = new UsersReadModel();
  private final InMemoryEventStreamRepository integrationEventsLog =
      new InMemoryEventStreamRepository();
  private final VersionedEventDispatchManager eventDispatcher =
      new VersionedEventDispatchManager(eventBus, registry);
  private final InMemoryCommandBus commandBus = new InMemoryCommandBus();
  private final CommandDispatchManager commandDispatcher =
      CommandDispatchManager.builder(commandBus, registry).errorLog(persistence).build();

  @BeforeEach
  void wireUp() {
    // As in the original: a handler for AccountCreated feeds both models, and a global handler
    // logs every event and feeds both models too; the models ignore what they have seen.
    eventDispatcher.registerEventHandler(
        AccountCreated.class,
        event -> {
          readModel.update(event);
          usersModel.update(event);
        });
    for (Class<?> type :
        List.of(
            EmailAddressChanged.class,
            PasswordChanged.class,
            AccountCredited.class,
            AccountDebited.class)) {
      eventDispatcher.registerEventHandler(type, readModel::update);
    }
    eventDispatcher.registerGlobalHandler(
        event -> {
          integrationEventsLog.recordIntegrationEvent(event);
          readModel.update(event);
          usersModel.update(event);
        });
    // One listener each, so that events of one account reach the models in version order.
    eventDispatcher.listen("read-models", 1);
    BankCommands.register(commandDispatcher, repository);
    commandDispatcher.listen("accounts", 1);
  }

  @AfterEach
  void shutDown() {
    commandDispatcher.close();
    commandBus.close();
    eventDispatcher.close();
    eventBus.close();
  }

  @Test
  void the_bank_scenario_keeps_write_model_read_models_and_history_consistent() {
    String correlationId = UUID.randomUUID().toString();
    String accountId = UUID.randomUUID().toString();

    // Create the account and change its password before the first save, as the original does.
    Account account =
        Account.create(
            accountId,
            "John",
            "Snow",
            "john.snow@cqrs.example",
            "$ThisIsMyPassword1",
            BigDecimal.ZERO);
    account.changePassword("$ThisIsANOTHERPassword");
    repository.save(account, correlationId);

    String lastEmailAddress = null;
    for (int i = 1; i <= 3; i++) {
      lastEmailAddress = "john.snow+" + i + "@cqrs.example";
      send(new ChangeEmailAddress(accountId, lastEmailAddress), correlationId);
      send(new CreditAccount(accountId, new BigDecimal("100.10")), correlationId);
    }
    send(new DebitAccount(accountId, new BigDecimal("50.05")), correlationId);
    Command overdraft = send(new DebitAccount(accountId, new BigDecimal("1000.00")), correlationId);
    send(new ChangePassword(accountId, "$ThisIsTheLastPassword"), correlationId);

    // Write model: 2 + 3 x 2 + 1 + 1 events; the overdraft was rejected.
    Await.until(SYNC, "the write model at version 10", () -> persistence.version(accountId) == 10);
    Await.until(
        SYNC,
        () ->
            "the read models at version 10, were "
                + readModel.versionOf(accountId)
                + "/"
                + usersModel.versionOf(accountId),
        () -> readModel.versionOf(accountId) == 10 && usersModel.versionOf(accountId) == 10);

    // Reload from history.
    Account reloaded = repository.get(accountId, Account::new);
    assertThat(reloaded.version()).isEqualTo(10);
    assertThat(reloaded.emailAddress()).isEqualTo(lastEmailAddress);
    assertThat(reloaded.balance()).isEqualTo(new BigDecimal("250.25"));
    assertThat(reloaded.passwordMatches("$ThisIsTheLastPassword")).isTrue();
    assertThat(reloaded.passwordMatches("$ThisIsANOTHERPassword")).isFalse();
    assertThat(reloaded.passwordHash()).doesNotContain("ThisIs");

    // Read models in sync with the write model.
    AccountView view = readModel.account(accountId).orElseThrow();
    assertThat(view.balance()).isEqualTo(reloaded.balance());
    assertThat(view.emailAddress()).isEqualTo(reloaded.emailAddress());
    assertThat(view.firstName()).isEqualTo("John");
    User user = usersModel.user(accountId).orElseThrow();
    assertThat(user.emailAddress()).isEqualTo(lastEmailAddress);
    assertThat(user.passwordHash()).isEqualTo(reloaded.passwordHash());

    // History by correlation id: every event in commit order, the rejection among them.
    List<VersionedEvent> history = persistence.eventsByCorrelationId(correlationId);
    assertThat(history)
        .extracting(VersionedEvent::eventType)
        .containsExactly(
            "AccountCreated",
            "PasswordChanged",
            "EmailAddressChanged",
            "AccountCredited",
            "EmailAddressChanged",
            "AccountCredited",
            "EmailAddressChanged",
            "AccountCredited",
            "AccountDebited",
            "CommandFailed",
            "PasswordChanged");
    assertThat(history.get(9).event())
        .isInstanceOfSatisfying(
            CommandFailed.class,
            failed -> {
              assertThat(failed.commandId()).isEqualTo(overdraft.messageId());
              assertThat(failed.commandType()).isEqualTo("DebitAccount");
              assertThat(failed.errorType())
                  .isEqualTo(Account.InsufficientFundsException.class.getName());
            });
    assertThat(history.get(4).event())
        .isEqualTo(new EmailAddressChanged("john.snow+1@cqrs.example", "john.snow+2@cqrs.example"));

    // The integration log kept by the global handler saw every published event once.
    Await.until(
        SYNC,
        "the integration log to hold 10 events",
        () -> integrationEventsLog.eventsByCorrelationId(correlationId).size() == 10);
    assertThat(integrationEventsLog.eventsByCorrelationId(correlationId))
        .containsExactlyElementsOf(persistence.load(accountId));
    assertThat(eventBus.deadLetters()).isEmpty();
    assertThat(commandBus.deadLetters()).isEmpty();
  }

  @Test
  void accounts_are_independent_and_each_history_holds_only_its_own_events() {
    String johnsCorrelation = UUID.randomUUID().toString();
    String janesCorrelation = UUID.randomUUID().toString();
    repository.save(
        Account.create("john", "John", "Snow", "john@cqrs.example", "pw-john", BigDecimal.ZERO),
        johnsCorrelation);
    repository.save(
        Account.create("jane", "Jane", "Doe", "jane@cqrs.example", "pw-jane", new BigDecimal("5")),
        janesCorrelation);

    for (int i = 0; i < 5; i++) {
      send(new CreditAccount("john", BigDecimal.ONE), johnsCorrelation);
      send(new DebitAccount("jane", BigDecimal.ONE), janesCorrelation);
    }
    send(new DebitAccount("jane", BigDecimal.ONE), janesCorrelation);

    Await.until(
        SYNC,
        "both read models caught up",
        () -> readModel.versionOf("john") == 6 && readModel.versionOf("jane") == 6);
    assertThat(readModel.account("john").orElseThrow().balance()).isEqualByComparingTo("5");
    assertThat(readModel.account("jane").orElseThrow().balance()).isEqualByComparingTo("0");
    assertThat(repository.get("jane", Account::new).balance()).isEqualByComparingTo("0");
    Await.until(
        SYNC,
        "jane's overdraft to be recorded",
        () -> persistence.eventsByCorrelationId(janesCorrelation).size() == 7);
    assertThat(persistence.eventsByCorrelationId(johnsCorrelation))
        .allSatisfy(e -> assertThat(e.sourceId()).isEqualTo("john"))
        .hasSize(6);
    assertThat(persistence.eventsByCorrelationId(janesCorrelation).get(6).event())
        .isInstanceOf(CommandFailed.class);
  }

  private Command send(Object body, String correlationId) {
    Command command = Command.create(body, correlationId);
    commandBus.publish(command);
    return command;
  }
}
