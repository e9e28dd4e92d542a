package io.cqrs.opentelemetry;

import io.cqrs.testing.Await;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * One OpenTelemetry SDK of a test (one per simulated process): W3C propagation and every finished
 * span kept in memory, exported as it ends.
 */
final class RecordedSpans implements AutoCloseable {
  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final SdkTracerProvider provider =
      SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
  private final OpenTelemetrySdk sdk =
      OpenTelemetrySdk.builder()
          .setTracerProvider(provider)
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
          .build();

  OpenTelemetrySdk sdk() {
    return sdk;
  }

  List<SpanData> all() {
    return exporter.getFinishedSpanItems();
  }

  /** The first finished span called {@code name}, waited for. */
  SpanData await(String name) {
    return await(name, span -> true);
  }

  /** The first finished span called {@code name} that {@code matching} accepts, waited for. */
  SpanData await(String name, Predicate<SpanData> matching) {
    Await.until(
        Duration.ofSeconds(30),
        () -> "a span '" + name + "' among " + names(),
        () -> find(name, matching) != null);
    return find(name, matching);
  }

  /** Every finished span called {@code name}. */
  List<SpanData> named(String name) {
    return all().stream().filter(span -> span.getName().equals(name)).toList();
  }

  private SpanData find(String name, Predicate<SpanData> matching) {
    return all().stream()
        .filter(span -> span.getName().equals(name) && matching.test(span))
        .findFirst()
        .orElse(null);
  }

  private List<String> names() {
    return all().stream().map(SpanData::getName).toList();
  }

  /** The W3C {@code traceparent} that names {@code span} as the parent. */
  static String traceparent(SpanData span) {
    return "00-"
        + span.getTraceId()
        + "-"
        + span.getSpanId()
        + "-"
        + span.getSpanContext().getTraceFlags().asHex();
  }

  @Override
  public void close() {
    provider.close();
  }
}
