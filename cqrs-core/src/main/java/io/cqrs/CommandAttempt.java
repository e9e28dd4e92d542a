package io.cqrs;

import java.util.ArrayList;
import java.util.List;

/**
 * What one attempt at handling a command has committed, on the thread that runs its handler: the
 * streams an {@link EventSourcingRepository} saved the command's effect to. {@link
 * CommandDispatchManager} reads the store to tell whether a command took effect, and the store
 * cannot tell this attempt's commits from those of an earlier delivery: a handler that committed to
 * one stream and then failed (a conflict on its second save, an exception after its first) looked
 * like a delivery that lost a race to an earlier one, and the rest of its effect was dropped while
 * the command counted as handled. With this record the manager knows the effect is this attempt's
 * own, and partial ({@link CommandPartiallyAppliedException}).
 *
 * <p>Thread-confined, like {@link CommandLookups}: a handler that saves on another thread is not
 * seen, and its failures are judged by the store alone, as before.
 */
final class CommandAttempt {
  private static final ThreadLocal<CommandAttempt> CURRENT = new ThreadLocal<>();

  private final String commandId;
  private final CommandAttempt outer;
  private List<String> streams;

  private CommandAttempt(String commandId, CommandAttempt outer) {
    this.commandId = commandId;
    this.outer = outer;
  }

  /** Starts an attempt at command {@code commandId} on this thread (inside any running one). */
  static CommandAttempt enter(String commandId) {
    CommandAttempt attempt = new CommandAttempt(commandId, CURRENT.get());
    CURRENT.set(attempt);
    return attempt;
  }

  /** Ends {@code attempt}; the one it was entered inside, if any, is current again. */
  static void leave(CommandAttempt attempt) {
    if (attempt.outer == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(attempt.outer);
    }
  }

  /** Tells the attempt running on this thread, if it handles {@code causationId}, of a commit. */
  static void committed(String causationId, String streamId) {
    CommandAttempt attempt = CURRENT.get();
    if (attempt != null && attempt.commandId.equals(causationId)) {
      if (attempt.streams == null) {
        attempt.streams = new ArrayList<>(2);
      }
      if (!attempt.streams.contains(streamId)) {
        attempt.streams.add(streamId);
      }
    }
  }

  /** The streams this attempt committed the command's effect to, in the order it did. */
  List<String> streams() {
    return streams == null ? List.of() : List.copyOf(streams);
  }

  boolean committedAny() {
    return streams != null;
  }
}
