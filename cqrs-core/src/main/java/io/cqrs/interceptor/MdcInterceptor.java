package io.cqrs.interceptor;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;
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

  private static final String[] KEYS = {
    CORRELATION_ID, CAUSATION_ID, MESSAGE_ID, MESSAGE_TYPE, AGGREGATE_ID
  };

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
    String[] previous = save();
    boolean wasInCommand = IN_COMMAND.get();
    try {
      put(CORRELATION_ID, command.correlationId());
      put(CAUSATION_ID, command.causationId());
      put(MESSAGE_ID, command.messageId());
      put(MESSAGE_TYPE, command.commandType());
      MDC.remove(AGGREGATE_ID);
      IN_COMMAND.set(Boolean.TRUE);
      return handling.proceed();
    } finally {
      restore(previous);
      IN_COMMAND.set(wasInCommand);
    }
  }

  @Override
  public Outcome interceptEvent(Handling<VersionedEvent> handling) throws Exception {
    VersionedEvent event = handling.message();
    String[] previous = save();
    boolean wasInCommand = IN_COMMAND.get();
    try {
      IN_COMMAND.set(Boolean.FALSE);
      put(CORRELATION_ID, event.correlationId());
      put(CAUSATION_ID, event.causationId());
      put(MESSAGE_ID, event.id());
      put(MESSAGE_TYPE, event.eventType());
      put(AGGREGATE_ID, event.sourceId());
      return handling.proceed();
    } finally {
      restore(previous);
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

  private static String[] save() {
    String[] values = new String[KEYS.length];
    for (int i = 0; i < KEYS.length; i++) {
      values[i] = MDC.get(KEYS[i]);
    }
    return values;
  }

  private static void restore(String[] values) {
    for (int i = 0; i < KEYS.length; i++) {
      put(KEYS[i], values[i]);
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
   * forged, and a line break in one would forge log lines. Control characters become {@code ?}, and
   * a value longer than ids are is cut.
   */
  static String printable(String value) {
    int length = Math.min(value.length(), MAX_VALUE_LENGTH);
    for (int i = 0; i < length; i++) {
      if (Character.isISOControl(value.charAt(i))) {
        return clean(value, length);
      }
    }
    return length == value.length() ? value : value.substring(0, length) + "…";
  }

  private static String clean(String value, int length) {
    StringBuilder clean = new StringBuilder(length + 1);
    for (int i = 0; i < length; i++) {
      char c = value.charAt(i);
      clean.append(Character.isISOControl(c) ? '?' : c);
    }
    return length == value.length() ? clean.toString() : clean.append('…').toString();
  }
}
