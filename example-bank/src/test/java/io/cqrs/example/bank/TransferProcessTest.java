package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.MoneyTransfer;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferState;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The money transfer process, end to end through the in-memory store and buses. */
class TransferProcessTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final InMemoryEventBus eventBus = new InMemoryEventBus();
  private final InMemoryCommandBus commandBus = new InMemoryCommandBus();
  private final Bank bank =
      Bank.create(
              BankInfrastructure.of(store, eventBus, commandBus, "test"), new PasswordHasher(1_000))
          .start();
  private final BankService service = bank.service();

  @AfterEach
  void close() {
    bank.close();
    commandBus.close();
    eventBus.close();
  }

  private String open(String name, String balance) {
    return service.openAccount(
        name, "Test", name.toLowerCase() + "@cqrs.example", "$password", new BigDecimal(balance));
  }

  private BigDecimal balance(String accountId) {
    return service.findAccount(accountId).orElseThrow().balance();
  }

  @Test
  void a_transfer_moves_the_money_and_all_its_events_share_its_correlation_id() throws Exception {
    String ada = open("Ada", "100.00");
    String bob = open("Bob", "0.00");

    String transferId = service.transfer(ada, bob, new BigDecimal("40.00"));
    MoneyTransfer transfer = service.awaitTransfer(transferId, TIMEOUT);

    assertThat(transfer.state()).isEqualTo(TransferState.COMPLETED);
    assertThat(balance(ada)).isEqualTo(new BigDecimal("60.00"));
    assertThat(balance(bob)).isEqualTo(new BigDecimal("40.00"));
    assertThat(service.eventsOfCorrelation(transferId))
        .extracting(VersionedEvent::eventType)
        .containsExactly(
            "MoneyTransferCreated",
            "AccountDebited",
            "MoneyTransferDebited",
            "AccountCredited",
            "MoneyTransferCompleted");
    assertThat(service.eventsOfCorrelation(transferId))
        .allSatisfy(event -> assertThat(event.causationId()).isNotNull());
  }

  @Test
  void a_transfer_beyond_the_balance_fails_and_moves_nothing() throws Exception {
    String ada = open("Ada", "10.00");
    String bob = open("Bob", "0.00");

    String transferId = service.transfer(ada, bob, new BigDecimal("10.01"));
    MoneyTransfer transfer = service.awaitTransfer(transferId, TIMEOUT);

    assertThat(transfer.state()).isEqualTo(TransferState.FAILED);
    assertThat(transfer.failureReason()).contains("insufficient funds");
    assertThat(balance(ada)).isEqualTo(new BigDecimal("10.00"));
    assertThat(balance(bob)).isEqualTo(new BigDecimal("0.00"));
  }

  @Test
  void a_transfer_to_a_closed_account_is_compensated_and_fails() throws Exception {
    String ada = open("Ada", "10.00");
    String bob = open("Bob", "0.00");
    service.closeAccount(bob);

    String transferId = service.transfer(ada, bob, new BigDecimal("10.00"));
    MoneyTransfer transfer = service.awaitTransfer(transferId, TIMEOUT);

    assertThat(transfer.state()).isEqualTo(TransferState.FAILED);
    assertThat(transfer.failureReason()).isEqualTo("the destination account is closed");
    assertThat(balance(ada)).isEqualTo(new BigDecimal("10.00"));
    assertThat(balance(bob)).isEqualTo(new BigDecimal("0.00"));
    assertThat(service.eventsOfCorrelation(transferId))
        .extracting(VersionedEvent::eventType)
        .containsSubsequence("AccountDebited", "TransferCreditRefused", "AccountRefunded")
        .endsWith("MoneyTransferFailed");
  }

  @Test
  void delivering_every_event_of_a_transfer_again_changes_nothing() throws Exception {
    String ada = open("Ada", "100.00");
    String bob = open("Bob", "0.00");
    service.closeAccount(bob);
    String transferId = service.transfer(ada, bob, new BigDecimal("25.00"));
    service.awaitTransfer(transferId, TIMEOUT);
    long adaVersion = store.version(ada);
    long transferVersion = store.version(transferId);

    eventBus.publish(service.eventsOfCorrelation(transferId));
    Await.await("the redelivered events to be handled").atMost(TIMEOUT).until(this::busesIdle);

    assertThat(store.version(ada)).isEqualTo(adaVersion);
    assertThat(store.version(transferId)).isEqualTo(transferVersion);
    assertThat(balance(ada)).isEqualTo(new BigDecimal("100.00"));
    assertThat(eventBus.deadLetters()).isEmpty();
    assertThat(commandBus.deadLetters()).isEmpty();
  }

  @Test
  void concurrent_transfers_both_ways_conserve_money() throws Exception {
    String ada = open("Ada", "10.00");
    String bob = open("Bob", "10.00");
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<String>> requests = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      requests.add(clients.submit(() -> service.transfer(ada, bob, new BigDecimal("1.50"))));
      requests.add(clients.submit(() -> service.transfer(bob, ada, new BigDecimal("1.00"))));
    }
    clients.shutdown();
    List<MoneyTransfer> transfers = new ArrayList<>();
    for (Future<String> request : requests) {
      transfers.add(service.awaitTransfer(request.get(), TIMEOUT));
    }

    BigDecimal adaExpected = new BigDecimal("10.00");
    for (MoneyTransfer transfer : transfers) {
      assertThat(transfer.state()).isIn(TransferState.COMPLETED, TransferState.FAILED);
      if (transfer.state() == TransferState.COMPLETED) {
        adaExpected =
            transfer.fromAccountId().equals(ada)
                ? adaExpected.subtract(transfer.amount())
                : adaExpected.add(transfer.amount());
      }
    }
    assertThat(balance(ada)).isEqualTo(adaExpected);
    assertThat(balance(ada).add(balance(bob))).isEqualTo(new BigDecimal("20.00"));
    assertThat(commandBus.deadLetters()).isEmpty();
  }

  private boolean busesIdle() {
    return eventBus.isIdle() && commandBus.isIdle();
  }
}
