package io.cqrs.internal;

import io.cqrs.Command;
import io.cqrs.MetadataKey;
import io.cqrs.VersionedEvent;
import java.util.Map;
import java.util.Objects;

/**
 * Whether an interceptor handed on the message it got, with other metadata at most: every other
 * field the same (the payload the very same object), and who sent it too.
 */
public final class SameMessage {
  private static final String ACTOR = MetadataKey.ACTOR.name();
  private static final String ON_BEHALF_OF = MetadataKey.ON_BEHALF_OF.name();

  private SameMessage() {}

  /**
   * A command's actor and on-behalf-of are metadata entries, which the repository copies into the
   * {@link VersionedEvent#actor()} and {@link VersionedEvent#onBehalfOf()} of every event the
   * command causes: an interceptor that changed them would say someone else did it, so they must
   * stay, as an event's fields do.
   */
  public static boolean commands(Command a, Command b) {
    return a == b
        || (a.body() == b.body()
            && a.messageId().equals(b.messageId())
            && a.correlationId().equals(b.correlationId())
            && Objects.equals(a.causationId(), b.causationId())
            && a.commandType().equals(b.commandType())
            && a.created().equals(b.created())
            && sameSender(a.metadata(), b.metadata()));
  }

  private static boolean sameSender(Map<String, String> a, Map<String, String> b) {
    return a == b
        || (Objects.equals(a.get(ACTOR), b.get(ACTOR))
            && Objects.equals(a.get(ON_BEHALF_OF), b.get(ON_BEHALF_OF)));
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
