package io.cqrs.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.testing.Await;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@link ObservabilityBenchmark}'s {@code tracedByHand} is the baseline of {@code tracingOnly} only
 * if it makes the same trace: per command the same six spans, of the same kinds, each under the
 * same parent, in one trace from the sender to the event's handler.
 */
class ObservabilityVariantsTest {

  /** A span's name and kind, and its parent's name ("root" for none), within its trace. */
  record Shape(String name, String kind, String parent) {}

  @Test
  void tracing_by_hand_makes_the_trace_that_the_interceptor_makes() throws Exception {
    Map<String, Set<String>> interceptorKeys = new java.util.HashMap<>();
    Map<String, Set<String>> handKeys = new java.util.HashMap<>();
    Set<Set<Shape>> byInterceptor = traces(false, interceptorKeys);
    Set<Set<Shape>> byHand = traces(true, handKeys);

    Set<Shape> expected =
        Set.of(
            new Shape("publish Deposit", "PRODUCER", "root"),
            new Shape("process Deposit", "CONSUMER", "publish Deposit"),
            new Shape("load BenchAccount", "INTERNAL", "process Deposit"),
            new Shape("save BenchAccount", "INTERNAL", "process Deposit"),
            new Shape("publish MoneyDeposited", "PRODUCER", "save BenchAccount"),
            new Shape("process MoneyDeposited", "CONSUMER", "publish MoneyDeposited"));
    assertThat(byInterceptor).containsExactly(expected);
    assertThat(byHand).containsExactly(expected);
    // The same attributes, but for what only the framework knows of a load.
    Set<String> loadKeys = new java.util.HashSet<>(handKeys.get("load BenchAccount"));
    loadKeys.addAll(Set.of("cqrs.aggregate.cached", "cqrs.aggregate.events"));
    handKeys.put("load BenchAccount", loadKeys);
    assertThat(handKeys).isEqualTo(interceptorKeys);
  }

  /**
   * {@code meteredByHand} is the baseline of {@code metricsOnly} only if it records the same
   * meters: the same names and tags, each as often, but for the events' publication, which a
   * program without interceptors cannot time.
   */
  @Test
  void metering_by_hand_records_the_meters_that_the_interceptor_records() throws Exception {
    Map<String, Long> byInterceptor = meters(new ObservabilityBenchmark.Metrics(), false);
    Map<String, Long> byHand = meters(new ObservabilityBenchmark.MetersByHand(), true);

    byInterceptor.keySet().removeIf(id -> id.startsWith("cqrs.events.published"));
    assertThat(byHand).isEqualTo(byInterceptor);
    assertThat(byHand)
        .containsEntry(
            "cqrs.commands.handled[tag(command=Deposit), tag(component=app), tag(outcome=succeeded)]",
            (long) ObservabilityBenchmark.COMMANDS);
  }

  /** The meters one invocation recorded into, as {@code name[tags]}, with their counts. */
  private static Map<String, Long> meters(ObservabilityBenchmark.App app, boolean byHand)
      throws Exception {
    ObservabilityBenchmark benchmark = new ObservabilityBenchmark();
    app.start();
    try {
      Map<String, Long> before = counts(app); // the accounts' openings
      app.expect();
      if (byHand) {
        benchmark.meteredByHand((ObservabilityBenchmark.MetersByHand) app);
      } else {
        benchmark.metricsOnly((ObservabilityBenchmark.Metrics) app);
      }
      // The event handler's timer records just after it counted the deposit down.
      String handled =
          "cqrs.events.handled[tag(component=deposits), tag(event=MoneyDeposited),"
              + " tag(outcome=succeeded)]";
      Await.until(
          () -> "event handlings timed: " + counts(app).get(handled),
          () -> counts(app).getOrDefault(handled, 0L) == ObservabilityBenchmark.COMMANDS);
      Map<String, Long> recorded = new java.util.TreeMap<>();
      counts(app)
          .forEach(
              (id, count) -> {
                long added = count - before.getOrDefault(id, 0L);
                if (added > 0) {
                  recorded.put(id, added);
                }
              });
      return recorded;
    } finally {
      app.stop();
    }
  }

