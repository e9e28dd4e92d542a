package io.cqrs.opentelemetry;

import static io.cqrs.opentelemetry.RecordedSpans.traceparent;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.GetResponse;
import io.cqrs.Cqrs;
import io.cqrs.EventSerializer;
import io.cqrs.MetadataKey;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.opentelemetry.Bank.Deposit;
import io.cqrs.opentelemetry.Bank.Deposited;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import io.cqrs.testing.Await;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One trace across two processes over RabbitMQ: a client sends a command, a worker handles it and
 * saves an account, and the client's read model handles the event the save published. Each side has
 * its own OpenTelemetry SDK, its own buses and its own connections, so the trace context can cross
 * only in the messages.
 */
class RabbitTracingIT {
  /** Skips (or fails, when servers are required) the whole class at once without a broker. */
  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private final RecordedSpans clientSpans = new RecordedSpans();
  private final RecordedSpans workerSpans = new RecordedSpans();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private RabbitNamespace namespace;

  @BeforeEach
  void createNamespace() {
    namespace = RabbitTestBroker.get().newNamespace("otel");
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    namespace.close();
    clientSpans.close();
    workerSpans.close();
  }

  @Test
  void a_command_over_rabbitmq_and_the_event_it_causes_are_one_trace_across_both_hops() {
    Cqrs worker = process("worker", workerSpans);
    Bank.handleDeposits(worker);
    Cqrs client = process("client", clientSpans);
    List<VersionedEvent> seen = new CopyOnWriteArrayList<>();
    client.onEvent("balances", Deposited.class, seen::add);
    worker.start();
    client.start();
    String commandTap = tap(namespace.prefix() + ".commands", "Deposit");
    String eventTap = tap(namespace.prefix() + ".events", "#");

    client.send(new Deposit("acc-1", 50));

    SpanData sent = clientSpans.await("publish Deposit");
    SpanData handled = workerSpans.await("process Deposit");
    SpanData loaded = workerSpans.await("load Account");
    SpanData saved = workerSpans.await("save Account");
    SpanData published = workerSpans.await("publish Deposited");
    SpanData projected = clientSpans.await("process Deposited");

    assertThat(sent.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(sent.getParentSpanContext().isValid()).isFalse();
    assertThat(handled.getParentSpanId()).isEqualTo(sent.getSpanId());
    assertThat(handled.getParentSpanContext().isRemote()).isTrue();
    assertThat(loaded.getParentSpanId()).isEqualTo(handled.getSpanId());
    assertThat(saved.getParentSpanId()).isEqualTo(handled.getSpanId());
    assertThat(published.getParentSpanId()).isEqualTo(saved.getSpanId());
    assertThat(projected.getParentSpanId()).isEqualTo(published.getSpanId());
    assertThat(projected.getParentSpanContext().isRemote()).isTrue();
    List<SpanData> everySpan = new ArrayList<>(clientSpans.all());
    everySpan.addAll(workerSpans.all());
    assertThat(everySpan).extracting(SpanData::getTraceId).containsOnly(sent.getTraceId());
    assertThat(List.of(sent, handled, published, projected))
        .allSatisfy(
            span ->
                assertThat(span.getAttributes().get(AttributeKey.stringKey("messaging.system")))
                    .isEqualTo("rabbitmq"));
    assertThat(projected.getAttributes().get(AttributeKey.stringKey("cqrs.component")))
        .isEqualTo("balances");

    assertThat(traceHeader(commandTap)).isEqualTo(traceparent(sent));
    assertThat(traceHeader(eventTap)).isEqualTo(traceparent(published));
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0).metadata(MetadataKey.TRACEPARENT)).contains(traceparent(projected));
  }

  /**
   * One simulated process: its own type registry, tracer and RabbitMQ buses, each bus on a
   * connection of its own; the worker's store in memory (the client keeps none that matters).
   */
  private Cqrs process(String name, RecordedSpans spans) {
    TypeRegistry types = Bank.types();
    EventSerializer serializer = new EventSerializer(types);
    RabbitCommandBus commands =
        namespace.track(
            namespace
                .commandBusBuilder(serializer)
                .connectionName(namespace.prefix() + "-" + name + "-commands")
                .build());
    RabbitEventBus events =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .connectionName(namespace.prefix() + "-" + name + "-events")
                .build());
    Cqrs cqrs =
        Cqrs.builder()
            .types(types)
            .service(name)
            .commandBus(commands)
            .eventBus(events)
            // The relay would only publish again what the save published; not what this tests.
            .relay(false)
            .interceptors(CqrsTracing.builder(spans.sdk()).messagingSystem("rabbitmq").build())
            .build();
    closing.add(cqrs);
    return cqrs;
  }

  /** A queue of this test's that gets a copy of what {@code exchange} routes with {@code key}. */
  private String tap(String exchange, String key) {
    String queue = namespace.prefix() + ".tap." + (key.equals("#") ? "all" : key);
    namespace.deleteQueueOnClose(queue);
    namespace.withChannel(
        channel -> {
          channel.queueDeclare(queue, false, false, false, null);
          return channel.queueBind(queue, exchange, key);
        });
    return queue;
  }

  /** The {@code traceparent} AMQP header of the first message in {@code queue}, waited for. */
  private String traceHeader(String queue) {
    AtomicReference<GetResponse> message = new AtomicReference<>();
    Await.until(
        Duration.ofSeconds(30),
        "a message in " + queue,
        () -> {
          message.set(namespace.withChannel(channel -> channel.basicGet(queue, true)));
          return message.get() != null;
        });
    Object header = message.get().getProps().getHeaders().get("traceparent");
    return header == null ? null : header.toString();
  }
}
