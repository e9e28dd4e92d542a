package io.cqrs.example.bank;

import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.example.bank.readmodel.ViewStores;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * Rebuilds the bank's read models from the integration log into fresh view stores, next to the live
 * ones, and prints what it did and whether the two agree: the proof that the read models can be
 * thrown away and rebuilt.
 *
 * <p>The fresh views are in this process's memory, whatever the store: views under a Couchbase key
 * namespace derived from the prefix would be emptied first, and that namespace can be another
 * bank's prefix (its live read models). {@code rebuild} ({@link BlueGreenRebuild}) is the one that
 * writes a new generation to the bucket, and it checks that the place is free.
 */
final class RebuildReport {
  private static final Duration REPLAY_TIMEOUT = Duration.ofMinutes(10);

  private final Bank bank;
  private final PrintStream out;

  RebuildReport(Bank bank, PrintStream out) {
    this.bank = bank;
    this.out = out;
  }

  /**
   * Rebuilds into new views in memory and compares them with the live read models.
   *
   * @return where they differ; empty if nowhere
   */
  List<String> rebuildAndCompare() throws Exception {
    BankReadModels rebuilt =
        new BankReadModels(bank.infrastructure().store(), ViewStores.inMemory());
    // A generation of its own: processors of a new name start from the beginning of the log.
    String generation = "rebuild-" + UUID.randomUUID().toString().substring(0, 8);
    long head =
        rebuilt.replay(generation, 1, REPLAY_TIMEOUT, Progress.to(out, "replay", "log positions"));
    out.println(
        "Rebuilt the read models from the integration log up to position "
            + head
            + " (processors "
            + BankReadModels.processorName("*", generation)
            + "): "
            + rebuilt.accounts().size()
            + " accounts, "
            + rebuilt.users().size()
            + " users, "
            + rebuilt.transfers().size()
            + " transfers");
    List<String> differences = rebuilt.differencesFrom(bank.readModels());
    out.println(
        "Rebuilt read models equal to the live ones: " + (differences.isEmpty() ? "yes" : "no"));
    differences.forEach(difference -> out.println("  " + difference));
    return differences;
  }
}
