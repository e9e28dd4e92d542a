package io.cqrs.example.bank.readmodel;

import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.AccountEvent;
import io.cqrs.example.bank.domain.AccountEvent.AccountClosed;
import io.cqrs.example.bank.domain.AccountEvent.AccountCredited;
import io.cqrs.example.bank.domain.AccountEvent.AccountDebited;
import io.cqrs.example.bank.domain.AccountEvent.AccountOpened;
import io.cqrs.example.bank.domain.AccountEvent.AccountRefunded;
import io.cqrs.example.bank.domain.AccountEvent.EmailAddressChanged;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The accounts read model (andrewwebber's {@code ReadModelAccounts}): id, name, email address,
 * balance and whether the account is closed. Follows every account stream.
 */
public final class AccountsReadModel extends StreamProjection<AccountsReadModel.AccountView> {

  /**
   * One account as the read model shows it.
   *
   * @param owner the API user it belongs to ({@code ""} for none: administrators only)
   */
  public record AccountView(
      String id,
      String firstName,
      String lastName,
      String email,
      BigDecimal balance,
      boolean closed,
      String owner) {

    /** A view of an account that no API user owns. */
    public AccountView(
        String id,
        String firstName,
        String lastName,
        String email,
        BigDecimal balance,
        boolean closed) {
      this(id, firstName, lastName, email, balance, closed, "");
    }

    /** First and last name, separated by a space. */
    public String name() {
      return firstName + " " + lastName;
    }

    AccountView withEmail(String newEmail) {
      return new AccountView(id, firstName, lastName, newEmail, balance, closed, owner);
    }

    AccountView plus(BigDecimal amount) {
      return new AccountView(id, firstName, lastName, email, balance.add(amount), closed, owner);
    }

    AccountView closedNow() {
      return new AccountView(id, firstName, lastName, email, balance, true, owner);
    }
  }

  private static final Comparator<AccountView> ORDER =
      Comparator.comparing(AccountView::name).thenComparing(AccountView::id);

  /** A read model with its views in this process's memory. */
  public AccountsReadModel() {
    this(new InMemoryViewStore<>());
  }

  /**
   * @param views where the views are kept
   */
  public AccountsReadModel(ViewStore<AccountView> views) {
    super(views);
  }

  /** The index key of an owner's accounts. */
  public static String ownerKey(String owner) {
    return "owner:" + Objects.requireNonNull(owner, "owner");
  }

  /** An account is filed under its owner, if it has one. */
  @Override
  protected Set<String> keys(AccountView view) {
    // A view stored before accounts had owners reads its owner as null.
    return view.owner() == null || view.owner().isEmpty()
        ? Set.of()
        : Set.of(ownerKey(view.owner()));
  }

  /**
   * A page of the accounts of {@code owner}, by id, read through the owner's index: its cost
   * follows the owner's accounts, not the bank's (see {@link #page(Set, String, int)}).
   */
  public Page<AccountView> ownedBy(String owner, String after, int limit) {
    return page(Set.of(ownerKey(owner)), after, limit);
  }

  /**
   * How many accounts {@code owner}'s index lists, read from the index alone (one read, not one per
   * account): closed accounts included, and, rarely, an id whose view is not written yet.
   */
  public int countFiledFor(String owner) {
    return indexed(ownerKey(owner)).size();
  }

  /**
   * The ids of {@code owner}'s accounts: read through the owner's index, and each checked against
   * its view, so an id the index holds for any reason (a namespace reused with old documents) is
   * not taken for one of the owner's.
   */
  public Set<String> idsOwnedBy(String owner) {
    Set<String> ids = new HashSet<>();
    for (AccountView view : filed(ownerKey(owner))) {
      ids.add(view.id());
    }
    return ids;
  }

  @Override
  public boolean follows(VersionedEvent event) {
    return event.event() instanceof AccountEvent;
  }

  @Override
  protected AccountView evolve(AccountView view, VersionedEvent event) {
    Object e = event.event();
    if (e instanceof AccountOpened opened) {
      return new AccountView(
          event.sourceId(),
          opened.firstName(),
          opened.lastName(),
          opened.email(),
          opened.initialBalance(),
          false,
          opened.owner());
    }
    if (view == null) {
      throw new IllegalStateException(
          "Account stream '" + event.sourceId() + "' does not start with AccountOpened");
    }
    if (e instanceof EmailAddressChanged changed) {
      return view.withEmail(changed.newEmail());
    }
    if (e instanceof AccountCredited credited) {
      return view.plus(credited.amount());
    }
    if (e instanceof AccountDebited debited) {
      return view.plus(debited.amount().negate());
    }
    if (e instanceof AccountRefunded refunded) {
      return view.plus(refunded.amount());
    }
    if (e instanceof AccountClosed) {
      return view.closedNow();
    }
    return view;
  }

  /** Every account, by name. */
  public List<AccountView> all() {
    return all(ORDER);
  }
}
