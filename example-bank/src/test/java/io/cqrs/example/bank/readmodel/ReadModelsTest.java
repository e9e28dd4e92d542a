package io.cqrs.example.bank.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSourcingRepository;
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

class ReadModelsTest {
  private static final PasswordHasher HASHER = new PasswordHasher(1_000);

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(store, BankTypes.registry()).build();
  private final AccountsReadModel accounts = new AccountsReadModel(store);
  private final UsersReadModel users = new UsersReadModel(store);

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

  @Test
  void the_accounts_read_model_folds_an_accounts_events_and_tracks_its_version() {
    johnsHistory().forEach(accounts::apply);

    assertThat(accounts.find("john"))
        .contains(
            new AccountView(
                "john", "John", "Snow", "john@cqrs.example", new BigDecimal("7.00"), false));
    assertThat(accounts.version("john")).isEqualTo(4);
  }

  @Test
  void an_event_delivered_twice_is_applied_once() {
    List<VersionedEvent> history = johnsHistory();
    history.forEach(accounts::apply);

    accounts.apply(history.get(1));
    history.forEach(accounts::apply);

    assertThat(accounts.find("john").orElseThrow().balance()).isEqualTo(new BigDecimal("7.00"));
  }

  @Test
  void events_that_overtake_earlier_ones_are_completed_from_the_store() {
    List<VersionedEvent> history = johnsHistory();

    accounts.apply(history.get(3));
    assertThat(accounts.version("john")).isEqualTo(4);
    assertThat(accounts.find("john").orElseThrow().balance()).isEqualTo(new BigDecimal("7.00"));

    history.forEach(accounts::apply);
    assertThat(accounts.find("john").orElseThrow().balance()).isEqualTo(new BigDecimal("7.00"));
  }

  @Test
  void clearing_and_replaying_gives_the_same_views() {
    List<VersionedEvent> history = johnsHistory();
    history.forEach(accounts::apply);
    AccountView before = accounts.find("john").orElseThrow();

    accounts.clear();
    assertThat(accounts.find("john")).isEmpty();
    history.forEach(accounts::apply);

    assertThat(accounts.find("john")).contains(before);
  }

  @Test
  void the_users_read_model_keeps_the_current_password_hash_and_finds_users_by_email() {
    List<VersionedEvent> history = johnsHistory();
    history.forEach(users::apply);

    UsersReadModel.UserView john = users.findByEmail(" JOHN@cqrs.example ").orElseThrow();
    assertThat(HASHER.matches("$password2", john.passwordHash())).isTrue();
    assertThat(john.name()).isEqualTo("John Snow");
    assertThat(users.version("john")).isEqualTo(4);
    assertThat(users.findByEmail("nobody@cqrs.example")).isEmpty();
  }

  @Test
  void the_transfers_read_model_follows_a_transfer_to_its_end() {
    TransfersReadModel transfers = new TransfersReadModel(store);
    MoneyTransfer transfer = MoneyTransfer.create("t", "a", "b", new BigDecimal("5"));
    transfer.recordDebit();
    transfer.refuseCredit("the destination account is closed");
    transfer.recordRefund();

    repository.save(transfer, "t").forEach(transfers::apply);

    TransfersReadModel.TransferView view = transfers.find("t").orElseThrow();
    assertThat(view.state()).isEqualTo(TransferState.FAILED);
    assertThat(view.reason()).isEqualTo("the destination account is closed");
    assertThat(view.amount()).isEqualTo(new BigDecimal("5.00"));
    assertThat(transfers.version("t")).isEqualTo(4);
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
