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
  }

  private final Link<M>[] links;
  private final String component;
  private final Terminal<M> terminal;
  private final BiPredicate<M, M> sameMessage;
  private M message; // as the running link received it
  private int link; // the running link
  private int proceeded = -1; // the innermost link that has proceeded
  private boolean reached; // whether the last link handed the message to the handler
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
    HandlingChain<M> chain = new HandlingChain<>(links, message, component, terminal, sameMessage);
    Outcome outcome;
    try {
      outcome = links[0].intercept(chain);
    } catch (Exception e) {
      // What an interceptor threw before the handler ran is no rejection by the domain: unless it
      // may pass (transient) or is the framework's own, it is a failure of the message.
      if (!chain.reached && !(e instanceof CqrsException)) {
        throw new InterceptorFailedException(message, e);
      }
      throw e;
    }
    if (!chain.reached) {
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
      throw new IllegalStateException("proceed() was called twice by an interceptor");
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
      return terminal.run(next, this);
    }
    M received = message;
    message = next;
    link = from + 1;
    try {
      return links[from + 1].intercept(this);
    } finally {
      message = received;
      link = from;
    }
  }
}
