package io.cqrs.scaleout;

import io.cqrs.example.bank.Await;
import io.cqrs.example.bank.DistributedBank;
import io.cqrs.example.bank.DistributedBank.AccountReading;
import io.cqrs.example.bank.DistributedBank.TransferReading;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What the bank's shared read models show for the streams of a run, read through {@link
 * DistributedBank} as any other process would read them.
 *
 * @param accounts the accounts read model's view of each account read, by id; absent if it has none
 * @param transfers the transfers read model's view of each transfer read, by id; absent if it has
 *     none
 */
public record ReadModelContents(
    Map<String, AccountReading> accounts, Map<String, TransferReading> transfers) {
  /** How often the read models are read while awaited. */
  private static final Duration POLL = Duration.ofMillis(100);

  public ReadModelContents {
    accounts = Map.copyOf(accounts);
    transfers = Map.copyOf(transfers);
  }

  /**
   * Reads the views of every stream {@link ReadModelInvariants} checks, until each has applied its
   * stream's last event or {@code timeout} passes. The read models follow the integration log on
   * the workers' tracking processors, asynchronously: empty queues do not mean the last committed
   * event was applied yet. Returns the last reading either way, for the invariants to judge.
   */
  static ReadModelContents awaitCaughtUp(
      DistributedBank bank, StoreContents store, List<SentCommand> sent, Duration timeout) {
    Objects.requireNonNull(bank, "bank");
    AtomicReference<ReadModelContents> reading = new AtomicReference<>();
    try {
      Await.await("the read models to catch up with the store")
          .atMost(timeout)
          .pollInterval(POLL)
          .until(() -> reading.updateAndGet(r -> read(bank, store, sent)).caughtUpWith(store));
    } catch (ConditionTimeoutException e) {
      // The invariants judge the last reading.
    }
    return reading.get();
  }

  /** Reads the views of every stream {@link ReadModelInvariants} checks, once. */
  static ReadModelContents read(DistributedBank bank, StoreContents store, List<SentCommand> sent) {
    Map<String, AccountReading> accounts = new HashMap<>();
    for (String id : ReadModelInvariants.accountIds(store, sent)) {
      bank.account(id).ifPresent(view -> accounts.put(id, view));
    }
    Map<String, TransferReading> transfers = new HashMap<>();
    for (String id : ReadModelInvariants.transferIds(store, sent)) {
      bank.transfer(id).ifPresent(view -> transfers.put(id, view));
    }
    return new ReadModelContents(accounts, transfers);
  }

  /** Whether every account and transfer stream of {@code store} has a view at its last version. */
  boolean caughtUpWith(StoreContents store) {
    return store.streams().entrySet().stream()
        .allMatch(
            stream -> {
              long last = ReadModelInvariants.lastVersion(stream.getValue());
              String id = stream.getKey();
              if (ReadModelInvariants.isAccountStream(stream.getValue())) {
                return accounts.containsKey(id) && accounts.get(id).version() == last;
              }
              if (ReadModelInvariants.isTransferStream(stream.getValue())) {
                return transfers.containsKey(id) && transfers.get(id).version() == last;
              }
              return true;
            });
  }
}
