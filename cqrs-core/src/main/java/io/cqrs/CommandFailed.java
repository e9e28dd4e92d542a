package io.cqrs;

/**
 * The error event recorded under a command's correlation id when the command fails (andrewwebber's
 * {@code DeliverCQRSError}): for good when the domain rejected it, or, {@link #retryable()}, in the
 * framework, where a replay of the dead-lettered command after the repair may still succeed; the
 * record stays in the log beside the effect then.
 *
 * @param commandId the failed command's message id
 * @param commandType the failed command's logical type
 * @param errorType the exception's class name
 * @param message the exception's message
 * @param retryable whether a later delivery of the command is handled again: the failure was the
 *     framework's or an interceptor's (no handler, a message it could not read, an interceptor that
 *     failed), which the bus dead-letters so that a replay after the repair runs it; not a
 *     rejection by the domain, which is the command's outcome. Absent (false) in failures recorded
 *     before it existed.
 */
public record CommandFailed(
    String commandId, String commandType, String errorType, String message, boolean retryable) {

  /** A failure that is the command's outcome: a later delivery is not handled again. */
  public CommandFailed(String commandId, String commandType, String errorType, String message) {
    this(commandId, commandType, errorType, message, false);
  }
}
