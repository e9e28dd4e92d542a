package io.cqrs.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock a test moves by hand, to the millisecond, for anything that takes a {@link Clock}: a
 * tracking processor's claims and checkpoints, the relay's lease, a service's deadlines. The test
 * drives time with {@link #advance} instead of waiting for it to pass, so a claim runs out or a
 * deadline passes exactly when the test says, and never because the machine was slow.
 *
 * <pre>{@code
 * MutableClock clock = new MutableClock();
 * TrackingEventProcessor processor = EventProcessor.tracking("view", store).clock(clock) ... .build();
 * clock.advance(Duration.ofSeconds(31)); // the claim of 30 s has run out
 * }</pre>
 *
 * <p>Thread-safe: every reader sees the time the last {@link #advance} or {@link #set} left. {@link
 * #instant()} is read from {@link #millis()}, so a subclass may override {@code millis()} alone (a
 * clock that runs late on one thread, say). {@link #withZone} gives a view in another zone that
 * shares this clock's time.
 */
public class MutableClock extends Clock {
  /** Where a clock made with {@link #MutableClock()} starts: 2026-01-01T00:00:00Z. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

  private final AtomicLong millis;
  private final ZoneId zone;

  /** A clock at {@link #DEFAULT_START}, in UTC. */
  public MutableClock() {
    this(DEFAULT_START);
  }

  /** A clock at {@code start} (to the millisecond), in UTC. */
  public MutableClock(Instant start) {
    this(new AtomicLong(Objects.requireNonNull(start, "start").toEpochMilli()), ZoneOffset.UTC);
  }

  private MutableClock(AtomicLong millis, ZoneId zone) {
    this.millis = millis;
    this.zone = zone;
  }

  /** Moves the clock by {@code by} (back, if negative: a clock that jumps, as wall clocks do). */
  public void advance(Duration by) {
    millis.addAndGet(Objects.requireNonNull(by, "by").toMillis());
  }

  /** Sets the clock to {@code now} (to the millisecond). */
  public void set(Instant now) {
    millis.set(Objects.requireNonNull(now, "now").toEpochMilli());
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    Objects.requireNonNull(zone, "zone");
    return zone.equals(this.zone) ? this : new MutableClock(millis, zone);
  }

  @Override
  public long millis() {
    return millis.get();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public String toString() {
    return "MutableClock[" + instant() + ", " + zone + "]";
  }
}
