package io.cqrs.scaleout;

import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.DistributedBank.AccountReading;
import io.cqrs.example.bank.DistributedBank.TransferReading;
import io.cqrs.example.bank.domain.AccountEvent;
import io.cqrs.example.bank.domain.AccountEvent.AccountClosed;
import io.cqrs.example.bank.domain.TransferEvent;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCompleted;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreated;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreditRefused;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferDebited;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferFailed;
import io.cqrs.example.bank.domain.TransferState;
import io.cqrs.scaleout.SentCommand.Kind;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The read-model invariants of a scale-out run: the accounts and transfers read models, as other
 * processes read them, equal a fold of the event store. The fold is this class's own, not the read
 * models' code, so a bug in either shows as a difference.
 *
 * <p>Accounts: balance, closed and the version of the last event applied, for every account stream;
 * a view for an account some command named but that has no stream is a violation too. Transfers:
 * state and version, likewise.
 */
public final class ReadModelInvariants {
  private final StoreContents store;
  private final ReadModelContents views;
  private final List<SentCommand> sent;

  /** The read-model invariants of {@code views} against {@code store} after {@code sent}. */
  public ReadModelInvariants(StoreContents store, ReadModelContents views, List<SentCommand> sent) {
    this.store = Objects.requireNonNull(store, "store");
    this.views = Objects.requireNonNull(views, "views");
    this.sent = List.copyOf(sent);
  }

  /** Every check, in the order of the report. */
  public List<Check> checkAll() {
    return List.of(accountsEqualTheStore(), transfersEqualTheStore());
  }

  Check accountsEqualTheStore() {
    Check.Builder check =
        new Check.Builder(
            "the accounts read model equals a fold of the store (balance, closed, version)");
    for (String id : accountIds(store, sent)) {
      List<VersionedEvent> stream = store.streams().getOrDefault(id, List.of());
      AccountReading actual = views.accounts().get(id);
      if (stream.isEmpty()) {
        check.expect(actual == null, "account " + id, "no view (no stream)", describe(actual));
        continue;
      }
      BigDecimal balance = Invariants.foldBalance(stream);
      boolean closed = stream.stream().anyMatch(e -> e.event() instanceof AccountClosed);
      long version = lastVersion(stream);
      boolean equal =
          actual != null
              && actual.balance().compareTo(balance) == 0
              && actual.closed() == closed
              && actual.version() == version;
      check.expect(
          equal,
          "account " + id,
          "balance " + balance + ", closed " + closed + ", version " + version,
          describe(actual));
    }
    return check.build();
  }

  Check transfersEqualTheStore() {
    Check.Builder check =
        new Check.Builder("the transfers read model equals a fold of the store (state, version)");
    for (String id : transferIds(store, sent)) {
      List<VersionedEvent> stream = store.streams().getOrDefault(id, List.of());
      TransferReading actual = views.transfers().get(id);
      if (stream.isEmpty()) {
        check.expect(actual == null, "transfer " + id, "no view (no stream)", describe(actual));
        continue;
      }
      TransferState state = foldState(stream);
      long version = lastVersion(stream);
      check.expect(
          actual != null && actual.state() == state && actual.version() == version,
          "transfer " + id,
          "state " + state + ", version " + version,
          describe(actual));
    }
    return check.build();
  }

  /** A transfer's state after the events of its stream. */
  static TransferState foldState(List<VersionedEvent> stream) {
    TransferState state = null;
    for (VersionedEvent event : stream) {
      Object e = event.event();
      if (e instanceof MoneyTransferCreated) {
        state = TransferState.CREATED;
      } else if (e instanceof MoneyTransferDebited) {
        state = TransferState.DEBITED;
      } else if (e instanceof MoneyTransferCreditRefused) {
        state = TransferState.COMPENSATING;
      } else if (e instanceof MoneyTransferCompleted) {
        state = TransferState.COMPLETED;
      } else if (e instanceof MoneyTransferFailed) {
        state = TransferState.FAILED;
      }
    }
    return state;
  }

  /** The account streams of the store, and every account a command named. */
  static Set<String> accountIds(StoreContents store, List<SentCommand> sent) {
    Set<String> ids = new TreeSet<>();
    store
        .streams()
        .forEach(
            (id, events) -> {
              if (isAccountStream(events)) {
                ids.add(id);
              }
            });
    for (SentCommand command : sent) {
      ids.add(command.accountId());
      if (command.toAccountId() != null) {
        ids.add(command.toAccountId());
      }
    }
    return ids;
  }

  /** The transfer streams of the store, and every transfer a command asked for. */
  static Set<String> transferIds(StoreContents store, List<SentCommand> sent) {
    Set<String> ids = new TreeSet<>();
    store
        .streams()
        .forEach(
            (id, events) -> {
              if (isTransferStream(events)) {
                ids.add(id);
              }
            });
    sent.stream().filter(c -> c.kind() == Kind.TRANSFER).forEach(c -> ids.add(c.transferId()));
    return ids;
  }

  static boolean isAccountStream(List<VersionedEvent> stream) {
    return !stream.isEmpty() && stream.get(0).event() instanceof AccountEvent;
  }

  static boolean isTransferStream(List<VersionedEvent> stream) {
    return !stream.isEmpty() && stream.get(0).event() instanceof TransferEvent;
  }

  static long lastVersion(List<VersionedEvent> stream) {
    return stream.isEmpty() ? 0 : stream.get(stream.size() - 1).version();
  }

  private static String describe(AccountReading view) {
    return view == null
        ? "no view"
        : "balance " + view.balance() + ", closed " + view.closed() + ", version " + view.version();
  }

  private static String describe(TransferReading view) {
    return view == null ? "no view" : "state " + view.state() + ", version " + view.version();
  }
}
