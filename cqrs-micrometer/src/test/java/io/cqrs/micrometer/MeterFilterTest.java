package io.cqrs.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.micrometer.Account.Deposit;
import io.cqrs.micrometer.Account.Open;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MeterFilterTest {

  /** The system clock, counting how often the time is taken for a duration. */
  static final class CountingClock implements Clock {
    final AtomicLong monotonicReads = new AtomicLong();

    @Override
    public long wallTime() {
      return System.currentTimeMillis();
    }

    @Override
    public long monotonicTime() {
      monotonicReads.incrementAndGet();
      return System.nanoTime();
    }
  }

  @Test
  void a_timer_denied_by_a_meter_filter_costs_no_clock_reads_and_the_others_still_count()
      throws Exception {
    CountingClock clock = new CountingClock();
    SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    // The lean set: only the command timer, and the counters.
    registry
        .config()
        .meterFilter(
            MeterFilter.deny(
                id ->
                    id.getType() == Meter.Type.TIMER
                        && !id.getName().equals("cqrs.commands.handled")));
    Meters meters = new Meters(registry);

    try (Cqrs cqrs = Account.cqrs().relay(false).interceptors(CqrsMetrics.of(registry)).build()) {
      Account.handle(cqrs);
      cqrs.start();
      cqrs.commands().dispatch(Command.create(new Open("a-1")));
      cqrs.commands().dispatch(Command.create(new Deposit("a-1", 5)));
    }

    assertThat(clock.monotonicReads).as("a start and an end per command").hasValue(2 * 2);
    assertThat(meters.timed("cqrs.commands.handled", "outcome", "succeeded")).isEqualTo(2);
    assertThat(registry.find("cqrs.aggregate.load").meters()).isEmpty();
    assertThat(registry.find("cqrs.aggregate.save").meters()).isEmpty();
    assertThat(registry.find("cqrs.events.published").meters()).isEmpty();
    assertThat(meters.counted("cqrs.aggregate.cache.gets", "result", "miss")).isEqualTo(1);
    assertThat(meters.counted("cqrs.events.appended", "event", "Opened")).isEqualTo(1);
    assertThat(meters.counted("cqrs.events.appended", "event", "Deposited")).isEqualTo(1);
  }
}
