package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Address;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.AMQCommand;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.AMQImpl;
import com.rabbitmq.client.impl.ConnectionParams;
import com.rabbitmq.client.impl.ConsumerWorkService;
import com.rabbitmq.client.impl.FrameHandler;
import com.rabbitmq.client.impl.recovery.AutorecoveringChannel;
import com.rabbitmq.client.impl.recovery.AutorecoveringConnection;
import com.rabbitmq.client.impl.recovery.RecordedConsumer;
import com.rabbitmq.client.impl.recovery.RecoveryAwareChannelN;
import io.cqrs.rabbitmq.DeliveryHandler.Disposition;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A listener whose channel dies and recovers handles each delivery of the live channel, and none
 * that the dead channel's dispatch pool hands over late, in whichever order the client's threads
 * run.
 *
 * <p>The channel is the client's own: an {@link AutorecoveringChannel} over {@link
 * RecoveryAwareChannelN}s, so the delivery tag offsets, the consumer dispatch and the recovery are
 * the client's code. Only the broker is missing: the test plays the connection's I/O thread (it
 * feeds {@code Basic.Deliver} commands and shuts a channel down as the connection does on a lost
 * socket) and runs each connection's consumer work pool by hand, which fixes the interleaving.
 */
class ListenerRecoveryTest {
  private static final long DEADLINE_SECONDS = 10;

  private final ManualExecutor deadPool = new ManualExecutor();
  private final ManualExecutor recoveredPool = new ManualExecutor();
  private final BlockingQueue<Long> handled = new LinkedBlockingQueue<>();
  private final CountDownLatch handlingFirst = new CountDownLatch(1);
  private volatile CountDownLatch firstMayEnd = new CountDownLatch(0);
  private BrokerlessChannel dead;
  private BrokerlessChannel recovered;
  private AutorecoveringConnection connection;
  private AutorecoveringChannel channel;
  private Listener listener;

  @BeforeEach
  void startListener() {
    ConnectionParams params = new ConnectionFactory().params(null);
    dead = new BrokerlessChannel(params, deadPool);
    recovered = new BrokerlessChannel(params, recoveredPool);
    connection =
        new AutorecoveringConnection(params, null, List.of(new Address("localhost", 5672)));
    channel = new AutorecoveringChannel(connection, dead);
    DeliveryHandler handler =
        (delivery, control) -> {
          long tag = delivery.envelope().getDeliveryTag();
          handled.add(tag);
          if (tag == 1) {
            handlingFirst.countDown();
            awaitWithinDeadline(firstMayEnd);
          }
          return Disposition.ACK;
        };
    ConsumerWatch watch = new ConsumerWatch("test", () -> {});
    // No BrokerConnection: start(Channel) takes the channel it would have opened.
    listener = new Listener(null, "listener-test", List.of("q"), 10, 1, handler, watch);
    listener.start(channel);
  }

  @AfterEach
  void stopListener() throws InterruptedException {
    listener.stop();
    listener.awaitStopped();
  }

  @Test
  void deliveries_the_dead_channel_dispatches_after_it_died_are_not_handled() throws Exception {
    dead.deliver(1);
    dead.deliver(2);
    dead.loseConnection(); // before the work pool has handed over 1 and 2
    deadPool.runAll();
    recover();
    recovered.deliver(1); // the broker's redelivery of 1, tag 3 after the offset of 2
    recoveredPool.runAll();

    assertThat(nextHandled()).isEqualTo(3);
    assertThat(handled).isEmpty();
  }

  @Test
  void the_recovered_channels_first_deliveries_are_handled_when_dispatched_before_the_dead_ones()
      throws Exception {
    dead.deliver(1);
    dead.deliver(2);
    dead.loseConnection();
    recover();
    recovered.deliver(1);
    recoveredPool.runAll(); // tag 3, before the dead channel's 1, 2 and shutdown signal
    assertThat(nextHandled()).isEqualTo(3);

    deadPool.runAll();
    recovered.deliver(2);
    recoveredPool.runAll();

    assertThat(nextHandled()).isEqualTo(4);
    assertThat(handled).isEmpty();
    listener.stop();
    listener.awaitStopped();
    assertThat(recovered.acks).containsExactly(1L, 2L); // the broker's tags on the new channel
  }

  @Test
  void the_recovered_channels_first_deliveries_are_handled_when_dispatched_after_the_dead_ones()
      throws Exception {
    dead.deliver(1);
    dead.deliver(2);
    dead.loseConnection();
    recover();
    recovered.deliver(1);
    deadPool.runAll(); // the dead channel's 1, 2 and shutdown signal, after recovery, before tag 3
    recoveredPool.runAll();

    assertThat(nextHandled()).isEqualTo(3);
    assertThat(handled).isEmpty();
  }

  @Test
  void the_dead_channels_unhandled_delivery_is_handled_once_as_its_redelivery() throws Exception {
    dead.deliver(1);
    deadPool.runAll();
    assertThat(nextHandled()).isEqualTo(1);

    dead.deliver(2);
    dead.loseConnection();
    recover();
    deadPool.runAll();
    recovered.deliver(1);
    recovered.deliver(2);
    recoveredPool.runAll();

    assertThat(nextHandled()).isEqualTo(3);
    assertThat(nextHandled()).isEqualTo(4);
    assertThat(handled).isEmpty();
  }

