package io.cqrs.example.bank.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.Cqrs;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;
import io.cqrs.testing.Await;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The Spring Boot bank against RabbitMQ and Couchbase (CouchbaseMock unless a cluster is given): an
 * HTTP instance that only sends commands and serves the read models, and a worker (a second
 * application context, no web server) that handles the commands. An account opened over HTTP goes
 * through the bus to the worker, its events into the store, and from the store's log into the read
 * model the HTTP instance serves. Actuator's health is UP, DOWN while the RabbitMQ connections are
 * closed by the broker (rabbitmqctl close_connection), and UP again once they recovered.
 */
@SpringBootTest(
    classes = BankSpringApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "bank.worker=false")
@ActiveProfiles("servers")
@DirtiesContext
class BankSpringIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Map<String, String> servers;
  private static RabbitNamespace rabbit;
  private static ConfigurableApplicationContext worker;

  private BankClient bank;

  @BeforeEach
  void client() {
    bank = new BankClient(port);
  }

  @Value("${local.server.port}")
  private int port;

  @Autowired private Cqrs cqrs;

  /** The settings both instances share: the servers and a namespace of their own. */
  private static synchronized Map<String, String> servers() {
    if (servers == null) {
      CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
      rabbit = RabbitTestBroker.get().newNamespace("bank-spring");
      var factory = rabbit.connectionFactory();
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("spring.couchbase.connection-string", couchbase.connectionString());
      settings.put("spring.couchbase.username", couchbase.username());
      settings.put("spring.couchbase.password", couchbase.password());
      settings.put("cqrs.store.couchbase.bucket", couchbase.bucketName());
      settings.put("cqrs.store.couchbase.key-prefix", couchbase.newKeyPrefix());
      settings.put("spring.rabbitmq.host", factory.getHost());
      settings.put("spring.rabbitmq.port", String.valueOf(factory.getPort()));
      settings.put("spring.rabbitmq.username", factory.getUsername());
      settings.put("spring.rabbitmq.password", factory.getPassword());
      settings.put("spring.rabbitmq.virtual-host", factory.getVirtualHost());
      // The connections are named after the service, so that the test closes only its own.
      settings.put("cqrs.service", rabbit.prefix());
      settings.put("cqrs.bus.rabbitmq.prefix", rabbit.prefix());
      // DOWN as soon as a connection is lost, and it stays lost long enough to be seen.
      settings.put("cqrs.bus.rabbitmq.unhealthy-after", "0s");
      settings.put("cqrs.bus.rabbitmq.recovery-interval", "10s");
      servers = settings;
    }
    return servers;
  }

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    servers().forEach((name, value) -> registry.add(name, () -> value));
  }

  @BeforeAll
  static void startWorker() {
    // As command-line arguments: default properties would lose to application-servers.properties.
    Map<String, String> settings = new LinkedHashMap<>(servers());
    settings.put("spring.profiles.active", "servers");
    settings.put("bank.worker", "true");
    worker =
        new SpringApplicationBuilder(BankSpringApplication.class)
            .web(WebApplicationType.NONE)
            .run(
                settings.entrySet().stream()
                    .map(setting -> "--" + setting.getKey() + "=" + setting.getValue())
                    .toArray(String[]::new));
  }

  @AfterAll
  static void stopWorker() {
    if (worker != null) {
      worker.close();
    }
    if (rabbit != null) {
      rabbit.deleteEverythingWithPrefix();
      rabbit.close();
    }
  }

  @Test
  void an_account_opened_over_http_is_handled_by_the_worker_and_shows_in_the_read_model()
      throws Exception {
    assertThat(cqrs.commands().commandTypes()).as("the HTTP instance handles no command").isEmpty();
    assertThat(worker.getBean(Cqrs.class).commands().commandTypes()).contains("OpenAccount");

    HttpResponse<String> opened =
        bank.post(
            "/accounts",
            "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"email\":\"ada@example.com\","
                + "\"password\":\"correct horse\",\"balance\":100.50}");
    assertThat(opened.statusCode()).isEqualTo(202);
    String id = JSON.readTree(opened.body()).get("id").asText();

    Await.until("the account in the read model", () -> bank.balance(id) != null);
    assertThat(bank.balance(id)).isEqualByComparingTo("100.50");

    assertThat(bank.post("/accounts/" + id + "/credits", "{\"amount\":9.50}").statusCode())
        .isEqualTo(202);
    Await.until(
        "the credit in the read model",
        () -> new BigDecimal("110.00").compareTo(bank.balance(id)) == 0);
  }

  @Test
  void actuator_health_is_down_while_the_rabbitmq_connections_are_closed_and_up_again_after()
      throws Exception {
    rabbit.requireAdmin();
    Await.until("health UP", () -> "UP".equals(health().path("status").asText()));
    JsonNode cqrsHealth = health().path("components").path("cqrs");
    assertThat(cqrsHealth.path("status").asText()).isEqualTo("UP");
    assertThat(cqrsHealth.path("components").path("commandBus").path("status").asText())
        .isEqualTo("UP");

    assertThat(rabbit.forceCloseConnections()).isPositive();

    Await.until(
        "cqrs health DOWN",
        () -> {
          JsonNode health = health();
          return "DOWN".equals(health.path("status").asText())
              && "DOWN".equals(health.path("components").path("cqrs").path("status").asText());
        });
    Await.until("health UP again", () -> "UP".equals(health().path("status").asText()));
  }

  private JsonNode health() {
    HttpResponse<String> response = bank.get("/actuator/health");
    assertThat(response.statusCode()).isIn(200, 503);
    return BankClient.json(response.body());
  }
}
