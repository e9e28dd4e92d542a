package io.cqrs.scaleout;

import io.cqrs.CommandFailed;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.AccountEvent.AccountCredited;
import io.cqrs.example.bank.domain.AccountEvent.AccountDebited;
import io.cqrs.example.bank.domain.AccountEvent.AccountOpened;
import io.cqrs.example.bank.domain.AccountEvent.AccountRefunded;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCompleted;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferFailed;
import io.cqrs.scaleout.Outcomes.Outcome;
import io.cqrs.scaleout.SentCommand.Kind;
import io.cqrs.spi.LoggedEvent;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The store-side invariants of a scale-out run: each sent command has exactly one outcome and an
 * accepted one took effect exactly once on its stream; no command, sent or sent by the transfer
 * process, took effect twice or both took effect and failed; streams are gapless; the integration
 * log holds every committed event once and the relay published it; balances equal the fold of the
 * accepted commands; transfers finished and conserved money.
 *
 * <p>A command's effect is found by its message id, which every event it caused carries as its
 * causation id. The publishers' commands have the ids they were sent with (some were sent twice,
 * with the same id); the transfer process's have ids derived from the transfer and the step ({@code
 * tr-p1-000003/CreditAccountForTransfer}), the same for every sender of that step. Each command of
 * the bank saves one aggregate once and each business method raises one event, so one effect is one
 * event on a stream.
 */
public final class Invariants {
  private final List<SentCommand> sent;
  private final StoreContents store;
  private final Outcomes outcomes;

  /** Invariants of the store after the commands {@code sent}. */
  public Invariants(List<SentCommand> sent, StoreContents store) {
    this.sent = List.copyOf(sent);
    this.store = store;
    this.outcomes = new Outcomes(sent, store);
  }

  /** What became of each command. */
  public Outcomes outcomes() {
    return outcomes;
  }

  /** Every check, in the order of the report. */
  public List<Check> checkAll() {
    return List.of(
        everyCommandHasOneOutcome(),
        acceptedCommandsTookEffectOnce(),
        noCommandTookEffectTwice(),
        streamsAreGapless(),
        logHoldsEachCommittedEventOnce(),
        relayPublishedEverything(),
        transfersFinished(),
        balancesEqualTheFoldOfAcceptedCommands(),
        moneyIsConserved());
  }

  Check everyCommandHasOneOutcome() {
    Check.Builder check = new Check.Builder("every sent command was accepted or rejected, once");
    for (SentCommand command : sent) {
      Outcome outcome = outcomes.of(command.messageId());
      check.expect(
          outcome == Outcome.ACCEPTED || outcome == Outcome.REJECTED,
          "command "
              + command.messageId()
              + " ("
              + command.kind()
              + " "
              + command.accountId()
              + ")",
          "accepted or rejected",
          outcome);
    }
    return check.build();
  }

  Check acceptedCommandsTookEffectOnce() {
    Check.Builder check = new Check.Builder("every accepted command was applied exactly once");
    Map<String, List<VersionedEvent>> caused = store.streamEventsByCause();
    for (SentCommand command : sent) {
      // Also a command that was rejected besides: that is one violation, an effect twice another.
      if (outcomes.tookEffect(command.messageId())) {
        List<VersionedEvent> events = caused.get(command.messageId());
        String expectedStream =
            command.kind() == Kind.TRANSFER ? command.transferId() : command.accountId();
        boolean once = events.size() == 1 && events.get(0).sourceId().equals(expectedStream);
        check.expect(
            once,
            "command " + command.messageId(),
            "1 event on stream " + expectedStream,
            events.size() + " event(s) " + describe(events));
      }
    }
    return check.build();
  }

