package io.cqrs;

/**
 * The stream already holds the effect of this command: a save made as the effect of command {@link
 * #commandId()} found a commit of stream {@link #streamId()} caused by the same command, and wrote
 * nothing.
 *
 * <p>This is how a redelivered command, or a second delivery racing the first, is stopped from
 * taking effect twice: the store checks the command id in the same atomic step that commits the
 * events (see {@link io.cqrs.spi.EventStreamRepository#save(io.cqrs.spi.StreamAppend)}). {@link
 * CommandDispatchManager} treats it as "already handled" and acknowledges the command; other
 * callers should do the same. Not transient: trying again finds the same commit.
 */
public class DuplicateCommandException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  private final String streamId;
  private final String commandId;

  public DuplicateCommandException(String streamId, String commandId) {
    super(
        "Stream '"
            + streamId
            + "' already holds the effect of command "
            + commandId
            + "; nothing was written");
    this.streamId = streamId;
    this.commandId = commandId;
  }

  /** The stream whose commit carries the command. */
  public String streamId() {
    return streamId;
  }

  /** The command's message id. */
  public String commandId() {
    return commandId;
  }
}
