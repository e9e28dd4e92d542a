package io.cqrs;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Turns the JSON of a message's payload at one revision of its type into the revision below's, so
 * that a process can write a revised type as processes of the previous version read it while both
 * run (a rolling deployment): registered per type and from-revision with {@link
 * TypeRegistry#downcaster}, and used only for a type whose {@linkplain TypeRegistry#writeRevision
 * write revision} is pinned below its current one.
 *
 * <pre>{@code
 * // OrderPlaced renamed "qty" to "quantity" in revision 2; version 1 processes still run.
 * registry
 *     .upcaster(OrderPlaced.class, 1, p -> { p.set("quantity", p.remove("qty")); return p; })
 *     .downcaster(OrderPlaced.class, 2, p -> { p.set("qty", p.remove("quantity")); return p; })
 *     .writeRevision(OrderPlaced.class, 1); // dropped once no version 1 process runs
 * }</pre>
 *
 * <p>What the revision below cannot hold is lost in the written message, for every reader: while
 * the pin is on, write nothing only the new revision can hold. A downcaster works on a copy it may
 * change and return, or returns a new object; it must be a pure function of its input and
 * thread-safe.
 */
@FunctionalInterface
public interface Downcaster {

  /**
   * The payload at the revision below.
   *
   * @param payload the payload at the revision this downcaster was registered from; the caller's
   *     own copy
   * @return the payload at the revision below (may be {@code payload}, changed)
   */
  ObjectNode downcast(ObjectNode payload);
}
