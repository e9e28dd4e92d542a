package io.cqrs.routing.base;

import io.cqrs.EventSourceBased;

/**
 * A base aggregate whose inherited handler takes an event type that only this package can see: the
 * routing generated in a subclass's package cannot name that type.
 */
public abstract class HiddenEventBase extends EventSourceBased {
  protected HiddenEventBase(String id) {
    super(id);
  }

  /** Visible only in this package. */
  record Internal() {}

  @SuppressWarnings("unused")
  private void handleInternal(Internal e) {}
}
