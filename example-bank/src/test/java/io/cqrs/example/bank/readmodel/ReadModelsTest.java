package io.cqrs.example.bank.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSourcingRepository;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.AccountEvent;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.MoneyTransfer;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferState;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadModelsTest {
  private static final PasswordHasher HASHER = new PasswordHasher(1_000);

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(store, BankTypes.registry()).build();
  private final AccountsReadModel accounts = new AccountsReadModel();
  private final UsersReadModel users = new UsersReadModel();

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

  /**
   * Gives one event to a read model as a processor's version gate does once the event is next in
   * its stream; {@link StreamProjection#apply} itself ignores a version it has applied.
   */
  private static void feed(StreamProjection<?> readModel, VersionedEvent event) {
    if (readModel.follows(event)) {
      readModel.apply(event);
    }
  }

  @Test
  void events_of_streams_a_read_model_does_not_follow_are_ignored() {
    TransfersReadModel transfers = new TransfersReadModel();

    johnsHistory().forEach(e -> feed(transfers, e));

    assertThat(transfers.size()).isZero();
    assertThat(transfers.version("john")).isZero();
  }

  @Test
  void the_accounts_read_model_folds_an_accounts_events_and_tracks_its_version() {
    johnsHistory().forEach(e -> feed(accounts, e));

    assertThat(accounts.find("john"))
        .contains(
            new AccountView(
                "john", "John", "Snow", "john@cqrs.example", new BigDecimal("7.00"), false));
    assertThat(accounts.version("john")).isEqualTo(4);
  }

  @Test
  void an_event_delivered_twice_is_applied_once() {
    List<VersionedEvent> history = johnsHistory();
    history.forEach(e -> feed(accounts, e));

    feed(accounts, history.get(1));
    history.forEach(e -> feed(accounts, e));

    assertThat(accounts.find("john").orElseThrow().balance()).isEqualTo(new BigDecimal("7.00"));
  }

  /** A view store whose next write fails, before it changes anything. */
  private static final class FailingOnce<V> extends ForwardingViewStore<V> {
    private final java.util.concurrent.atomic.AtomicBoolean fail =
        new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger writes =
        new java.util.concurrent.atomic.AtomicInteger();

    FailingOnce() {
      super(new InMemoryViewStore<>());
    }

    @Override
    public boolean replace(String id, Stored<V> current, V view, long version) {
      if (fail.compareAndSet(true, false)) {
        throw new IllegalStateException("the view store fails");
      }
      writes.incrementAndGet();
      return super.replace(id, current, view, version);
    }
  }

  @Test
  void the_parts_of_a_split_event_are_applied_in_one_write_or_not_at_all() {
    List<VersionedEvent> history = johnsHistory();
    FailingOnce<AccountView> views = new FailingOnce<>();
    AccountsReadModel model = new AccountsReadModel(views);
    model.apply(history.get(0));
    // Version 2 as upcasters might make it of one stored event: a credit and a debit.
    VersionedEvent credit = history.get(1);
    VersionedEvent debit =
        VersionedEvent.builder(
                "john", 2, new AccountEvent.AccountDebited(new BigDecimal("4"), null))
            .correlationId("c")
            .build();
    List<VersionedEvent> parts = List.of(credit, debit);

    views.fail.set(true);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.applyAll("john", 2, parts))
        .hasMessage("the view store fails");
    assertThat(model.version("john")).isEqualTo(1);
    assertThat(model.find("john").orElseThrow().balance()).isEqualByComparingTo("0");

    model.applyAll("john", 2, parts);
    model.applyAll("john", 2, parts); // delivered again: applied already

    assertThat(model.version("john")).isEqualTo(2);
    assertThat(model.find("john").orElseThrow().balance()).isEqualByComparingTo("6");
    assertThat(views.writes.get()).isEqualTo(2);
  }

  @Test
  void a_tracking_processor_builds_the_read_models_from_the_integration_log() throws Exception {
    johnsHistory();
    BankReadModels readModels = new BankReadModels(store, ViewStores.inMemory());
    List<TrackingEventProcessor> processors = readModels.processors("", 2);
    try {
      processors.forEach(TrackingEventProcessor::start);
      BankReadModels.awaitCaughtUp(processors, Duration.ofSeconds(30));
    } finally {
      processors.forEach(TrackingEventProcessor::close);
    }

    assertThat(readModels.accounts().find("john").orElseThrow().balance())
        .isEqualTo(new BigDecimal("7.00"));
    assertThat(readModels.users().version("john")).isEqualTo(4);
    assertThat(readModels.transfers().size()).isZero();
  }

  @Test
  void clearing_and_replaying_gives_the_same_views() {
    List<VersionedEvent> history = johnsHistory();
    history.forEach(e -> feed(accounts, e));
    AccountView before = accounts.find("john").orElseThrow();

    accounts.clear();
    assertThat(accounts.find("john")).isEmpty();
    history.forEach(e -> feed(accounts, e));

    assertThat(accounts.find("john")).contains(before);
  }

  @Test
  void the_users_read_model_keeps_the_current_password_hash_and_finds_users_by_email() {
    List<VersionedEvent> history = johnsHistory();
    history.forEach(e -> feed(users, e));

    UsersReadModel.UserView john = users.findByEmail(" JOHN@cqrs.example ").orElseThrow();
    assertThat(HASHER.matches("$password2", john.passwordHash())).isTrue();
    assertThat(john.name()).isEqualTo("John Snow");
    assertThat(users.version("john")).isEqualTo(4);
    assertThat(users.findByEmail("nobody@cqrs.example")).isEmpty();
  }

  @Test
  void the_transfers_read_model_follows_a_transfer_to_its_end() {
    TransfersReadModel transfers = new TransfersReadModel();
    MoneyTransfer transfer = MoneyTransfer.create("t", "a", "b", new BigDecimal("5"));
    transfer.recordDebit();
    transfer.refuseCredit("the destination account is closed");
    transfer.recordRefund();

    repository.save(transfer, "t").forEach(e -> feed(transfers, e));

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
