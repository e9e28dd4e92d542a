package io.cqrs.memory;

import io.cqrs.CqrsException;
import io.cqrs.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One named subscription of an in-memory bus: a queue that its listeners compete for. Each message
 * is tried up to {@code maxAttempts} times, then handed to the dead-letter sink; the listeners go
 * on either way.
 */
final class ListenerGroup<T> {
  private static final Logger log = LoggerFactory.getLogger(ListenerGroup.class);
  private static final long POLL_MILLIS = 50;

  /** What a listener does with a message; throwing means a failed attempt. */
  interface Handler<T> {
    void handle(T message) throws Exception;
  }

  private final String name;
  private final int maxAttempts;
  private final Consumer<DeadLetter<T>> deadLetters;
  private final BlockingQueue<T> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger unfinished = new AtomicInteger();
  private final AtomicInteger threadIds = new AtomicInteger();

  ListenerGroup(String name, int maxAttempts, Consumer<DeadLetter<T>> deadLetters) {
    this.name = name;
    this.maxAttempts = maxAttempts;
    this.deadLetters = deadLetters;
  }

  void offer(T message) {
    unfinished.incrementAndGet();
    queue.add(message);
  }

  /** Whether every message offered has been handled or dead-lettered. */
  boolean isIdle() {
    return unfinished.get() == 0;
  }

  /**
   * Fails unless {@code listeners} is usable. Buses call it before they create or route to a group,
   * so that a rejected subscribe leaves nothing behind.
   */
  static void checkListeners(int listeners) {
    if (listeners < 1) {
      throw new IllegalArgumentException("listeners must be >= 1, was " + listeners);
    }
  }

  /** Starts {@code listeners} threads on this group; the returned subscription stops them. */
  Subscription start(int listeners, Handler<T> handler) {
    checkListeners(listeners);
    Objects.requireNonNull(handler, "consumer");
    Listeners running = new Listeners();
    for (int i = 0; i < listeners; i++) {
      Thread thread =
          new Thread(
              () -> run(running, handler), "cqrs-" + name + "-" + threadIds.incrementAndGet());
      thread.setDaemon(true);
      running.threads.add(thread);
    }
    running.threads.forEach(Thread::start);
    return running;
  }

  private void run(Listeners running, Handler<T> handler) {
    while (!running.closed) {
      T message;
      try {
        message = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (message != null) {
        try {
          deliver(message, handler);
        } finally {
          unfinished.decrementAndGet();
        }
      }
    }
  }

  private void deliver(T message, Handler<T> handler) {
    Throwable last = null;
    int attempt = 0;
    while (attempt < maxAttempts) {
      attempt++;
      try {
        handler.handle(message);
        return;
      } catch (Exception | AssertionError e) {
        last = e;
        if (e instanceof CqrsException cqrs && !cqrs.isTransient()) {
          // A retry cannot cure a missing handler or an unknown type.
          break;
        }
      }
    }
    log.warn("Dead-lettering a message of subscription '{}'", name, last);
    deadLetters.accept(
        new DeadLetter<>(
            name, message, last.getClass().getName() + ": " + last.getMessage(), attempt));
  }

  private final class Listeners implements Subscription {
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    @Override
    public String name() {
      return name;
    }

    @Override
    public void close() {
      closed = true;
      for (Thread thread : threads) {
        if (thread == Thread.currentThread()) {
          continue;
        }
        try {
          thread.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
