package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.recovery.AutorecoveringChannel;
import com.rabbitmq.client.impl.recovery.RecoveryAwareChannelN;
import io.cqrs.CqrsException;
import io.cqrs.rabbitmq.DeliveryHandler.Disposition;
import io.cqrs.spi.BusHealth;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listener: a channel with a prefetch limit that consumes one or more queues, and a thread of
 * its own that handles the deliveries one at a time, in the order the channel received them.
 *
 * <p>The prefetch limit is the listener's, split evenly among its consumers ({@link
 * #prefetchPerConsumer}): RabbitMQ counts {@code basic.qos} per consumer, so one limit per consumer
 * would let a listener of eight partitions hold eight times as many messages. A limit shared by the
 * channel ({@code global=true}) is what RabbitMQ has deprecated, and quorum queues refuse it.
 *
 * <p>The client's dispatch thread only queues deliveries; the listener thread takes all that are
 * queued at once, then decodes and handles them one by one. Because deliveries are settled in
 * order, acknowledgements are batched with {@code multiple=true}: after {@code ackBatch} messages,
 * or as soon as no delivery is waiting. Stopping lets the message in hand finish and be
 * acknowledged, then closes the channel, which returns the prefetched rest to their queues in their
 * original positions.
 *
 * <p>Whatever the handler throws, the thread goes on with the next delivery, unless it is a fatal
 * error ({@link BusHealth#isFatal}): then the delivery is left unacknowledged and the {@link
 * ConsumerWatch} stops every listener of the bus. A handler that gives a delivery back ({@link
 * Disposition#GIVE_BACK}) stops this listener alone, the delivery unacknowledged, and reports it
 * lost for good. An interrupt a handler leaves set is cleared, and a wait for a retry goes on when
 * interrupted: only {@link #stop} ends a listener, and an interrupt that still reaches its wait for
 * deliveries is reported as its end. {@link #isConsuming()} tells whether this listener consumes
 * right now, as {@code health()} counts it.
 *
 * <p>When the channel dies, the broker redelivers whatever it had delivered and was not yet
 * acknowledged, to the recovered channel or to another consumer; the copies this listener still
 * holds must not be handled, or the message is handled twice, and on an ordered partition perhaps
 * out of order. The copies are not only those queued here: the client's dispatch pool may hand over
 * deliveries of the dead channel after it died, even after the recovered channel's first ones,
 * since it dispatches the two channels' deliveries independently. So the listener tells them apart
 * by delivery tag: the client numbers tags on across recoveries (a recovered channel's tags start
 * above the highest that the dead one received), and when the channel dies, the connection's I/O
 * thread has read all that the dead channel will ever deliver. Every tag up to the dead channel's
 * highest is skipped, whenever it arrives; the recovered channel's never are. The delivery in hand
 * when the channel dies is the broker's again too: a handler retrying it in place stops waiting
 * ({@link #awaitStop}), and learns not to copy it to a retry or dead-letter queue ({@link
 * #channelDied}).
 */
final class Listener implements DeliveryHandler.Control {
  private static final Logger log = LoggerFactory.getLogger(Listener.class);
  private static final Inbound STOP = new Inbound("", null, null, null);

  private final BrokerConnection connection;
  private final String threadName;
  private final List<String> queues;
  private final int prefetch;
  private final int prefetchPerConsumer;
  private final int ackBatch;
  private final DeliveryHandler handler;
  private final ConsumerWatch watch;
  private final List<Deliveries> consumers = new ArrayList<>();
  private final BlockingDeque<Inbound> inbox = new LinkedBlockingDeque<>();

  /** Every delivery tag up to this one came from a channel incarnation that died. */
  private final AtomicLong deadUpTo = new AtomicLong();

  private final CountDownLatch stopping = new CountDownLatch(1);
  private volatile Channel channel;
  private volatile Thread worker;
  private Inbound inHand; // the listener thread's own
  private long lastUnacked;
  private int unacked;

  Listener(
      BrokerConnection connection,
      String threadName,
      List<String> queues,
      int prefetch,
      int ackBatch,
      DeliveryHandler handler,
      ConsumerWatch watch) {
    this.connection = connection;
    this.threadName = threadName;
    this.queues = List.copyOf(queues);
    this.prefetch = prefetch;
    this.prefetchPerConsumer = prefetchPerConsumer(prefetch, this.queues.size());
    // A consumer whose whole share waits for an acknowledgement gets nothing more meanwhile.
    this.ackBatch = Math.max(1, Math.min(ackBatch, prefetchPerConsumer / 2));
    this.handler = handler;
    this.watch = watch;
  }

  /**
   * Each consumer's share of a listener's {@code prefetch}: an equal one, at least 1, so that a
   * listener holds at most {@code prefetch} unacknowledged messages (or one per queue, if it
   * consumes more queues than that). Equal, because the client's connection recovery sets one
   * per-consumer limit, the last one set, before it consumes again.
   */
  static int prefetchPerConsumer(int prefetch, int consumers) {
    return Math.max(1, prefetch / Math.max(1, consumers));
  }

  /** Opens the channel, sets the prefetch, starts consuming and starts the thread. */
  void start() {
    start(connection.createChannel());
  }

  /**
   * Starts on a channel opened elsewhere: {@link #start()} without the connection, so that tests
   * can drive a channel, its death and its recovery by hand.
   */
  void start(Channel opened) {
    channel = opened;
    watchIncarnations(opened);
    try {
      opened.basicQos(prefetchPerConsumer); // per consumer: global QoS is deprecated
      for (String queue : queues) {
        Deliveries deliveries = new Deliveries(opened, queue);
        consumers.add(deliveries);
        opened.basicConsume(queue, false, deliveries);
        deliveries.active = true; // consume-ok also says so, a little later
      }
    } catch (IOException | AlreadyClosedException e) {
      closeChannel();
      throw Failures.consumeFailed(connection.broker(), queues, e);
    }
    worker = new Thread(this::run, threadName);
    worker.setDaemon(true);
    worker.start();
  }

  /**
   * Fences off the deliveries of each channel incarnation that dies, and reports the loss.
   *
   * <p>The client runs a channel's shutdown listeners after the channel's last delivery was read,
   * and as a rule before it lets recovery begin: the dead incarnation's highest tag is final then.
   * Not always, though: when a write fails, the client's "Error On Write" thread and the I/O thread
   * both shut the connection down, and whichever loses the race to notify the channels may still be
   * running their shutdown listeners while the other has begun recovery and put a new incarnation
   * in place ({@link #receivedUpTo}).
   */
  private void watchIncarnations(Channel opened) {
    opened.addShutdownListener(
        cause -> {
          fenceUpTo(receivedUpTo(opened));
          if (!cause.isInitiatedByApplication() && stopping.getCount() != 0) {
            // A connection failure is recovered with every channel on it; a channel error is not.
            boolean recovers = cause.isHardError();
            watch.lost(
                "Listener "
                    + threadName
                    + " of "
                    + queues
                    + " lost its channel: "
                    + Failures.reply(cause)
                    + (recovers ? "" : " (a channel error, which recovery does not undo)"),
                !recovers);
          }
        });
    if (opened instanceof AutorecoveringChannel recovering) {
      fenceOnRecovery(recovering);
    }
  }

  /**
   * Raises the fence, when recovery starts a new incarnation, to the tag offset that the client
   * gives it: every tag at or below it belongs to an incarnation before (the client itself no
   * longer acknowledges them), and the new incarnation consumes only after this. The fence is exact
   * then in any order of events; it backs up the shutdown listener's, and is the only one when that
   * runs late. The new incarnation has no consumer until the broker's consume-ok.
   */
  private void fenceOnRecovery(AutorecoveringChannel recovering) {
    recovering.addRecoveryListener(
        new RecoveryListener() {
          @Override
          public void handleRecoveryStarted(Recoverable recoverable) {
            if (recovering.getDelegate() instanceof RecoveryAwareChannelN recovered) {
              fenceUpTo(recovered.getActiveDeliveryTagOffset());
            }
            consumers.forEach(deliveries -> deliveries.active = false);
          }

          @Override
          public void handleRecovery(Recoverable recoverable) {}
        });
  }

  /**
   * The highest delivery tag that the channel's dead incarnation, or any before it, has received;
   * or 0 when the channel's current incarnation is open: the shutdown is then an earlier
   * incarnation's, which recovery has replaced and fences off as it starts ({@link
   * #fenceOnRecovery}), and the tags the current one received are live. The client's {@link
   * RecoveryAwareChannelN} adds to each raw tag an offset that a recovered incarnation inherits as
   * the dead one's offset plus the highest raw tag it received, so tags grow across recoveries. A
   * channel that does not recover receives nothing more.
   */
  private static long receivedUpTo(Channel channel) {
    if (channel instanceof AutorecoveringChannel recovering
        && recovering.getDelegate() instanceof RecoveryAwareChannelN current) {
      // One read of the delegate: recovery may replace it meanwhile.
      return current.isOpen()
          ? 0
          : current.getActiveDeliveryTagOffset() + current.getMaxSeenDeliveryTag();
    }
    return Long.MAX_VALUE;
  }

  /**
   * Whether a shutdown signal is about the channel's current incarnation, rather than one that
   * recovery has already replaced: a current incarnation that is open has not shut down.
   */
  private boolean aboutCurrentIncarnation() {
    Channel current =
        channel instanceof AutorecoveringChannel recovering ? recovering.getDelegate() : channel;
    return !current.isOpen();
  }

  /**
   * Skips, from now on, every delivery up to {@code tag}, drops those already queued, and wakes the
   * listener thread if it waits on the one in hand ({@link #awaitStop}).
   */
  private void fenceUpTo(long tag) {
    deadUpTo.accumulateAndGet(tag, Math::max);
    inbox.removeIf(this::isDead);
    LockSupport.unpark(worker);
  }

  private boolean isDead(Inbound delivery) {
    return delivery != STOP && delivery.envelope().getDeliveryTag() <= deadUpTo.get();
  }

  /** Asks the listener to stop after the message in hand; does not wait. */
  void stop() {
    stopping.countDown();
    inbox.offerFirst(STOP);
    LockSupport.unpark(worker);
  }

  /**
   * Whether this listener consumes right now: not stopping, its thread alive, its channel open and
   * each of its consumers registered with the broker (not cancelled, not waiting for recovery).
   */
  boolean isConsuming() {
    Thread thread = worker;
    Channel current = channel;
    if (stopping.getCount() == 0 || thread == null || !thread.isAlive() || current == null) {
      return false;
    }
    if (!current.isOpen()) {
      return false;
    }
    for (Deliveries deliveries : consumers) {
      if (!deliveries.active) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether this listener's connection is down and recovering, for no longer than {@code
   * graceNanos}: it does not consume, but should soon again.
   */
  boolean connectionDownWithin(long graceNanos) {
    long down = connection.downForNanos();
    return stopping.getCount() != 0 && down > 0 && down <= graceNanos;
  }

  /** Waits until the listener's thread has settled its message and closed the channel. */
  void awaitStopped() throws InterruptedException {
    if (worker != null && worker != Thread.currentThread()) {
      worker.join();
    }
  }

  private void run() {
    // Deliveries are taken in batches, one lock round for all that have arrived, rather than a
    // lock round (and often a wake-up) per message: the hop from the dispatch thread is a hot path.
    List<Inbound> batch = new ArrayList<>(prefetch);
    try {
      while (true) {
        batch.add(inbox.take());
        inbox.drainTo(batch, prefetch);
        for (Inbound delivery : batch) {
          if (stopping.getCount() == 0) {
            return; // the rest go back to their queues when the channel closes
          }
          if (!isDead(delivery)) {
            Disposition disposition = handle(delivery);
            if (disposition == null) {
              return; // fatal: unacknowledged, it goes back to its queue with the channel
            }
            if (disposition == Disposition.GIVE_BACK) {
              gaveBack(delivery);
              return; // unacknowledged: it and the rest go back in order with the channel
            }
            settle(delivery, disposition);
            if (unacked >= ackBatch) {
              flushAcks();
            }
          }
        }
        batch.clear();
        if (inbox.isEmpty()) {
          flushAcks();
        }
      }
    } catch (InterruptedException e) {
      // Only stop() ends a listener; an interrupt from elsewhere must not end it unseen.
      if (stopping.getCount() != 0) {
        ended(e);
      }
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) { // the listener's own failure: handle() keeps the rest
      ended(e);
    } finally {
      try {
        flushAcks(); // what was handled before, never the delivery in hand
      } finally {
        closeChannel();
      }
    }
  }

  /**
   * Handles a delivery and says how to settle it, whatever the handler throws.
   *
   * @return {@code null} after a fatal error, which has stopped the bus
   */
  private Disposition handle(Inbound delivery) {
    inHand = delivery;
    try {
      return handler.handle(delivery, this);
    } catch (Throwable e) { // an Error must not end the thread, or the bus loses a consumer unseen
      if (BusHealth.isFatal(e)) {
        watch.fatal(Failures.summary(e) + " while handling " + delivery.describe(), e);
        return null;
      }
      boolean transientFailure = e instanceof CqrsException cqrs && cqrs.isTransient();
      log.error(
          "Cannot settle {}; {}",
          delivery.describe(),
          transientFailure ? "requeued" : "rejected",
          e);
      return transientFailure ? Disposition.REQUEUE : Disposition.REJECT;
    } finally {
      clearInterrupt(delivery);
    }
  }

  /**
   * Clears an interrupt that handling left set (a handler that restores the flag after catching
   * {@link InterruptedException}, or the publisher doing so for a copy): nothing of the bus
   * interrupts a listener, which only {@link #stop} ends, and with the flag set the next wait for
   * deliveries would throw and end the thread, leaving the queue without this consumer.
   */
  private static void clearInterrupt(Inbound delivery) {
    if (Thread.interrupted()) {
      log.warn(
          "Handling {} left the listener thread's interrupt flag set; cleared it: the listener"
              + " goes on",
          delivery.describe());
    }
  }

  /** After {@link Disposition#GIVE_BACK}: the listener is lost until the process restarts. */
  private void gaveBack(Inbound delivery) {
    watch.lost(
        "Listener "
            + threadName
            + " of "
            + queues
            + " stopped and gave back "
            + delivery.describe()
            + " with every message it held, in order: it could be neither handled nor moved to"
            + " the dead-letter queue",
        true);
  }

  private void ended(Throwable e) {
    if (BusHealth.isFatal(e)) {
      watch.fatal(Failures.summary(e) + " in listener " + threadName, e);
    } else {
      log.error("Listener {} of {} failed", threadName, queues, e);
      watch.lost(
          "Listener " + threadName + " of " + queues + " ended: " + Failures.summary(e), true);
    }
  }

  private void settle(Inbound delivery, Disposition disposition) {
    long tag = delivery.envelope().getDeliveryTag();
    if (disposition == Disposition.ACK) {
      lastUnacked = tag;
      unacked++;
      return;
    }
    flushAcks();
    try {
      if (disposition == Disposition.REQUEUE) {
        channel.basicNack(tag, false, true);
      } else {
        channel.basicReject(tag, false);
      }
    } catch (IOException | AlreadyClosedException e) {
      log.debug("Cannot settle {}; the broker redelivers it", delivery.describe(), e);
    }
  }

  @Override
  public void flushAcks() {
    if (unacked == 0) {
      return;
    }
    try {
      channel.basicAck(lastUnacked, true);
    } catch (IOException | AlreadyClosedException e) {
      log.debug("Cannot acknowledge on {}; the broker redelivers", queues, e);
    }
    unacked = 0;
  }

  /** Woken by {@link #stop} and by {@link #fenceUpTo}, whichever thread runs them. */
  @Override
  public boolean awaitStop(Duration delay) {
    long deadline = System.nanoTime() + delay.toNanos();
    while (stopping.getCount() != 0 && !channelDied()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      LockSupport.parkNanos(this, left);
      if (Thread.interrupted()) {
        // Not a stop (stop() unparks): giving up the message here would let later ones overtake
        // it on an ordered partition. Cleared, or parkNanos would return at once from now on.
        log.warn("Listener {} was interrupted while waiting to retry; it waits on", threadName);
      }
    }
    return true;
  }

  @Override
  public boolean channelDied() {
    Inbound delivery = inHand;
    return delivery != null && isDead(delivery);
  }

  private void closeChannel() {
    BrokerConnection.closeQuietly(channel);
  }

  /** Queues deliveries for the listener thread; runs on the client's dispatch thread. */
  private final class Deliveries extends DefaultConsumer {
    private final String queue;

    /** Whether the broker has this consumer registered: consume-ok, and no cancel or shutdown. */
    private volatile boolean active;

    Deliveries(Channel channel, String queue) {
      super(channel);
      this.queue = queue;
    }

    @Override
    public void handleConsumeOk(String consumerTag) {
      super.handleConsumeOk(consumerTag);
      active = true; // also after connection recovery has consumed again
    }

    /**
     * Runs on the dispatch pool of the incarnation that shut down, which may be after the recovered
     * one's consume-ok: a later incarnation's state is not this signal's to change.
     */
    @Override
    public void handleShutdownSignal(String consumerTag, ShutdownSignalException signal) {
      if (aboutCurrentIncarnation()) {
        active = false;
      }
    }

    @Override
    public void handleDelivery(
        String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      inbox.offerLast(new Inbound(queue, envelope, properties, body));
    }

    @Override
    public void handleCancel(String consumerTag) {
      // The loss first: health() must never count one consumer fewer without saying why.
      watch.lost(
          "The broker cancelled listener "
              + threadName
              + "'s consumer of "
              + queue
              + " (was the queue deleted?)",
          true);
      active = false;
    }
  }
}
