package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.rabbitmq.client.AMQP;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A broker resource alarm raised while a publish is writing: the broker stops reading the
 * connection, and the writing thread waits in the socket, holding the publishing channel, until the
 * alarm clears. Every other publish of the process waited for that channel with no bound, past its
 * own timeout (the broker reports the block only later, if at all, so their check of the connection
 * passes). It now waits only until its deadline. The alarm is the real one ({@code rabbitmqctl
 * set_vm_memory_high_watermark 0}), put back in a finally.
 */
class BrokerAlarmIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private RabbitNamespace namespace;

  @BeforeEach
  void namespace() {
    namespace = RabbitTestBroker.get().newNamespace("alarm");
  }

  @AfterEach
  void cleanUp() {
    namespace.close();
  }

  @Test
  void a_publish_waits_for_a_channel_held_by_a_blocked_write_only_until_its_deadline()
      throws Exception {
    namespace.requireAdmin();
    BrokerAdmin admin = namespace.broker().admin();
    String queue = namespace.prefix() + ".alarmed";
    namespace.deleteQueueOnClose(queue);
    namespace.withChannel(channel -> channel.queueDeclare(queue, true, false, false, null));
    BrokerConnection connection = namespace.brokerConnection("publisher", WAIT);
    String watermark =
        admin.run("eval", "vm_memory_monitor:get_vm_memory_high_watermark().").strip();
    ConfirmingPublisher publisher =
        new ConfirmingPublisher(connection, 64, WAIT, RabbitBusBuilder.DEFAULT_MAX_MESSAGE_BYTES);
    CompletableFuture<List<Returned>> writing = new CompletableFuture<>();
    Thread writer = null;
    try {
      admin.run("set_vm_memory_high_watermark", "0");
      List<OutboundMessage> large = new ArrayList<>();
      byte[] body = new byte[1 << 20];
      Arrays.fill(body, (byte) 'x');
      for (int i = 0; i < 40; i++) {
        large.add(message(queue, body));
      }
      writer =
          new Thread(
              () -> {
                try {
                  writing.complete(publisher.publish(large, Duration.ofMinutes(2)));
                } catch (RuntimeException e) {
                  writing.completeExceptionally(e);
                }
              },
              "writer");
      writer.setDaemon(true);
      writer.start();
      Thread held = writer;
      Await.until(
          WAIT,
          () -> "the writer held in its socket write",
          () -> writingToSocket(held) && writingToSocket(held));
      // The broker reports the block later, or not at all: a publish that checks the connection
      // before it does goes on to the publishing channel. The report is undone while this one
      // runs, so that it always gets there.
      AtomicBoolean checking = new AtomicBoolean(true);
      Thread undoing =
          new Thread(
              () -> {
                while (checking.get()) {
                  connection.unblocked();
                  LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
                }
              },
              "undoing the block report");
      undoing.setDaemon(true);
      undoing.start();
      try {
        assertTimeoutPreemptively(
            Duration.ofSeconds(20),
            () ->
                assertThatThrownBy(
                        () ->
                            publisher.publish(
                                List.of(message(queue, new byte[] {1})), Duration.ofSeconds(2)))
                    .isInstanceOf(BrokerUnavailableException.class)
                    .hasMessageContaining("not confirmed within PT2S"));
      } finally {
        checking.set(false);
      }
      assertThat(writing).isNotDone();
    } finally {
      restore(admin, watermark);
      if (writer != null) {
        writer.join(WAIT.toMillis());
      }
      publisher.close();
      connection.close();
    }
    assertThat(writing.get()).isEmpty();
  }

  /**
   * Puts the watermark back as it was (a fraction, or {@code {absolute,N}}: the Erlang term the
   * broker gave), trying again once: left at 0, it would block every later test on the broker.
   */
  private static void restore(BrokerAdmin admin, String watermark) {
    String set = "vm_memory_monitor:set_vm_memory_high_watermark(" + watermark + ").";
    try {
      admin.run("eval", set);
    } catch (RuntimeException first) {
      admin.run("eval", set);
    }
  }

  /** Whether {@code thread} is in a socket write under {@code PublishChannel.transmit}. */
  private static boolean writingToSocket(Thread thread) {
    StackTraceElement[] stack = thread.getStackTrace();
    // JDK 17's sockets write through NioSocketImpl (a park while the peer reads nothing).
    return Arrays.stream(stack)
            .anyMatch(
                frame ->
                    frame.getClassName().contains("Socket")
                        && frame
                            .getMethodName()
                            .toLowerCase(java.util.Locale.ROOT)
                            .contains("write"))
        && Arrays.stream(stack).anyMatch(frame -> frame.getMethodName().equals("transmit"));
  }

  private static OutboundMessage message(String queue, byte[] body) {
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder().deliveryMode(2).type("Test").build();
    return new OutboundMessage("", queue, "Test", properties, Map.of(), body);
  }
}
