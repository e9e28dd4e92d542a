package io.cqrs.example.bank.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.example.bank.domain.AccountCommand.ChangeEmailAddress;
import io.cqrs.example.bank.domain.AccountCommand.ChangePassword;
import io.cqrs.example.bank.domain.AccountCommand.CloseAccount;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccountForTransfer;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccount;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccountForTransfer;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.AccountCommand.RefundAccountForTransfer;
import io.cqrs.example.bank.domain.AccountEvent.AccountClosed;
import io.cqrs.example.bank.domain.AccountEvent.AccountCredited;
import io.cqrs.example.bank.domain.AccountEvent.AccountDebited;
import io.cqrs.example.bank.domain.AccountEvent.AccountOpened;
import io.cqrs.example.bank.domain.AccountEvent.AccountRefunded;
import io.cqrs.example.bank.domain.AccountEvent.EmailAddressChanged;
import io.cqrs.example.bank.domain.AccountEvent.PasswordChanged;
import io.cqrs.example.bank.domain.AccountEvent.TransferCreditRefused;
import io.cqrs.example.bank.domain.AccountEvent.TransferDebitRefused;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCompleted;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreated;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreditRefused;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferDebited;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.AggregateFixture;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class AccountTest {
  private static final PasswordHasher HASHER = new PasswordHasher(1_000);
  private static final String HASH = HASHER.hash("$ThisIsAPassword");
  private static final String NEW_HASH = HASHER.hash("$ThisIsANOTHERPassword");
  private static final String ID = "acc-1";
  private static final AccountOpened OPENED_WITH_100 =
      new AccountOpened("John", "Snow", "john.snow@cqrs.example", HASH, money("100.00"));

  private static BigDecimal money(String amount) {
    return new BigDecimal(amount);
  }

  private static AggregateFixture<Account> fixture() {
    return AggregateFixture.of(Account::new, BankTypes.registry())
        .withCommandHandlers(AccountCommandHandlers::register);
  }

  @Test
  void opening_an_account_records_the_owner_and_a_two_decimal_initial_balance() {
    fixture()
        .when(new OpenAccount(ID, " John ", "Snow", "John.Snow@CQRS.example", HASH, money("100")))
        .then(OPENED_WITH_100);
  }

  @Test
  void an_account_opened_for_an_api_user_records_its_owner() {
    fixture()
        .when(
            new OpenAccount(
                ID, "John", "Snow", "john.snow@cqrs.example", HASH, money("100"), "alice"))
        .then(
            new AccountOpened(
                "John", "Snow", "john.snow@cqrs.example", HASH, money("100.00"), "alice"));
  }

  @Test
  void an_account_opened_before_owners_existed_loads_with_no_owner_and_keeps_working() {
    // AccountOpened as revision 1 wrote it: no owner field, no revision in the envelope.
    AggregateFixture<Account> fixture =
        fixture()
            .givenJson(
                ID,
                "AccountOpened",
                1,
                "{\"firstName\":\"John\",\"lastName\":\"Snow\","
                    + "\"email\":\"john.snow@cqrs.example\",\"passwordHash\":\""
                    + HASH
                    + "\",\"initialBalance\":100.00}");

    fixture.when(new CreditAccount(ID, money("1"))).then(new AccountCredited(money("1.00"), null));
    Account loaded = fixture.repository().find(ID, Account::new).orElseThrow();
    assertThat(loaded.owner()).isEqualTo(Account.NO_OWNER);
    assertThat(loaded.balance()).isEqualTo(money("101.00"));
  }

  @Test
  void opening_an_account_under_a_taken_id_is_refused() {
    fixture()
        .given(ID, OPENED_WITH_100)
        .when(new OpenAccount(ID, "Arya", "Stark", "arya@cqrs.example", HASH, Money.ZERO))
        .thenFails(AlreadyExistsException.class);
  }

  @Test
  void opening_an_account_with_a_plain_password_is_refused_without_repeating_it() {
    var outcome =
        fixture()
            .when(new OpenAccount(ID, "John", "Snow", "john@cqrs.example", "hunter2!!", Money.ZERO))
            .thenFails(IllegalArgumentException.class);

    assertThat(outcome.failure().getMessage()).doesNotContain("hunter2");
  }

  @Test
  void opening_an_account_with_invalid_details_is_refused() {
    fixture()
        .when(new OpenAccount(ID, "John", "Snow", "not-an-address", HASH, Money.ZERO))
        .thenFails(IllegalArgumentException.class);
    fixture()
        .when(new OpenAccount(ID, " ", "Snow", "john@cqrs.example", HASH, Money.ZERO))
        .thenFails(IllegalArgumentException.class);
    fixture()
        .when(new OpenAccount(ID, "John", "Snow", "john@cqrs.example", HASH, money("-1")))
        .thenFails(IllegalArgumentException.class);
  }

  @Test
  void changing_the_email_address_records_the_previous_and_the_new_one() {
    fixture()
        .given(ID, OPENED_WITH_100)
        .when(new ChangeEmailAddress(ID, "john.snow@thewall.example"))
        .then(new EmailAddressChanged("john.snow@cqrs.example", "john.snow@thewall.example"));
  }

  @Test
  void changing_the_email_address_to_the_current_one_records_nothing() {
    fixture()
        .given(ID, OPENED_WITH_100)
        .when(new ChangeEmailAddress(ID, "JOHN.SNOW@cqrs.example"))
        .then();
  }

  @Test
  void changing_the_password_records_only_the_new_hash() {
    fixture()
        .given(ID, OPENED_WITH_100)
        .when(new ChangePassword(ID, NEW_HASH))
        .then(new PasswordChanged(NEW_HASH));
  }

  @Test
  void crediting_and_debiting_change_the_balance() {
    AggregateFixture<Account> fixture = fixture().given(ID, OPENED_WITH_100);

    fixture
        .when(new CreditAccount(ID, money("25.5")))
        .then(new AccountCredited(money("25.50"), null));
    fixture
        .when(new DebitAccount(ID, money("125.50")))
        .then(new AccountDebited(money("125.50"), null));

    assertThat(fixture.repository().get(ID, Account::new).balance()).isEqualTo(Money.ZERO);
  }

  @Test
  void a_debit_beyond_the_balance_is_refused_and_records_nothing() {
    AggregateFixture<Account> fixture = fixture().given(ID, OPENED_WITH_100);

    var outcome =
        fixture
            .when(new DebitAccount(ID, money("100.01")))
            .thenFails(InsufficientFundsException.class);

    assertThat(outcome.failure()).hasMessageContaining("holds 100.00, cannot debit 100.01");
    assertThat(fixture.repository().get(ID, Account::new).version()).isEqualTo(1);
  }

  @Test
  void amounts_that_are_not_positive_or_have_three_decimals_are_refused() {
    fixture()
        .given(ID, OPENED_WITH_100)
        .when(new CreditAccount(ID, money("0.001")))
        .thenFails(IllegalArgumentException.class);
    fixture()
        .given(ID, OPENED_WITH_100)
        .when(new DebitAccount(ID, money("-5")))
        .thenFails(IllegalArgumentException.class);
  }

  @Test
  void commands_for_an_account_that_does_not_exist_are_refused() {
    fixture()
        .when(new CreditAccount("nobody", money("1")))
        .thenFails(UnknownAccountException.class);
  }

  @Test
  void a_transfer_id_given_as_an_account_id_is_an_unknown_account() {
    AggregateFixture<Account> fixture = fixture();
    // Saved through the repository, as the application does: the stream records its type.
    fixture.repository().save(MoneyTransfer.create("t-1", "a", "b", money("1.00")), "given");

    fixture.when(new CreditAccount("t-1", money("1"))).thenFails(UnknownAccountException.class);
  }

  @Test
  void only_an_empty_account_can_be_closed_and_then_it_takes_no_money() {
    fixture()
        .given(ID, OPENED_WITH_100)
        .when(new CloseAccount(ID))
        .thenFails(AccountNotEmptyException.class);

    AggregateFixture<Account> fixture =
        fixture().given(ID, OPENED_WITH_100, new AccountDebited(money("100.00"), null));
    fixture.when(new CloseAccount(ID)).then(new AccountClosed());
    fixture.when(new CloseAccount(ID)).then();
    fixture.when(new CreditAccount(ID, money("1"))).thenFails(AccountClosedException.class);
    fixture
        .when(new ChangeEmailAddress(ID, "new@cqrs.example"))
        .thenFails(AccountClosedException.class);
  }

  /** A transfer's step as the transfer process sends it: under the step's message id. */
  private static Command step(String transferId, Object body) {
    return Command.builder(body)
        .messageId(TransferProcess.stepMessageId(transferId, body.getClass()))
        .build();
  }

  private static BigDecimal balance(AggregateFixture<Account> fixture) {
    return fixture.repository().get(ID, Account::new).balance();
  }

  @Test
  void a_transfer_is_paid_once_even_when_its_command_is_delivered_again() {
    AggregateFixture<Account> fixture = fixture().given(ID, OPENED_WITH_100);
    Command debit = step("t-1", new DebitAccountForTransfer(ID, "t-1", money("30")));

    fixture.when(debit).then(new AccountDebited(money("30.00"), "t-1"));
    fixture.when(debit).then();

    assertThat(balance(fixture)).isEqualTo(money("70.00"));
  }

  @Test
  void a_transfer_step_under_another_message_id_is_refused_and_changes_nothing() {
    AggregateFixture<Account> fixture = fixture().given(ID, OPENED_WITH_100);
    Command paid = step("t-1", new DebitAccountForTransfer(ID, "t-1", money("30")));
    fixture.when(paid).then(new AccountDebited(money("30.00"), "t-1"));

    // A second sender that made up its own id, for a step taken already and for a new one.
    var again =
        fixture
            .when(new DebitAccountForTransfer(ID, "t-1", money("30")))
            .thenFails(IllegalArgumentException.class);
    fixture
        .when(new CreditAccountForTransfer(ID, "t-2", money("5")))
        .thenFails(IllegalArgumentException.class);
    // Another transfer's id, or another step's, is no better.
    fixture
        .when(
            Command.builder(new DebitAccountForTransfer(ID, "t-3", money("30")))
                .messageId(paid.messageId())
                .build())
        .thenFails(IllegalArgumentException.class);
    fixture
        .when(
            Command.builder(new RefundAccountForTransfer(ID, "t-1"))
                .messageId(paid.messageId())
                .build())
        .thenFails(IllegalArgumentException.class);

    assertThat(again.failure())
        .hasMessageContaining("must be sent with message id t-1/DebitAccountForTransfer");
    assertThat(balance(fixture)).isEqualTo(money("70.00"));
  }

  @Test
  void a_transfer_beyond_the_balance_is_refused_and_the_refusal_recorded() {
    fixture()
        .given(ID, OPENED_WITH_100)
        .when(step("t-1", new DebitAccountForTransfer(ID, "t-1", money("500"))))
        .then(
            new TransferDebitRefused(
                "t-1", money("500.00"), "insufficient funds: the source account holds 100.00"));
  }

  @Test
  void a_refused_transfer_stays_refused_when_the_balance_grows_before_a_redelivery() {
    AggregateFixture<Account> fixture = fixture().given(ID, OPENED_WITH_100);
    Command debit = step("t-1", new DebitAccountForTransfer(ID, "t-1", money("500")));
    fixture
        .when(debit)
        .then(
            new TransferDebitRefused(
                "t-1", money("500.00"), "insufficient funds: the source account holds 100.00"));
    fixture
        .when(new CreditAccount(ID, money("1000")))
        .then(new AccountCredited(money("1000.00"), null));

    fixture.when(debit).then();

    assertThat(balance(fixture)).isEqualTo(money("1100.00"));
  }

  @Test
  void a_closed_account_refuses_a_transfer_and_records_why() {
    AggregateFixture<Account> fixture =
        fixture()
            .given(
                ID,
                OPENED_WITH_100,
                new AccountDebited(money("100.00"), null),
                new AccountClosed());
    Command credit = step("t-1", new CreditAccountForTransfer(ID, "t-1", money("20")));

    fixture
        .when(credit)
        .then(
            new TransferCreditRefused("t-1", money("20.00"), "the destination account is closed"));
    fixture.when(credit).then();
  }

  /**
   * Transfer {@code transferId} of {@code amount} from account {@code from} to {@code to}, which
   * refused the credit: waiting for its source's refund.
   */
  private static AggregateFixture<Account> awaitingRefund(
      AggregateFixture<Account> fixture, String transferId, String from, String to, String amount) {
    return fixture.given(
        transferId,
        new MoneyTransferCreated(from, to, money(amount)),
        new MoneyTransferDebited(from, money(amount)),
        new MoneyTransferCreditRefused("the destination account is closed"));
  }

  @Test
  void a_refund_gives_back_what_the_transfer_took_once_even_to_a_closed_account() {
    AggregateFixture<Account> fixture =
        awaitingRefund(
            fixture()
                .given(
                    ID,
                    new AccountOpened("John", "Snow", "john@cqrs.example", HASH, money("20.00")),
                    new AccountDebited(money("20.00"), "t-1"),
                    new AccountClosed()),
            "t-1",
            ID,
            "acc-2",
            "20.00");
    Command refund = step("t-1", new RefundAccountForTransfer(ID, "t-1"));

    fixture.when(refund).then(new AccountRefunded(money("20.00"), "t-1"));
    fixture.when(refund).then();

    assertThat(balance(fixture)).isEqualTo(money("20.00"));
    // Closed, it still pays out what came back, and only that; then it refuses as closed.
    fixture.when(new CreditAccount(ID, money("1.00"))).thenFails(AccountClosedException.class);
    fixture.when(new DebitAccount(ID, money("20.01"))).thenFails(InsufficientFundsException.class);
    fixture
        .when(new DebitAccount(ID, money("20.00")))
        .then(new AccountDebited(money("20.00"), null));
    fixture.when(new DebitAccount(ID, money("0.01"))).thenFails(AccountClosedException.class);
  }

  @Test
  void a_refund_past_the_balance_limit_is_accepted_and_the_account_takes_no_money_until_below() {
    AggregateFixture<Account> fixture =
        awaitingRefund(
            fixture()
                .given(
                    ID,
                    new AccountOpened("John", "Snow", "john@cqrs.example", HASH, Money.MAX),
                    new AccountDebited(money("100.00"), "t-1"),
                    new AccountCredited(money("100.00"), null)),
            "t-1",
            ID,
            "acc-2",
            "100.00");
    BigDecimal past = Money.MAX.add(money("100.00"));

    fixture
        .when(step("t-1", new RefundAccountForTransfer(ID, "t-1")))
        .then(new AccountRefunded(money("100.00"), "t-1"));
    var credit =
        fixture.when(new CreditAccount(ID, money("0.01"))).thenFails(BalanceLimitException.class);
    Account refunded = fixture.repository().get(ID, Account::new);
    assertThat(credit.failure())
        .hasMessageContaining("holds " + past.toPlainString() + ", cannot credit 0.01");
    assertThat(refunded.balance()).isEqualTo(past);
    // A transfer is received all the same: its outcome must not tell the sender the balance.
    fixture
        .when(step("t-2", new CreditAccountForTransfer(ID, "t-2", money("0.01"))))
        .then(new AccountCredited(money("0.01"), "t-2"));
    // Debits bring it back below the limit, after which it takes deposits again.
    fixture
        .when(new DebitAccount(ID, money("100.02")))
        .then(new AccountDebited(money("100.02"), null));
    fixture
        .when(new CreditAccount(ID, money("0.01")))
        .then(new AccountCredited(money("0.01"), null));
    assertThat(fixture.repository().get(ID, Account::new).balance()).isEqualTo(Money.MAX);
  }

  @Test
  void a_refund_is_refused_unless_its_transfer_took_this_accounts_money_and_waits_for_it() {
    AggregateFixture<Account> fixture =
        fixture()
            .given(ID, OPENED_WITH_100)
            .given("acc-2", OPENED_WITH_100)
            .given("t-1", new MoneyTransferCreated(ID, "acc-2", money("20.00")))
            .given(
                "t-2",
                new MoneyTransferCreated(ID, "acc-2", money("20.00")),
                new MoneyTransferDebited(ID, money("20.00")),
                new MoneyTransferCompleted("acc-2", money("20.00")));
    awaitingRefund(fixture, "t-4", ID, "acc-2", "20.00");
    awaitingRefund(fixture, "t-3", "acc-2", ID, "20.00");

    // Not debited yet; completed; to another account than its source (either way); none at all.
    var created =
        fixture
            .when(step("t-1", new RefundAccountForTransfer(ID, "t-1")))
            .thenFails(IllegalStateException.class);
    fixture
        .when(step("t-2", new RefundAccountForTransfer(ID, "t-2")))
        .thenFails(IllegalStateException.class);
    var notSource =
        fixture
            .when(step("t-4", new RefundAccountForTransfer("acc-2", "t-4")))
            .thenFails(IllegalStateException.class);
    fixture
        .when(step("t-3", new RefundAccountForTransfer(ID, "t-3")))
        .thenFails(IllegalStateException.class);
    fixture
        .when(step("t-9", new RefundAccountForTransfer(ID, "t-9")))
        .thenFails(UnknownTransferException.class);

    assertThat(created.failure())
        .hasMessage("Transfer t-1 is CREATED, not waiting for a refund from account " + ID);
    assertThat(notSource.failure())
        .hasMessage(
            "Account acc-2 did not pay transfer t-4 (its source is "
                + ID
                + "); there is nothing to refund");
    assertThat(balance(fixture)).isEqualTo(money("100.00"));
    assertThat(fixture.repository().get("acc-2", Account::new).balance())
        .isEqualTo(money("100.00"));
  }

  @Test
  void an_account_restored_from_a_snapshot_keeps_its_balance_and_does_not_grow_with_transfers() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, BankTypes.registry())
            .snapshotPolicy(SnapshotPolicy.every(10))
            .build();
    Account account = Account.open(ID, "John", "Snow", "john@cqrs.example", HASH, money("100"));
    account.debitForTransfer("t-1", money("40"));
    for (int i = 0; i < 8; i++) {
      account.creditForTransfer("in-" + i, money("1"));
    }
    repository.save(account, "correlation");
    int afterTen = store.loadSnapshot(ID).orElseThrow().state().length();
    // 1,000 transfers more, each with its own id: paid, received, refused.
    for (int i = 0; i < 1_000; i++) {
      account.debitForTransfer("out-" + i, money("1"));
      account.creditForTransfer("in-more-" + i, money("1"));
    }
    account.debitForTransfer("too-much", money("1000000"));
    for (int i = 0; i < 9; i++) {
      account.credit(money("1"));
    }
    repository.save(account, "correlation");
    // A store holding the snapshot alone: what is restored can only come from the snapshot.
    InMemoryEventStreamRepository snapshotOnly = new InMemoryEventStreamRepository();
    snapshotOnly.saveSnapshot(store.loadSnapshot(ID).orElseThrow());

    Account restored =
        EventSourcingRepository.builder(snapshotOnly, BankTypes.registry())
            .snapshotPolicy(SnapshotPolicy.every(10))
            .build()
            .get(ID, Account::new);

    assertThat(restored.version()).isEqualTo(2_020);
    assertThat(restored.balance()).isEqualTo(money("77.00"));
    assertThat(restored.email()).isEqualTo("john@cqrs.example");
    assertThat(snapshotOnly.loadSnapshot(ID).orElseThrow().state().length())
        .isLessThanOrEqualTo(afterTen);
  }
}
