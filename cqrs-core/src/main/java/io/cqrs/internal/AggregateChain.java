package io.cqrs.internal;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;
import io.cqrs.interceptor.AggregateCall;
import io.cqrs.interceptor.AggregateInterceptor;
import java.util.List;

/**
 * One load or save run through aggregate interceptors. The repository fills in what it did through
 * the setters; every link sees the same call, and {@link #proceed()} moves one link further in.
 */
public final class AggregateChain implements AggregateCall {
  private final AggregateInterceptor[] links;
  private final Kind kind;
  private final String aggregateId;
  private final String aggregateType;
  private final Command cause;
  private final Runnable terminal;
  private List<VersionedEvent> events;
  private boolean fromCache;
  private boolean found;
  private int next;
  private boolean ran;

  private AggregateChain(
      AggregateInterceptor[] links,
      Kind kind,
      String aggregateId,
      String aggregateType,
      Command cause,
      List<VersionedEvent> events,
      Runnable terminal) {
    this.links = links;
    this.kind = kind;
    this.aggregateId = aggregateId;
    this.aggregateType = aggregateType;
    this.cause = cause;
    this.events = events;
    this.terminal = terminal;
  }

  /**
   * A call through {@code links} to {@code terminal}, which reports through the setters of the
   * returned chain (so it is built before the terminal runs).
   */
  public static AggregateChain of(
      AggregateInterceptor[] links,
      Kind kind,
      String aggregateId,
      String aggregateType,
      Command cause,
      List<VersionedEvent> events,
      Runnable terminal) {
    return new AggregateChain(links, kind, aggregateId, aggregateType, cause, events, terminal);
  }

  /**
   * Runs the first link (or the terminal where there are none).
   *
   * @throws IllegalStateException if an interceptor returned without proceeding
   */
  public void run() {
    proceed();
    if (!ran) {
      throw new IllegalStateException(
          "An aggregate interceptor returned without proceeding with the " + kind);
    }
  }

  @Override
  public Kind kind() {
    return kind;
  }

  @Override
  public String aggregateId() {
    return aggregateId;
  }

  @Override
  public String aggregateType() {
    return aggregateType;
  }

  @Override
  public Command cause() {
    return cause;
  }

  @Override
  public List<VersionedEvent> events() {
    return events;
  }

  @Override
  public boolean fromCache() {
    return fromCache;
  }

  @Override
  public boolean found() {
    return found;
  }

  @Override
  public void proceed() {
    int index = next++;
    if (index > links.length) {
      throw new IllegalStateException("proceed() was called twice by an interceptor");
    }
    if (index == links.length) {
      terminal.run();
      ran = true;
    } else {
      links[index].interceptAggregate(this);
    }
  }

  /** What a load replayed, or a save committed. */
  public void events(List<VersionedEvent> events) {
    this.events = List.copyOf(events);
  }

  /** Whether a load started from the cache. */
  public void fromCache(boolean fromCache) {
    this.fromCache = fromCache;
  }

  /** Whether the stream was found. */
  public void found(boolean found) {
    this.found = found;
  }
}
