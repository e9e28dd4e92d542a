package io.cqrs.interceptor;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;
import io.cqrs.internal.Texts;
import org.slf4j.MDC;

/**
 * Puts the ids of the message being handled into the SLF4J {@link MDC} while its handler runs, on
 * whichever thread runs it (a bus listener, a processor segment, the caller of {@code dispatch}),
 * and restores what was there afterwards, so that every log line a handler writes names its
 * message. Keys: {@value #CORRELATION_ID}, {@value #CAUSATION_ID}, {@value #MESSAGE_ID}, {@value
 * #MESSAGE_TYPE} and {@value #AGGREGATE_ID} (an event's stream; for a command, the aggregate its
 * handler loads or saves, from then until the handler returns). Stateless and thread-safe.
 *
 * <pre>{@code
 * Cqrs.builder().interceptors(new MdcInterceptor())
 * // logback: %X{cqrs.correlationId} %X{cqrs.messageId}
 * }</pre>
 */
public final class MdcInterceptor
    implements CommandHandlerInterceptor, EventHandlerInterceptor, AggregateInterceptor {
  /** The message's correlation id. */
  public static final String CORRELATION_ID = "cqrs.correlationId";

  /** The id of the message that caused it, where there is one. */
  public static final String CAUSATION_ID = "cqrs.causationId";

  /** The command's message id or the event's id. */
  public static final String MESSAGE_ID = "cqrs.messageId";

  /** The command's or event's logical type name. */
  public static final String MESSAGE_TYPE = "cqrs.messageType";

  /** The aggregate (stream) id. */
  public static final String AGGREGATE_ID = "cqrs.aggregateId";

  /** The longest value put in the MDC; ids are far shorter, a forged one is cut. */
  private static final int MAX_VALUE_LENGTH = 200;

  /**
   * Whether this thread is handling a command, whose aggregate the MDC names once loaded. Set to
   * {@code FALSE} rather than removed: a removed thread-local is a new map entry at the next set,
   * one per handling, and a {@code Boolean} left on a thread holds nothing.
   */
  private static final ThreadLocal<Boolean> IN_COMMAND = ThreadLocal.withInitial(() -> false);

  @Override
  public Outcome interceptCommand(Handling<Command> handling) throws Exception {
    Command command = handling.message();
    // No aggregate yet: interceptAggregate names it once the handler loads or saves one.
    return handle(
        handling,
        true,
        command.correlationId(),
        command.causationId(),
        command.messageId(),
        command.commandType(),
        null);
  }

  @Override
  public Outcome interceptEvent(Handling<VersionedEvent> handling) throws Exception {
    VersionedEvent event = handling.message();
    return handle(
        handling,
        false,
        event.correlationId(),
        event.causationId(),
        event.id(),
        event.eventType(),
        event.sourceId());
  }

  /**
   * Proceeds with {@code handling} with its message's ids in the MDC, then puts back what was
   * there. What was there is kept in locals, not an array: this runs for every command and event.
   */
  private static Outcome handle(
      Handling<?> handling,
      boolean inCommand,
      String correlationId,
      String causationId,
      String messageId,
      String messageType,
      String aggregateId)
      throws Exception {
    String previousCorrelationId = MDC.get(CORRELATION_ID);
    String previousCausationId = MDC.get(CAUSATION_ID);
    String previousMessageId = MDC.get(MESSAGE_ID);
    String previousMessageType = MDC.get(MESSAGE_TYPE);
    String previousAggregateId = MDC.get(AGGREGATE_ID);
    boolean wasInCommand = IN_COMMAND.get();
    try {
      IN_COMMAND.set(inCommand);
      put(CORRELATION_ID, correlationId);
      put(CAUSATION_ID, causationId);
      put(MESSAGE_ID, messageId);
      put(MESSAGE_TYPE, messageType);
      put(AGGREGATE_ID, aggregateId);
      return handling.proceed();
    } finally {
      put(CORRELATION_ID, previousCorrelationId);
      put(CAUSATION_ID, previousCausationId);
      put(MESSAGE_ID, previousMessageId);
      put(MESSAGE_TYPE, previousMessageType);
      put(AGGREGATE_ID, previousAggregateId);
      IN_COMMAND.set(wasInCommand);
    }
  }

  /**
   * Inside a command's handling, names the aggregate from here on (the command interceptor restores
   * the MDC when the handler returns); elsewhere (an event handler, which names its event's stream;
   * a query) only while the load or save runs.
   */
  @Override
  public void interceptAggregate(AggregateCall call) {
    if (IN_COMMAND.get()) {
      put(AGGREGATE_ID, call.aggregateId());
      call.proceed();
      return;
    }
    String previous = MDC.get(AGGREGATE_ID);
    put(AGGREGATE_ID, call.aggregateId());
    try {
      call.proceed();
    } finally {
      put(AGGREGATE_ID, previous);
    }
  }

  private static void put(String key, String value) {
    if (value == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, printable(value));
    }
  }

  /**
   * {@code value} as it may go into a log line: ids come from messages, which a client may have
   * forged, and a line break in one would forge log lines. Control characters become {@code ?}
   * ({@link Texts#printable}), and a value longer than ids are is cut.
   */
  static String printable(String value) {
    if (value.length() <= MAX_VALUE_LENGTH) {
      return Texts.printable(value);
    }
    return Texts.printable(
        value.substring(0, Texts.wholeCharacters(value, MAX_VALUE_LENGTH)) + "…");
  }
}
