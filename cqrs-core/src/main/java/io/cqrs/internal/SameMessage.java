package io.cqrs.internal;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;
import java.util.Objects;

/**
 * Whether an interceptor handed on the message it got, with other metadata at most: every other
 * field the same (the payload the very same object).
 */
public final class SameMessage {
  private SameMessage() {}

  public static boolean commands(Command a, Command b) {
    return a == b
        || (a.body() == b.body()
            && a.messageId().equals(b.messageId())
            && a.correlationId().equals(b.correlationId())
            && Objects.equals(a.causationId(), b.causationId())
            && a.commandType().equals(b.commandType())
            && a.created().equals(b.created()));
  }

  public static boolean events(VersionedEvent a, VersionedEvent b) {
    return a == b
        || (a.event() == b.event()
            && a.version() == b.version()
            && a.id().equals(b.id())
            && a.sourceId().equals(b.sourceId())
            && a.correlationId().equals(b.correlationId())
            && Objects.equals(a.causationId(), b.causationId())
            && Objects.equals(a.actor(), b.actor())
            && Objects.equals(a.onBehalfOf(), b.onBehalfOf())
            && a.eventType().equals(b.eventType())
            && a.created().equals(b.created()));
  }
}
