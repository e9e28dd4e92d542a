package io.cqrs.example.bank;

import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.example.bank.readmodel.BankReadModels.RebuildCounts;
import java.io.PrintStream;
import java.util.List;

/**
 * Rebuilds the bank's read models from the integration log into fresh view stores, next to the live
 * ones, and prints what it did and whether the two agree: the proof that the read models can be
 * thrown away and rebuilt.
 */
final class RebuildReport {
  private final Bank bank;
  private final PrintStream out;

  RebuildReport(Bank bank, PrintStream out) {
    this.bank = bank;
    this.out = out;
  }

  /**
   * Rebuilds into the views of {@code namespace} (emptied first) and compares them with the live
   * read models.
   *
   * @return where they differ; empty if nowhere
   */
  List<String> rebuildAndCompare(String namespace) throws Exception {
    BankReadModels rebuilt =
        new BankReadModels(bank.infrastructure().store(), bank.infrastructure().views(namespace));
    rebuilt.clear();
    RebuildCounts counts = rebuilt.rebuild();
    out.println(
        "Rebuilt the read models from "
            + counts.events()
            + " events of the integration log: "
            + rebuilt.accounts().size()
            + " accounts ("
            + counts.accounts()
            + " events applied), "
            + rebuilt.users().size()
            + " users ("
            + counts.users()
            + "), "
            + rebuilt.transfers().size()
            + " transfers ("
            + counts.transfers()
            + ")");
    List<String> differences = rebuilt.differencesFrom(bank.readModels());
    out.println(
        "Rebuilt read models equal to the live ones: " + (differences.isEmpty() ? "yes" : "no"));
    differences.forEach(difference -> out.println("  " + difference));
    return differences;
  }
}
