package io.cqrs;

import java.util.List;

/**
 * A command's handler committed its effect to some streams and then failed: a later save conflicted
 * or was refused, or the handler threw after a save. The commits stand (each stream's is atomic;
 * several streams' together are not), and no retry or redelivery completes the rest, since the
 * command's effect is found and it is not handled again: the effect stays partial until it is
 * repaired, by hand or by a compensating command. Not transient: a bus dead-letters the command,
 * and {@link CommandDispatchManager} records its failure, so that the partial effect is seen, not
 * counted as handled. The handler's own failure is the cause.
 *
 * <p>A handler that must change several aggregates together does better to change one per command
 * and let the others follow from its events (a process manager), each step then at most once.
 */
public final class CommandPartiallyAppliedException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String commandId;
  private final List<String> committedStreams;

  CommandPartiallyAppliedException(
      Command command, List<String> committedStreams, Throwable cause) {
    super(
        "Command "
            + command.commandType()
            + " ("
            + io.cqrs.internal.Texts.shown(command.messageId())
            + ") committed its effect on "
            + shown(committedStreams)
            + " and then failed ("
            + io.cqrs.internal.Texts.shown(cause)
            + "): its effect is partial, and a retry or redelivery will not complete it",
        cause);
    this.commandId = command.messageId();
    this.committedStreams = List.copyOf(committedStreams);
  }

  private static String shown(List<String> streams) {
    StringBuilder shown = new StringBuilder(streams.size() == 1 ? "stream " : "streams ");
    for (int i = 0; i < streams.size(); i++) {
      shown
          .append(i == 0 ? "" : ", ")
          .append('\'')
          .append(io.cqrs.internal.Texts.shown(streams.get(i)))
          .append('\'');
    }
    return shown.toString();
  }

  /** The message id of the command. */
  public String commandId() {
    return commandId;
  }

  /** The streams the handler committed the command's effect to before it failed, in order. */
  public List<String> committedStreams() {
    return committedStreams;
  }
}
