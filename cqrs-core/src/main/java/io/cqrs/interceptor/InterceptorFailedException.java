package io.cqrs.interceptor;

import io.cqrs.NonTransientCqrsException;
import io.cqrs.internal.Texts;

/**
 * An interceptor failed on a message: it threw before the handler (or the load or save) ran, say on
 * metadata it could not read, or it broke the chain's contract, by returning without proceeding,
 * proceeding twice, handing on another message or returning no outcome. Not transient: the message
 * cannot be handled as it is, so a bus dead-letters it and {@link io.cqrs.CommandDispatchManager}
 * records a command's failure, rather than taking it for a rejection by the domain and dropping it,
 * or for handled. Every link further out than the one that failed sees this exception, so a metrics
 * or tracing interceptor there records the outcome {@link Outcome#FAILED}. The interceptor's
 * exception, or an {@link IllegalStateException} naming the broken contract, is the cause.
 */
public class InterceptorFailedException extends NonTransientCqrsException {
  private static final long serialVersionUID = 1L;

  /**
   * {@code message} is the command or event the interceptor failed on, or the {@link
   * AggregateCall}.
   */
  public InterceptorFailedException(Object message, Throwable cause) {
    super("An interceptor failed on " + describe(message) + ": " + cause, cause);
  }

  private static String describe(Object message) {
    if (message instanceof io.cqrs.Command command) {
      return "command " + command.commandType() + " " + Texts.shown(command.messageId());
    }
    if (message instanceof io.cqrs.VersionedEvent event) {
      return "event " + event.eventType() + " " + Texts.shown(event.id());
    }
    if (message instanceof AggregateCall call) {
      return "the "
          + call.kind().name().toLowerCase(java.util.Locale.ROOT)
          + " of "
          + call.aggregateType()
          + " "
          + Texts.shown(call.aggregateId());
    }
    return String.valueOf(message);
  }
}
