package io.cqrs.example.bank;

import io.cqrs.micrometer.CqrsMetrics;
import io.cqrs.opentelemetry.CqrsTracing;
import io.cqrs.rabbitmq.RabbitCommandBus;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The bank's metrics and traces. Metrics always: a Prometheus registry that {@code GET /metrics}
 * shows, fed by cqrs's metrics interceptor ({@link CqrsMetrics}) and the JVM's binders. Traces only
 * when the standard OpenTelemetry variables ask for them ({@code OTEL_TRACES_EXPORTER} other than
 * {@code none}, or an {@code OTEL_EXPORTER_OTLP_ENDPOINT}), through the SDK's autoconfiguration,
 * which reads every other {@code OTEL_*} variable as usual; the service name defaults to {@code
 * example-bank}, and the SDK exports no metrics or logs of its own (Prometheus has the metrics).
 */
final class BankTelemetry implements AutoCloseable {
  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;
  private final OpenTelemetrySdk openTelemetry; // null: no tracing
  private final CqrsMetrics metrics;
  private final List<Object> interceptors = new ArrayList<>();

  private BankTelemetry(Map<String, String> environment) {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    this.gc = new JvmGcMetrics();
    gc.bindTo(registry);
    this.openTelemetry = tracingAsked(environment) ? autoConfigured(environment) : null;
    // Tracing outside metrics: a handler's span covers what the metrics record too.
    if (openTelemetry != null) {
      interceptors.add(CqrsTracing.of(openTelemetry));
    }
    this.metrics = CqrsMetrics.of(registry);
    interceptors.add(metrics);
  }

  /**
   * Adds the gauges of what {@code bank} runs: its processors' lag, the relay's, the aggregate
   * cache's size and, on RabbitMQ, the depth of the dead-letter queues of its command service and
   * its journal's subscription. After the bank is built, when its processors are registered.
   */
  void bind(Bank bank) {
    metrics.bind(bank.cqrs());
    if (bank.infrastructure().commandBus() instanceof RabbitCommandBus commands) {
      metrics.bindCommandDeadLetters(Bank.COMMAND_SERVICE, commands::deadLetterCount);
    }
    if (bank.infrastructure().eventBus() instanceof RabbitEventBus events) {
      metrics.bindEventDeadLetters(bank.journalSubscription(), events::deadLetterCount);
    }
  }

  /** Metrics, and traces where {@code environment} (the process's variables) asks for them. */
  static BankTelemetry create(Map<String, String> environment) {
    return new BankTelemetry(Objects.requireNonNull(environment, "environment"));
  }

  /** The interceptors to run in every part of the bank, outermost first. */
  List<Object> interceptors() {
    return List.copyOf(interceptors);
  }

  /** The registry the metrics are in. */
  PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Every metric in the Prometheus text format. */
  String scrape() {
    return registry.scrape();
  }

  /** Whether spans are exported. */
  boolean tracing() {
    return openTelemetry != null;
  }

  /**
   * Whether the variables ask for traces: an exporter other than {@code none}, or an OTLP endpoint,
   * and the SDK not disabled. Checked here because the SDK's own default, an OTLP exporter to
   * localhost, would make every run without a collector log export failures.
   */
  static boolean tracingAsked(Map<String, String> environment) {
    if ("true".equalsIgnoreCase(setting(environment, "OTEL_SDK_DISABLED"))) {
      return false;
    }
    String exporter = setting(environment, "OTEL_TRACES_EXPORTER");
    if (exporter != null) {
      return !exporter.isBlank() && !exporter.trim().equalsIgnoreCase("none");
    }
    return setting(environment, "OTEL_EXPORTER_OTLP_ENDPOINT") != null
        || setting(environment, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != null;
  }

  /** A variable, or the system property of the same setting ({@code otel.traces.exporter}). */
  private static String setting(Map<String, String> environment, String variable) {
    String value = environment.get(variable);
    return value != null ? value : System.getProperty(property(variable));
  }

  private static String property(String variable) {
    return variable.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  /**
   * The SDK as the variables configure it. The variables handed in are given to the SDK as defaults
   * too (the process's own variables and system properties still win), so that a caller that passes
   * its own environment, as the tests do, configures it.
   */
  private static OpenTelemetrySdk autoConfigured(Map<String, String> environment) {
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.service.name", "example-bank");
    defaults.put("otel.metrics.exporter", "none");
    defaults.put("otel.logs.exporter", "none");
    environment.forEach(
        (name, value) -> {
          if (name.startsWith("OTEL_")) {
            defaults.put(property(name), value);
          }
        });
    return AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> defaults)
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
  }

  /** Exports the spans still buffered, then stops the SDK and the JVM binders. */
  @Override
  public void close() {
    if (openTelemetry != null) {
      openTelemetry.close();
    }
    gc.close();
    registry.close();
  }
}
