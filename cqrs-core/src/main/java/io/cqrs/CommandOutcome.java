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
 * it stays {@code PENDING} until then. Two settings decide what can be seen: without {@link
 * Cqrs.Builder#deduplicate deduplicate} (on by default) rejections are not recorded and stay {@code
 * PENDING}, and without {@link Cqrs.Builder#recordNoEffect recordNoEffect} (off by default) neither
 * is a command handled without effect.
 *
 * @param commandId the command's message id
 * @param status what became of it
 * @param events the events it caused, in commit order; empty unless {@code SUCCEEDED} with effect
 * @param failure the recorded failure; {@code null} unless {@code REJECTED}
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
    REJECTED
  }

  /** Checks the values and copies the events. */
  public CommandOutcome {
    Objects.requireNonNull(commandId, "commandId");
    Objects.requireNonNull(status, "status");
    events = List.copyOf(events);
    if ((status == Status.REJECTED) != (failure != null)) {
      throw new IllegalArgumentException("a failure goes with REJECTED, and only with it");
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
      return new CommandOutcome(commandId, Status.SUCCEEDED, caused, null);
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
