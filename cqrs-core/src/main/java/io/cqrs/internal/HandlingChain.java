package io.cqrs.internal;

import io.cqrs.CqrsException;
import io.cqrs.interceptor.Handling;
import io.cqrs.interceptor.InterceptorFailedException;
import io.cqrs.interceptor.Outcome;
import java.util.function.BiPredicate;

/**
 * One link of a chain of handler interceptors: {@link #proceed} hands the message to the next link,
 * or after the last one to the handler. One object per link and message, so that an interceptor
 * that holds on to its {@link Handling} sees its own message.
 *
 * @param <M> the message type
 */
public final class HandlingChain<M> implements Handling<M> {

  /** A handler interceptor, whatever its interface. */
  @FunctionalInterface
  public interface Link<M> {
    Outcome intercept(Handling<M> handling) throws Exception;
  }

  /** The handler at the end of the chain; it counts its runs in {@code attempts}. */
  @FunctionalInterface
  public interface Terminal<M> {
    Outcome run(M message, Attempts attempts) throws Exception;
  }

  /**
   * How many times the handler ran, and whether the chain reached it, shared by every link of one
   * handling.
   */
  public static final class Attempts {
    /** For a handler called without a chain: counts nothing, so one instance serves all. */
    public static final Attempts UNCOUNTED = new Attempts(false);

    private final boolean counting;
    private int count;
    private boolean reached;

    public Attempts() {
      this(true);
    }

    private Attempts(boolean counting) {
      this.counting = counting;
    }

    public void next() {
      if (counting) {
        count++;
      }
    }

    public int count() {
      return count;
    }

    /** Whether the last link handed the message to the handler. */
    public boolean reached() {
      return reached;
    }
  }

  private final Link<M>[] links;
  private final int index;
  private final M message;
  private final String component;
  private final Terminal<M> terminal;
  private final BiPredicate<M, M> sameMessage;
  private final Attempts attempts;
  private boolean proceeded;

  private HandlingChain(
      Link<M>[] links,
      int index,
      M message,
      String component,
      Terminal<M> terminal,
      BiPredicate<M, M> sameMessage,
      Attempts attempts) {
    this.links = links;
    this.index = index;
    this.message = message;
    this.component = component;
    this.terminal = terminal;
    this.sameMessage = sameMessage;
    this.attempts = attempts;
  }

  /** Runs {@code message} through {@code links} to {@code terminal}. */
  public static <M> Outcome run(
      Link<M>[] links,
      M message,
      String component,
      Terminal<M> terminal,
      BiPredicate<M, M> sameMessage)
      throws Exception {
    if (links.length == 0) {
      return terminal.run(message, Attempts.UNCOUNTED);
    }
    Attempts attempts = new Attempts();
    Outcome outcome;
    try {
      outcome =
          links[0].intercept(
              new HandlingChain<>(links, 1, message, component, terminal, sameMessage, attempts));
    } catch (Exception e) {
      // What an interceptor threw before the handler ran is no rejection by the domain: unless it
      // may pass (transient) or is the framework's own, it is a failure of the message.
      if (!attempts.reached() && !(e instanceof CqrsException)) {
        throw new InterceptorFailedException(message, e);
      }
      throw e;
    }
    if (!attempts.reached()) {
      throw new IllegalStateException(
          "An interceptor returned without proceeding: the handler never saw " + message);
    }
    if (outcome == null) {
      throw new IllegalStateException("An interceptor returned no outcome for " + message);
    }
    return outcome;
  }

  @Override
  public M message() {
    return message;
  }

  @Override
  public String component() {
    return component;
  }

  @Override
  public int attempts() {
    return attempts.count();
  }

  @Override
  public Outcome proceed(M next) throws Exception {
    if (proceeded) {
      throw new IllegalStateException("proceed() was called twice by an interceptor");
    }
    proceeded = true;
    if (next == null || !sameMessage.test(message, next)) {
      throw new IllegalArgumentException(
          "An interceptor may change a message's metadata only, not the message: was "
              + message
              + ", got "
              + next);
    }
    if (index == links.length) {
      attempts.reached = true;
      return terminal.run(next, attempts);
    }
    return links[index].intercept(
        new HandlingChain<>(links, index + 1, next, component, terminal, sameMessage, attempts));
  }
}
