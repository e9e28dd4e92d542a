package io.cqrs.benchmarks;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.EventSerializer;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.rabbitmq.RabbitEventBus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The RabbitMQ broker of {@code CQRS_RABBITMQ_URI} (default {@code
 * amqp://guest:guest@127.0.0.1:5672/%2f}), a unique name prefix per run, the events both sides
 * send, and the clean-up that deletes every queue and exchange the run declared.
 */
final class RabbitBroker {
  /** The subscription the bus's consumer listens on. */
  static final String SUBSCRIPTION = "bench";

  private static final Duration RETRY_DELAY = Duration.ofSeconds(1);

  private final String uri;
  private final String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8);
  private final EventSerializer serializer = new EventSerializer(Histories.registry());

  RabbitBroker() {
    String configured = System.getenv("CQRS_RABBITMQ_URI");
    uri =
        configured == null || configured.isBlank()
            ? "amqp://guest:guest@127.0.0.1:5672/%2f"
            : configured;
  }

  /** How long an invocation waits for its events to be handled before it fails. */
  static final long AWAIT_SECONDS = 60;

  /** Waits until a subscriber has counted down all {@code total} events of an invocation. */
  static void awaitHandled(CountDownLatch handled, int total) throws InterruptedException {
    if (!handled.await(AWAIT_SECONDS, TimeUnit.SECONDS)) {
      throw new IllegalStateException(
          "Only " + (total - handled.getCount()) + " of " + total + " events were handled");
    }
  }

  /** The broker's URI. */
  String uri() {
    return uri;
  }

  /**
   * Deletes every queue and exchange whose name starts with this run's prefix, as {@code
   * rabbitmqctl} lists them: for what an application declared by names of its own (the broker is
   * then the local one; without {@code rabbitmqctl} the names are left and said so).
   */
  void deleteEverythingWithPrefix() throws Exception {
    delete(rabbitmqctl("list_queues"), rabbitmqctl("list_exchanges"));
  }

  private List<String> rabbitmqctl(String list) throws Exception {
    Process process;
    try {
      process =
          new ProcessBuilder("rabbitmqctl", list, "-q", "--no-table-headers", "name")
              .redirectErrorStream(true)
              .start();
    } catch (java.io.IOException e) {
      System.err.println("rabbitmqctl is not here: queues and exchanges " + prefix + ".* stay");
      return List.of();
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      System.err.println("rabbitmqctl " + list + " failed: " + output.strip());
      return List.of();
    }
    return output.lines().map(String::strip).filter(name -> name.startsWith(prefix)).toList();
  }

  /** The names' prefix of this run. */
  String prefix() {
    return prefix;
  }

  EventSerializer serializer() {
    return serializer;
  }

  /** A bus under this run's prefix with a single retry delay, so clean-up knows every name. */
  RabbitEventBus eventBus() {
    return RabbitEventBus.builder(uri, serializer)
        .prefix(prefix)
        .connectionName(prefix)
        .retryDelays(RETRY_DELAY)
        .build();
  }

  /** A connection of the raw client. */
  Connection connect(String name) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    return factory.newConnection(prefix + "-" + name);
  }

  /**
   * {@code count} events of about 300 bytes of JSON each (an envelope with a short payload), as
   * versions 1..count of one stream.
   */
  List<VersionedEvent> events(int count) {
    List<Object> payloads = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      payloads.add(new AccountOpened("account-" + i, "owner-" + i));
    }
    return Histories.envelopes("account", payloads, serializer.registry());
  }

  /**
   * Deletes the bus's topology for the subscription, and {@code extraQueues}/{@code
   * extraExchanges}.
   */
  void deleteAll(List<String> extraQueues, List<String> extraExchanges) throws Exception {
    String queue = prefix + ".events." + SUBSCRIPTION;
    List<String> queues = new ArrayList<>(extraQueues);
    queues.addAll(
        List.of(queue, queue + ".dlq", queue + ".retry-" + RETRY_DELAY.toMillis() + "ms"));
    List<String> exchanges = new ArrayList<>(extraExchanges);
    exchanges.add(prefix + ".events");
    delete(queues, exchanges);
  }

  private void delete(List<String> queues, List<String> exchanges) throws Exception {
    try (Connection connection = connect("cleanup");
        Channel channel = connection.createChannel()) {
      for (String name : queues) {
        channel.queueDelete(name);
      }
      for (String name : exchanges) {
        channel.exchangeDelete(name);
      }
    }
  }
}
