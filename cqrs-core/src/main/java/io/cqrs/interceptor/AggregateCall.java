package io.cqrs.interceptor;

import io.cqrs.Command;
import io.cqrs.VersionedEvent;
import java.util.List;

/**
 * One load or save of an aggregate by {@link io.cqrs.EventSourcingRepository}, as an {@link
 * AggregateInterceptor} sees it. The interceptor calls {@link #proceed()} exactly once, on the
 * calling thread; what the repository did shows in the accessors afterwards.
 */
public interface AggregateCall {

  /** A load or a save. */
  enum Kind {
    /** {@code get} or {@code find}: the aggregate rebuilt from cache, snapshot and events. */
    LOAD,
    /** {@code save}: its pending events committed. */
    SAVE
  }

  /** A load or a save. */
  Kind kind();

  /** The aggregate's id. */
  String aggregateId();

  /** The aggregate's logical type name. */
  String aggregateType();

  /** The command the save is the effect of, or {@code null} (for every load, too). */
  Command cause();

  /**
   * For a save, the events to commit (before {@link #proceed()}) and committed (after); for a load,
   * after {@link #proceed()}, the events replayed from the store on top of the cached or snapshot
   * state. Empty otherwise.
   */
  List<VersionedEvent> events();

  /** After a load, whether it started from this process's aggregate cache. */
  boolean fromCache();

  /** After a load, whether the stream was found (a save always finds its stream). */
  boolean found();

  /**
   * Runs the rest of the chain and the load or save.
   *
   * @throws RuntimeException what the repository threw, e.g. a {@link io.cqrs.ConcurrencyException}
   *     from a save
   * @throws InterceptorFailedException if an interceptor further in failed or broke the chain's
   *     contract, or if this one proceeds a second time
   */
  void proceed();
}
