package io.cqrs;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A stored event that its upcasters ({@link SplittingUpcaster}) split into several events, or
 * dropped: the payload of that one event's envelope, at its stored version.
 *
 * <p>Readers of streams and of the integration log keep seeing one envelope per stored event, so
 * versions stay gapless, an aggregate's version stays its stream's stored version, optimistic
 * concurrency compares stored versions, and an event processor's position never falls between two
 * parts. What handles events gets the parts ({@link VersionedEvent#parts()}): an aggregate's replay
 * routes each in order, a {@link Projection} gets them as one group ({@link Projection#applyAll}),
 * and a handler of an event processor, a bus subscription or {@link VersionedEventDispatchManager}
 * gets each part in order before the stored event counts as handled (acked, checkpointed).
 *
 * @param storedType the current name of the type the stored event was written as
 * @param events the events it became, in order: none if it was dropped, otherwise two or more (a
 *     split into one event reads as that event)
 */
@TypeName("cqrs.SplitEvent")
public record SplitEvent(String storedType, List<Object> events) {
  public SplitEvent {
    Objects.requireNonNull(storedType, "storedType");
    events = List.copyOf(events);
    if (events.size() == 1) {
      throw new IllegalArgumentException(
          "A split into one event is that event: read it as " + events.get(0).getClass());
    }
    for (Object event : events) {
      if (event instanceof SplitEvent) {
        throw new IllegalArgumentException("A split's parts are events, not splits");
      }
    }
  }

  /**
   * The parts as envelopes of the stored event's stream and version: each keeps its metadata,
   * correlation, causation and time, and gets the id {@code storedId#n} (n from 1), the same on
   * every read, so that consumers that deduplicate by event id tell the parts apart.
   */
  List<VersionedEvent> envelopes(VersionedEvent stored) {
    List<VersionedEvent> parts = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      Object event = events.get(i);
      parts.add(
          new VersionedEvent(
              stored.id() + "#" + (i + 1),
              stored.correlationId(),
              stored.causationId(),
              stored.sourceId(),
              stored.actor(),
              stored.onBehalfOf(),
              stored.version(),
              TypeRegistry.logicalName(event.getClass()),
              stored.created(),
              event,
              stored.metadata()));
    }
    return List.copyOf(parts);
  }
}
