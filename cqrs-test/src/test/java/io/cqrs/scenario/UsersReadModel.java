package io.cqrs.scenario;

import io.cqrs.VersionedEvent;
import io.cqrs.scenario.AccountEvents.AccountCreated;
import io.cqrs.scenario.AccountEvents.EmailAddressChanged;
import io.cqrs.scenario.AccountEvents.PasswordChanged;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * andrewwebber's {@code UsersModel}: who can log in, with which email and password hash. Like the
 * accounts model it ignores events it has already seen, since it is fed by more than one handler.
 */
final class UsersReadModel {
  record User(
      String id,
      String firstName,
      String lastName,
      String emailAddress,
      String passwordHash,
      long version) {}

  private final Map<String, User> users = new ConcurrentHashMap<>();

  Optional<User> user(String id) {
    return Optional.ofNullable(users.get(id));
  }

  long versionOf(String id) {
    return user(id).map(User::version).orElse(0L);
  }

  void update(VersionedEvent event) {
    users.compute(event.sourceId(), (id, user) -> apply(user, event));
  }

  private static User apply(User user, VersionedEvent event) {
    if (user != null && event.version() <= user.version()) {
      return user;
    }
    Object e = event.event();
    if (e instanceof AccountCreated created) {
      return new User(
          event.sourceId(),
          created.firstName(),
          created.lastName(),
          created.emailAddress(),
          created.passwordHash(),
          event.version());
    }
    if (user == null) {
      return null;
    }
    String email = user.emailAddress();
    String hash = user.passwordHash();
    if (e instanceof EmailAddressChanged changed) {
      email = changed.newEmailAddress();
    } else if (e instanceof PasswordChanged changed) {
      hash = changed.newPasswordHash();
    }
    return new User(user.id(), user.firstName(), user.lastName(), email, hash, event.version());
  }
}
