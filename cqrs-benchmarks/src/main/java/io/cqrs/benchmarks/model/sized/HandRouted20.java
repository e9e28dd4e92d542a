package io.cqrs.benchmarks.model.sized;

import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.sized.SizedEvents.E0;
import io.cqrs.benchmarks.model.sized.SizedEvents.E1;
import io.cqrs.benchmarks.model.sized.SizedEvents.E10;
import io.cqrs.benchmarks.model.sized.SizedEvents.E11;
import io.cqrs.benchmarks.model.sized.SizedEvents.E12;
import io.cqrs.benchmarks.model.sized.SizedEvents.E13;
import io.cqrs.benchmarks.model.sized.SizedEvents.E14;
import io.cqrs.benchmarks.model.sized.SizedEvents.E15;
import io.cqrs.benchmarks.model.sized.SizedEvents.E16;
import io.cqrs.benchmarks.model.sized.SizedEvents.E17;
import io.cqrs.benchmarks.model.sized.SizedEvents.E18;
import io.cqrs.benchmarks.model.sized.SizedEvents.E19;
import io.cqrs.benchmarks.model.sized.SizedEvents.E2;
import io.cqrs.benchmarks.model.sized.SizedEvents.E3;
import io.cqrs.benchmarks.model.sized.SizedEvents.E4;
import io.cqrs.benchmarks.model.sized.SizedEvents.E5;
import io.cqrs.benchmarks.model.sized.SizedEvents.E6;
import io.cqrs.benchmarks.model.sized.SizedEvents.E7;
import io.cqrs.benchmarks.model.sized.SizedEvents.E8;
import io.cqrs.benchmarks.model.sized.SizedEvents.E9;
import java.util.List;

/**
 * The aggregate of {@link Routed20} written by hand: the baseline of the dispatch benchmark. Its
 * {@link #apply} is the dispatch a developer would write instead of convention routing, and {@link
 * #replay} the loop, with the bookkeeping cqrs does per replayed event (a contiguity check, then
 * the new version), on this class alone so that nothing in it is a virtual call.
 */
public final class HandRouted20 implements Summed {
  private final String id;
  private long version;
  private long sum;

  /** An empty aggregate. */
  public HandRouted20(String id) {
    this.id = id;
  }

  /** Replays {@code events}, versions 1, 2, 3 …, into a new aggregate. */
  public static HandRouted20 replay(String id, List<VersionedEvent> events) {
    HandRouted20 aggregate = new HandRouted20(id);
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
    } else if (event instanceof E5 e) {
      handleE5(e);
    } else if (event instanceof E6 e) {
      handleE6(e);
    } else if (event instanceof E7 e) {
      handleE7(e);
    } else if (event instanceof E8 e) {
      handleE8(e);
    } else if (event instanceof E9 e) {
      handleE9(e);
    } else if (event instanceof E10 e) {
      handleE10(e);
    } else if (event instanceof E11 e) {
      handleE11(e);
    } else if (event instanceof E12 e) {
      handleE12(e);
    } else if (event instanceof E13 e) {
      handleE13(e);
    } else if (event instanceof E14 e) {
      handleE14(e);
    } else if (event instanceof E15 e) {
      handleE15(e);
    } else if (event instanceof E16 e) {
      handleE16(e);
    } else if (event instanceof E17 e) {
      handleE17(e);
    } else if (event instanceof E18 e) {
      handleE18(e);
    } else if (event instanceof E19 e) {
      handleE19(e);
    } else {
      throw new IllegalArgumentException("HandRouted20 has no handler for " + event.getClass());
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

  private void handleE5(E5 event) {
    sum += event.value() + 5;
  }

  private void handleE6(E6 event) {
    sum += event.value() + 6;
  }

  private void handleE7(E7 event) {
    sum += event.value() + 7;
  }

  private void handleE8(E8 event) {
    sum += event.value() + 8;
  }

  private void handleE9(E9 event) {
    sum += event.value() + 9;
  }

  private void handleE10(E10 event) {
    sum += event.value() + 10;
  }

  private void handleE11(E11 event) {
    sum += event.value() + 11;
  }

  private void handleE12(E12 event) {
    sum += event.value() + 12;
  }

  private void handleE13(E13 event) {
    sum += event.value() + 13;
  }

  private void handleE14(E14 event) {
    sum += event.value() + 14;
  }

  private void handleE15(E15 event) {
    sum += event.value() + 15;
  }

  private void handleE16(E16 event) {
    sum += event.value() + 16;
  }

  private void handleE17(E17 event) {
    sum += event.value() + 17;
  }

  private void handleE18(E18 event) {
    sum += event.value() + 18;
  }

  private void handleE19(E19 event) {
    sum += event.value() + 19;
  }
}
