package io.cqrs.internal;

import io.cqrs.CqrsException;
import io.cqrs.interceptor.Handling;
import io.cqrs.interceptor.InterceptorFailedException;
import io.cqrs.interceptor.Outcome;
import java.util.concurrent.CompletionStage;
import java.util.function.BiPredicate;

/**
 * One message run through handler interceptors to its handler: {@link #proceed} hands the message
 * to the next link, or after the last one to the handler.
 *
 * <p>One object per handling is all the chain costs: it is the {@link Handling} every link sees,
 * and the handling's count of {@link Attempts}. The links run nested, each inside the previous
 * one's {@code proceed}, so the chain shows each link its own view by taking the next link's on
 * entering it and giving the previous one back on leaving: {@link #message()} is the message as the
 * running link received it, before and after its {@code proceed}. A link may proceed once: the
 * links proceed in order, so the chain remembers the innermost one that did. As {@link Handling}
 * says, an interceptor uses its handling while it runs, on the calling thread.
 *
 * @param <M> the message type
 */
public final class HandlingChain<M> implements Handling<M>, Attempts {

  /** A handler interceptor, whatever its interface. */
  @FunctionalInterface
  public interface Link<M> {
    Outcome intercept(Handling<M> handling) throws Exception;
  }

  /** The handler at the end of the chain; it counts its runs in {@code attempts}. */
  @FunctionalInterface
  public interface Terminal<M> {
    Outcome run(M message, Attempts attempts) throws Exception;

    /**
     * Told that the handling of {@code message} fails with {@code failure}, which an interceptor
     * threw or the chain made of what one did wrong, not the handler ({@link #run} threw nothing of
     * it): for a caller that records failures of the handler where they happen, and would otherwise
     * not see this one. Nothing by default.
     */
    default void interceptorFailed(M message, InterceptorFailedException failure) {}
  }

  private final Link<M>[] links;
  private final String component;
  private final Terminal<M> terminal;
  private final BiPredicate<M, M> sameMessage;
  private M message; // as the running link received it
  private int link; // the running link
  private int proceeded = -1; // the innermost link that has proceeded
  private boolean reached; // whether the last link handed the message to the handler
  private Exception handlerFailure; // what the handler threw, which passes every link unchanged
  private int attempts;
  private final PendingWork pending; // an asynchronous handler's work, if this handling has any

  private HandlingChain(
      Link<M>[] links, M message, String component, Terminal<M> terminal, BiPredicate<M, M> same) {
    this.links = links;
    this.message = message;
    this.component = component;
    this.terminal = terminal;
    this.sameMessage = same;
    this.pending = PendingWork.claim();
  }

  /**
   * Runs {@code message} through {@code links} to {@code terminal}.
   *
   * @throws InterceptorFailedException if an interceptor failed before the handler ran, or broke
   *     the chain's contract (see {@code through}); {@code terminal} is told
   * @throws Exception what the handler threw
   */
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
    HandlingChain<M> chain = new HandlingChain<>(links, message, component, terminal, sameMessage);
    try {
      return chain.through(0, message);
    } catch (InterceptorFailedException e) {
      if (e != chain.handlerFailure) {
        terminal.interceptorFailed(message, e);
      }
      throw e;
    }
  }

  /**
   * Runs link {@code at}, which receives {@code received}, and checks what it did: at each link, so
   * that every link further out sees a failure of one further in as a failure, not as the handler's
   * outcome (a metrics interceptor would count a command an inner link skipped as succeeded, and an
   * exception an inner link threw as the domain's rejection).
   *
   * <p>What a link throws (before the handler ran or after it) is no rejection by the domain:
   * unless it may pass (transient) or is the framework's own ({@link CqrsException}), it becomes an
   * {@link InterceptorFailedException}, a failure of the message. So does a link that returns
   * without proceeding, or with no outcome: the handler did not run, or no one can tell how it
   * ended, and a bus must not acknowledge the message as handled. What the handler threw passes
   * unchanged.
   */
  private Outcome through(int at, M received) throws Exception {
    Outcome outcome;
    try {
      outcome = links[at].intercept(this);
    } catch (Exception e) {
      // What a link threw, before the handler ran or after it, is the link's failure, unless it is
      // the framework's own or the handler's, passed on: an audit interceptor failing after a
      // handler that committed is no rejection by the domain.
      if (e != handlerFailure && !(e instanceof CqrsException)) {
        throw new InterceptorFailedException(received, e);
      }
      throw e;
    }
    if (!reached) {
      throw broken(
          received,
          "An interceptor returned without proceeding: the handler never saw the message");
    }
    if (outcome == null) {
      throw broken(received, "An interceptor returned no outcome");
    }
    return outcome;
  }

  private static InterceptorFailedException broken(Object message, String contract) {
    return new InterceptorFailedException(message, new IllegalStateException(contract));
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
    return attempts;
  }

  @Override
  public CompletionStage<?> pending() {
    return pending == null ? null : pending.stage();
  }

  /** Counts a run of the handler: for the terminal. */
  @Override
  public void next() {
    attempts++;
  }

  @Override
  public Outcome proceed(M next) throws Exception {
    int from = link;
    if (from <= proceeded) {
      throw broken(message, "proceed() was called twice by an interceptor");
    }
    proceeded = from;
    if (next == null || !sameMessage.test(message, next)) {
      throw new IllegalArgumentException(
          "An interceptor may change a message's metadata only, not the message: was "
              + message
              + ", got "
              + next);
    }
    if (from + 1 == links.length) {
      reached = true;
      try {
        return terminal.run(next, this);
      } catch (Exception e) {
        handlerFailure = e;
        throw e;
      }
    }
    M received = message;
    message = next;
    link = from + 1;
    try {
      return through(from + 1, next);
    } finally {
      message = received;
      link = from;
    }
  }
}
