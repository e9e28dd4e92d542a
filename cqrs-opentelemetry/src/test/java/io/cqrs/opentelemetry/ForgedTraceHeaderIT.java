package io.cqrs.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventSerializer;
import io.cqrs.MetadataKey;
import io.cqrs.TypeRegistry;
import io.cqrs.opentelemetry.Bank.Deposit;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A command whose body carries a valid trace context, delivered with a forged {@code traceparent}
 * AMQP header that has W3C's shape but is invalid (all-zero trace id). docs/observability.md: the
 * RabbitMQ buses "take a valid header back into the consumed envelope's metadata", and "A metadata
 * value the propagator cannot parse ... reads as no context". The forged header must not replace
 * the body's valid context: the worker's {@code process} span must continue the sender's trace.
 */
class ForgedTraceHeaderIT {
  private static final String ORIGIN_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String ORIGIN_SPAN = "00f067aa0ba902b7";
  private static final String ORIGIN = "00-" + ORIGIN_TRACE + "-" + ORIGIN_SPAN + "-01";
  private static final String FORGED = "00-00000000000000000000000000000000-" + ORIGIN_SPAN + "-01";

  @BeforeAll
  static void requireBroker() {
    RabbitTestBroker.get();
  }

  private final RecordedSpans workerSpans = new RecordedSpans();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private RabbitNamespace namespace;

  @BeforeEach
  void createNamespace() {
    namespace = RabbitTestBroker.get().newNamespace("otelforged");
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    namespace.close();
    workerSpans.close();
  }

  @Test
  void a_forged_invalid_traceparent_header_does_not_cut_the_bodys_trace() {
    TypeRegistry types = Bank.types();
    EventSerializer serializer = new EventSerializer(types);
    RabbitCommandBus commands =
        namespace.track(
            namespace
                .commandBusBuilder(serializer)
                .connectionName(namespace.prefix() + "-worker-commands")
                .build());
    RabbitEventBus events =
        namespace.track(
            namespace
                .eventBusBuilder(serializer)
                .connectionName(namespace.prefix() + "-worker-events")
                .build());
    Cqrs worker =
        Cqrs.builder()
            .types(types)
            .service("worker")
            .commandBus(commands)
            .eventBus(events)
            .relay(false)
            .interceptors(
                CqrsTracing.builder(workerSpans.sdk()).messagingSystem("rabbitmq").build())
            .build();
    closing.add(worker);
    Bank.handleDeposits(worker);
    worker.start();

    Command command =
        Command.create(new Deposit("acc-1", 50))
            .withMetadata(MetadataKey.TRACEPARENT.name(), ORIGIN);
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .contentType("application/json")
            .deliveryMode(2)
            .messageId(command.messageId())
            .correlationId(command.correlationId())
            .type(command.commandType())
            .headers(Map.of("traceparent", FORGED))
            .build();
    namespace.withChannel(
        channel -> {
          channel.basicPublish(
              namespace.prefix() + ".commands",
              command.commandType(),
              properties,
              serializer.serialize(command));
          return null;
        });

    SpanData handled = workerSpans.await("process Deposit");

    assertThat(handled.getTraceId()).isEqualTo(ORIGIN_TRACE);
    assertThat(handled.getParentSpanId()).isEqualTo(ORIGIN_SPAN);
  }
}
