package io.cqrs.testing;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * {@link CompletableFuture#supplyAsync(Supplier)} and {@link CompletableFuture#runAsync(Runnable)}
 * on a new thread per task, for tests whose tasks block (on a latch, a lock, a parked handler)
 * while others must run.
 *
 * <p>{@code CompletableFuture}'s default executor is the common fork-join pool, whose parallelism
 * is one less than the processors: on a machine of two, one thread. JDK 17 gave such a machine a
 * thread per task instead; later JDKs (JDK 25 here) run the tasks on that single thread, so a
 * second task waits behind a first that blocks, and a test that races the two hangs. These methods
 * give every task its own daemon thread, as JDK 17 did, whatever the JDK and machine.
 */
public final class OwnThread {
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Starts each task on a new daemon thread. */
  public static final Executor EXECUTOR =
      task -> {
        Thread thread =
            new Thread(
                Objects.requireNonNull(task, "task"),
                "cqrs-test-own-thread-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
      };

  private OwnThread() {}

  /** {@code work} on a thread of its own; its result, or failure, completes the future. */
  public static <T> CompletableFuture<T> supplyAsync(Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, EXECUTOR);
  }

  /** {@code work} on a thread of its own; the future completes when it has run, or failed. */
  public static CompletableFuture<Void> runAsync(Runnable work) {
    return CompletableFuture.runAsync(work, EXECUTOR);
  }
}
