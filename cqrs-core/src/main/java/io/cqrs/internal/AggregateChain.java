package io.cqrs.internal;

import io.cqrs.Command;
import io.cqrs.CqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.interceptor.AggregateCall;
import io.cqrs.interceptor.AggregateInterceptor;
import io.cqrs.interceptor.InterceptorFailedException;
import java.util.List;

/**
 * One load or save run through aggregate interceptors: the repository subclasses it with the load
 * or save itself ({@link #perform()}), which reports what it did through the setters.
 *
 * <p>One object per call is all the chain costs: it is the {@link AggregateCall} every link sees (a
 * link's view of the call differs from another's in nothing but whose turn {@link #proceed()} is),
 * and it holds what the terminal needs. The links run nested, each inside the previous one's {@code
 * proceed()}, so the chain knows whose turn it is without a view per link: the next call of {@code
 * proceed()} runs link {@code next}, and once any {@code proceed()} has returned or thrown, every
 * link that will ever get its turn has had it, and a further call is a second one.
 */
public abstract class AggregateChain implements AggregateCall {
  private final AggregateInterceptor[] links;
  private final AggregateCall.Kind kind;
  private final String aggregateId;
  private final String aggregateType;
  private final Command cause;
  private List<VersionedEvent> events;
  private boolean fromCache;
  private boolean found;
  private int next; // the link the next proceed() runs; links.length: the load or save
  private boolean unwound; // a proceed() has returned or thrown: no link may proceed again
  private boolean reached;
  private boolean ran;
  private RuntimeException repositoryFailure; // what the load or save threw: passes every link

  /**
   * A call through {@code links} to {@link #perform()}. Interceptors see {@code events}
   * unmodifiable.
   */
  protected AggregateChain(
      AggregateInterceptor[] links,
      AggregateCall.Kind kind,
      String aggregateId,
      String aggregateType,
      Command cause,
      List<VersionedEvent> events) {
    this.links = links;
    this.kind = kind;
    this.aggregateId = aggregateId;
    this.aggregateType = aggregateType;
    this.cause = cause;
    this.events = List.copyOf(events); // the list itself where it is immutable already
  }

  /** The load or save, at the end of the chain; it reports through the setters. */
  protected abstract void perform();

  /**
   * Runs the first link (or the load or save where there are none).
   *
   * @throws InterceptorFailedException if an interceptor failed before the load or save ran, or
   *     returned without proceeding, swallowed the repository's failure or proceeded twice
   */
  public final void run() {
    proceed();
  }

  /** What a load replayed, or a save committed. */
  public final void events(List<VersionedEvent> events) {
    this.events = List.copyOf(events);
  }

  /** Whether a load started from the cache. */
  public final void fromCache(boolean fromCache) {
    this.fromCache = fromCache;
  }

  /** Whether the stream was found. */
  public final void found(boolean found) {
    this.found = found;
  }

  @Override
  public final Kind kind() {
    return kind;
  }

  @Override
  public final String aggregateId() {
    return aggregateId;
  }

  @Override
  public final String aggregateType() {
    return aggregateType;
  }

  @Override
  public final Command cause() {
    return cause;
  }

  @Override
  public final List<VersionedEvent> events() {
    return events;
  }

  @Override
  public final boolean fromCache() {
    return fromCache;
  }

  @Override
  public final boolean found() {
    return found;
  }

  /**
   * Runs link {@code next}, or the load or save after the last one, and checks what the link did:
   * at each link, so that every link further out sees a failure of one further in as a failure, not
   * as the repository's outcome (a metrics interceptor would count a save an inner link skipped as
   * succeeded, and an exception an inner link threw as a rejection by the domain).
   *
   * <p>What a link throws, before the load or save ran or after it, becomes an {@link
   * InterceptorFailedException}, a failure of the command whose handler called the repository,
   * unless it is the framework's own ({@link CqrsException}); so does a link that returns without
   * proceeding or swallows the repository's failure, whose caller would take the save for done.
   * What the repository threw passes unchanged.
   */
  @Override
  public final void proceed() {
    if (unwound) {
      throw broken("proceed() was called twice by an aggregate interceptor");
    }
    int link = next++;
    try {
      if (link == links.length) {
        reached = true;
        try {
          perform();
        } catch (RuntimeException e) {
          repositoryFailure = e;
          throw e;
        }
        ran = true;
        return;
      }
      try {
        links[link].interceptAggregate(this);
      } catch (RuntimeException e) {
        // What a link threw, before the load or save or after it, is the link's failure, unless it
        // is the framework's own or what the repository threw, passed on.
        if (e != repositoryFailure && !(e instanceof CqrsException)) {
          throw new InterceptorFailedException(this, e);
        }
        throw e;
      }
      if (!reached) {
        throw broken("An aggregate interceptor returned without proceeding with the " + kind);
      }
      if (!ran) {
        throw broken(
            "An aggregate interceptor swallowed the failure of the "
                + kind
                + " of "
                + Texts.shown(aggregateId));
      }
    } finally {
      unwound = true;
    }
  }

  private InterceptorFailedException broken(String contract) {
    return new InterceptorFailedException(this, new IllegalStateException(contract));
  }
}
