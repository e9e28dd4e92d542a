package io.cqrs.example.bank.domain;

import io.cqrs.example.bank.domain.AccountEvent.AccountOpened;
import io.cqrs.example.bank.domain.TransferCommand.CompleteTransfer;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.example.bank.domain.TransferCommand.FailTransferDebit;
import io.cqrs.example.bank.domain.TransferCommand.RecordTransferDebit;
import io.cqrs.example.bank.domain.TransferCommand.RecordTransferRefund;
import io.cqrs.example.bank.domain.TransferCommand.RefuseTransferCredit;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCompleted;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreated;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreditRefused;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferDebited;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferFailed;
import io.cqrs.testing.AggregateFixture;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class MoneyTransferTest {
  private static final String HASH = new PasswordHasher(1_000).hash("$ThisIsAPassword");
  private static final BigDecimal TEN = new BigDecimal("10.00");
  private static final MoneyTransferCreated CREATED = new MoneyTransferCreated("a", "b", TEN);
  private static final MoneyTransferDebited DEBITED = new MoneyTransferDebited("a", TEN);

  private static AggregateFixture<MoneyTransfer> fixture() {
    return AggregateFixture.of(MoneyTransfer::new, BankTypes.registry())
        .withCommandHandlers(TransferCommandHandlers::register)
        .given("a", new AccountOpened("Ada", "Lovelace", "ada@cqrs.example", HASH, TEN))
        .given("b", new AccountOpened("Charles", "Babbage", "charles@cqrs.example", HASH, TEN));
  }

  @Test
  void a_transfer_between_two_existing_accounts_is_created() {
    fixture().when(new CreateMoneyTransfer("t", "a", "b", new BigDecimal("10"))).then(CREATED);
  }

  @Test
  void a_transfer_from_or_to_an_unknown_account_is_refused() {
    fixture()
        .when(new CreateMoneyTransfer("t", "nobody", "b", TEN))
        .thenFails(UnknownAccountException.class);
    fixture()
        .when(new CreateMoneyTransfer("t", "a", "nobody", TEN))
        .thenFails(UnknownAccountException.class);
  }

  @Test
  void a_transfer_to_the_same_account_or_of_no_money_is_refused() {
    fixture()
        .when(new CreateMoneyTransfer("t", "a", "a", TEN))
        .thenFails(IllegalArgumentException.class);
    fixture()
        .when(new CreateMoneyTransfer("t", "a", "b", BigDecimal.ZERO))
        .thenFails(IllegalArgumentException.class);
  }

  @Test
  void a_transfer_id_cannot_be_used_twice() {
    fixture()
        .given("t", CREATED)
        .when(new CreateMoneyTransfer("t", "a", "b", TEN))
        .thenFails(AlreadyExistsException.class);
  }

  @Test
  void a_transfer_completes_after_its_source_paid() {
    fixture().given("t", CREATED).when(new RecordTransferDebit("t")).then(DEBITED);
    fixture()
        .given("t", CREATED, DEBITED)
        .when(new CompleteTransfer("t"))
        .then(new MoneyTransferCompleted("b", TEN));
  }

  @Test
  void a_transfer_whose_source_refuses_fails_with_nothing_moved() {
    fixture()
        .given("t", CREATED)
        .when(new FailTransferDebit("t", "insufficient funds"))
        .then(new MoneyTransferFailed("insufficient funds", false));
  }

  @Test
  void a_transfer_whose_destination_refuses_fails_once_the_source_is_refunded() {
    AggregateFixture<MoneyTransfer> fixture = fixture().given("t", CREATED, DEBITED);

    fixture
        .when(new RefuseTransferCredit("t", "closed"))
        .then(new MoneyTransferCreditRefused("closed"));
    fixture.when(new RecordTransferRefund("t")).then(new MoneyTransferFailed("closed", true));
  }

  @Test
  void a_step_taken_again_records_nothing() {
    fixture().given("t", CREATED, DEBITED).when(new RecordTransferDebit("t")).then();
    fixture()
        .given("t", CREATED, DEBITED, new MoneyTransferCompleted("b", TEN))
        .when(new CompleteTransfer("t"))
        .then();
    fixture()
        .given("t", CREATED, new MoneyTransferFailed("insufficient funds", false))
        .when(new FailTransferDebit("t", "insufficient funds"))
        .then();
    fixture()
        .given("t", CREATED, DEBITED, new MoneyTransferCreditRefused("closed"))
        .when(new RefuseTransferCredit("t", "closed"))
        .then();
  }

  @Test
  void a_step_that_contradicts_the_transfer_is_refused() {
    fixture()
        .given("t", CREATED)
        .when(new CompleteTransfer("t"))
        .thenFails(IllegalStateException.class);
    fixture()
        .given("t", CREATED, DEBITED)
        .when(new FailTransferDebit("t", "too late"))
        .thenFails(IllegalStateException.class);
    fixture()
        .given("t", CREATED, DEBITED)
        .when(new RecordTransferRefund("t"))
        .thenFails(IllegalStateException.class);
  }

  @Test
  void steps_of_a_transfer_that_does_not_exist_are_refused() {
    fixture().when(new RecordTransferDebit("nope")).thenFails(UnknownTransferException.class);
  }
}
