package io.cqrs.benchmarks.model.sized;

import io.cqrs.EventSourceBased;
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

/**
 * An aggregate on cqrs with 20 event types, each handled by a private method found by convention;
 * the same handler bodies as {@link HandRouted20}'s.
 */
public final class Routed20 extends EventSourceBased implements Summed {
  private long sum;

  /** An empty aggregate, as the repository's factory makes it before replay. */
  public Routed20(String id) {
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
