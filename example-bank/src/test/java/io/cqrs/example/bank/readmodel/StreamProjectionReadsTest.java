package io.cqrs.example.bank.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSourcingRepository;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A read model applies an event with one read of its entry: the version gate's ({@link
 * StreamProjection#appliedVersion}), which the write then starts from, conditional on the entry
 * being unchanged. An entry changed in between (another process) fails the write and is read again,
 * and a read left from another stream or version is never trusted.
 */
class StreamProjectionReadsTest {
  private static final PasswordHasher HASHER = new PasswordHasher(1_000);

  /** Counts reads, and can change an entry behind the read model's back before a write. */
  static final class CountingStore extends ForwardingViewStore<AccountView> {
    final InMemoryViewStore<AccountView> inner;
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    Runnable beforeNextWrite = () -> {};

    CountingStore() {
      this(new InMemoryViewStore<>());
    }

    private CountingStore(InMemoryViewStore<AccountView> inner) {
      super(inner);
      this.inner = inner;
    }

    @Override
    public Optional<Stored<AccountView>> get(String id) {
      reads.incrementAndGet();
      return super.get(id);
    }

    @Override
    public boolean replace(String id, Stored<AccountView> current, AccountView view, long version) {
      Runnable before = beforeNextWrite;
      beforeNextWrite = () -> {};
      before.run();
      writes.incrementAndGet();
      return super.replace(id, current, view, version);
    }
  }

  private final CountingStore views = new CountingStore();
  private final AccountsReadModel accounts = new AccountsReadModel(views);
  private final List<VersionedEvent> history = history();

  /** Opens john's account, credits 10.00, debits 3.00: three events. */
  private static List<VersionedEvent> history() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    EventSourcingRepository repository =
        EventSourcingRepository.builder(store, BankTypes.registry()).build();
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
    john.debit(new BigDecimal("3"));
    events.addAll(repository.save(john, "c"));
    return events;
  }

  /** As the version gate does: asks the applied version, then applies the next event. */
  private void gate(VersionedEvent event) {
    if (accounts.appliedVersion(event.sourceId()) == event.version() - 1) {
      accounts.apply(event);
    }
  }

  @Test
  void an_event_after_the_gates_check_costs_that_one_read_and_the_write() {
    history.forEach(this::gate);

    assertThat(views.reads.get()).isEqualTo(3);
    assertThat(views.writes.get()).isEqualTo(3);
    assertThat(accounts.find("john").orElseThrow().balance()).isEqualByComparingTo("7.00");
    assertThat(accounts.version("john")).isEqualTo(3);
  }

  @Test
  void an_entry_another_process_changed_after_the_check_fails_the_write_and_is_read_again() {
    gate(history.get(0));
    gate(history.get(1));
    VersionedEvent debit = history.get(2);
    // Between this process's check and its write, another applies the debit first.
    AccountsReadModel other = new AccountsReadModel(views.inner);
    views.beforeNextWrite = () -> other.apply(debit);

    gate(debit);

    assertThat(accounts.version("john")).isEqualTo(3);
    assertThat(accounts.find("john").orElseThrow().balance()).isEqualByComparingTo("7.00");
    // The failed write, then a fresh read that finds the debit applied: no second write.
    assertThat(views.writes.get()).isEqualTo(3);
  }

  @Test
  void a_read_of_another_stream_or_version_is_not_taken_for_the_entry() {
    gate(history.get(0));
    int reads = views.reads.get();
    accounts.appliedVersion("someone-else"); // the last read is of another stream now

    accounts.apply(history.get(1));

    assertThat(views.reads.get()).isEqualTo(reads + 2); // that read, and the apply's own
    assertThat(accounts.version("john")).isEqualTo(2);
    // A read left from before an event applied elsewhere is stale: the write conditional on it
    // fails, and the entry read again shows the event applied.
    accounts.appliedVersion("john"); // version 2
    new AccountsReadModel(views.inner).apply(history.get(2));
    int writes = views.writes.get();
    accounts.apply(history.get(2));
    assertThat(views.writes.get()).isEqualTo(writes + 1); // the one that failed
    assertThat(accounts.find("john").orElseThrow().balance()).isEqualByComparingTo("7.00");
    assertThat(accounts.version("john")).isEqualTo(3);
  }

  @Test
  void asking_a_views_version_keeps_no_last_read_for_the_thread() {
    gate(history.get(0));
    assertThat(accounts.version("john")).isEqualTo(1); // as an HTTP request would ask
    int reads = views.reads.get();

    accounts.apply(history.get(1)); // reads the entry itself: nothing was kept for it

    assertThat(views.reads.get()).isEqualTo(reads + 1);
    assertThat(accounts.version("john")).isEqualTo(2);
  }
}
