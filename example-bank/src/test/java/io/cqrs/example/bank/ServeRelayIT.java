package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSerializer;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.OwnThread;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A deployment of {@code serve} processes only, no worker: a writer that dies between its commit
 * and its publish must still have its events published, by the relay {@code serve} runs.
 */
class ServeRelayIT {
  private static final Duration SETTLE = Duration.ofSeconds(90);

  private RabbitNamespace rabbit;

  @AfterEach
  void deleteWhatTheTestDeclared() {
    if (rabbit != null) {
      rabbit.deleteEverythingWithPrefix();
      rabbit.close();
    }
  }

  @Test
  void a_serve_process_publishes_the_commit_of_a_writer_that_died_before_publishing()
      throws Exception {
    Map<String, String> servers = BankServers.environment();
    rabbit = RabbitTestBroker.get().newNamespace("serve-relay");
    String prefix = rabbit.prefix();
    String account = UUID.randomUUID().toString();
    List<VersionedEvent> published = new CopyOnWriteArrayList<>();
    RabbitEventBus bus = rabbit.eventBus(new EventSerializer(BankTypes.registry()));
    bus.subscribe("watch", 1, published::add);

    try (BankProcess writer = BankProcess.start(CommitThenDie.class, servers, prefix, account)) {
      assertThat(writer.awaitExit(SETTLE)).as(writer.describe()).isEqualTo(CommitThenDie.KILLED);
    }
    try (BankInfrastructure infrastructure =
        BankInfrastructure.create(
            InfrastructureOptions.fromEnvironment(
                InfrastructureOptions.Store.COUCHBASE,
                InfrastructureOptions.Bus.MEMORY,
                prefix,
                servers))) {
      assertThat(infrastructure.store().readLog(1, 100))
          .as("the commit, not published")
          .hasSize(1)
          .noneMatch(LoggedEvent::published);

      CountDownLatch stop = new CountDownLatch(1);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      CompletableFuture<Integer> serve =
          OwnThread.supplyAsync(
              () ->
                  BankApplication.run(
                      new String[] {
                        "serve",
                        "--store",
                        "couchbase",
                        "--bus",
                        "rabbitmq",
                        "--prefix",
                        prefix,
                        "--port",
                        "0"
                      },
                      servers,
                      new PrintStream(out, true, StandardCharsets.UTF_8),
                      new PrintStream(err, true, StandardCharsets.UTF_8),
                      stop));
      try {
        Await.await("the serve process's relay to publish the dead writer's commit")
            .atMost(SETTLE)
            .pollInterval(Duration.ofMillis(100))
            .until(() -> published.stream().anyMatch(event -> event.sourceId().equals(account)));
        Await.await("the commit to be marked published")
            .atMost(SETTLE)
            .pollInterval(Duration.ofMillis(100))
            .until(
                () ->
                    infrastructure.store().readLog(1, 100).stream()
                        .allMatch(LoggedEvent::published));
      } finally {
        stop.countDown();
      }
      assertThat(serve.get(60, TimeUnit.SECONDS)).as(err.toString(StandardCharsets.UTF_8)).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8)).contains("Bank API listening on");
    }
  }
}
