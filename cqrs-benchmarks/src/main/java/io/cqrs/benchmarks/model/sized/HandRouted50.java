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
import io.cqrs.benchmarks.model.sized.SizedEvents.E20;
import io.cqrs.benchmarks.model.sized.SizedEvents.E21;
import io.cqrs.benchmarks.model.sized.SizedEvents.E22;
import io.cqrs.benchmarks.model.sized.SizedEvents.E23;
import io.cqrs.benchmarks.model.sized.SizedEvents.E24;
import io.cqrs.benchmarks.model.sized.SizedEvents.E25;
import io.cqrs.benchmarks.model.sized.SizedEvents.E26;
import io.cqrs.benchmarks.model.sized.SizedEvents.E27;
import io.cqrs.benchmarks.model.sized.SizedEvents.E28;
import io.cqrs.benchmarks.model.sized.SizedEvents.E29;
import io.cqrs.benchmarks.model.sized.SizedEvents.E3;
import io.cqrs.benchmarks.model.sized.SizedEvents.E30;
import io.cqrs.benchmarks.model.sized.SizedEvents.E31;
import io.cqrs.benchmarks.model.sized.SizedEvents.E32;
import io.cqrs.benchmarks.model.sized.SizedEvents.E33;
import io.cqrs.benchmarks.model.sized.SizedEvents.E34;
import io.cqrs.benchmarks.model.sized.SizedEvents.E35;
import io.cqrs.benchmarks.model.sized.SizedEvents.E36;
import io.cqrs.benchmarks.model.sized.SizedEvents.E37;
import io.cqrs.benchmarks.model.sized.SizedEvents.E38;
import io.cqrs.benchmarks.model.sized.SizedEvents.E39;
import io.cqrs.benchmarks.model.sized.SizedEvents.E4;
import io.cqrs.benchmarks.model.sized.SizedEvents.E40;
import io.cqrs.benchmarks.model.sized.SizedEvents.E41;
import io.cqrs.benchmarks.model.sized.SizedEvents.E42;
import io.cqrs.benchmarks.model.sized.SizedEvents.E43;
import io.cqrs.benchmarks.model.sized.SizedEvents.E44;
import io.cqrs.benchmarks.model.sized.SizedEvents.E45;
import io.cqrs.benchmarks.model.sized.SizedEvents.E46;
import io.cqrs.benchmarks.model.sized.SizedEvents.E47;
import io.cqrs.benchmarks.model.sized.SizedEvents.E48;
import io.cqrs.benchmarks.model.sized.SizedEvents.E49;
import io.cqrs.benchmarks.model.sized.SizedEvents.E5;
import io.cqrs.benchmarks.model.sized.SizedEvents.E6;
import io.cqrs.benchmarks.model.sized.SizedEvents.E7;
import io.cqrs.benchmarks.model.sized.SizedEvents.E8;
import io.cqrs.benchmarks.model.sized.SizedEvents.E9;
import java.util.List;

/**
 * The aggregate of {@link Routed50} written by hand: the baseline of the dispatch benchmark. Its
 * {@link #apply} is the dispatch a developer would write instead of convention routing, and {@link
 * #replay} the loop, with the bookkeeping cqrs does per replayed event (a contiguity check, then
 * the new version), on this class alone so that nothing in it is a virtual call.
 */
public final class HandRouted50 implements Summed {
  private final String id;
  private long version;
  private long sum;

  /** An empty aggregate. */
  public HandRouted50(String id) {
    this.id = id;
  }

