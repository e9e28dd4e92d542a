package io.cqrs.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import io.cqrs.NonTransientCqrsException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes persistent, mandatory messages on one confirm-mode channel and waits for the broker's
 * confirms asynchronously, with at most {@code window} messages unconfirmed at a time.
 *
 * <p>Confirms, nacks and returns arrive on the connection's I/O thread and only settle messages
 * there (an outcome, a window permit, and a count per call that wakes the caller once at zero);
 * serialization happens before, on the caller's thread. A message whose fate is unknown because the
 * connection or channel went down (or that the broker nacked) is published again once the
 * connection has recovered, until the call's deadline: delivery is at least once.
 *
 * <p>{@link #publishAsync} does the same without waiting: the caller's thread sends (waiting only
 * for window permits, as back-pressure), the confirms settle the call, and a publisher thread of
 * its own sends again what was lost once the connection is back; the future completes on the given
 * executor, never on the connection's I/O thread.
 *
 * <p>Thread-safe: callers share the channel, holding a lock only to pair a sequence number with its
 * {@code basic.publish}.
 */
final class ConfirmingPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfirmingPublisher.class);

  /** How one publication ended. */
  private enum Outcome {
    CONFIRMED,
    RETURNED,
    LOST
  }

  private final BrokerConnection connection;
  private final Semaphore window;
  private final int windowSize;
  private final Duration drainTimeout;

  /** Messages of calls queued on the republisher behind earlier ones, bounded like the window. */
  private final Semaphore queueRoom;

  private final ReentrantLock lock = new ReentrantLock();
  private Confirms current; // guarded by lock
  private volatile boolean closing; // no new calls; those in flight may finish
  private volatile boolean closed;
  private final AtomicInteger asyncInFlight = new AtomicInteger();
  private final Object drained = new Object();
  private final Object asyncLock = new Object();
  private ExecutorService republisher; // guarded by asyncLock; created on first need
  private ScheduledThreadPoolExecutor timer; // guarded by asyncLock; created on first need

  /** Rounds queued on or running in the republisher; while any are, new calls queue behind them. */
  private final AtomicInteger republishing = new AtomicInteger();

  ConfirmingPublisher(BrokerConnection connection, int window, Duration drainTimeout) {
    this.connection = connection;
    this.window = new Semaphore(window);
    this.windowSize = window;
    this.drainTimeout = drainTimeout;
    this.queueRoom = new Semaphore(window);
  }

  /**
   * Publishes the messages and returns when the broker has confirmed every one of them.
   *
   * @return the messages the broker could not route (confirmed, but delivered to no queue)
   * @throws BrokerUnavailableException if the connection is not back, or the confirms are not in,
   *     within {@code timeout}
   * @throws io.cqrs.NonTransientCqrsException if the broker closed the channel over a message (an
   *     exchange that does not exist, say)
   * @throws IllegalStateException if the publisher is closed
   */
  List<Returned> publish(List<OutboundMessage> messages, Duration timeout) {
    ensureAccepting();
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Returned> returned = new ArrayList<>(0);
    List<OutboundMessage> remaining = messages;
    while (!remaining.isEmpty()) {
      ensureOpen();
      connection.awaitUsable(deadline);
      WaitingBatch batch = new WaitingBatch(remaining);
      batch.send(deadline);
      await(batch, deadline, timeout);
      List<OutboundMessage> again = batch.collect(returned);
      failIfRefused(batch, again);
      if (!again.isEmpty()) {
        log.debug("Publishing {} unconfirmed messages again", again.size());
      }
      remaining = again;
    }
    return returned;
  }

  /**
   * Publishes the messages without waiting for the broker: the returned future completes with the
   * messages the broker could not route once every message is confirmed, or fails with what {@link
   * #publish} would have thrown. The calling thread sends what it can at once and waits only while
   * the confirm window is full (back-pressure, bounded by {@code timeout}); if the connection is
   * down, or messages are lost on the way, a publisher thread sends them again after recovery,
   * until {@code timeout} has passed. The future completes on {@code completions}.
   *
   * @throws IllegalStateException if the publisher is closed
   */
  CompletableFuture<List<Returned>> publishAsync(
      List<OutboundMessage> messages, Duration timeout, Executor completions) {
    ensureAccepting();
    AsyncPublication publication = new AsyncPublication(timeout, completions);
    asyncInFlight.incrementAndGet();
    publication.attemptFromCaller(messages);
    return publication.future;
  }

  /**
   * A channel error (such as publishing to an exchange that was deleted) would only repeat: report
   * it instead of publishing again until the deadline.
   */
  private void failIfRefused(Batch batch, List<OutboundMessage> lost) {
    ShutdownSignalException refused = batch.refusal;
    if (refused != null && !lost.isEmpty()) {
      throw new NonTransientCqrsException(
          "RabbitMQ at "
              + connection.broker()
              + " closed the publishing channel: "
              + Failures.reply(refused)
              + "; "
              + lost.size()
              + " message(s) not published",
          refused);
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("The publisher is closed");
    }
  }

  private void ensureAccepting() {
    if (closing || closed) {
      throw new IllegalStateException("The publisher is closed");
    }
  }

  /**
   * Takes {@code permits} of {@code semaphore} (the confirm window, or the republisher's queue
   * room), waiting until {@code deadline}.
   */
  private void acquire(Semaphore semaphore, int permits, long deadline) {
    try {
      if (!semaphore.tryAcquire(permits, deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        throw new BrokerUnavailableException(
            connection.broker(), "no publisher confirms arrived in time", null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerUnavailableException(connection.broker(), "interrupted while publishing", e);
    }
  }

  private boolean transmit(Pending pending) {
    lock.lock();
    try {
      Confirms confirms = confirms();
      long seq = confirms.channel.getNextPublishSeqNo();
      pending.sentOn = confirms;
      ConcurrentNavigableMap<Long, Pending> map = confirms.pending;
      map.put(seq, pending);
      OutboundMessage message = pending.message;
      confirms.channel.basicPublish(
          message.exchange(),
          message.routingKey(),
          true,
          message.propertiesWithSeq(seq),
          message.body());
      if (map != confirms.pending) {
        // The channel went down while we published: its pending messages were failed already.
        pending.settle(Outcome.LOST);
      }
      return true;
    } catch (IOException | ShutdownSignalException e) {
      log.debug("Publishing failed; will publish again after recovery", e);
      pending.settle(Outcome.LOST);
      return false;
    } catch (BrokerUnavailableException e) {
      pending.settle(Outcome.LOST);
      return false;
    } catch (RuntimeException e) {
      pending.settle(Outcome.LOST); // releases its window permit
      throw e;
    } finally {
      lock.unlock();
    }
  }

  /** The current channel's confirm state, on a new channel if the old one was closed. */
  private Confirms confirms() throws IOException {
    if (current != null && current.channel.isOpen()) {
      return current;
    }
    if (current != null) {
      // Closed by a channel error, or not yet recovered: a fresh channel replaces it.
      current.lost();
      current.channel.abort();
    }
    Channel channel = connection.createChannel();
    Confirms confirms = new Confirms(channel);
    channel.confirmSelect();
    channel.addConfirmListener(
        (tag, multiple) -> confirms.settle(tag, multiple, Outcome.CONFIRMED),
        (tag, multiple) -> confirms.settle(tag, multiple, Outcome.LOST));
    channel.addReturnListener(confirms::returned);
    channel.addShutdownListener(
        cause -> {
          if (!cause.isHardError() && !cause.isInitiatedByApplication()) {
            confirms.refusal = cause;
          }
          confirms.lost();
        });
    current = confirms;
    return confirms;
  }

  /** Waits until every message the batch sent is settled. */
  private void await(WaitingBatch batch, long deadline, Duration timeout) {
    try {
      if (!batch.await(deadline)) {
        throw new BrokerUnavailableException(
            connection.broker(), "it did not confirm a message within " + timeout, null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerUnavailableException(connection.broker(), "interrupted while publishing", e);
    }
  }

  /** Closes the channel; publications still waiting for confirms are published again or fail. */
  @Override
  public void close() {
    closing = true;
    drain();
    closed = true;
    lock.lock();
    try {
      if (current != null) {
        current.channel.abort();
        current.lost();
      }
    } catch (IOException | ShutdownSignalException e) {
      log.debug("Aborting the publishing channel failed", e);
    } finally {
      lock.unlock();
    }
    List<Runnable> waiting = List.of();
    synchronized (asyncLock) {
      if (republisher != null) {
        waiting = republisher.shutdownNow();
      }
      if (timer != null) {
        timer.shutdownNow();
      }
    }
    // Rounds that were still to be sent again: on a closed publisher each fails its future at once.
    waiting.forEach(Runnable::run);
  }

  /**
   * Waits, up to the drain timeout and while the connection is usable, for the asynchronous
   * publications in flight to be confirmed, so that closing a bus right after {@code publishAsync}
   * does not abandon what the broker was about to confirm. With the broker away nothing could
   * complete: they fail at once instead.
   */
  private void drain() {
    long deadline = System.nanoTime() + drainTimeout.toNanos();
    synchronized (drained) {
      while (asyncInFlight.get() > 0 && connection.isUsable()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warn(
              "Closing with {} asynchronous publication(s) still unconfirmed after {}",
              asyncInFlight.get(),
              drainTimeout);
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

  /** The thread that sends asynchronous publications again; it may wait for recovery. */
  private Executor republisher() {
    synchronized (asyncLock) {
      rejectIfClosed();
      if (republisher == null) {
        republisher =
            Executors.newSingleThreadExecutor(daemon("cqrs-rabbit-republish-" + connection.name()));
      }
      return republisher;
    }
  }

  /** The thread that fails asynchronous publications at their deadline; it never blocks. */
  private ScheduledExecutorService timer() {
    synchronized (asyncLock) {
      rejectIfClosed();
      if (timer == null) {
        timer =
            new ScheduledThreadPoolExecutor(1, daemon("cqrs-rabbit-deadline-" + connection.name()));
        // A publication confirmed in time leaves nothing behind in the timer's queue.
        timer.setRemoveOnCancelPolicy(true);
      }
      return timer;
    }
  }

  /** Called under asyncLock: after close() no thread may be started that nothing would stop. */
  private void rejectIfClosed() {
    if (closed) {
      throw new RejectedExecutionException("The publisher is closed");
    }
  }

  /** Daemon threads named {@code name}, with this library's class loader as context loader. */
  static ThreadFactory daemon(String name) {
    return task -> {
      Thread thread = new Thread(task, name);
      thread.setDaemon(true);
      // Not the context loader of whichever thread happened to start it (an application's, say).
      thread.setContextClassLoader(ConfirmingPublisher.class.getClassLoader());
      return thread;
    };
  }

  /**
   * The messages of one round of a publication: one count of unsettled messages that the confirms
   * count down, and one notification when it reaches zero, rather than a future per message. The
   * count starts at one, held by the sender until {@link #send} is done, so that messages settled
   * while later ones are still being sent cannot finish the round early.
   */
  private abstract class Batch {
    private final List<OutboundMessage> messages;
    private final Pending[] pending;
    private final AtomicInteger unsettled = new AtomicInteger(1);

    /**
     * How many of the messages were handed to the channel. Written by the sending thread only,
     * before it gives up its hold on {@code unsettled}; whoever finishes the round reads it after
     * that atomic update, so it needs no volatile.
     */
    private int sent;

    /** Set by {@link #collect}: why the broker closed a channel that lost one of its messages. */
    ShutdownSignalException refusal;

    Batch(List<OutboundMessage> messages) {
      this.messages = messages;
      this.pending = new Pending[messages.size()];
    }

    /**
     * Sends the messages until one cannot be sent, each taking a window permit that its settlement
     * releases, then gives up the sender's hold on the round. Called once, by the sending thread.
     */
    void send(long deadline) {
      for (OutboundMessage message : messages) {
        acquire(window, 1, deadline);
        Pending added = new Pending(this, message);
        pending[sent] = added;
        unsettled.incrementAndGet();
        sent++;
        if (!transmit(added)) {
          break;
        }
      }
      // The sender's hold is given up only now: the round cannot finish before this.
      if (unsettled.decrementAndGet() == 0) {
        allSettled();
      }
    }

    void settled() {
      window.release();
      if (unsettled.decrementAndGet() == 0) {
        allSettled();
      }
    }

    boolean isSettled() {
      return unsettled.get() == 0;
    }

    /** Called once, on the thread that settled the last message (often the I/O thread). */
    abstract void allSettled();

    /**
     * Adds the returned messages to {@code returned}, and answers what must be sent again: the lost
     * ones, and those that were never handed over.
     */
    List<OutboundMessage> collect(List<Returned> returned) {
      List<OutboundMessage> again = new ArrayList<>(0);
      for (int i = 0; i < sent; i++) {
        Pending p = pending[i];
        switch (p.outcome) {
          case CONFIRMED -> {}
          case RETURNED -> returned.add(p.returned);
          case LOST -> {
            again.add(p.message);
            Confirms channel = p.sentOn;
            if (refusal == null && channel != null) {
              refusal = channel.refusal;
            }
          }
        }
      }
      again.addAll(messages.subList(sent, messages.size()));
      return again;
    }
  }

  /** A round of a {@code publish} call, whose caller parks until it is settled. */
  private final class WaitingBatch extends Batch {
    private final Thread caller = Thread.currentThread();

    WaitingBatch(List<OutboundMessage> messages) {
      super(messages);
    }

    @Override
    void allSettled() {
      LockSupport.unpark(caller);
    }

    /** Whether every message was settled before the deadline. */
    boolean await(long deadline) throws InterruptedException {
      while (!isSettled()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        LockSupport.parkNanos(this, left);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
      return true;
    }
  }

  /**
   * One {@code publishAsync} call: rounds of sending until nothing is left to send, then its future
   * completes. Its deadline fails it whatever round it is in; later settlements are then ignored.
   */
  private final class AsyncPublication {
    final CompletableFuture<List<Returned>> future = new CompletableFuture<>();
    private final long deadline;
    private final Executor completions;
    private final List<Returned> returned = Collections.synchronizedList(new ArrayList<>(0));
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile ScheduledFuture<?> expiry;

    AsyncPublication(Duration timeout, Executor completions) {
      this.deadline = System.nanoTime() + timeout.toNanos();
      this.completions = completions;
      try {
        expiry =
            timer()
                .schedule(
                    () ->
                        fail(
                            new BrokerUnavailableException(
                                connection.broker(),
                                "it did not confirm a message within " + timeout,
                                null)),
                    timeout.toNanos(),
                    TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        throw new IllegalStateException("The publisher is closed", e);
      }
    }

    /**
     * The first round, on the caller's thread if the connection is usable and nothing waits in the
     * republisher (so that calls keep their order), else queued there: the caller never waits for
     * recovery, only for window permits.
     */
    void attemptFromCaller(List<OutboundMessage> messages) {
      if (republishing.get() == 0 && connection.isUsable()) {
        attempt(messages);
        return;
      }
      // Queued calls hold room for their messages (at most a window's worth each) until their
      // round starts: the caller waits while the queue is full, as it would for the window.
      int room = Math.min(messages.size(), windowSize);
      try {
        acquire(queueRoom, room, deadline);
      } catch (BrokerUnavailableException e) {
        fail(e);
        return;
      }
      attemptLater(messages, room);
    }

    /** One round: sends on this thread; the last settlement decides what comes next. */
    void attempt(List<OutboundMessage> messages) {
      if (finished.get()) {
        return;
      }
      try {
        ensureOpen();
        connection.awaitUsable(deadline);
        new AsyncBatch(this, messages).send(deadline);
      } catch (RuntimeException e) {
        // Closing interrupts a round waiting for recovery: report the closing, not the interrupt.
        fail(closed ? new IllegalStateException("The publisher is closed", e) : e);
      }
    }

    /** A round on the publisher's own thread, which may wait for the connection to recover. */
    void attemptLater(List<OutboundMessage> messages) {
      attemptLater(messages, 0);
    }

    /** The same, giving back {@code room} of the queue's room once the round starts. */
    private void attemptLater(List<OutboundMessage> messages, int room) {
      republishing.incrementAndGet();
      boolean queued = false;
      try {
        republisher()
            .execute(
                () -> {
                  try {
                    queueRoom.release(room);
                    attempt(messages);
                  } finally {
                    republishing.decrementAndGet();
                  }
                });
        queued = true;
      } catch (RejectedExecutionException e) {
        fail(new IllegalStateException("The publisher is closed", e));
      } finally {
        if (!queued) {
          queueRoom.release(room);
          republishing.decrementAndGet();
        }
      }
    }

    void roundSettled(AsyncBatch batch) {
      if (finished.get()) {
        return;
      }
      List<OutboundMessage> again = batch.collect(returned);
      if (again.isEmpty()) {
        complete();
        return;
      }
      try {
        failIfRefused(batch, again);
      } catch (RuntimeException e) {
        fail(e);
        return;
      }
      log.debug("Publishing {} unconfirmed messages again", again.size());
      attemptLater(again);
    }

    private void complete() {
      if (finished.compareAndSet(false, true)) {
        finished();
        List<Returned> result = List.copyOf(returned);
        completeOn(() -> future.complete(result));
      }
    }

    void fail(Throwable failure) {
      if (finished.compareAndSet(false, true)) {
        finished();
        completeOn(() -> future.completeExceptionally(failure));
      }
    }

    /** Called once: the deadline is moot, and close() may stop waiting for this one. */
    private void finished() {
      ScheduledFuture<?> scheduled = expiry;
      if (scheduled != null) {
        scheduled.cancel(false);
      }
      if (asyncInFlight.decrementAndGet() == 0) {
        synchronized (drained) {
          drained.notifyAll();
        }
      }
    }

    /**
     * Completes the future on the completion executor; if that refuses (shut down, saturated, or
     * throwing), here rather than never, whichever thread this is.
     */
    private void completeOn(Runnable completion) {
      try {
        completions.execute(completion);
      } catch (RuntimeException e) {
        log.warn(
            "The completion executor refused a publishAsync completion; completing it here", e);
        completion.run();
      }
    }
  }

  /** A round of a {@code publishAsync} call. */
  private final class AsyncBatch extends Batch {
    final AsyncPublication publication;

    AsyncBatch(AsyncPublication publication, List<OutboundMessage> messages) {
      super(messages);
      this.publication = publication;
    }

    @Override
    void allSettled() {
      try {
        publication.roundSettled(this);
      } catch (RuntimeException e) {
        // Often on the client's I/O thread, which must never see it; the publication fails.
        publication.fail(e);
      }
    }
  }

  /** One message handed to the channel; settled exactly once. */
  private static final class Pending {
    private static final VarHandle OUTCOME;

    static {
      try {
        OUTCOME = MethodHandles.lookup().findVarHandle(Pending.class, "outcome", Outcome.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final Batch batch;
    final OutboundMessage message;
    volatile Confirms sentOn;
    volatile Outcome outcome;
    volatile Returned returned;

    Pending(Batch batch, OutboundMessage message) {
      this.batch = batch;
      this.message = message;
    }

    /** Records the outcome and releases the window permit, unless it was settled already. */
    void settle(Outcome settled) {
      if (OUTCOME.compareAndSet(this, null, settled)) {
        batch.settled();
      }
    }
  }

  /** What one channel has not had confirmed yet, by publish sequence number. */
  private static final class Confirms {
    final Channel channel;
    volatile ConcurrentNavigableMap<Long, Pending> pending = new ConcurrentSkipListMap<>();

    /**
     * Why the broker closed this channel, if it closed it over a message (a channel error, not a
     * lost connection); kept per channel so that one publication's rounds cannot clear another's.
     */
    volatile ShutdownSignalException refusal;

    Confirms(Channel channel) {
      this.channel = channel;
    }

    void settle(long tag, boolean multiple, Outcome outcome) {
      ConcurrentNavigableMap<Long, Pending> map = pending;
      if (multiple) {
        Map<Long, Pending> settled = map.headMap(tag, true);
        settled.values().forEach(p -> p.settle(outcome(p, outcome)));
        settled.clear();
      } else {
        Pending p = map.remove(tag);
        if (p != null) {
          p.settle(outcome(p, outcome));
        }
      }
    }

    private static Outcome outcome(Pending pending, Outcome confirmed) {
      return confirmed == Outcome.CONFIRMED && pending.returned != null
          ? Outcome.RETURNED
          : confirmed;
    }

    /** A {@code basic.return}: it arrives before the confirm of the same message. */
    void returned(Return message) {
      Map<String, Object> headers = message.getProperties().getHeaders();
      Object seq = headers == null ? null : headers.get(CqrsHeaders.PUBLISH_SEQ);
      Pending p = seq instanceof Number number ? pending.get(number.longValue()) : null;
      if (p != null) {
        p.returned = new Returned(p.message, message.getReplyCode(), message.getReplyText());
      }
    }

    /** The channel went down: the fate of every pending message is unknown. */
    void lost() {
      // The channel's close reason is set before isOpen() turns false, and so before a caller that
      // saw it closed calls lost(); the shutdown listener, which also records it, may run later.
      ShutdownSignalException reason = channel.getCloseReason();
      if (refusal == null
          && reason != null
          && !reason.isHardError()
          && !reason.isInitiatedByApplication()) {
        refusal = reason;
      }
      ConcurrentNavigableMap<Long, Pending> lost = pending;
      pending = new ConcurrentSkipListMap<>();
      lost.values().forEach(p -> p.settle(Outcome.LOST));
    }
  }
}
