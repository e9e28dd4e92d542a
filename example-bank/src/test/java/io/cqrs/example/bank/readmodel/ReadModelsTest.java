package io.cqrs.example.bank.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSourcingRepository;
import io.cqrs.Projector;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.MoneyTransfer;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferState;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The read models, fed as the bank feeds them: through a {@link Projector}. */
class ReadModelsTest {
  private static final PasswordHasher HASHER = new PasswordHasher(1_000);

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(store, BankTypes.registry()).build();
  private final AccountsReadModel accounts = new AccountsReadModel();
  private final Projector accountsProjector = new Projector(accounts, store);
  private final UsersReadModel users = new UsersReadModel();
  private final Projector usersProjector = new Projector(users, store);

  /** Opens an account, credits 10.00, changes the password, debits 3.00: four events. */
  private List<VersionedEvent> johnsHistory() {
    List<VersionedEvent> events = new ArrayList<>();
    Account john =
        Account.open(
            "john",
            "John",
            "Snow",
            "john@cqrs.example",
            HASHER.hash("$password1"),
            BigDecimal.ZERO);
    events.addAll(repository.save(john, "c"));
    john.credit(new BigDecimal("10"));
    events.addAll(repository.save(john, "c"));
    john.changePassword(HASHER.hash("$password2"));
    events.addAll(repository.save(john, "c"));
    john.debit(new BigDecimal("3"));
    events.addAll(repository.save(john, "c"));
    return events;
  }

  private static void feed(Projector projector, List<VersionedEvent> events) throws Exception {
    for (VersionedEvent event : events) {
      projector.handle(event);
    }
  }

  @Test
  void the_accounts_read_model_folds_an_accounts_events_and_records_their_version()
      throws Exception {
    feed(accountsProjector, johnsHistory());

    assertThat(accounts.find("john"))
        .contains(
            new AccountView(
                "john", "John", "Snow", "john@cqrs.example", new BigDecimal("7.00"), false));
    assertThat(accounts.appliedVersion("john")).isEqualTo(4);
  }

  @Test
  void an_event_delivered_twice_is_applied_once() throws Exception {
    List<VersionedEvent> history = johnsHistory();
    feed(accountsProjector, history);

    assertThat(accountsProjector.handle(history.get(1))).isZero();
    feed(accountsProjector, history);

    assertThat(accounts.find("john").orElseThrow().balance()).isEqualTo(new BigDecimal("7.00"));
  }

  @Test
  void an_event_that_overtakes_earlier_ones_is_applied_after_them() throws Exception {
    List<VersionedEvent> history = johnsHistory();

    assertThat(accountsProjector.handle(history.get(3))).isEqualTo(4);
    feed(accountsProjector, history);

    assertThat(accounts.appliedVersion("john")).isEqualTo(4);
    assertThat(accounts.find("john").orElseThrow().balance()).isEqualTo(new BigDecimal("7.00"));
  }

  @Test
  void the_users_read_model_keeps_the_current_password_hash_and_finds_users_by_email()
      throws Exception {
    feed(usersProjector, johnsHistory());

    UsersReadModel.UserView john = users.findByEmail(" JOHN@cqrs.example ").orElseThrow();
    assertThat(HASHER.matches("$password2", john.passwordHash())).isTrue();
    assertThat(john.name()).isEqualTo("John Snow");
    assertThat(users.appliedVersion("john")).isEqualTo(4);
    assertThat(users.findByEmail("nobody@cqrs.example")).isEmpty();
  }

  @Test
  void the_transfers_read_model_follows_a_transfer_to_its_end() throws Exception {
    TransfersReadModel transfers = new TransfersReadModel();
    MoneyTransfer transfer = MoneyTransfer.create("t", "a", "b", new BigDecimal("5"));
    transfer.recordDebit();
    transfer.refuseCredit("the destination account is closed");
    transfer.recordRefund();

    feed(new Projector(transfers, store), repository.save(transfer, "t"));

    TransfersReadModel.TransferView view = transfers.find("t").orElseThrow();
    assertThat(view.state()).isEqualTo(TransferState.FAILED);
    assertThat(view.reason()).isEqualTo("the destination account is closed");
    assertThat(view.amount()).isEqualTo(new BigDecimal("5.00"));
    assertThat(transfers.appliedVersion("t")).isEqualTo(4);
  }

  @Test
  void the_journal_counts_every_event_it_receives_by_type() {
    EventJournal journal = new EventJournal();

    johnsHistory().forEach(journal::record);

    assertThat(journal.total()).isEqualTo(4);
    assertThat(journal.counts())
        .containsEntry("AccountOpened", 1L)
        .containsEntry("AccountCredited", 1L)
        .containsEntry("PasswordChanged", 1L)
        .containsEntry("AccountDebited", 1L);
  }
}
