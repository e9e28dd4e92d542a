package io.cqrs.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Reads meters for the tests: 0 for a meter that was never registered. */
final class Meters {
  private final MeterRegistry registry;

  Meters(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The sum of the counts of the timers of that name with (at least) those tags. */
  long timed(String name, String... tags) {
    return registry.find(name).tags(tags).timers().stream().mapToLong(Timer::count).sum();
  }

  /** The sum of the counters and function counters of that name with those tags. */
  long counted(String name, String... tags) {
    double counters =
        registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    double functions =
        registry.find(name).tags(tags).functionCounters().stream()
            .mapToDouble(FunctionCounter::count)
            .sum();
    return Math.round(counters + functions);
  }

  /** The value of the one gauge of that name with those tags; fails if there is none. */
  double gauge(String name, String... tags) {
    Gauge gauge = registry.find(name).tags(tags).gauge();
    if (gauge == null) {
      throw new AssertionError("No gauge " + name + " with tags " + String.join(",", tags));
    }
    return gauge.value();
  }
}
