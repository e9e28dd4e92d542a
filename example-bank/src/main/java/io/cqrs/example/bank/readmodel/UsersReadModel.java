package io.cqrs.example.bank.readmodel;

import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.AccountEvent;
import io.cqrs.example.bank.domain.AccountEvent.AccountOpened;
import io.cqrs.example.bank.domain.AccountEvent.EmailAddressChanged;
import io.cqrs.example.bank.domain.AccountEvent.PasswordChanged;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The users read model (andrewwebber's {@code UsersModel}): who owns each account, and the hash to
 * check their password against. Follows every account stream.
 */
public final class UsersReadModel extends StreamProjection<UsersReadModel.UserView> {

  /**
   * One user.
   *
   * @param passwordHash a {@link io.cqrs.example.bank.domain.PasswordHasher} hash
   */
  public record UserView(
      String id, String firstName, String lastName, String email, String passwordHash) {

    /** First and last name, separated by a space. */
    public String name() {
      return firstName + " " + lastName;
    }
  }

  /** A read model with its views in this process's memory. */
  public UsersReadModel() {
    this(new InMemoryViewStore<>());
  }

  /**
   * @param views where the views are kept
   */
  public UsersReadModel(ViewStore<UserView> views) {
    super(views);
  }

  @Override
  public boolean follows(VersionedEvent event) {
    return event.event() instanceof AccountEvent;
  }

  @Override
  protected UserView evolve(UserView user, VersionedEvent event) {
    Object e = event.event();
    if (e instanceof AccountOpened opened) {
      return new UserView(
          event.sourceId(),
          opened.firstName(),
          opened.lastName(),
          opened.email(),
          opened.passwordHash());
    }
    if (user == null) {
      throw new IllegalStateException(
          "Account stream '" + event.sourceId() + "' does not start with AccountOpened");
    }
    if (e instanceof EmailAddressChanged changed) {
      return new UserView(
          user.id(), user.firstName(), user.lastName(), changed.newEmail(), user.passwordHash());
    }
    if (e instanceof PasswordChanged changed) {
      return new UserView(
          user.id(), user.firstName(), user.lastName(), user.email(), changed.newPasswordHash());
    }
    return user;
  }

  /** A user is filed under its email address, in lower case. */
  @Override
  protected Set<String> keys(UserView view) {
    return Set.of(emailKey(view.email()));
  }

  private static String emailKey(String email) {
    return "email:" + email.strip().toLowerCase(Locale.ROOT);
  }

  /**
   * The user with this email address, as the login of a web front end would look it up: read
   * through the address's index, not every user.
   */
  public Optional<UserView> findByEmail(String email) {
    Objects.requireNonNull(email, "email");
    // The first by id, as the pages of the read model order them.
    return filed(emailKey(email)).stream()
        .filter(user -> user.email().equalsIgnoreCase(email.strip()))
        .min(Comparator.comparing(UserView::id));
  }

  /** Every user, by name. */
  public List<UserView> all() {
    return all(Comparator.comparing(UserView::name).thenComparing(UserView::id));
  }
}
