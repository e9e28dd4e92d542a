package io.cqrs;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What became of a command, as the store records it ({@link Cqrs#outcome(Command)}): the events it
 * caused ({@link Status#SUCCEEDED}), the {@link CommandFailed} recorded for it ({@link
 * Status#REJECTED}), the {@link CommandHandled} recorded for one that changed nothing ({@link
 * Status#SUCCEEDED}, no events), or none of these yet ({@link Status#PENDING}). Read from the
 * store, so any process sees it, whichever handled the command.
 *
 * <p>A {@linkplain CommandFailed#retryable() retryable} failure (the framework's own: no handler,
 * an interceptor that failed, an event it could not read) is no outcome, as the dispatcher sees it
 * too: the command is handled again when it comes again (a redelivery, a replayed dead letter), so
 * it stays {@code PENDING} until then. Without {@link Cqrs.Builder#recordNoEffect recordNoEffect}
 * (off by default) a command handled without effect is not recorded and stays {@code PENDING}.
 * {@code SUCCEEDED} shows at a handler's first commit: one that commits to several aggregates and
 * then fails is {@code PARTIAL} once its failure is recorded, a moment later.
 *
 * @param commandId the command's message id
 * @param status what became of it
 * @param events the events it caused, in commit order; empty unless it took effect ({@code
 *     SUCCEEDED} with effect, {@code PARTIAL})
 * @param failure the recorded failure; {@code null} unless {@code REJECTED} or {@code PARTIAL}
 */
public record CommandOutcome(
    String commandId, Status status, List<VersionedEvent> events, CommandFailed failure) {

  /** What became of a command. */
  public enum Status {
    /** No outcome recorded yet: not handled yet, or handled without effect and not recorded. */
    PENDING,
    /** It took effect (its events), or was handled without effect and recorded so. */
    SUCCEEDED,
    /** The handler refused it: {@link CommandOutcome#failure()} says why. */
    REJECTED,
    /**
     * It took part of its effect and then failed ({@link CommandPartiallyAppliedException}): its
     * events and its failure are both recorded.
     */
    PARTIAL
  }

  /** Checks the values and copies the events. */
  public CommandOutcome {
    Objects.requireNonNull(commandId, "commandId");
    Objects.requireNonNull(status, "status");
    events = List.copyOf(events);
    boolean failed = status == Status.REJECTED || status == Status.PARTIAL;
    if (failed != (failure != null)) {
      throw new IllegalArgumentException(
          "a failure goes with REJECTED or PARTIAL, and only with them");
    }
  }

  /**
   * The outcome of command {@code commandId} among {@code correlated}, the events of its
   * correlation id: those whose causation id is the command's message id.
   */
  public static CommandOutcome of(String commandId, List<VersionedEvent> correlated) {
    Objects.requireNonNull(commandId, "commandId");
    List<VersionedEvent> caused = new ArrayList<>();
    CommandFailed failed = null;
    boolean handled = false;
    for (VersionedEvent event : correlated) {
      if (!commandId.equals(event.causationId())) {
        continue;
      }
      if (event.event() instanceof CommandHandled) {
        handled = true;
      } else if (event.event() instanceof CommandFailed failure) {
        if (!failure.retryable()) {
          failed = failure;
        }
      } else if (event.version() > 0) {
        caused.add(event);
      }
    }
    if (!caused.isEmpty()) {
      return failed == null
          ? new CommandOutcome(commandId, Status.SUCCEEDED, caused, null)
          : new CommandOutcome(commandId, Status.PARTIAL, caused, failed);
    }
    if (failed != null) {
      return new CommandOutcome(commandId, Status.REJECTED, List.of(), failed);
    }
    return new CommandOutcome(
        commandId, handled ? Status.SUCCEEDED : Status.PENDING, List.of(), null);
  }

  /** Whether no outcome is recorded yet. */
  public boolean isPending() {
    return status == Status.PENDING;
  }
}
