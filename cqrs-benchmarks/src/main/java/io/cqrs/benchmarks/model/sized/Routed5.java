package io.cqrs.benchmarks.model.sized;

import io.cqrs.EventSourceBased;
import io.cqrs.benchmarks.model.sized.SizedEvents.E0;
import io.cqrs.benchmarks.model.sized.SizedEvents.E1;
import io.cqrs.benchmarks.model.sized.SizedEvents.E2;
import io.cqrs.benchmarks.model.sized.SizedEvents.E3;
import io.cqrs.benchmarks.model.sized.SizedEvents.E4;

/**
 * An aggregate on cqrs with 5 event types, each handled by a private method found by convention;
 * the same handler bodies as {@link HandRouted5}'s.
 */
public final class Routed5 extends EventSourceBased implements Summed {
  private long sum;

  /** An empty aggregate, as the repository's factory makes it before replay. */
  public Routed5(String id) {
    super(id);
  }

  @Override
  public long sum() {
    return sum;
  }

  private void handleE0(E0 event) {
    sum += event.value() + 0;
  }

  private void handleE1(E1 event) {
    sum += event.value() + 1;
  }

  private void handleE2(E2 event) {
    sum += event.value() + 2;
  }

  private void handleE3(E3 event) {
    sum += event.value() + 3;
  }

  private void handleE4(E4 event) {
    sum += event.value() + 4;
  }
}
