package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.Command;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.http.ApiUsers;
import io.cqrs.example.bank.http.BankHttpServer;
import io.cqrs.opentelemetry.CqrsTracing;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GET /metrics after a known scenario: each command counter holds what the scenario did. */
class BankMetricsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private final HttpClient client = HttpClient.newHttpClient();

  @Test
  void metrics_over_http_count_the_commands_of_a_scenario_by_type_component_and_outcome()
      throws Exception {
    try (BankTelemetry telemetry = BankTelemetry.create(Map.of());
        BankInfrastructure infrastructure = BankInfrastructure.inMemory()) {
      Bank bank =
          Bank.builder(infrastructure)
              .passwords(new PasswordHasher(1_000))
              .interceptors(telemetry.interceptors())
              .build();
      telemetry.bind(bank);
      try (bank;
          BankHttpServer server =
              BankHttpServer.start(
                  bank.start(),
                  BankHttpServer.Settings.of("127.0.0.1", 0, ApiUsers.none())
                      .withMetrics(telemetry::scrape))) {
        BankService service = bank.service();
        String ada =
            service.openAccount("Ada", "L", "ada@cqrs.example", "$password", BigDecimal.TEN);
        String bob =
            service.openAccount("Bob", "B", "bob@cqrs.example", "$password", BigDecimal.ONE);
        for (int i = 0; i < 3; i++) {
          service.credit(ada, BigDecimal.ONE);
        }
        assertThatThrownBy(() -> service.debit(bob, new BigDecimal("100")))
            .hasMessageContaining("Insufficient funds");
        Command sent = service.send(new CreditAccount(bob, BigDecimal.ONE));
        service.awaitOutcome(sent, TIMEOUT);
        bank.awaitReadModels(List.of(ada, bob), List.of(), TIMEOUT);

        HttpResponse<String> response = get(server.uri().resolve("metrics"));
        String text = response.body();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type"))
            .contains(BankHttpServer.METRICS_CONTENT_TYPE);
        assertThat(
                PrometheusText.sum(
                    text,
                    "cqrs_commands_handled_seconds_count",
                    Map.of(
                        "command", "OpenAccount", "component", "direct", "outcome", "succeeded")))
            .isEqualTo(2);
        assertThat(
                PrometheusText.sum(
                    text,
                    "cqrs_commands_handled_seconds_count",
                    Map.of(
                        "command", "CreditAccount", "component", "direct", "outcome", "succeeded")))
            .isEqualTo(3);
        assertThat(
                PrometheusText.sum(
                    text,
                    "cqrs_commands_handled_seconds_count",
                    Map.of(
                        "command", "DebitAccount", "component", "direct", "outcome", "rejected")))
            .isEqualTo(1);
        assertThat(
                PrometheusText.sum(
                    text,
                    "cqrs_commands_handled_seconds_count",
                    Map.of(
                        "command", "CreditAccount", "component", "bank", "outcome", "succeeded")))
            .isEqualTo(1);
        assertThat(
                PrometheusText.sum(
                    text,
                    "cqrs_commands_dispatched_seconds_count",
                    Map.of("command", "CreditAccount", "outcome", "succeeded")))
            .isEqualTo(1);
        assertThat(text).contains("cqrs_processor_lag{").contains("jvm_memory_used_bytes");
        assertThat(telemetry.tracing()).isFalse();
        assertThat(telemetry.interceptors()).noneMatch(CqrsTracing.class::isInstance);
      }
    }
  }

  @Test
  void tracing_is_on_only_when_the_opentelemetry_variables_ask_for_it() {
    assertThat(BankTelemetry.tracingAsked(Map.of())).isFalse();
    assertThat(BankTelemetry.tracingAsked(Map.of("OTEL_SERVICE_NAME", "bank"))).isFalse();
    assertThat(BankTelemetry.tracingAsked(Map.of("OTEL_TRACES_EXPORTER", "none"))).isFalse();
    assertThat(BankTelemetry.tracingAsked(Map.of("OTEL_TRACES_EXPORTER", "logging"))).isTrue();
    assertThat(BankTelemetry.tracingAsked(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")))
        .isTrue();
    assertThat(
            BankTelemetry.tracingAsked(
                Map.of("OTEL_TRACES_EXPORTER", "otlp", "OTEL_SDK_DISABLED", "true")))
        .isFalse();

    try (BankTelemetry telemetry =
        BankTelemetry.create(Map.of("OTEL_TRACES_EXPORTER", "logging"))) {
      assertThat(telemetry.tracing()).isTrue();
      assertThat(telemetry.interceptors()).first().isInstanceOf(CqrsTracing.class);
    }
  }

  @Test
  void a_workers_operations_endpoints_answer_metrics_health_and_readiness_only() throws Exception {
    try (BankInfrastructure infrastructure = BankInfrastructure.inMemory();
        Bank bank = Bank.builder(infrastructure).passwords(new PasswordHasher(1_000)).build();
        BankHttpServer endpoint =
            BankHttpServer.startOperations(bank, "127.0.0.1", 0, () -> "up 1\n")) {
      assertThat(get(endpoint.uri().resolve("metrics")).body()).isEqualTo("up 1\n");
      // Not started: nothing consumes yet, so it is alive but not ready.
      assertThat(get(endpoint.uri().resolve("health")).statusCode()).isEqualTo(200);
      assertThat(get(endpoint.uri().resolve("ready")).statusCode()).isEqualTo(503);
      bank.start();
      // The report is remade at most once a second: it turns ready within that.
      org.awaitility.Awaitility.await()
          .atMost(TIMEOUT)
          .until(() -> get(endpoint.uri().resolve("ready")).statusCode() == 200);
      HttpResponse<String> post =
          client.send(
              HttpRequest.newBuilder(endpoint.uri().resolve("metrics"))
                  .POST(HttpRequest.BodyPublishers.ofString("x"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(get(endpoint.uri().resolve("accounts")).statusCode()).isEqualTo(404);
    }
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return client.send(
        HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
