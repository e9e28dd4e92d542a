package io.cqrs.routing;

import io.cqrs.routing.base.HiddenEventBase;

/** Inherits a handler whose event type its package cannot see. */
final class HiddenEventLedger extends HiddenEventBase {
  HiddenEventLedger(String id) {
    super(id);
  }
}
