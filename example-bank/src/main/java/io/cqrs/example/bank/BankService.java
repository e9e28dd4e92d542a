package io.cqrs.example.bank;

import io.cqrs.Command;
import io.cqrs.CommandDispatchManager;
import io.cqrs.Cqrs;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TransientCqrsException;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.AccountCommand.ChangeEmailAddress;
import io.cqrs.example.bank.domain.AccountCommand.ChangePassword;
import io.cqrs.example.bank.domain.AccountCommand.CloseAccount;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccount;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.AggregateLookup;
import io.cqrs.example.bank.domain.MoneyTransfer;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.example.bank.domain.UnknownAccountException;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.EventStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * What clients of the bank call: the Go example's "service" layer, which turns requests into
 * commands (hashing passwords on the way in) and answers queries from the write model.
 *
 * <p>The command methods run the command's handler on the calling thread through {@link
 * CommandDispatchManager#dispatch}, which retries optimistic-concurrency conflicts; they return
 * when the events are committed and throw the domain's error if the command is refused (a {@link
 * io.cqrs.example.bank.domain.BankException} or {@link IllegalArgumentException}). {@link #send}
 * puts a command on the bus instead ({@link Cqrs#send}) and returns at once. A transfer's later
 * steps always run asynchronously, in the {@link io.cqrs.example.bank.domain.TransferProcess}.
 *
 * <p>Thread-safe.
 */
public final class BankService {
  /** The type an account's stream records. */
  private static final String ACCOUNT_TYPE = TypeRegistry.logicalName(Account.class);

  private final Cqrs cqrs;
  private final EventSourcingRepository repository;
  private final PasswordHasher passwords;

  BankService(Cqrs cqrs, PasswordHasher passwords) {
    this.cqrs = cqrs;
    this.repository = cqrs.repository();
    this.passwords = passwords;
  }

  /**
   * Opens an account.
   *
   * @return the new account's id
   */
  public String openAccount(
      String firstName, String lastName, String email, String password, BigDecimal initialBalance) {
    String id = UUID.randomUUID().toString();
    execute(
        Command.create(
            new OpenAccount(
                id, firstName, lastName, email, passwords.hash(password), initialBalance)));
    return id;
  }

  /**
   * The command that opens an account with a given id for {@code owner}, its password hashed: what
   * the HTTP API sends, under an id derived from the request's idempotency key.
   */
  public OpenAccount openAccountCommand(
      String accountId,
      String firstName,
      String lastName,
      String email,
      String password,
      BigDecimal initialBalance,
      String owner) {
    // Hashing takes a fifth of a second on purpose: a request the account would refuse anyway
    // must not cost it.
    Account.checkOpening(firstName, lastName, email, initialBalance, owner);
    return new OpenAccount(
        accountId, firstName, lastName, email, passwords.hash(password), initialBalance, owner);
  }

  /** The command that changes an account's password; only its hash leaves this method. */
  public ChangePassword changePasswordCommand(String accountId, String newPassword) {
    return new ChangePassword(accountId, passwords.hash(newPassword));
  }

  /** Changes an account's email address. */
  public void changeEmailAddress(String accountId, String newEmail) {
    execute(Command.create(new ChangeEmailAddress(accountId, newEmail)));
  }

  /** Changes an account's password; only its hash leaves this method. */
  public void changePassword(String accountId, String newPassword) {
    execute(Command.create(new ChangePassword(accountId, passwords.hash(newPassword))));
  }

  /** Credits an account. */
  public void credit(String accountId, BigDecimal amount) {
    execute(Command.create(new CreditAccount(accountId, amount)));
  }

  /**
   * Debits an account.
   *
   * @throws io.cqrs.example.bank.domain.InsufficientFundsException if the balance is too low
   */
  public void debit(String accountId, BigDecimal amount) {
    execute(Command.create(new DebitAccount(accountId, amount)));
  }

  /** Closes an account whose balance is zero. */
  public void closeAccount(String accountId) {
    execute(Command.create(new CloseAccount(accountId)));
  }

  /**
   * Asks for a transfer and returns its id, which is also the correlation id of every command and
   * event of the transfer. The transfer is created at once; the money moves asynchronously (see
   * {@link #awaitTransfer}).
   *
   * @throws UnknownAccountException if an account does not exist
   */
  public String transfer(String fromAccountId, String toAccountId, BigDecimal amount) {
    String id = UUID.randomUUID().toString();
    execute(Command.create(new CreateMoneyTransfer(id, fromAccountId, toAccountId, amount), id));
    return id;
  }

  /**
   * Handles a command now, on this thread, retrying conflicts.
   *
   * @throws RuntimeException whatever the handler refused the command with
   */
  public void execute(Command command) {
    try {
      cqrs.commands().dispatch(command);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      // The bank's handlers throw no checked exceptions; this is a handler that broke that rule.
      throw new IllegalStateException("Command " + command.commandType() + " failed", e);
    }
  }

  /**
   * Puts a command on the bus for whichever instance takes it, and returns at once. Its outcome
   * shows up under its correlation id: its events, or a {@code CommandFailed} error event.
   *
   * @return the envelope sent, with its correlation id
   */
  public Command send(Object commandBody) {
    return cqrs.send(Objects.requireNonNull(commandBody, "commandBody"));
  }

  /**
   * Puts a command envelope on the bus as it is (its message id keeps a retried request to one
   * effect), and returns at once.
   *
   * @throws TransientCqrsException at once, without publishing, while the bus's publishing
   *     connection is down (see {@link #requirePublishing})
   */
  public void send(Command command) {
    Objects.requireNonNull(command, "command");
    requirePublishing();
    cqrs.commandBus().publish(command);
  }

  /**
   * Refuses at once while the command bus says its publishing connection is down (RabbitMQ
   * unreachable, the connection recovering): a publish would wait for the broker's confirm up to
   * the bus's publish timeout (30 s), holding a request thread all that time. During an adversary's
   * broker outage every command request did, {@code /health} took 26 s, and a liveness probe would
   * have restarted the process for the broker's sake.
   */
  private void requirePublishing() {
    for (BusHealth.Connection connection : cqrs.commandBus().health().connections()) {
      if (!connection.connected() && connection.name().endsWith("/publish")) {
        throw new TransientCqrsException(
            "The command bus cannot publish: connection '"
                + connection.name()
                + "' is down"
                + (connection.downSince() == null ? "" : " since " + connection.downSince())
                + (connection.lastError() == null ? "" : " (" + connection.lastError() + ")"));
      }
    }
  }

  /** An account as the write model has it now, replayed from its history. */
  public Optional<Account> findAccount(String accountId) {
    return AggregateLookup.find(repository, accountId, Account::new);
  }

  /** A transfer as the write model has it now. */
  public Optional<MoneyTransfer> findTransfer(String transferId) {
    return AggregateLookup.find(repository, transferId, MoneyTransfer::new);
  }

  /**
   * A page of an account's events, oldest first: those after version {@code after}, at most {@code
   * limit} of them. The store reads that page (and the commit holding the event after it), not the
   * rest of the account's history.
   *
   * @param after the version the page follows: 0 for the first page, the last version of the page
   *     before for the next
   * @param limit the most events the page holds, at least 1
   * @throws UnknownAccountException if there is no such account
   * @throws IllegalArgumentException if {@code after} is negative or {@code limit} below 1 or
   *     {@code Integer.MAX_VALUE}
   */
  public HistoryPage history(String accountId, long after, int limit) {
    if (after < 0) {
      throw new IllegalArgumentException("after must be at least 0, was " + after);
    }
    if (limit < 1 || limit == Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "limit must be from 1 to " + (Integer.MAX_VALUE - 1) + ", was " + limit);
    }
    Objects.requireNonNull(accountId, "accountId");
    // One event more than the page tells whether another page follows. The page's read also says
    // whose stream it is: the account is checked without loading it (which, its aggregate not
    // cached, would replay it from its last snapshot).
    EventStream page =
        after == Long.MAX_VALUE
            ? repository.store().loadStream(accountId, Long.MAX_VALUE, 1)
            : repository.store().loadStream(accountId, after + 1, limit + 1);
    if (page.aggregateType() == null) {
      // No stream, or one written before streams recorded their type: the lookup tells.
      AggregateLookup.account(repository, accountId);
    } else if (!page.aggregateType().equals(ACCOUNT_TYPE)) {
      throw new UnknownAccountException(accountId);
    }
    if (after == Long.MAX_VALUE) {
      return new HistoryPage(List.of(), false);
    }
    List<VersionedEvent> events = page.events();
    return events.size() > limit
        ? new HistoryPage(List.copyOf(events.subList(0, limit)), true)
        : new HistoryPage(events, false);
  }

  /**
   * A page of an account's history.
   *
   * @param events the page's events, oldest first
   * @param more whether events follow the page's last
   */
  public record HistoryPage(List<VersionedEvent> events, boolean more) {
    public HistoryPage {
      events = List.copyOf(events);
    }

    /** The {@code after} of the next page (the page's last version), or null if none follows. */
    public Long next() {
      return more ? events.get(events.size() - 1).version() : null;
    }
  }

  /** Every event recorded under a correlation id, error events included, in commit order. */
  public List<VersionedEvent> eventsOfCorrelation(String correlationId) {
    return repository.store().eventsByCorrelationId(correlationId);
  }

  /**
   * Waits until a transfer has completed or failed, and returns it.
   *
   * @throws TimeoutException if it is still under way after {@code timeout}
   */
  public MoneyTransfer awaitTransfer(String transferId, Duration timeout) throws TimeoutException {
    Await.until(
        "transfer " + transferId + " to complete or fail",
        timeout,
        () -> findTransfer(transferId).map(t -> t.state().isFinal()).orElse(false));
    return findTransfer(transferId).orElseThrow();
  }

  /**
   * Waits until a command sent with {@link #send} has an outcome under its correlation id (events
   * or an error event), and returns those events. A command that changes nothing (changing an email
   * address to itself) has no outcome to wait for.
   *
   * @throws TimeoutException if there is none after {@code timeout}
   */
  public List<VersionedEvent> awaitOutcome(Command command, Duration timeout)
      throws TimeoutException {
    Await.until(
        "command " + command.commandType() + " to be handled",
        timeout,
        () -> !eventsOfCorrelation(command.correlationId()).isEmpty());
    return eventsOfCorrelation(command.correlationId());
  }
}
