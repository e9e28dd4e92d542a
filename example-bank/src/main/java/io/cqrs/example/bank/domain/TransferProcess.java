package io.cqrs.example.bank.domain;

import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.EventSourcingRepository;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.VersionedEventHandler;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccountForTransfer;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccountForTransfer;
import io.cqrs.example.bank.domain.AccountCommand.RefundAccountForTransfer;
import io.cqrs.example.bank.domain.AccountEvent.AccountCredited;
import io.cqrs.example.bank.domain.AccountEvent.AccountDebited;
import io.cqrs.example.bank.domain.AccountEvent.AccountRefunded;
import io.cqrs.example.bank.domain.AccountEvent.TransferCreditRefused;
import io.cqrs.example.bank.domain.AccountEvent.TransferDebitRefused;
import io.cqrs.example.bank.domain.TransferCommand.CompleteTransfer;
import io.cqrs.example.bank.domain.TransferCommand.FailTransferDebit;
import io.cqrs.example.bank.domain.TransferCommand.RecordTransferDebit;
import io.cqrs.example.bank.domain.TransferCommand.RecordTransferRefund;
import io.cqrs.example.bank.domain.TransferCommand.RefuseTransferCredit;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreated;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreditRefused;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferDebited;
import io.cqrs.spi.CommandBus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The process manager of {@link MoneyTransfer}s: it listens to the events of transfers and accounts
 * and sends each transfer's next command.
 *
 * <pre>
 * MoneyTransferCreated        ─▶ DebitAccountForTransfer   (source)
 *   AccountDebited            ─▶ RecordTransferDebit
 *   TransferDebitRefused      ─▶ FailTransferDebit         ─▶ MoneyTransferFailed
 * MoneyTransferDebited        ─▶ CreditAccountForTransfer  (destination)
 *   AccountCredited           ─▶ CompleteTransfer          ─▶ MoneyTransferCompleted
 *   TransferCreditRefused     ─▶ RefuseTransferCredit
 * MoneyTransferCreditRefused  ─▶ RefundAccountForTransfer  (source)
 *   AccountRefunded           ─▶ RecordTransferRefund      ─▶ MoneyTransferFailed
 * </pre>
 *
 * <p>It runs as a tracking event processor ({@link #register}): it reads the store's integration
 * log from a durable checkpoint, so it sees every committed event, published on the bus or not, and
 * a restart resumes where it stopped. Every command joins the transfer's correlation id and names
 * the event that caused it. The processor delivers at least once (events after the last checkpoint
 * are handled again after a crash or a hand-over), so before acting the process loads the transfer
 * and acts only if the transfer is still waiting for that step; the aggregates ignore repeated
 * steps as well, so a duplicate that slips through changes nothing. Each command's message id is
 * derived from the transfer and the step ({@code <transferId>/<CommandType>}, each step happens
 * once per transfer), so the same step sent twice (an event handled again, or by two instances) is
 * one message to a deduplicating {@link io.cqrs.CommandDispatchManager}: at least once from the log
 * is exactly once in effect. The process keeps no state of its own: any number of instances may
 * share its processor's segments.
 */
public final class TransferProcess {
  private final EventSourcingRepository repository;
  private final CommandBus commands;

  /**
   * @param repository where transfers are loaded to check their state
   * @param commands where the process sends its commands
   */
  public TransferProcess(EventSourcingRepository repository, CommandBus commands) {
    this.repository = Objects.requireNonNull(repository, "repository");
    this.commands = Objects.requireNonNull(commands, "commands");
  }

  /**
   * Registers the process on {@code cqrs} as a tracking event processor on its store; {@link
   * Cqrs#start()} starts it.
   *
   * @param name the processor's name; instances with the same name share its segments
   * @param segments how many segments the log is split into: the most processes that share the work
   */
  public void register(Cqrs cqrs, String name, int segments) {
    Objects.requireNonNull(cqrs, "cqrs");
    Map<Class<?>, VersionedEventHandler> handlers = handlers();
    cqrs.processor(
        EventProcessor.tracking(name, cqrs.store())
            .handler(
                event -> {
                  VersionedEventHandler handler = handlers.get(event.event().getClass());
                  if (handler != null) {
                    handler.handle(event);
                  }
                })
            .segments(segments)
            .interceptors(cqrs.interceptors())
            .build());
  }

  /** The handler of each event type the process reacts to. */
  Map<Class<?>, VersionedEventHandler> handlers() {
    Map<Class<?>, VersionedEventHandler> handlers = new LinkedHashMap<>();
    handlers.put(MoneyTransferCreated.class, this::onTransferCreated);
    handlers.put(AccountDebited.class, this::onAccountDebited);
    handlers.put(TransferDebitRefused.class, this::onDebitRefused);
    handlers.put(MoneyTransferDebited.class, this::onTransferDebited);
    handlers.put(AccountCredited.class, this::onAccountCredited);
    handlers.put(TransferCreditRefused.class, this::onCreditRefused);
    handlers.put(MoneyTransferCreditRefused.class, this::onTransferCreditRefused);
    handlers.put(AccountRefunded.class, this::onAccountRefunded);
    return handlers;
  }

  private void onTransferCreated(VersionedEvent e) {
    step(
        e,
        e.sourceId(),
        TransferState.CREATED,
        t -> new DebitAccountForTransfer(t.fromAccountId(), t.id(), t.amount()));
  }

  private void onAccountDebited(VersionedEvent e) {
    String transferId = e.eventAs(AccountDebited.class).transferId();
    if (transferId != null) {
      step(e, transferId, TransferState.CREATED, t -> new RecordTransferDebit(t.id()));
    }
  }

  private void onDebitRefused(VersionedEvent e) {
    TransferDebitRefused refused = e.eventAs(TransferDebitRefused.class);
    step(
        e,
        refused.transferId(),
        TransferState.CREATED,
        t -> new FailTransferDebit(t.id(), refused.reason()));
  }

  private void onTransferDebited(VersionedEvent e) {
    step(
        e,
        e.sourceId(),
        TransferState.DEBITED,
        t -> new CreditAccountForTransfer(t.toAccountId(), t.id(), t.amount()));
  }

  private void onAccountCredited(VersionedEvent e) {
    String transferId = e.eventAs(AccountCredited.class).transferId();
    if (transferId != null) {
      step(e, transferId, TransferState.DEBITED, t -> new CompleteTransfer(t.id()));
    }
  }

  private void onCreditRefused(VersionedEvent e) {
    TransferCreditRefused refused = e.eventAs(TransferCreditRefused.class);
    step(
        e,
        refused.transferId(),
        TransferState.DEBITED,
        t -> new RefuseTransferCredit(t.id(), refused.reason()));
  }

  private void onTransferCreditRefused(VersionedEvent e) {
    step(
        e,
        e.sourceId(),
        TransferState.COMPENSATING,
        t -> new RefundAccountForTransfer(t.fromAccountId(), t.id()));
  }

  private void onAccountRefunded(VersionedEvent e) {
    String transferId = e.eventAs(AccountRefunded.class).transferId();
    step(e, transferId, TransferState.COMPENSATING, t -> new RecordTransferRefund(t.id()));
  }

  /**
   * Sends the command {@code next} makes, if transfer {@code transferId} is in {@code awaiting}; a
   * transfer that has moved on already took this step (the event is a redelivery).
   */
  private void step(
      VersionedEvent cause,
      String transferId,
      TransferState awaiting,
      Function<MoneyTransfer, Object> next) {
    MoneyTransfer transfer = AggregateLookup.transfer(repository, transferId);
    if (transfer.state() == awaiting) {
      commands.publish(command(transferId, next.apply(transfer), cause));
    }
  }

  /** The command of one step of a transfer, with the message id every sender of it agrees on. */
  static Command command(String transferId, Object body, VersionedEvent cause) {
    return Command.reactingTo(
        cause, body, transferId + "/" + TypeRegistry.logicalName(body.getClass()));
  }
}
