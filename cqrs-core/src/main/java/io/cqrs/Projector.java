package io.cqrs;

import io.cqrs.spi.EventBus;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Subscription;
import java.util.List;
import java.util.Objects;

/**
 * Feeds a {@link Projection} so that each stream's events are applied exactly once and in version
 * order, whatever order and however often the bus delivers them.
 *
 * <p>For each event: a version the projection has already applied is skipped; the next version is
 * applied; a version beyond the next means the bus delivered out of order or lost something, so the
 * missing events are read from the event store and applied first (never waiting for the bus to fill
 * the hole). Events outside any stream (version 0, such as {@link CommandFailed}) are not
 * projected. Events of one stream are applied under a lock (striped by stream id), so several
 * listener threads may feed one projector.
 *
 * <p>{@link #rebuild()} replays the integration log into the projection; {@link #subscribe} is a
 * catch-up subscription: it starts receiving live events first and then replays the log, and since
 * both paths go through the same deduplication, the switch from history to live events has neither
 * a gap nor a duplicate.
 */
public final class Projector {
  private static final int LOG_PAGE = 1_000;

  private final EventStreamRepository store;
  private final VersionGate gate;

  /**
   * @param projection the read model
   * @param store the event store that holds the streams the projection reads, used to fill holes
   *     and to rebuild
   */
  public Projector(Projection projection, EventStreamRepository store) {
    this.store = Objects.requireNonNull(store, "store");
    this.gate = new VersionGate(projection, store);
  }

  /**
   * Applies one delivered event, exactly once in effect.
   *
   * @return how many events were applied: 0 for a duplicate, more than 1 where a hole was filled
   */
  public int handle(VersionedEvent event) throws Exception {
    return gate.handle(event);
  }

  /**
   * Replays the whole integration log into the projection.
   *
   * @return how many events were applied (events the projection already had are skipped)
   */
  public long rebuild() throws Exception {
    long applied = 0;
    long position = 1;
    while (true) {
      List<LoggedEvent> page = store.readLog(position, LOG_PAGE);
      for (LoggedEvent entry : page) {
        applied += handle(entry.event());
        position = entry.position() + 1;
      }
      if (page.size() < LOG_PAGE) {
        return applied;
      }
    }
  }

  /**
   * Subscribes the projection to live events, then catches up from the integration log.
   *
   * @param bus the event bus
   * @param subscription the subscription name; instances with the same name compete
   * @param listeners how many events may be handled at once here
   * @return the live subscription; the catch-up has finished when this method returns
   */
  public Subscription subscribe(EventBus bus, String subscription, int listeners) throws Exception {
    Objects.requireNonNull(bus, "bus");
    Subscription live = bus.subscribe(subscription, listeners, this::handle);
    try {
      rebuild();
    } catch (Exception e) {
      live.close();
      throw e;
    }
    return live;
  }
}
