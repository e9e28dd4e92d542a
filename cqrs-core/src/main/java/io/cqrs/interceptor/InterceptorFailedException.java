package io.cqrs.interceptor;

import io.cqrs.NonTransientCqrsException;

/**
 * An interceptor failed on a message before its handler ran (it threw instead of proceeding, say on
 * metadata it could not read). Not transient: the message cannot be handled as it is, so a bus
 * dead-letters it and {@link io.cqrs.CommandDispatchManager} records a command's failure, rather
 * than taking it for a rejection by the domain and dropping it. The interceptor's exception is the
 * cause.
 */
public class InterceptorFailedException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  /** {@code message} is the command or event the interceptor failed on. */
  public InterceptorFailedException(Object message, Throwable cause) {
    super(
        "An interceptor failed before the handler ran, on " + describe(message) + ": " + cause,
        cause);
  }

  private static String describe(Object message) {
    if (message instanceof io.cqrs.Command command) {
      return "command " + command.commandType() + " " + command.messageId();
    }
    if (message instanceof io.cqrs.VersionedEvent event) {
      return "event " + event.eventType() + " " + event.id();
    }
    return String.valueOf(message);
  }
}
