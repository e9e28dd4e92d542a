package io.cqrs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;

/**
 * The upcaster of a step at which one stored event becomes several events, or none: registered per
 * type and from-revision with {@link TypeRegistry#splittingUpcaster}, in the same chain as the
 * one-to-one {@link Upcaster}s, which stay the simple case.
 *
 * <pre>{@code
 * // AccountOpened at revision 1 also credited the first deposit; from revision 2 that is a
 * // MoneyDeposited of its own.
 * registry.splittingUpcaster(AccountOpened.class, 1, List.of(AccountOpened.class, MoneyDeposited.class),
 *     opened -> List.of(
 *         SplittingUpcaster.part(AccountOpened.class, 2, opened.deepCopy().without("deposit")),
 *         SplittingUpcaster.part(MoneyDeposited.class, 1, opened.objectNode().set("amount", opened.get("deposit")))));
 * }</pre>
 *
 * <p>The parts keep the stored event's stream version, sharing it in order; an empty list drops the
 * event. Streams stay gapless in stored versions: an aggregate's version, optimistic concurrency, a
 * projection's applied version and an event processor's position all count stored events, never
 * parts (see {@link SplitEvent} and docs/schema-evolution.md).
 *
 * <p>Like every upcaster it must be a pure function of its input and thread-safe. A part of the
 * upcaster's own type must be at a revision above the one it upcasts from; a part of another type
 * may be at any revision of that type, and the rest of that type's chain brings it up to date.
 */
@FunctionalInterface
public interface SplittingUpcaster {

  /**
   * The events the payload becomes, in order: none to drop it.
   *
   * @param payload the payload at the revision this upcaster was registered from; the caller's own
   *     copy
   * @return the parts, in order; empty to drop the event
   */
  List<Part> upcast(ObjectNode payload);

  /** A part of a split: the JSON of an event of {@code type} at {@code revision} of that type. */
  static Part part(Class<?> type, int revision, ObjectNode payload) {
    return new Part(type, revision, payload);
  }

  /**
   * One event a stored event is split into.
   *
   * @param type the part's event type: one of the types the upcaster declared at registration
   * @param revision the revision of {@code type} that {@code payload} is at
   * @param payload the part's JSON
   */
  record Part(Class<?> type, int revision, ObjectNode payload) {
    public Part {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(payload, "payload");
      if (revision < 1) {
        throw new IllegalArgumentException("revision must be >= 1, was " + revision);
      }
    }
  }
}
