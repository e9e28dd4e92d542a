package io.cqrs.benchmarks.model.sized;

import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.sized.SizedEvents.E0;
import io.cqrs.benchmarks.model.sized.SizedEvents.E1;
import io.cqrs.benchmarks.model.sized.SizedEvents.E2;
import io.cqrs.benchmarks.model.sized.SizedEvents.E3;
import io.cqrs.benchmarks.model.sized.SizedEvents.E4;
import java.util.List;

/**
 * The aggregate of {@link Routed5} written by hand: the baseline of the dispatch benchmark. Its
 * {@link #apply} is the dispatch a developer would write instead of convention routing, and {@link
 * #replay} the loop, with the bookkeeping cqrs does per replayed event (a contiguity check, then
 * the new version), on this class alone so that nothing in it is a virtual call.
 */
public final class HandRouted5 implements Summed {
  private final String id;
  private long version;
  private long sum;

  /** An empty aggregate. */
  public HandRouted5(String id) {
    this.id = id;
  }

  /** Replays {@code events}, versions 1, 2, 3 …, into a new aggregate. */
  public static HandRouted5 replay(String id, List<VersionedEvent> events) {
    HandRouted5 aggregate = new HandRouted5(id);
    for (int i = 0, n = events.size(); i < n; i++) {
      VersionedEvent event = events.get(i);
      long eventVersion = event.version();
      if (eventVersion != aggregate.version + 1) {
        throw new IllegalStateException(
            "Stream '" + id + "' is not contiguous: expected " + (aggregate.version + 1));
      }
      aggregate.apply(event.event());
      aggregate.version = eventVersion;
    }
    return aggregate;
  }

  /** The hand-written dispatch: an {@code instanceof} chain calling each handler directly. */
  public void apply(Object event) {
    if (event instanceof E0 e) {
      handleE0(e);
    } else if (event instanceof E1 e) {
      handleE1(e);
    } else if (event instanceof E2 e) {
      handleE2(e);
    } else if (event instanceof E3 e) {
      handleE3(e);
    } else if (event instanceof E4 e) {
      handleE4(e);
    } else {
      throw new IllegalArgumentException("HandRouted5 has no handler for " + event.getClass());
    }
  }

  @Override
  public long version() {
    return version;
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
