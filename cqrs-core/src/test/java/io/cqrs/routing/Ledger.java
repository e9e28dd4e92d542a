package io.cqrs.routing;

import io.cqrs.routing.base.LedgerBase;

/**
 * A package-private aggregate outside cqrs's package, extending a base from a third package: its
 * own handlers are private, package-private and overriding; the rest it inherits.
 */
final class Ledger extends LedgerBase {
  Ledger(String id) {
    super(id);
  }

  record Credited(long amount) {}

  record Debited(long amount) {}

  record Refused(String why) {}

  @SuppressWarnings("unused")
  private void handleCredited(Credited e) {
    calls.add("private credited " + e.amount());
  }

  void handleDebited(Debited e) {
    calls.add("package debited " + e.amount());
  }

  void handleRefused(Refused e) throws java.io.IOException {
    throw new java.io.IOException("refused: " + e.why());
  }

  @Override
  protected void handleRenamed(Renamed e) {
    calls.add("overriding renamed " + e.name());
  }
}
