package io.cqrs.rabbitmq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code publishAsync} call: rounds of sending until nothing is left to send, then its future
 * completes with the messages the broker returned. Its deadline fails it whatever round it is in;
 * later settlements are then ignored.
 *
 * <p>Threading: the first round is sent on the caller's thread, or queued on the republisher (see
 * {@link AsyncPublisher}); a round's last settlement (usually on the connection's I/O thread)
 * decides what comes next and never blocks: a round to send again is queued on the republisher. The
 * future is completed exactly once, on the completion executor, never on the I/O thread.
 */
final class AsyncPublication {
  private static final Logger log = LoggerFactory.getLogger(AsyncPublication.class);

  private final AsyncPublisher publisher;
  private final PublishChannel channel;
  private final CompletableFuture<List<Returned>> future = new CompletableFuture<>();
  private final long deadline;
  private final Duration timeout;
  private final Executor completions;
  private final List<Returned> returned = Collections.synchronizedList(new ArrayList<>(0));
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile ScheduledFuture<?> expiry;

  /**
   * @throws IllegalStateException if the publisher is closed
   */
  AsyncPublication(AsyncPublisher publisher, Duration timeout, Executor completions) {
    this.publisher = publisher;
    this.channel = publisher.channel();
    this.deadline = System.nanoTime() + timeout.toNanos();
    this.timeout = timeout;
    this.completions = completions;
    try {
      expiry = publisher.schedule(() -> fail(PublishErrors.unavailable(channel, timeout)), timeout);
    } catch (RejectedExecutionException e) {
      throw PublishErrors.closed(e);
    }
  }

  CompletableFuture<List<Returned>> future() {
    return future;
  }

  /**
   * The first round, on the caller's thread if the connection is usable and nothing waits in the
   * republisher (so that calls keep their order), else queued there: the caller never waits for
   * recovery, only for window permits (and for its socket write, if the broker blocks the
   * connection or stops reading in the instant after the check).
   */
  void attemptFromCaller(List<OutboundMessage> messages) {
    if (publisher.canSendNow()) {
      attempt(messages, false);
      return;
    }
    // Queued calls hold room for their messages (at most a window's worth each) until their round
    // starts: the caller waits while the queue is full, as it would for the window.
    int room;
    try {
      room = publisher.reserveRoom(messages.size(), deadline);
    } catch (BrokerUnavailableException e) {
      fail(e);
      return;
    }
    attemptLater(messages, room);
  }

  /**
   * One round: sends on this thread; the last settlement decides what comes next. On the caller's
   * thread ({@code mayWait} false) it never waits for the connection: if the connection went down
   * since {@link AsyncPublisher#canSendNow}, the messages it cannot hand over are sent again from
   * the republisher.
   */
  private void attempt(List<OutboundMessage> messages, boolean mayWait) {
    if (finished.get()) {
      return;
    }
    try {
      channel.ensureOpen();
      if (mayWait) {
        channel.awaitUsable(deadline, timeout);
      }
      new AsyncRound(messages).send(deadline, channel::transmit);
    } catch (RuntimeException e) {
      // Closing interrupts a round waiting for recovery: report the closing, not the interrupt.
      fail(channel.isClosed() ? PublishErrors.closed(e) : e);
    }
  }

  /** A round on the republisher, which may wait for the connection to recover. */
  private void attemptLater(List<OutboundMessage> messages, int room) {
    try {
      publisher.republish(() -> attempt(messages, true), room);
    } catch (RejectedExecutionException e) {
      fail(PublishErrors.closed(e));
    }
  }

  private void roundSettled(AsyncRound round) {
    if (finished.get()) {
      return;
    }
    List<OutboundMessage> again = round.collect(returned);
    if (again.isEmpty()) {
      complete();
      return;
    }
    try {
      PublishErrors.failIfRefused(channel.broker(), round.refusal(), again.size());
    } catch (RuntimeException e) {
      fail(e);
      return;
    }
    if (System.nanoTime() - deadline >= 0) {
      fail(PublishErrors.unavailable(channel, timeout)); // as the blocking publish does
      return;
    }
    log.debug("Publishing {} unconfirmed messages again", again.size());
    attemptLater(again, 0);
  }

  private void complete() {
    if (finished.compareAndSet(false, true)) {
      finished();
      List<Returned> result = List.copyOf(returned);
      completeOn(() -> future.complete(result));
    }
  }

  private void fail(Throwable failure) {
    if (finished.compareAndSet(false, true)) {
      finished();
      completeOn(() -> future.completeExceptionally(failure));
    }
  }

  /** Called once: the deadline is moot, and closing may stop waiting for this one. */
  private void finished() {
    ScheduledFuture<?> scheduled = expiry;
    if (scheduled != null) {
      scheduled.cancel(false);
    }
    publisher.finished();
  }

  /**
   * Completes the future on the completion executor; if that refuses (shut down, saturated, or
   * throwing), here rather than never, whichever thread this is.
   */
  private void completeOn(Runnable completion) {
    try {
      completions.execute(completion);
    } catch (RuntimeException e) {
      log.warn("The completion executor refused a publishAsync completion; completing it here", e);
      completion.run();
    }
  }

  /** A round of this call. */
  private final class AsyncRound extends PublishRound {
    AsyncRound(List<OutboundMessage> messages) {
      super(messages, publisher.window());
    }

    @Override
    void allSettled() {
      try {
        roundSettled(this);
      } catch (RuntimeException e) {
        // Often on the client's I/O thread, which must never see it; the publication fails.
        fail(e);
      }
    }
  }
}
