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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * and acts only if the transfer is still waiting for that step. Each command's message id is
 * derived from the transfer and the step ({@link #stepMessageId}, each step happens once per
 * transfer), so the same step sent twice (an event handled again, or by two instances) is one
 * command, which the store commits to the aggregate's stream at most once: at least once from the
 * log is exactly once in effect. The accounts refuse a step under any other id, so they need no
 * memory of their transfers. The process keeps no state of its own: any number of instances may
 * share its processor's segments.
 *
 * <p>It publishes with {@link CommandBus#publishAsync(Command)} through the processor's {@link
 * io.cqrs.TrackingEventProcessor.Builder#asyncHandler asyncHandler}: a segment does not wait for
 * each command's confirm before the next event, and its checkpoint never passes a command the bus
 * has not accepted (a refused one is sent again, with the same message id).
 */
public final class TransferProcess {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

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
    Map<Class<?>, Function<VersionedEvent, CompletableFuture<Void>>> steps = steps();
    cqrs.processor(
        EventProcessor.tracking(name, cqrs.store())
            // The process waits for no confirm before the next event: a segment pipelines its
            // publishes; its checkpoint never passes one that is not confirmed yet.
            .asyncHandler(
                event -> {
                  Function<VersionedEvent, CompletableFuture<Void>> step =
                      steps.get(event.event().getClass());
                  return step == null ? DONE : step.apply(event);
                })
            .segments(segments)
            .interceptors(cqrs.interceptors())
            .build());
  }

  /**
   * The handler of each event type the process reacts to, waiting for each command to be accepted
   * by the bus.
   */
  Map<Class<?>, VersionedEventHandler> handlers() {
    Map<Class<?>, VersionedEventHandler> handlers = new LinkedHashMap<>();
    steps()
        .forEach(
            (type, step) ->
                handlers.put(
                    type,
                    event -> {
                      try {
                        step.apply(event).join();
                      } catch (CompletionException e) {
                        throw e.getCause() instanceof Exception cause ? cause : e;
                      }
                    }));
    return handlers;
  }

  /**
   * The step of each event type the process reacts to: its stage completes when the bus accepted
   * the command (the broker confirmed it), or at once if there is none to send.
   */
  Map<Class<?>, Function<VersionedEvent, CompletableFuture<Void>>> steps() {
    Map<Class<?>, Function<VersionedEvent, CompletableFuture<Void>>> handlers =
        new LinkedHashMap<>();
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

  private CompletableFuture<Void> onTransferCreated(VersionedEvent e) {
    return step(
        e,
        e.sourceId(),
        TransferState.CREATED,
        t -> new DebitAccountForTransfer(t.fromAccountId(), t.id(), t.amount()));
  }

  private CompletableFuture<Void> onAccountDebited(VersionedEvent e) {
    String transferId = e.eventAs(AccountDebited.class).transferId();
    return transferId == null
        ? DONE
        : step(e, transferId, TransferState.CREATED, t -> new RecordTransferDebit(t.id()));
  }

  private CompletableFuture<Void> onDebitRefused(VersionedEvent e) {
    TransferDebitRefused refused = e.eventAs(TransferDebitRefused.class);
    return step(
        e,
        refused.transferId(),
        TransferState.CREATED,
        t -> new FailTransferDebit(t.id(), refused.reason()));
  }

  private CompletableFuture<Void> onTransferDebited(VersionedEvent e) {
    return step(
        e,
        e.sourceId(),
        TransferState.DEBITED,
        t -> new CreditAccountForTransfer(t.toAccountId(), t.id(), t.amount()));
  }

  private CompletableFuture<Void> onAccountCredited(VersionedEvent e) {
    String transferId = e.eventAs(AccountCredited.class).transferId();
    return transferId == null
        ? DONE
        : step(e, transferId, TransferState.DEBITED, t -> new CompleteTransfer(t.id()));
  }

  private CompletableFuture<Void> onCreditRefused(VersionedEvent e) {
    TransferCreditRefused refused = e.eventAs(TransferCreditRefused.class);
    return step(
        e,
        refused.transferId(),
        TransferState.DEBITED,
        t -> new RefuseTransferCredit(t.id(), refused.reason()));
  }

  private CompletableFuture<Void> onTransferCreditRefused(VersionedEvent e) {
    return step(
        e,
        e.sourceId(),
        TransferState.COMPENSATING,
        t -> new RefundAccountForTransfer(t.fromAccountId(), t.id()));
  }

  private CompletableFuture<Void> onAccountRefunded(VersionedEvent e) {
    String transferId = e.eventAs(AccountRefunded.class).transferId();
    return step(e, transferId, TransferState.COMPENSATING, t -> new RecordTransferRefund(t.id()));
  }

  /**
   * Sends the command {@code next} makes, if transfer {@code transferId} is in {@code awaiting}; a
   * transfer that has moved on already took this step (the event is a redelivery). The stage
   * completes once the bus accepted the command.
   */
  private CompletableFuture<Void> step(
      VersionedEvent cause,
      String transferId,
      TransferState awaiting,
      Function<MoneyTransfer, Object> next) {
    MoneyTransfer transfer = AggregateLookup.transfer(repository, transferId);
    if (transfer.state() != awaiting) {
      return DONE;
    }
    return commands.publishAsync(command(transferId, next.apply(transfer), cause));
  }

  /** The command of one step of a transfer, with the message id every sender of it agrees on. */
  static Command command(String transferId, Object body, VersionedEvent cause) {
    return Command.reactingTo(cause, body, stepMessageId(transferId, body.getClass()));
  }

  /**
   * The message id of a transfer's step, {@code <transferId>/<CommandType>}: each step happens once
   * per transfer, so every sender of it gives it this id, and the aggregate that takes it refuses
   * it under another.
   */
  static String stepMessageId(String transferId, Class<?> stepType) {
    return transferId + "/" + TypeRegistry.logicalName(stepType);
  }
}
