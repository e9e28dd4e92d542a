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
