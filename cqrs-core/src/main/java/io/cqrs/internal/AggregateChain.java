package io.cqrs.internal;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;
import io.cqrs.interceptor.AggregateCall;
import io.cqrs.interceptor.AggregateInterceptor;
import java.util.Collections;
import java.util.List;

/**
 * One load or save run through aggregate interceptors. The repository reports what it did through
 * the setters; each link gets a view of its own (so that each may proceed once), and every view
 * shows what the repository reported.
 */
public final class AggregateChain {
  private final AggregateInterceptor[] links;
  private final AggregateCall.Kind kind;
  private final String aggregateId;
  private final String aggregateType;
  private final Command cause;
  private final Runnable terminal;
  private List<VersionedEvent> events;
  private boolean fromCache;
  private boolean found;
  private boolean reached;
  private boolean ran;

  private AggregateChain(
      AggregateInterceptor[] links,
      AggregateCall.Kind kind,
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
    this.events = Collections.unmodifiableList(events);
    this.terminal = terminal;
  }

  /**
   * A call through {@code links} to {@code terminal}, which reports through the setters of the
   * returned chain (so it is built before the terminal runs). Interceptors see {@code events}
   * unmodifiable.
   */
  public static AggregateChain of(
      AggregateInterceptor[] links,
      AggregateCall.Kind kind,
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
   * @throws IllegalStateException if an interceptor returned without proceeding, or swallowed the
   *     repository's failure
   */
  public void run() {
    new Link(0).proceed();
    if (!reached) {
      throw new IllegalStateException(
          "An aggregate interceptor returned without proceeding with the " + kind);
    }
    if (!ran) {
      throw new IllegalStateException(
          "An aggregate interceptor swallowed the failure of the " + kind + " of " + aggregateId);
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

  /** The call as the link at {@code index} sees it; it may proceed once. */
  private final class Link implements AggregateCall {
    private final int index;
    private boolean proceeded;

    Link(int index) {
      this.index = index;
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
      if (proceeded) {
        throw new IllegalStateException("proceed() was called twice by an aggregate interceptor");
      }
      proceeded = true;
      if (index == links.length) {
        reached = true;
        terminal.run();
        ran = true;
      } else {
        links[index].interceptAggregate(new Link(index + 1));
      }
    }
  }
}
