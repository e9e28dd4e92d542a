package io.cqrs.example.bank;

import io.cqrs.Command;
import io.cqrs.example.bank.InfrastructureOptions.Bus;
import io.cqrs.example.bank.InfrastructureOptions.Store;
import io.cqrs.example.bank.domain.TransferState;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.TransfersReadModel.TransferView;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The bank's shared infrastructure opened from another JVM: the Couchbase store, the RabbitMQ buses
 * and the read models that {@code worker} processes of the same prefix maintain. It starts no
 * consumers of its own, so it can send commands ({@link #send}) and read the read models and the
 * event store side by side, e.g. to check that the read models equal a fold of the store.
 *
 * <p>Thread-safe. Closing it closes the connections it opened.
 */
public final class DistributedBank implements AutoCloseable {
  private final BankInfrastructure infrastructure;
  private final Bank bank;

  /**
   * An account as the accounts read model shows it.
   *
   * @param version the version of the account stream's last event the read model applied
   */
  public record AccountReading(String id, BigDecimal balance, boolean closed, long version) {}

  /**
   * A transfer as the transfers read model shows it.
   *
   * @param version the version of the transfer stream's last event the read model applied
   */
  public record TransferReading(
      String id,
      String fromAccountId,
      String toAccountId,
      BigDecimal amount,
      TransferState state,
      String reason,
      long version) {}

  private DistributedBank(BankInfrastructure infrastructure) {
    this.infrastructure = infrastructure;
    this.bank = Bank.create(infrastructure);
  }

  /**
   * Connects with the settings of the {@code CQRS_*} environment variables ({@code
   * CQRS_COUCHBASE_CONNECTION}, {@code _USERNAME}, {@code _PASSWORD}, {@code _BUCKET}, {@code
   * CQRS_RABBITMQ_URI}), as a worker started with {@code --prefix prefix} does.
   */
  public static DistributedBank fromEnvironment(String prefix) {
    return fromEnvironment(prefix, System.getenv());
  }

  /** Like {@link #fromEnvironment(String)}, with the variables from {@code environment}. */
  public static DistributedBank fromEnvironment(String prefix, Map<String, String> environment) {
    return connect(
        InfrastructureOptions.fromEnvironment(
            Store.COUCHBASE, Bus.RABBITMQ, Objects.requireNonNull(prefix, "prefix"), environment));
  }

  /**
   * Connects to the servers {@code options} name.
   *
   * @throws IllegalArgumentException if the options do not name Couchbase and RabbitMQ
   */
  public static DistributedBank connect(InfrastructureOptions options) {
    Objects.requireNonNull(options, "options");
    if (options.store() != Store.COUCHBASE || options.bus() != Bus.RABBITMQ) {
      throw new IllegalArgumentException(
          "A distributed bank needs store COUCHBASE and bus RABBITMQ, was " + options);
    }
    return new DistributedBank(BankInfrastructure.create(options));
  }

  /** The account's view in the shared accounts read model, if it has one. */
  public Optional<AccountReading> account(String accountId) {
    return bank.accounts()
        .find(accountId)
        .map(
            (AccountView view) ->
                new AccountReading(
                    view.id(), view.balance(), view.closed(), bank.accounts().version(accountId)));
  }

  /** The transfer's view in the shared transfers read model, if it has one. */
  public Optional<TransferReading> transfer(String transferId) {
    return bank.transfers()
        .find(transferId)
        .map(
            (TransferView view) ->
                new TransferReading(
                    view.id(),
                    view.fromAccountId(),
                    view.toAccountId(),
                    view.amount(),
                    view.state(),
                    view.reason(),
                    bank.transfers().version(transferId)));
  }

  /** The version of a stream in the event store; 0 if it has no events. */
  public long storeVersion(String streamId) {
    return infrastructure.store().version(streamId);
  }

  /** Puts a command on the command bus for the workers, and returns its envelope. */
  public Command send(Object commandBody) {
    return bank.service().send(commandBody);
  }

  /**
   * The whole bank on this infrastructure: its service (commands run here, synchronously), the
   * write model, and the read models. Starting it ({@code bank().start()}) makes this JVM a worker
   * too.
   */
  public Bank bank() {
    return bank;
  }

  /** The store and buses. */
  public BankInfrastructure infrastructure() {
    return infrastructure;
  }

  /** Stops what the bank started and closes the connections. */
  @Override
  public void close() {
    try {
      bank.close();
    } finally {
      infrastructure.close();
    }
  }
}
