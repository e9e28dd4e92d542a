package io.cqrs.example.bank.readmodel;

import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.TransferEvent;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCompleted;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreated;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreditRefused;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferDebited;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferFailed;
import io.cqrs.example.bank.domain.TransferState;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** The transfers read model: each transfer's accounts, amount and state. */
public final class TransfersReadModel extends StreamProjection<TransfersReadModel.TransferView> {

  /**
   * One transfer.
   *
   * @param reason why it failed or is being compensated; {@code null} otherwise
   */
  public record TransferView(
      String id,
      String fromAccountId,
      String toAccountId,
      BigDecimal amount,
      TransferState state,
      String reason) {

    TransferView in(TransferState next, String why) {
      return new TransferView(id, fromAccountId, toAccountId, amount, next, why);
    }
  }

  /** A read model with its views in this process's memory. */
  public TransfersReadModel() {
    this(new InMemoryViewStore<>());
  }

  /**
   * @param views where the views are kept
   */
  public TransfersReadModel(ViewStore<TransferView> views) {
    super(views);
  }

  /** The index key of the transfers from or to an account. */
  public static String accountKey(String accountId) {
    return "account:" + Objects.requireNonNull(accountId, "accountId");
  }

  /**
   * A transfer is filed under its source account, and under its destination once money is on its
   * way there (debited) or arrived (completed): a transfer the source could not pay, or the
   * destination refused, is none of the destination's business. Filed under the destination from
   * the start, any customer could make another's transfer listing grow without bound and for free
   * (an adversary sent 20,000 transfers from an empty account: each failed, each was filed, and the
   * victim's listing slowed tenfold, its first page all spam).
   */
  @Override
  protected Set<String> keys(TransferView view) {
    return switch (view.state()) {
      case DEBITED, COMPLETED ->
          Set.of(accountKey(view.fromAccountId()), accountKey(view.toAccountId()));
      default -> Set.of(accountKey(view.fromAccountId()));
    };
  }

  /**
   * A page of the transfers from or to any of {@code accountIds}, by id, read through the accounts'
   * indexes (see {@link #page(Set, String, int)}).
   */
  public Page<TransferView> involving(Set<String> accountIds, String after, int limit) {
    Set<String> keys = new HashSet<>();
    for (String id : accountIds) {
      keys.add(accountKey(id));
    }
    return page(keys, after, limit);
  }

  @Override
  public boolean follows(VersionedEvent event) {
    return event.event() instanceof TransferEvent;
  }

  @Override
  protected TransferView evolve(TransferView view, VersionedEvent event) {
    Object e = event.event();
    if (e instanceof MoneyTransferCreated created) {
      return new TransferView(
          event.sourceId(),
          created.fromAccountId(),
          created.toAccountId(),
          created.amount(),
          TransferState.CREATED,
          null);
    }
    if (view == null) {
      throw new IllegalStateException(
          "Transfer stream '" + event.sourceId() + "' does not start with MoneyTransferCreated");
    }
    if (e instanceof MoneyTransferDebited) {
      return view.in(TransferState.DEBITED, null);
    }
    if (e instanceof MoneyTransferCompleted) {
      return view.in(TransferState.COMPLETED, null);
    }
    if (e instanceof MoneyTransferCreditRefused refused) {
      return view.in(TransferState.COMPENSATING, refused.reason());
    }
    if (e instanceof MoneyTransferFailed failed) {
      return view.in(TransferState.FAILED, failed.reason());
    }
    return view;
  }

  /** Every transfer, by id. */
  public List<TransferView> all() {
    return all(Comparator.comparing(TransferView::id));
  }
}