  /** Replays {@code events}, versions 1, 2, 3 …, into a new aggregate. */
  public static HandRouted50 replay(String id, List<VersionedEvent> events) {
    HandRouted50 aggregate = new HandRouted50(id);
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
    } else if (event instanceof E20 e) {
      handleE20(e);
    } else if (event instanceof E21 e) {
      handleE21(e);
    } else if (event instanceof E22 e) {
      handleE22(e);
    } else if (event instanceof E23 e) {
      handleE23(e);
    } else if (event instanceof E24 e) {
      handleE24(e);
    } else if (event instanceof E25 e) {
      handleE25(e);
    } else if (event instanceof E26 e) {
      handleE26(e);
    } else if (event instanceof E27 e) {
      handleE27(e);
    } else if (event instanceof E28 e) {
      handleE28(e);
    } else if (event instanceof E29 e) {
      handleE29(e);
    } else if (event instanceof E30 e) {
      handleE30(e);
    } else if (event instanceof E31 e) {
      handleE31(e);
    } else if (event instanceof E32 e) {
      handleE32(e);
    } else if (event instanceof E33 e) {
      handleE33(e);
    } else if (event instanceof E34 e) {
      handleE34(e);
    } else if (event instanceof E35 e) {
      handleE35(e);
    } else if (event instanceof E36 e) {
      handleE36(e);
    } else if (event instanceof E37 e) {
      handleE37(e);
    } else if (event instanceof E38 e) {
      handleE38(e);
    } else if (event instanceof E39 e) {
      handleE39(e);
    } else if (event instanceof E40 e) {
      handleE40(e);
    } else if (event instanceof E41 e) {
      handleE41(e);
    } else if (event instanceof E42 e) {
      handleE42(e);
    } else if (event instanceof E43 e) {
      handleE43(e);
    } else if (event instanceof E44 e) {
      handleE44(e);
    } else if (event instanceof E45 e) {
      handleE45(e);
    } else if (event instanceof E46 e) {
      handleE46(e);
    } else if (event instanceof E47 e) {
      handleE47(e);
    } else if (event instanceof E48 e) {
      handleE48(e);
    } else if (event instanceof E49 e) {
      handleE49(e);
    } else {
      throw new IllegalArgumentException("HandRouted50 has no handler for " + event.getClass());
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

  private void handleE20(E20 event) {
    sum += event.value() + 20;
  }

  private void handleE21(E21 event) {
    sum += event.value() + 21;
  }

  private void handleE22(E22 event) {
    sum += event.value() + 22;
  }

  private void handleE23(E23 event) {
    sum += event.value() + 23;
  }

  private void handleE24(E24 event) {
    sum += event.value() + 24;
  }

  private void handleE25(E25 event) {
    sum += event.value() + 25;
  }

  private void handleE26(E26 event) {
    sum += event.value() + 26;
  }

  private void handleE27(E27 event) {
    sum += event.value() + 27;
  }

  private void handleE28(E28 event) {
    sum += event.value() + 28;
  }

  private void handleE29(E29 event) {
    sum += event.value() + 29;
  }

  private void handleE30(E30 event) {
    sum += event.value() + 30;
  }

  private void handleE31(E31 event) {
    sum += event.value() + 31;
  }

  private void handleE32(E32 event) {
    sum += event.value() + 32;
  }

  private void handleE33(E33 event) {
    sum += event.value() + 33;
  }

  private void handleE34(E34 event) {
    sum += event.value() + 34;
  }

  private void handleE35(E35 event) {
    sum += event.value() + 35;
  }

  private void handleE36(E36 event) {
    sum += event.value() + 36;
  }

  private void handleE37(E37 event) {
    sum += event.value() + 37;
  }

  private void handleE38(E38 event) {
    sum += event.value() + 38;
  }

  private void handleE39(E39 event) {
    sum += event.value() + 39;
  }

  private void handleE40(E40 event) {
    sum += event.value() + 40;
  }

  private void handleE41(E41 event) {
    sum += event.value() + 41;
  }

  private void handleE42(E42 event) {
    sum += event.value() + 42;
  }

  private void handleE43(E43 event) {
    sum += event.value() + 43;
  }

  private void handleE44(E44 event) {
    sum += event.value() + 44;
  }

  private void handleE45(E45 event) {
    sum += event.value() + 45;
  }

  private void handleE46(E46 event) {
    sum += event.value() + 46;
  }

  private void handleE47(E47 event) {
    sum += event.value() + 47;
  }

  private void handleE48(E48 event) {
    sum += event.value() + 48;
  }

  private void handleE49(E49 event) {
    sum += event.value() + 49;
  }
}
