package io.cqrs;

import io.cqrs.internal.EventRouter;
import io.cqrs.internal.Ids;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Base class of event-sourced aggregates, as andrewwebber's {@code cqrs.EventSourceBased}.
 *
 * <p>A subclass changes its state only in {@code handle<EventSimpleName>(EventSimpleName)} methods,
 * one per event type, of any visibility. Business methods validate, then call {@link
 * #update(Object)}, which routes the event to its handler and records it as pending. Saving the
 * aggregate through {@link EventSourcingRepository} commits the pending events and clears them;
 * loading it replays the stream through the same handlers without recording anything.
 *
 * <pre>{@code
 * public final class Account extends EventSourceBased {
 *   private BigDecimal balance = BigDecimal.ZERO;
 *
 *   public Account(String id) { super(id); }
 *
 *   public void credit(BigDecimal amount) { update(new AccountCredited(amount)); }
 *
 *   private void handleAccountCredited(AccountCredited e) { balance = balance.add(e.amount()); }
 * }
 * }</pre>
 *
 * <p>Routing is by the event's exact class (see {@link io.cqrs.internal.EventRouter}); handlers in
 * superclasses are inherited and a subclass's handler for the same event type wins. Fields of a
 * subclass are the aggregate's snapshot state; the bookkeeping fields here are transient.
 *
 * <p>Not thread-safe: an aggregate instance belongs to the one command that loaded it.
 */
public abstract class EventSourceBased {
  private final transient EventRouter router;
  private final transient String id;
  private transient long version;

  /**
   * The only pending event, while there is one; most commands raise one event, and a list for it
   * was a measurable part of a command's allocation (issue 14).
   */
  private transient Object onlyPending;

  /** The pending events, once there are two or more; null otherwise. */
  private transient List<Object> pending;

  private transient String committedFor;

  /** Creates an aggregate with a new random id. */
  protected EventSourceBased() {
    this(Ids.newId());
  }

  /**
   * Creates an aggregate with the given id; the constructor repositories call, through the factory
   * given to {@link EventSourcingRepository#get}, before replaying history.
   */
  protected EventSourceBased(String id) {
    Objects.requireNonNull(id, "id");
    if (id.isBlank()) {
      throw new IllegalArgumentException("id must not be blank");
    }
    this.id = id;
    this.router = EventRouter.of(getClass());
  }

  /** The aggregate's id, which is also its stream id. */
  public final String id() {
    return id;
  }

  /**
   * The version of the last committed event this instance has seen; pending events will be
   * committed as {@code version() + 1}, {@code version() + 2} and so on.
   */
  public final long version() {
    return version;
  }

  /** The events raised since the aggregate was loaded or last saved, oldest first. */
  public final List<Object> pendingEvents() {
    if (pending != null) {
      return Collections.unmodifiableList(pending);
    }
    return onlyPending == null ? List.of() : List.of(onlyPending);
  }

  /** How many events are pending; for the repository, which reads them without a list. */
  final int pendingCount() {
    return pending != null ? pending.size() : onlyPending != null ? 1 : 0;
  }

  /** The {@code index}th pending event (0-based), {@code index < pendingCount()}. */
  final Object pendingAt(int index) {
    return pending != null ? pending.get(index) : onlyPending;
  }

  /**
   * Whether the aggregate asks for a snapshot, after a save or after a load that replayed events
   * (one the cache did not serve); the repository's snapshot policy decides whether it is taken
   * ({@link SnapshotPolicy#whenSuggested()}). Override to ask, for example when replay gets costly.
   */
  public boolean suggestSnapshot() {
    return false;
  }

  /**
   * Applies a new event: routes it to {@code handle<EventSimpleName>} and, if the handler returns
   * normally, records it as pending. If the handler throws, nothing is recorded.
   *
   * @throws MissingHandlerException if this class has no handler for the event's class
   * @throws EventHandlingException wrapping whatever the handler threw
   */
  protected final void update(Object event) {
    Objects.requireNonNull(event, "event");
    route(event);
    if (pending != null) {
      pending.add(event);
    } else if (onlyPending == null) {
      onlyPending = event;
    } else {
      pending = new ArrayList<>(4);
      pending.add(onlyPending);
      pending.add(event);
      onlyPending = null;
    }
  }

  /**
   * Replays committed events, oldest first, as {@link #replay} does each: the repository's load
   * loop. The loop itself is generated per aggregate class ({@link EventRouter#replay}), next to
   * the class's routing, so that the call into generated code is made once per load rather than
   * once per event: with several aggregate classes in one JVM that call cannot be inlined, and made
   * per event it cost about 4 ns each (docs/benchmarks.md, "Dispatch"). The generated loop applies
   * events while their versions are contiguous and their classes have handlers, setting the version
   * after each as {@link #replay} does; it stops at any other event (one that upcasters split, a
   * gap, or one without a handler), which this method replays, or fails on, here before going on.
   */
  final void replayAll(List<VersionedEvent> events) {
    int n = events.size();
    int start = 0;
    while (start < n) {
      List<VersionedEvent> rest = start == 0 ? events : events.subList(start, n);
      long before = version;
      int applied;
      try {
        applied = router.replay(this, rest);
      } catch (Throwable e) {
        // Each event applied set the version: the one after the last of them threw.
        throw handlingFailure(rest.get((int) (version - before)).event(), e);
      }
      start += applied;
      if (start < n) {
        VersionedEvent stopped = events.get(start);
        replay(stopped.event(), stopped.version());
        start++;
      }
    }
  }

  /** Replays one committed event: applies it without recording it. */
  final void replay(Object event, long eventVersion) {
    if (eventVersion != version + 1) {
      throw notContiguous(eventVersion);
    }
    routeStored(event);
    version = eventVersion;
  }

  /**
   * Routes one stored event: the event, or each part of one that upcasters split (none of one they
   * dropped), in order. Its version stays the stored one either way, so the aggregate's version is
   * its stream's and a save after it expects exactly what the store holds.
   */
  private void routeStored(Object event) {
    if (event instanceof SplitEvent split) {
      for (Object part : split.events()) {
        route(part);
      }
    } else {
      route(event);
    }
  }

  private IllegalStateException notContiguous(long eventVersion) {
    return new IllegalStateException(
        "Stream '"
            + id
            + "' is not contiguous: expected version "
            + (version + 1)
            + " but got "
            + eventVersion);
  }

  /**
   * Marks the pending events committed at {@code newVersion}, as the effect of command {@code
   * commandId} (or of none), and forgets them.
   */
  final void markCommitted(long newVersion, String commandId) {
    version = newVersion;
    pending = null;
    onlyPending = null;
    committedFor = commandId;
  }

  /**
   * The command this instance last committed events for, if that was its last save; a second save
   * of the same instance for the same command is then part of the same effect, not a duplicate.
   */
  final String committedFor() {
    return committedFor;
  }

  /** Sets the version a snapshot was taken at, before the rest of the stream is replayed. */
  final void restoreVersion(long snapshotVersion) {
    version = snapshotVersion;
  }

  private void route(Object event) {
    try {
      router.dispatch(this, event);
    } catch (Throwable e) {
      throw handlingFailure(event, e);
    }
  }

  /**
   * What a handler's failure on {@code event} becomes: a {@link MissingHandlerException} as it is,
   * an {@link Error} other than an {@link AssertionError} thrown as it is, anything else wrapped in
   * an {@link EventHandlingException}.
   */
  private RuntimeException handlingFailure(Object event, Throwable e) {
    if (e instanceof MissingHandlerException missing) {
      return missing;
    }
    if (e instanceof Error && !(e instanceof AssertionError)) {
      throw (Error) e;
    }
    return new EventHandlingException(id, event.getClass().getSimpleName(), e);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[id=" + id + ", version=" + version + "]";
  }
}
