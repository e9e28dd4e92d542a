package io.cqrs;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Turns the JSON of a message's payload at one revision of its type into the next revision's, so
 * that events stored (and messages sent) before the type changed read as the type is now.
 * Registered per type and from-revision with {@link TypeRegistry#upcaster}; the serializer runs the
 * chain from a payload's revision to the type's current one on every read (from a store, the
 * integration log or a bus), and only where the payload is behind: a current one pays nothing.
 *
 * <pre>{@code
 * // MoneyDeposited gained "currency" in revision 2; old events were all in euros.
 * registry.upcaster(MoneyDeposited.class, 1, payload -> payload.put("currency", "EUR"));
 * }</pre>
 *
 * <p>An upcaster works on a copy it may change and return, or it returns a new object. It must be a
 * pure function of its input (the same old event is upcast again on every read) and thread-safe. A
 * step at which one stored event becomes several events, or none, is a {@link SplittingUpcaster}.
 */
@FunctionalInterface
public interface Upcaster {

  /**
   * The payload at the next revision.
   *
   * @param payload the payload at the revision this upcaster was registered from; the caller's own
   *     copy
   * @return the payload at the next revision (may be {@code payload}, changed)
   */
  ObjectNode upcast(ObjectNode payload);
}
