package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.cqrs.CqrsException;
import io.cqrs.rabbitmq.DeliveryHandler.Disposition;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listener: a channel with a prefetch limit that consumes one or more queues, and a thread of
 * its own that handles the deliveries one at a time, in the order the channel received them.
 *
 * <p>The client's dispatch thread only queues deliveries; the listener thread takes all that are
 * queued at once, then decodes and handles them one by one. Because deliveries are settled in
 * order, acknowledgements are batched with {@code multiple=true}: after {@code ackBatch} messages,
 * or as soon as no delivery is waiting. Stopping lets the message in hand finish and be
 * acknowledged, then closes the channel, which returns the prefetched rest to their queues in their
 * original positions.
 */
final class Listener implements DeliveryHandler.Control {
  private static final Logger log = LoggerFactory.getLogger(Listener.class);
  private static final Inbound STOP = new Inbound(-1, "", null, null, null);

  private final BrokerConnection connection;
  private final String threadName;
  private final List<String> queues;
  private final int prefetch;
  private final int ackBatch;
  private final DeliveryHandler handler;
  private final BlockingDeque<Inbound> inbox = new LinkedBlockingDeque<>();
  private final AtomicLong generation = new AtomicLong();
  private final CountDownLatch stopping = new CountDownLatch(1);
  private Channel channel;
  private Thread worker;
  private long lastUnacked;
  private int unacked;

  Listener(
      BrokerConnection connection,
      String threadName,
      List<String> queues,
      int prefetch,
      int ackBatch,
      DeliveryHandler handler) {
    this.connection = connection;
    this.threadName = threadName;
    this.queues = List.copyOf(queues);
    this.prefetch = prefetch;
    this.ackBatch = ackBatch;
    this.handler = handler;
  }

  /** Opens the channel, sets the prefetch, starts consuming and starts the thread. */
  void start() {
    channel = connection.createChannel();
    // Deliveries of a channel incarnation that died are redelivered by the broker: drop ours.
    channel.addShutdownListener(
        cause -> {
          long dead = generation.getAndIncrement();
          inbox.removeIf(delivery -> delivery.generation() == dead);
        });
    try {
      channel.basicQos(prefetch);
      for (String queue : queues) {
        channel.basicConsume(queue, false, new Deliveries(channel, queue));
      }
    } catch (IOException | AlreadyClosedException e) {
      closeChannel();
      throw new BrokerUnavailableException(connection.broker(), "cannot consume " + queues, e);
    }
    worker = new Thread(this::run, threadName);
    worker.setDaemon(true);
    worker.start();
  }

  /** Asks the listener to stop after the message in hand; does not wait. */
  void stop() {
    stopping.countDown();
    inbox.offerFirst(STOP);
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
          if (delivery.generation() == generation.get()) {
            settle(delivery, handle(delivery));
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
      Thread.currentThread().interrupt();
    } finally {
      flushAcks();
      closeChannel();
    }
  }

  private Disposition handle(Inbound delivery) {
    try {
      return handler.handle(delivery, this);
    } catch (RuntimeException e) {
      boolean transientFailure = e instanceof CqrsException cqrs && cqrs.isTransient();
      log.error(
          "Cannot settle {}; {}",
          delivery.describe(),
          transientFailure ? "requeued" : "rejected",
          e);
      return transientFailure ? Disposition.REQUEUE : Disposition.REJECT;
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

  @Override
  public boolean awaitStop(Duration delay) {
    try {
      return stopping.await(delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private void closeChannel() {
    BrokerConnection.closeQuietly(channel);
  }

  /** Queues deliveries for the listener thread; runs on the client's dispatch thread. */
  private final class Deliveries extends DefaultConsumer {
    private final String queue;

    Deliveries(Channel channel, String queue) {
      super(channel);
      this.queue = queue;
    }

    @Override
    public void handleDelivery(
        String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      inbox.offerLast(new Inbound(generation.get(), queue, envelope, properties, body));
    }

    @Override
    public void handleCancel(String consumerTag) {
      log.warn("The broker cancelled consuming {} (was the queue deleted?)", queue);
    }
  }
}
