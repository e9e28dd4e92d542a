package io.cqrs.interceptor;

import io.cqrs.Command;
import io.cqrs.TransientCqrsException;
import io.cqrs.UnroutableMessageException;
import io.cqrs.VersionedEvent;
import io.cqrs.internal.DispatchChain;
import io.cqrs.internal.SameMessage;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.EventBus;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs publish calls through dispatch interceptors to a bus, for the intercepting buses. A call
 * costs one {@link DispatchChain}, which holds what its terminal needs.
 */
final class Publishing<M> {
  private final DispatchChain.Link<M>[] links;
  private final BiPredicate<M, M> sameMessage;
  private final Consumer<List<M>> publish;
  private final Function<List<M>, CompletableFuture<Void>> publishAsync;

  private Publishing(
      DispatchChain.Link<M>[] links,
      BiPredicate<M, M> same,
      Consumer<List<M>> publish,
      Function<List<M>, CompletableFuture<Void>> publishAsync) {
    this.links = links;
    this.sameMessage = same;
    this.publish = publish;
    this.publishAsync = publishAsync;
  }

  @SuppressWarnings("unchecked")
  static Publishing<Command> commands(
      List<CommandDispatchInterceptor> interceptors, CommandBus bus) {
    return new Publishing<>(
        interceptors.stream()
            .map(i -> (DispatchChain.Link<Command>) i::interceptDispatch)
            .toArray(DispatchChain.Link[]::new),
        SameMessage::commands,
        bus::publish,
        bus::publishAsync);
  }

  @SuppressWarnings("unchecked")
  static Publishing<VersionedEvent> events(
      List<EventPublishInterceptor> interceptors, EventBus bus) {
    return new Publishing<>(
        interceptors.stream()
            .map(i -> (DispatchChain.Link<VersionedEvent>) i::interceptPublish)
            .toArray(DispatchChain.Link[]::new),
        SameMessage::events,
        bus::publish,
        bus::publishAsync);
  }

  /** Publishes through the chain and waits, throwing what the bus threw. */
  void publish(List<M> messages) {
    CompletableFuture<Void> done = new Waiting().run(checked(messages));
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
  CompletableFuture<Void> publishAsync(List<M> messages) {
    NotWaiting call = new NotWaiting();
    CompletableFuture<Void> done = call.run(checked(messages));
    Throwable thrown = call.thrown;
    if (thrown != null
        && !(thrown instanceof TransientCqrsException)
        && !(thrown instanceof UnroutableMessageException)) {
      throw rethrow(thrown);
    }
    return done;
  }

  /** A {@code publish} call: the bus answers before it returns. */
  private final class Waiting extends DispatchChain<M> {
    Waiting() {
      super(links, false, sameMessage);
    }

    @Override
    protected CompletableFuture<Void> send(List<M> messages) {
      try {
        publish.accept(messages);
        return CompletableFuture.completedFuture(null);
      } catch (RuntimeException | Error e) {
        return CompletableFuture.failedFuture(e);
      }
    }
  }

  /** A {@code publishAsync} call. */
  private final class NotWaiting extends DispatchChain<M> {
    // What the bus threw on the calling thread, as opposed to a future it failed later: the
    // former is a failure of the call, which publishAsync throws at once.
    private Throwable thrown;

    NotWaiting() {
      super(links, true, sameMessage);
    }

    @Override
    protected CompletableFuture<Void> send(List<M> messages) {
      try {
        return publishAsync.apply(messages);
      } catch (RuntimeException | Error e) {
        thrown = e;
        return CompletableFuture.failedFuture(e);
      }
    }
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
