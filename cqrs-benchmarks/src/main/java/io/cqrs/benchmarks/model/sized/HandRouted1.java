package io.cqrs.benchmarks.model.sized;

import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.sized.SizedEvents.E0;
import java.util.List;

/**
 * The aggregate of {@link Routed1} written by hand: the baseline of the dispatch benchmark. Its
 * {@link #apply} is the dispatch a developer would write instead of convention routing, and {@link
 * #replay} the loop, with the bookkeeping cqrs does per replayed event (a contiguity check, then
 * the new version), on this class alone so that nothing in it is a virtual call.
 */
public final class HandRouted1 implements Summed {
  private final String id;
  private long version;
  private long sum;

  /** An empty aggregate. */
  public HandRouted1(String id) {
    this.id = id;
  }

  /** Replays {@code events}, versions 1, 2, 3 …, into a new aggregate. */
  public static HandRouted1 replay(String id, List<VersionedEvent> events) {
    HandRouted1 aggregate = new HandRouted1(id);
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
    } else {
      throw new IllegalArgumentException("HandRouted1 has no handler for " + event.getClass());
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
}
