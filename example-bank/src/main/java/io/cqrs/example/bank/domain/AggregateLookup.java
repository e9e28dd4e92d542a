package io.cqrs.example.bank.domain;

import io.cqrs.AggregateTypeMismatchException;
import io.cqrs.EventSourceBased;
import io.cqrs.EventSourcingRepository;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Loads an aggregate of an expected kind by id. Accounts and transfers share one id space in the
 * store, so an id can name a stream of the other kind (a client passing a transfer id as an account
 * id); such a stream counts as not found rather than as a failure. Streams record the type of
 * aggregate they belong to, and the repository refuses one of another kind before replaying it, so
 * finding out costs no more than the load itself.
 */
public final class AggregateLookup {
  private AggregateLookup() {}

  /**
   * The aggregate with this id, or empty if there is none of this kind.
   *
   * @param factory makes an empty aggregate of the expected kind, e.g. {@code Account::new}
   */
  public static <A extends EventSourceBased> Optional<A> find(
      EventSourcingRepository repository, String id, Function<String, A> factory) {
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(id, "id");
    try {
      return repository.find(id, factory);
    } catch (AggregateTypeMismatchException e) {
      // Asking for the stream's type first would cost a second read on every command.
      return Optional.empty();
    }
  }

  /** The account with this id, or {@link UnknownAccountException}. */
  public static Account account(EventSourcingRepository repository, String accountId) {
    return find(repository, accountId, Account::new)
        .orElseThrow(() -> new UnknownAccountException(accountId));
  }

  /** The transfer with this id, or {@link UnknownTransferException}. */
  public static MoneyTransfer transfer(EventSourcingRepository repository, String transferId) {
    return find(repository, transferId, MoneyTransfer::new)
        .orElseThrow(() -> new UnknownTransferException(transferId));
  }
}