  /**
   * Every message id in the store, not only the sent ones (the transfer process's commands and
   * every resent or duplicated publication share their command's id): one event on each stream it
   * touched, and no {@link CommandFailed} beside that effect.
   */
  Check noCommandTookEffectTwice() {
    Check.Builder check =
        new Check.Builder(
            "no command took effect twice, nor took effect and was rejected (every message id)");
    Map<String, List<CommandFailed>> failures = store.failuresByCommand();
    new TreeMap<>(store.streamEventsByCause())
        .forEach(
            (commandId, events) -> {
              List<String> twice = streamsWithMoreThanOneEvent(events);
              List<CommandFailed> failed = failures.getOrDefault(commandId, List.of());
              String effect = twice.isEmpty() ? describe(events) : String.join(", ", twice);
              check.expect(
                  twice.isEmpty() && failed.isEmpty(),
                  "command " + commandId,
                  "one event on each stream it touched and no CommandFailed",
                  failed.isEmpty() ? effect : effect + " and " + describeFailures(failed));
            });
    return check.build();
  }

  /** "2 events on hot-01 [hot-01@2 AccountCredited, hot-01@4 AccountCredited]", per stream. */
  private static List<String> streamsWithMoreThanOneEvent(List<VersionedEvent> events) {
    Map<String, List<VersionedEvent>> byStream = new TreeMap<>();
    events.forEach(e -> byStream.computeIfAbsent(e.sourceId(), k -> new ArrayList<>()).add(e));
    List<String> twice = new ArrayList<>();
    byStream.forEach(
        (stream, onStream) -> {
          if (onStream.size() > 1) {
            twice.add(onStream.size() + " events on " + stream + " " + describe(onStream));
          }
        });
    return twice;
  }

  Check streamsAreGapless() {
    Check.Builder check = new Check.Builder("every stream has versions 1..N, no gap or duplicate");
    store
        .streams()
        .forEach(
            (id, events) -> {
              List<Long> versions = events.stream().map(VersionedEvent::version).toList();
              boolean gapless = true;
              for (int i = 0; i < versions.size(); i++) {
                gapless &= versions.get(i) == i + 1;
              }
              check.expect(gapless, "stream " + id, "1.." + versions.size(), versions);
            });
    return check.build();
  }

  Check logHoldsEachCommittedEventOnce() {
    Check.Builder check =
        new Check.Builder("the integration log holds each committed event exactly once");
    Map<String, Integer> inLog = new HashMap<>();
    for (LoggedEvent entry : store.log()) {
      if (entry.event().version() > 0) {
        inLog.merge(entry.event().sourceId() + "@" + entry.event().version(), 1, Integer::sum);
      }
    }
    Set<String> committed = new HashSet<>();
    store
        .streams()
        .forEach(
            (id, events) -> {
              for (VersionedEvent event : events) {
                String key = id + "@" + event.version();
                committed.add(key);
                int times = inLog.getOrDefault(key, 0);
                check.expect(times == 1, "stream " + id + " version " + event.version(), 1, times);
              }
            });
    inLog.keySet().stream()
        .filter(key -> !committed.contains(key))
        .forEach(key -> check.violation("log entry " + key + " is in no stream"));
    return check.build();
  }

  Check relayPublishedEverything() {
    Check.Builder check =
        new Check.Builder("the relay caught up: every stream event in the log is published");
    for (LoggedEvent entry : store.log()) {
      if (entry.event().version() > 0) {
        check.expect(
            entry.published(),
            "stream " + entry.event().sourceId() + " version " + entry.event().version(),
            "published",
            "unpublished at log position " + entry.position());
      }
    }
    return check.build();
  }

  Check transfersFinished() {
    Check.Builder check = new Check.Builder("every transfer that took effect completed or failed");
    for (SentCommand command : sent) {
      if (command.kind() == Kind.TRANSFER && outcomes.tookEffect(command.messageId())) {
        List<VersionedEvent> events = store.streams().getOrDefault(command.transferId(), List.of());
        Object last = events.isEmpty() ? null : events.get(events.size() - 1).event();
        check.expect(
            last instanceof MoneyTransferCompleted || last instanceof MoneyTransferFailed,
            "stream " + command.transferId(),
            "MoneyTransferCompleted or MoneyTransferFailed last",
            last == null ? "no events" : last.getClass().getSimpleName());
      }
    }
    return check.build();
  }