  /** Every timer's and counter's count in the app's registry, by {@code name[tags]}. */
  private static Map<String, Long> counts(ObservabilityBenchmark.App app) {
    Map<String, Long> counts = new java.util.TreeMap<>();
    for (io.micrometer.core.instrument.Meter meter : app.registry().getMeters()) {
      if (meter instanceof io.micrometer.core.instrument.Timer timer) {
        counts.put(meter.getId().getName() + meter.getId().getTags(), timer.count());
      } else if (meter instanceof io.micrometer.core.instrument.Counter counter) {
        counts.put(meter.getId().getName() + meter.getId().getTags(), (long) counter.count());
      }
    }
    return counts;
  }

  /**
   * Runs one invocation (a command to each account) of the variant with its spans collected, and
   * returns the distinct shapes of the traces the commands started.
   */
  private static Set<Set<Shape>> traces(boolean byHand, Map<String, Set<String>> keysByName)
      throws Exception {
    Collecting exporter = new Collecting();
    ObservabilityBenchmark.App collected =
        byHand
            ? new ObservabilityBenchmark.ByHand() {
              @Override
              SpanProcessor spanProcessor() {
                return SimpleSpanProcessor.create(exporter);
              }
            }
            : new ObservabilityBenchmark.Tracing() {
              @Override
              SpanProcessor spanProcessor() {
                return SimpleSpanProcessor.create(exporter);
              }
            };
    ObservabilityBenchmark benchmark = new ObservabilityBenchmark();
    collected.start();
    try {
      collected.expect();
      if (byHand) {
        benchmark.tracedByHand((ObservabilityBenchmark.ByHand) collected);
      } else {
        benchmark.tracingOnly((ObservabilityBenchmark.Tracing) collected);
      }
      // The last spans end on the handlers' threads, just after the deposits were counted.
      int expected = 6 * ObservabilityBenchmark.COMMANDS;
      Await.until(
          () -> exporter.ofCommands() + " of " + expected + " spans of the commands ended",
          () -> exporter.ofCommands() >= expected);
    } finally {
      collected.stop(); // ends and exports what is still open
    }
    // The accounts' openings, before the commands, made traces of their own, some ended late.
    Map<String, List<SpanData>> byTrace =
        exporter.spans.stream().collect(Collectors.groupingBy(SpanData::getTraceId));
    List<List<SpanData>> commands =
        byTrace.values().stream()
            .filter(trace -> trace.stream().anyMatch(s -> s.getName().equals("publish Deposit")))
            .toList();
    assertThat(commands).hasSize(ObservabilityBenchmark.COMMANDS);
    Set<Set<Shape>> shapes = new java.util.HashSet<>();
    for (List<SpanData> trace : commands) {
      Map<String, SpanData> byId =
          trace.stream().collect(Collectors.toMap(SpanData::getSpanId, Function.identity()));
      List<Shape> shape = new ArrayList<>();
      for (SpanData span : trace) {
        Set<String> keys =
            span.getAttributes().asMap().keySet().stream()
                .map(io.opentelemetry.api.common.AttributeKey::getKey)
                .collect(Collectors.toSet());
        Set<String> before = keysByName.putIfAbsent(span.getName(), keys);
        assertThat(before == null ? keys : before)
            .as("every %s span has the same attributes", span.getName())
            .isEqualTo(keys);
        SpanData parent = byId.get(span.getParentSpanId());
        shape.add(
            new Shape(
                span.getName(), span.getKind().name(), parent == null ? "root" : parent.getName()));
      }
      assertThat(shape).as("no span twice in a trace").doesNotHaveDuplicates();
      shapes.add(Set.copyOf(shape));
    }
    return shapes;
  }

  /** Keeps every span exported. */
  static final class Collecting extends ObservabilityBenchmark.DroppingExporter {
    final Collection<SpanData> spans = new ConcurrentLinkedQueue<>();

    /** The spans in the traces of the commands: those with a {@code publish Deposit} span. */
    long ofCommands() {
      Set<String> traces =
          spans.stream()
              .filter(span -> span.getName().equals("publish Deposit"))
              .map(SpanData::getTraceId)
              .collect(Collectors.toSet());
      return spans.stream().filter(span -> traces.contains(span.getTraceId())).count();
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
      spans.addAll(batch);
      return CompletableResultCode.ofSuccess();
    }
  }
}
