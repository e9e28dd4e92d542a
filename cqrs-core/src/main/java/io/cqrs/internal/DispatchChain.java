package io.cqrs.internal;

import io.cqrs.interceptor.Dispatch;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * One link of a chain of dispatch interceptors; {@link #proceed} hands the messages to the next
 * link, or after the last one to the bus.
 *
 * @param <M> the message type
 */
public final class DispatchChain<M> implements Dispatch<M> {

  /** A dispatch interceptor, whatever its interface. */
  @FunctionalInterface
  public interface Link<M> {
    CompletableFuture<Void> intercept(Dispatch<M> dispatch);
  }

  private final Link<M>[] links;
  private final int index;
  private final List<M> messages;
  private final boolean async;
  private final Function<List<M>, CompletableFuture<Void>> bus;
  private final BiPredicate<M, M> sameMessage;
  private final boolean[] reached; // shared by the links of one call: whether the bus got them
  private boolean proceeded;

  private DispatchChain(
      Link<M>[] links,
      int index,
      List<M> messages,
      boolean async,
      Function<List<M>, CompletableFuture<Void>> bus,
      BiPredicate<M, M> sameMessage,
      boolean[] reached) {
    this.links = links;
    this.index = index;
    this.messages = messages;
    this.async = async;
    this.bus = bus;
    this.sameMessage = sameMessage;
    this.reached = reached;
  }

  /**
   * Runs {@code messages} through {@code links} to {@code bus}, which never throws: it returns a
   * failed future instead.
   *
   * @throws IllegalStateException if an interceptor returned without handing the messages on: a
   *     caller (the repository) must not take them for published
   */
  public static <M> CompletableFuture<Void> run(
      Link<M>[] links,
      List<M> messages,
      boolean async,
      Function<List<M>, CompletableFuture<Void>> bus,
      BiPredicate<M, M> sameMessage) {
    if (links.length == 0) {
      return bus.apply(messages);
    }
    boolean[] reached = new boolean[1];
    CompletableFuture<Void> result =
        links[0].intercept(
            new DispatchChain<>(links, 1, messages, async, bus, sameMessage, reached));
    if (!reached[0]) {
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
  public List<M> messages() {
    return messages;
  }

  @Override
  public boolean async() {
    return async;
  }

  @Override
  public CompletableFuture<Void> proceed(List<M> next) {
    if (proceeded) {
      throw new IllegalStateException("proceed() was called twice by an interceptor");
    }
    proceeded = true;
    requireSame(next);
    if (index == links.length) {
      reached[0] = true;
      return bus.apply(next);
    }
    CompletableFuture<Void> result =
        links[index].intercept(
            new DispatchChain<>(
                links, index + 1, List.copyOf(next), async, bus, sameMessage, reached));
    if (result == null) {
      throw new IllegalStateException(
          links[index].getClass().getName() + " returned no future from intercept(dispatch)");
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
