package io.cqrs.benchmarks.model.sized;

import io.cqrs.EventSourceBased;
import io.cqrs.benchmarks.model.sized.SizedEvents.E0;

/**
 * An aggregate on cqrs with 1 event type, handled by a private method found by convention; the same
 * handler bodies as {@link HandRouted1}'s.
 */
public final class Routed1 extends EventSourceBased implements Summed {
  private long sum;

  /** An empty aggregate, as the repository's factory makes it before replay. */
  public Routed1(String id) {
    super(id);
  }

  @Override
  public long sum() {
    return sum;
  }

  private void handleE0(E0 event) {
    sum += event.value() + 0;
  }
}
