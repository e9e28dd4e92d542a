package io.cqrs.rabbitmq;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the {@link AsyncPublication}s of one publisher share: the republisher thread that sends a
 * round again once the connection has recovered (and sends calls made meanwhile, in order), the
 * room of the queue in front of it, the timer that fails a publication at its deadline, and the
 * count of publications in flight that closing waits for.
 *
 * <p>Threading: the caller of {@link #publish} sends the first round itself unless rounds wait for
 * the republisher; it never waits for recovery, only for window permits and queue room (and its
 * socket write, should the broker block the connection just after the check). The republisher is a
 * single thread, created on first need, and may block waiting for recovery; the timer never blocks.
 * Neither is started once the channel is closed, and {@link #shutdown} stops both, failing the
 * rounds still queued on the thread that calls it.
 */
final class AsyncPublisher {
  private static final Logger log = LoggerFactory.getLogger(AsyncPublisher.class);

  private final PublishChannel channel;
  private final Permits window;
  private final int windowSize;

  /** Messages of calls queued on the republisher behind earlier ones, bounded like the window. */
  private final Permits queueRoom;

  /** Rounds queued on or running in the republisher; while any are, new calls queue behind them. */
  private final AtomicInteger republishing = new AtomicInteger();

  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object drained = new Object();
  private final Object lock = new Object();
  private ExecutorService republisher; // guarded by lock; created on first need
  private ScheduledThreadPoolExecutor timer; // guarded by lock; created on first need

  AsyncPublisher(
      PublishChannel channel,
      Permits window,
      int windowSize,
      Supplier<BrokerUnavailableException> exhausted) {
    this.channel = channel;
    this.window = window;
    this.windowSize = windowSize;
    this.queueRoom = new Permits(windowSize, channel.broker(), exhausted);
  }

  /**
   * Starts publishing; see {@link ConfirmingPublisher#publishAsync}.
   *
   * @throws IllegalStateException if the publisher is closed
   */
  CompletableFuture<List<Returned>> publish(
      List<OutboundMessage> messages, Duration timeout, Executor completions) {
    AsyncPublication publication = new AsyncPublication(this, timeout, completions);
    inFlight.incrementAndGet();
    publication.attemptFromCaller(messages);
    return publication.future();
  }

  PublishChannel channel() {
    return channel;
  }

  Permits window() {
    return window;
  }

  /**
   * Whether a new call may send its first round on the caller's thread: the connection is usable
   * and no round waits for the republisher (so that calls keep their order).
   */
  boolean canSendNow() {
    return republishing.get() == 0 && channel.isUsable();
  }

  /**
   * Takes room in the republisher's queue for a call of {@code messages} messages (at most a
   * window's worth), waiting while the queue is full as a caller waits for the window.
   *
   * @return the room taken, to hand to {@link #republish}
   * @throws BrokerUnavailableException if there is no room by {@code deadlineNanos}
   */
  int reserveRoom(int messages, long deadlineNanos) {
    int room = Math.min(messages, windowSize);
    queueRoom.acquire(room, deadlineNanos);
    return room;
  }

  /**
   * Queues {@code round} on the republisher, which gives back {@code room} of the queue's room as
   * it starts the round.
   *
   * @throws RejectedExecutionException if the publisher is closed (the room is given back at once)
   */
  void republish(Runnable round, int room) {
    republishing.incrementAndGet();
    boolean queued = false;
    try {
      republisher()
          .execute(
              () -> {
                try {
                  queueRoom.release(room);
                  round.run();
                } finally {
                  republishing.decrementAndGet();
                }
              });
      queued = true;
    } finally {
      if (!queued) {
        queueRoom.release(room);
        republishing.decrementAndGet();
      }
    }
  }

  /**
   * Runs {@code expiry} after {@code timeout} on the timer thread.
   *
   * @throws RejectedExecutionException if the publisher is closed
   */
  ScheduledFuture<?> schedule(Runnable expiry, Duration timeout) {
    return timer().schedule(expiry, timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** A publication completed or failed: closing may stop waiting for it. Called once for each. */
  void finished() {
    if (inFlight.decrementAndGet() == 0) {
      synchronized (drained) {
        drained.notifyAll();
      }
    }
  }

  /**
   * Waits, up to {@code timeout} and while the connection is usable, for the publications in flight
   * to be confirmed, so that closing a bus right after {@code publishAsync} does not abandon what
   * the broker was about to confirm. With the broker away nothing could complete: they fail at once
   * instead (when the channel is closed and {@link #shutdown} runs).
   */
  void drain(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (drained) {
      while (inFlight.get() > 0 && channel.isUsable()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warn(
              "Closing with {} asynchronous publication(s) still unconfirmed after {}",
              inFlight.get(),
              timeout);
          return;
        }
        try {
          // Also re-checked every 50 ms: the connection can fail without a notification here.
          drained.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 50)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /**
   * Stops the republisher and the timer, once the channel is closed; the rounds that were still to
   * be sent again run here, and each fails its publication at once.
   */
  void shutdown() {
    List<Runnable> waiting = List.of();
    synchronized (lock) {
      if (republisher != null) {
        waiting = republisher.shutdownNow();
      }
      if (timer != null) {
        timer.shutdownNow();
      }
    }
    waiting.forEach(Runnable::run);
  }

  /** The thread that sends asynchronous publications again; it may wait for recovery. */
  private Executor republisher() {
    synchronized (lock) {
      rejectIfClosed();
      if (republisher == null) {
        republisher =
            Executors.newSingleThreadExecutor(
                DaemonThreads.named("cqrs-rabbit-republish-" + channel.name()));
      }
      return republisher;
    }
  }

  /** The thread that fails asynchronous publications at their deadline; it never blocks. */
  private ScheduledThreadPoolExecutor timer() {
    synchronized (lock) {
      rejectIfClosed();
      if (timer == null) {
        timer =
            new ScheduledThreadPoolExecutor(
                1, DaemonThreads.named("cqrs-rabbit-deadline-" + channel.name()));
        // A publication confirmed in time leaves nothing behind in the timer's queue.
        timer.setRemoveOnCancelPolicy(true);
      }
      return timer;
    }
  }

  /** Called under lock: after closing no thread may be started that nothing would stop. */
  private void rejectIfClosed() {
    if (channel.isClosed()) {
      throw new RejectedExecutionException("The publisher is closed");
    }
  }
}
