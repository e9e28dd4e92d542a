package io.cqrs.interceptor;

import io.cqrs.Command;
import io.cqrs.TransientCqrsException;
import io.cqrs.UnroutableMessageException;
import io.cqrs.VersionedEvent;
import io.cqrs.internal.DispatchChain;
import io.cqrs.internal.SameMessage;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import java.util.function.Function;

/** Runs publish calls through dispatch interceptors, for the intercepting buses. */
final class Publishing<M> {
  private final DispatchChain.Link<M>[] links;
  private final BiPredicate<M, M> sameMessage;

  private Publishing(DispatchChain.Link<M>[] links, BiPredicate<M, M> same) {
    this.links = links;
    this.sameMessage = same;
  }

  @SuppressWarnings("unchecked")
  static Publishing<Command> commands(List<CommandDispatchInterceptor> interceptors) {
    return new Publishing<>(
        interceptors.stream()
            .map(i -> (DispatchChain.Link<Command>) i::interceptDispatch)
            .toArray(DispatchChain.Link[]::new),
        SameMessage::commands);
  }

  @SuppressWarnings("unchecked")
  static Publishing<VersionedEvent> events(List<EventPublishInterceptor> interceptors) {
    return new Publishing<>(
        interceptors.stream()
            .map(i -> (DispatchChain.Link<VersionedEvent>) i::interceptPublish)
            .toArray(DispatchChain.Link[]::new),
        SameMessage::events);
  }

  /** Publishes through the chain and waits, throwing what the bus threw. */
  void publish(List<M> messages, Consumer<List<M>> bus) {
    List<M> checked = checked(messages);
    CompletableFuture<Void> done =
        DispatchChain.run(
            links,
            checked,
            false,
            next -> {
              try {
                bus.accept(next);
                return CompletableFuture.completedFuture(null);
              } catch (RuntimeException | Error e) {
                return CompletableFuture.failedFuture(e);
              }
            },
            sameMessage);
    try {
      done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while publishing", e);
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    }
  }

  /**
   * Publishes through the chain without waiting; a failure of the call itself (not one of the bus)
   * is thrown at once, as {@code publishAsync} promises.
   */
  CompletableFuture<Void> publishAsync(
      List<M> messages, Function<List<M>, CompletableFuture<Void>> bus) {
    List<M> checked = checked(messages);
    // What the bus threw on the calling thread, as opposed to a future it failed later: the
    // former is a failure of the call, which publishAsync throws at once.
    Throwable[] thrown = new Throwable[1];
    CompletableFuture<Void> done =
        DispatchChain.run(
            links,
            checked,
            true,
            next -> {
              try {
                return bus.apply(next);
              } catch (RuntimeException | Error e) {
                thrown[0] = e;
                return CompletableFuture.failedFuture(e);
              }
            },
            sameMessage);
    Throwable call = thrown[0];
    if (call != null
        && !(call instanceof TransientCqrsException)
        && !(call instanceof UnroutableMessageException)) {
      throw rethrow(call);
    }
    return done;
  }

  private static <M> List<M> checked(List<M> messages) {
    Objects.requireNonNull(messages, "messages");
    for (int i = 0; i < messages.size(); i++) {
      if (messages.get(i) == null) {
        // Named here, not as requireNonNull's argument: that string was made for every publish.
        throw new NullPointerException("message " + i);
      }
    }
    return List.copyOf(messages);
  }

  private static RuntimeException rethrow(Throwable failure) {
    if (failure instanceof RuntimeException e) {
      return e;
    }
    if (failure instanceof Error e) {
      throw e;
    }
    return new IllegalStateException("Publishing failed", failure);
  }
}