  @Test
  void a_recovered_delivery_still_queued_when_the_dead_channel_signals_its_shutdown_is_handled()
      throws Exception {
    firstMayEnd = new CountDownLatch(1);
    dead.deliver(1);
    deadPool.runAll(); // the listener is busy with 1 until firstMayEnd opens
    assertThat(handlingFirst.await(DEADLINE_SECONDS, TimeUnit.SECONDS)).isTrue();
    dead.deliver(2);
    dead.loseConnection();
    recover();
    recovered.deliver(1);
    recovered.deliver(2);
    recoveredPool.runAll(); // tags 3 and 4 wait in the listener's queue
    // The dead channel's 2, then its consumer's shutdown signal: a listener that moved on to a new
    // generation here would drop 3 and 4, which the broker then never redelivers.
    deadPool.runAll();
    firstMayEnd.countDown();

    assertThat(nextHandled()).isEqualTo(1);
    assertThat(nextHandled()).isEqualTo(3);
    assertThat(nextHandled()).isEqualTo(4);
    assertThat(handled).isEmpty();
  }

  /** What the client's recovery does for this channel, on a new connection that is up. */
  private void recover() throws Exception {
    Connection newConnection =
        (Connection)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {Connection.class},
                (proxy, method, args) ->
                    method.getName().equals("createChannel") ? recovered : null);
    channel.automaticallyRecover(connection, newConnection);
    for (RecordedConsumer consumer : connection.getRecordedConsumers().values()) {
      consumer.recover(); // consumes again on the new channel, with the same consumer object
    }
  }

  private static void awaitWithinDeadline(CountDownLatch latch) {
    try {
      assertThat(latch.await(DEADLINE_SECONDS, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private long nextHandled() throws InterruptedException {
    Long tag = handled.poll(DEADLINE_SECONDS, TimeUnit.SECONDS);
    assertThat(tag).as("a delivery handled within %d s", DEADLINE_SECONDS).isNotNull();
    return tag;
  }

  /**
   * The client's recovery-aware channel, with a broker that answers at once: what the channel
   * transmits is answered on the spot ({@code qos-ok}, {@code consume-ok}, {@code close-ok}) or
   * recorded (acknowledgements, with the broker's own tags).
   */
  private static final class BrokerlessChannel extends RecoveryAwareChannelN {
    private static final String CONSUMER_TAG = "c";
    private static final AMQP.BasicProperties PROPERTIES =
        new AMQP.BasicProperties.Builder().type("Happened").messageId("m").build();

    private final List<Long> acks = new CopyOnWriteArrayList<>();

    BrokerlessChannel(ConnectionParams params, ManualExecutor pool) {
      super(new AMQConnection(params, frameHandler()), 1, new ConsumerWorkService(pool, null, 0));
    }

    /** Reads a {@code Basic.Deliver} of the broker's tag, as the connection's I/O thread does. */
    void deliver(long brokerTag) throws IOException {
      AMQImpl.Basic.Deliver deliver =
          new AMQImpl.Basic.Deliver(CONSUMER_TAG, brokerTag, false, "x", "k");
      handleCompleteInboundCommand(
          new AMQCommand(deliver, PROPERTIES, ByteBuffer.wrap(new byte[0])));
    }

    /** What the connection does to each channel when its socket fails, in the same order. */
    void loseConnection() {
      processShutdownSignal(
          new ShutdownSignalException(true, false, null, getConnection()), true, true);
      notifyListeners();
    }

    @Override
    public void quiescingTransmit(AMQCommand command) throws IOException {
      Method method = command.getMethod();
      if (method instanceof AMQP.Basic.Qos) {
        handleCompleteInboundCommand(new AMQCommand(new AMQImpl.Basic.QosOk()));
      } else if (method instanceof AMQP.Basic.Consume) {
        handleCompleteInboundCommand(new AMQCommand(new AMQImpl.Basic.ConsumeOk(CONSUMER_TAG)));
      } else if (method instanceof AMQP.Channel.Close) {
        handleCompleteInboundCommand(new AMQCommand(new AMQImpl.Channel.CloseOk()));
      } else if (method instanceof AMQP.Basic.Ack ack) {
        acks.add(ack.getDeliveryTag());
      }
    }

    private static FrameHandler frameHandler() {
      return (FrameHandler)
          Proxy.newProxyInstance(
              FrameHandler.class.getClassLoader(),
              new Class<?>[] {FrameHandler.class},
              (proxy, method, args) ->
                  method.getReturnType() == boolean.class
                      ? false
                      : method.getReturnType() == int.class ? 0 : null);
    }
  }

  /** An executor that runs its tasks when the test says so, on the test's thread. */
  private static final class ManualExecutor extends AbstractExecutorService {
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    @Override
    public void execute(Runnable task) {
      tasks.add(task);
    }

    /** Runs every task, also those that the tasks submit. */
    void runAll() {
      for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
        task.run();
      }
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return new ArrayList<>(tasks);
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }
}