  Check balancesEqualTheFoldOfAcceptedCommands() {
    Check.Builder check =
        new Check.Builder(
            "each balance equals the fold of its openings, credits, debits, transfers"
                + " that took effect");
    Map<String, BigDecimal> expected = expectedBalances();
    expected.forEach(
        (account, balance) -> {
          BigDecimal actual = foldBalance(store.streams().getOrDefault(account, List.of()));
          check.expect(
              actual != null && actual.compareTo(balance) == 0,
              "stream " + account,
              balance,
              actual);
        });
    return check.build();
  }

  Check moneyIsConserved() {
    Check.Builder check =
        new Check.Builder("money is conserved: total = openings + credits - debits");
    BigDecimal expected = BigDecimal.ZERO;
    BigDecimal actual = BigDecimal.ZERO;
    for (SentCommand command : sent) {
      if (outcomes.tookEffect(command.messageId())) {
        switch (command.kind()) {
          case OPEN, CREDIT -> expected = expected.add(command.amount());
          case DEBIT -> expected = expected.subtract(command.amount());
          case TRANSFER -> {}
        }
      }
    }
    for (String account : expectedBalances().keySet()) {
      BigDecimal balance = foldBalance(store.streams().getOrDefault(account, List.of()));
      actual = actual.add(balance == null ? BigDecimal.ZERO : balance);
    }
    check.expect(expected.compareTo(actual) == 0, "all accounts", expected, actual);
    return check.build();
  }

  /**
   * The balance of every opened account from the commands that took effect and the transfers'
   * outcomes. A command that took effect and was also rejected counts with its effect: the store
   * holds it, and the outcome checks report the rejection beside it, so that one violation does not
   * show up as wrong balances too.
   */
  Map<String, BigDecimal> expectedBalances() {
    Map<String, BigDecimal> balances = new HashMap<>();
    for (SentCommand command : sent) {
      if (!outcomes.tookEffect(command.messageId())) {
        continue;
      }
      switch (command.kind()) {
        case OPEN -> balances.merge(command.accountId(), command.amount(), BigDecimal::add);
        case CREDIT -> balances.merge(command.accountId(), command.amount(), BigDecimal::add);
        case DEBIT ->
            balances.merge(command.accountId(), command.amount().negate(), BigDecimal::add);
        case TRANSFER -> {
          if (completed(command.transferId())) {
            balances.merge(command.accountId(), command.amount().negate(), BigDecimal::add);
            balances.merge(command.toAccountId(), command.amount(), BigDecimal::add);
          }
        }
      }
    }
    return balances;
  }

  private boolean completed(String transferId) {
    return store.streams().getOrDefault(transferId, List.of()).stream()
        .anyMatch(e -> e.event() instanceof MoneyTransferCompleted);
  }

  /** An account's balance from its stream's events, or {@code null} if it was never opened. */
  static BigDecimal foldBalance(List<VersionedEvent> stream) {
    BigDecimal balance = null;
    for (VersionedEvent event : stream) {
      Object e = event.event();
      if (e instanceof AccountOpened opened) {
        balance = opened.initialBalance();
      } else if (e instanceof AccountCredited credited) {
        balance = balance.add(credited.amount());
      } else if (e instanceof AccountDebited debited) {
        balance = balance.subtract(debited.amount());
      } else if (e instanceof AccountRefunded refunded) {
        balance = balance.add(refunded.amount());
      }
    }
    return balance;
  }

  private static String describeFailures(List<CommandFailed> failures) {
    List<String> parts = new ArrayList<>();
    for (CommandFailed f : failures) {
      String type = f.errorType().substring(f.errorType().lastIndexOf('.') + 1);
      parts.add("CommandFailed " + type + ": " + f.message());
    }
    return String.join(", ", parts);
  }

  private static String describe(List<VersionedEvent> events) {
    List<String> parts = new ArrayList<>();
    for (VersionedEvent e : events) {
      parts.add(e.sourceId() + "@" + e.version() + " " + e.eventType());
    }
    return parts.toString();
  }
}
