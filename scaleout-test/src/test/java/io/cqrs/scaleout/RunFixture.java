package io.cqrs.scaleout;

import io.cqrs.CommandFailed;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.DistributedBank.AccountReading;
import io.cqrs.example.bank.DistributedBank.TransferReading;
import io.cqrs.example.bank.domain.AccountEvent.AccountCredited;
import io.cqrs.example.bank.domain.AccountEvent.AccountDebited;
import io.cqrs.example.bank.domain.AccountEvent.AccountOpened;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCompleted;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreated;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferDebited;
import io.cqrs.example.bank.domain.TransferState;
import io.cqrs.scaleout.SentCommand.Kind;
import io.cqrs.spi.LoggedEvent;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small run whose store and read models are consistent, built event by event, for tests that
 * spoil it in one way and expect an invariant to catch it.
 *
 * <p>The run: hot-01 and hot-02 opened with 500.00; p1-000001 credits 10.00 to hot-01; p1-000002
 * debits 5.00 from hot-02; p1-000003 transfers 20.00 from hot-01 to hot-02 (completed, through the
 * transfer process's commands, whose ids are derived as {@link #step} shows); p1-000004 debits
 * 9999.00 from hot-02 and is rejected. Balances: hot-01 490.00, hot-02 515.00, each at version 3;
 * total 1005.00.
 */
final class RunFixture {
  static final String TRANSFER = "tr-p1-000003";

  private final List<SentCommand> sent = new ArrayList<>();
  private final Map<String, List<VersionedEvent>> streams = new LinkedHashMap<>();
  private final List<LoggedEvent> log = new ArrayList<>();
  private final Map<String, AccountReading> accounts = new HashMap<>();
  private final Map<String, TransferReading> transfers = new HashMap<>();

  /** The consistent run described above. */
  static RunFixture consistent() {
    RunFixture run = new RunFixture();
    run.command("open-hot-01", Kind.OPEN, "hot-01", null, "500.00")
        .append("hot-01", "open-hot-01", opened())
        .command("open-hot-02", Kind.OPEN, "hot-02", null, "500.00")
        .append("hot-02", "open-hot-02", opened())
        .command("p1-000001", Kind.CREDIT, "hot-01", null, "10.00")
        .append("hot-01", "p1-000001", new AccountCredited(money("10.00"), null))
        .command("p1-000002", Kind.DEBIT, "hot-02", null, "5.00")
        .append("hot-02", "p1-000002", new AccountDebited(money("5.00"), null))
        .command("p1-000003", Kind.TRANSFER, "hot-01", "hot-02", "20.00")
        .append(TRANSFER, "p1-000003", new MoneyTransferCreated("hot-01", "hot-02", money("20.00")))
        .append("hot-01", step("DebitAccountForTransfer"), debitedForTransfer())
        .append(
            TRANSFER,
            step("RecordTransferDebit"),
            new MoneyTransferDebited("hot-01", money("20.00")))
        .append("hot-02", step("CreditAccountForTransfer"), creditedForTransfer())
        .append(
            TRANSFER,
            step("CompleteTransfer"),
            new MoneyTransferCompleted("hot-02", money("20.00")))
        .command("p1-000004", Kind.DEBIT, "hot-02", null, "9999.00")
        .fail("p1-000004");
    run.accounts.put("hot-01", account("hot-01", "490.00", 3));
    run.accounts.put("hot-02", account("hot-02", "515.00", 3));
    run.transfers.put(TRANSFER, transfer(TransferState.COMPLETED, 3));
    return run;
  }

  /** Records a command as a publisher would have sent it. */
  RunFixture command(String id, Kind kind, String account, String to, String amount) {
    sent.add(new SentCommand(id, "p1", kind, account, to, money(amount)));
    return this;
  }

  /** Commits an event at the stream's next version, logged and published. */
  RunFixture append(String stream, String causationId, Object event) {
    List<VersionedEvent> events = streams.computeIfAbsent(stream, k -> new ArrayList<>());
    VersionedEvent committed = event(stream, causationId, events.size() + 1, event);
    events.add(committed);
    log.add(new LoggedEvent(log.size() + 1, committed, true));
    return this;
  }

  /**
   * The message id of the transfer process's command of type {@code commandType} for the fixture's
   * transfer, as {@code TransferProcess} derives it.
   */
  static String step(String commandType) {
    return TRANSFER + "/" + commandType;
  }

  /** The transfer's debit of hot-01, as the transfer process's command makes it. */
  static AccountDebited debitedForTransfer() {
    return new AccountDebited(money("20.00"), TRANSFER);
  }

  /** The transfer's credit of hot-02, as the transfer process's command makes it. */
  static AccountCredited creditedForTransfer() {
    return new AccountCredited(money("20.00"), TRANSFER);
  }

  /** Logs a {@link CommandFailed} for a debit that found no money. */
  RunFixture fail(String commandId) {
    return fail(commandId, "DebitAccount", "io.cqrs.InsufficientFunds", "no money");
  }

  /** Logs a {@link CommandFailed} for a command. */
  RunFixture fail(String commandId, String commandType, String errorType, String message) {
    CommandFailed failed = new CommandFailed(commandId, commandType, errorType, message);
    log.add(new LoggedEvent(log.size() + 1, event(commandId, commandId, 0, failed), true));
    return this;
  }

  /** Removes an event from its stream (not from the log), leaving a gap. */
  RunFixture dropFromStream(String stream, long version) {
    streams.get(stream).removeIf(e -> e.version() == version);
    return this;
  }

  /** Marks a stream event's log entry unpublished, as if no relay had published it. */
  RunFixture unpublished(String stream, long version) {
    log.replaceAll(
        e ->
            e.event().sourceId().equals(stream) && e.event().version() == version
                ? new LoggedEvent(e.position(), e.event(), false)
                : e);
    return this;
  }

  /** Replaces (or with {@code null} removes) the accounts read model's view of an account. */
  RunFixture accountView(String id, AccountReading view) {
    if (view == null) {
      accounts.remove(id);
    } else {
      accounts.put(id, view);
    }
    return this;
  }

  /** Replaces the transfers read model's view of the transfer. */
  RunFixture transferView(TransferReading view) {
    transfers.put(view.id(), view);
    return this;
  }

  List<SentCommand> sent() {
    return List.copyOf(sent);
  }

  StoreContents store() {
    Map<String, List<VersionedEvent>> copy = new LinkedHashMap<>();
    streams.forEach((id, events) -> copy.put(id, List.copyOf(events)));
    return new StoreContents(List.copyOf(log), copy);
  }

  ReadModelContents readModels() {
    return new ReadModelContents(accounts, transfers);
  }

  Invariants invariants() {
    return new Invariants(sent(), store());
  }

  ReadModelInvariants readModelInvariants() {
    return new ReadModelInvariants(store(), readModels(), sent());
  }

  static AccountReading account(String id, String balance, long version) {
    return new AccountReading(id, money(balance), false, version);
  }

  static TransferReading transfer(TransferState state, long version) {
    return new TransferReading(TRANSFER, "hot-01", "hot-02", money("20.00"), state, null, version);
  }

  static BigDecimal money(String amount) {
    return new BigDecimal(amount);
  }

  private static AccountOpened opened() {
    return new AccountOpened("Scale", "Out", "so@example.org", "hash", money("500.00"));
  }

  private static VersionedEvent event(String stream, String cause, long version, Object event) {
    return event(stream, cause, version, Instant.parse("2026-01-01T00:00:00Z"), event);
  }

  /** An event of {@code stream} caused by command {@code cause}, raised at {@code created}. */
  static VersionedEvent event(
      String stream, String cause, long version, Instant created, Object event) {
    return new VersionedEvent(
        stream + "@" + version + "-" + cause,
        cause,
        cause,
        stream,
        null,
        null,
        version,
        event.getClass().getSimpleName(),
        created,
        event,
        Map.of());
  }
}
