package io.cqrs.internal;

import io.cqrs.interceptor.Dispatch;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;

/**
 * One publish call run through dispatch interceptors: {@link #proceed} hands the messages to the
 * next link, or after the last one to the bus ({@link #send}, which a subclass implements).
 *
 * <p>One object per call is all the chain costs: it is the {@link Dispatch} every link sees, and a
 * subclass adds what its bus needs. The links run nested, each inside the previous one's {@code
 * proceed}, so the chain shows each link its own view by taking the next link's on entering it and
 * giving the previous one back on leaving: {@link #messages()} are the messages as the running link
 * received them, before and after its {@code proceed}. A link may proceed once: the links proceed
 * in order, so the chain remembers the innermost one that did. As {@link Dispatch} says, an
 * interceptor uses its dispatch while it runs, on the calling thread.
 *
 * @param <M> the message type
 */
public abstract class DispatchChain<M> implements Dispatch<M> {

  /** A dispatch interceptor, whatever its interface. */
  @FunctionalInterface
  public interface Link<M> {
    CompletableFuture<Void> intercept(Dispatch<M> dispatch);
  }

  private final Link<M>[] links;
  private final boolean async;
  private final BiPredicate<M, M> sameMessage;
  private List<M> messages; // as the running link received them
  private int link; // the running link
  private int proceeded = -1; // the innermost link that has proceeded
  private boolean reached; // whether the bus got the messages

  /** A call through {@code links} to {@link #send}; {@code async}: see {@link #async()}. */
  protected DispatchChain(Link<M>[] links, boolean async, BiPredicate<M, M> sameMessage) {
    this.links = links;
    this.async = async;
    this.sameMessage = sameMessage;
  }

  /** Hands the messages to the bus; never throws, but returns a failed future instead. */
  protected abstract CompletableFuture<Void> send(List<M> messages);

  /**
   * Runs {@code messages} through the links to {@link #send}. Once per chain.
   *
   * @throws IllegalStateException if an interceptor returned without handing the messages on: a
   *     caller (the repository) must not take them for published
   */
  public final CompletableFuture<Void> run(List<M> messages) {
    if (links.length == 0) {
      return send(messages);
    }
    this.messages = messages;
    CompletableFuture<Void> result = links[0].intercept(this);
    if (!reached) {
      throw new IllegalStateException(
          "An interceptor returned without proceeding: the bus never got " + messages);
    }
    if (result == null) {
      throw new IllegalStateException(
          links[0].getClass().getName() + " returned no future from intercept(dispatch)");
    }
    return result;
  }

  @Override
  public final List<M> messages() {
    return messages;
  }

  @Override
  public final boolean async() {
    return async;
  }

  @Override
  public final CompletableFuture<Void> proceed(List<M> next) {
    int from = link;
    if (from <= proceeded) {
      throw new IllegalStateException("proceed() was called twice by an interceptor");
    }
    proceeded = from;
    requireSame(next);
    if (from + 1 == links.length) {
      reached = true;
      return send(next);
    }
    List<M> received = messages;
    messages = List.copyOf(next);
    link = from + 1;
    CompletableFuture<Void> result;
    try {
      result = links[from + 1].intercept(this);
    } finally {
      messages = received;
      link = from;
    }
    // Checked at each link, not only by run(): a link further out must see the call fail, not
    // time or trace as sent a publish that never reached the bus.
    if (!reached) {
      throw new IllegalStateException(
          "An interceptor returned without proceeding: the bus never got " + next);
    }
    if (result == null) {
      throw new IllegalStateException(
          links[from + 1].getClass().getName() + " returned no future from intercept(dispatch)");
    }
    return result;
  }

  private void requireSame(List<M> next) {
    boolean same = next != null && next.size() == messages.size();
    for (int i = 0; same && i < messages.size(); i++) {
      same = next.get(i) != null && sameMessage.test(messages.get(i), next.get(i));
    }
    if (!same) {
      throw new IllegalArgumentException(
          "An interceptor may change the messages' metadata only, not the messages: was "
              + messages
              + ", got "
              + next);
    }
  }
}
