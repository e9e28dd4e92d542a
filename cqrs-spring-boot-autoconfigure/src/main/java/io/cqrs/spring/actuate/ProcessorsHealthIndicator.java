package io.cqrs.spring.actuate;

import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.EventRelay;
import io.cqrs.ProcessorLag;
import io.cqrs.TrackingEventProcessor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The health of the event processors and the relay: DOWN when a processor has stopped handling on a
 * failure ({@link EventProcessor#failure()}), or when {@code maxLag} is set and a tracking
 * processor or the relay is further behind than that ({@link io.cqrs.ProcessorLag#behind()}: events
 * in memory, log sequences on Couchbase); UP otherwise. Details per processor: paused, failure, lag
 * (read from the store at each call); for the relay: its lag and whether this process leads it.
 *
 * <p>Once a lag could not be read in a call, the others of that call are not read: they are
 * reported unknown with the same error. Each read waits the store's timeout while the store is
 * unreachable, one after the other, which held the health endpoint for as many timeouts as there
 * are processors.
 */
public final class ProcessorsHealthIndicator implements HealthIndicator {
  private final Cqrs cqrs;
  private final Long maxLag;

  /**
   * An indicator of {@code cqrs}'s processors.
   *
   * @param cqrs whose processors and relay to report
   * @param maxLag how far behind makes it DOWN ({@link io.cqrs.ProcessorLag#behind()}), or null for
   *     never
   */
  public ProcessorsHealthIndicator(Cqrs cqrs, Long maxLag) {
    this.cqrs = Objects.requireNonNull(cqrs, "cqrs");
    this.maxLag = maxLag;
  }

  @Override
  public Health health() {
    LagReads reads = new LagReads();
    boolean up = true;
    Map<String, Object> processors = new LinkedHashMap<>();
    for (EventProcessor processor : cqrs.processors()) {
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("paused", processor.isPaused());
      Throwable failure = processor.failure();
      if (failure != null) {
        details.put("failure", failure.toString());
        up = false;
      }
      if (processor instanceof TrackingEventProcessor tracking) {
        up &= reads.lag(tracking::lag, details);
      }
      processors.put(processor.name(), details);
    }
    Health.Builder builder = Health.up().withDetail("processors", processors);
    if (cqrs.relay().isPresent()) {
      EventRelay relay = cqrs.relay().get();
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("leader", relay.isLeader());
      up &= reads.lag(relay::lag, details);
      builder.withDetail("relay", details);
    }
    if (maxLag != null) {
      builder.withDetail("maxLag", maxLag);
    }
    return (up ? builder : builder.down()).build();
  }

  /** The lag reads of one {@link #health()} call, which stop at the first that fails. */
  private final class LagReads {
    private RuntimeException failed;

    /**
     * Adds the lag, which reads the store; false if it is over the limit, or if the store could not
     * say: a store that fails makes this indicator DOWN with the error, and must not fail the whole
     * health endpoint, which would hide every other component's state. After a read failed, the
     * store is not asked again: the lag is unknown with that read's error.
     */
    boolean lag(Supplier<ProcessorLag> read, Map<String, Object> details) {
      if (failed != null) {
        details.put("lag", "unknown (not read, as an earlier read failed): " + failed);
        return false;
      }
      ProcessorLag lag;
      try {
        lag = read.get();
      } catch (RuntimeException e) {
        failed = e;
        details.put("lag", "unknown: " + e);
        return false;
      }
      details.put("lag", lag.behind());
      return maxLag == null || lag.behind() <= maxLag;
    }
  }
}
