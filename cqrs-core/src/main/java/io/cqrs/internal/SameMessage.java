package io.cqrs.internal;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;

/** Whether an interceptor handed on the message it got, with other metadata at most. */
public final class SameMessage {
  private SameMessage() {}

  public static boolean commands(Command a, Command b) {
    return a == b || (a.messageId().equals(b.messageId()) && a.body() == b.body());
  }

  public static boolean events(VersionedEvent a, VersionedEvent b) {
    return a == b
        || (a.id().equals(b.id())
            && a.event() == b.event()
            && a.version() == b.version()
            && a.sourceId().equals(b.sourceId()));
  }
}
