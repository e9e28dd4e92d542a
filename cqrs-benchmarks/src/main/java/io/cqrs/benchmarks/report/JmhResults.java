package io.cqrs.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The results of one JMH run, read from the file {@code -rf json -rff FILE} writes, with the JVM
 * that ran them.
 *
 * @param results one per benchmark and parameter combination, in the file's order
 * @param jvm the JDK version, VM name and VM version of the forks
 * @param settings the JMH version, then each benchmark class's forks, warm-up and measurement
 */
public record JmhResults(List<Result> results, String jvm, String settings) {

  public JmhResults {
    results = List.copyOf(results);
  }

  /** Reads a JMH JSON result file. */
  public static JmhResults read(Path file) throws IOException {
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    if (root == null || !root.isArray() || root.isEmpty()) {
      throw new IOException(file + " holds no JMH results (expected a non-empty JSON array)");
    }
    List<Result> results = new ArrayList<>();
    for (JsonNode node : root) {
      results.add(result(node));
    }
    JsonNode first = root.get(0);
    String jvm =
        "JDK "
            + first.path("jdkVersion").asText()
            + " ("
            + first.path("vmName").asText()
            + ", "
            + first.path("vmVersion").asText()
            + ")";
    Map<String, String> settings = new LinkedHashMap<>();
    for (JsonNode node : root) {
      settings.putIfAbsent(benchmarkClass(node.path("benchmark").asText()), settings(node));
    }
    String described =
        "JMH "
            + first.path("jmhVersion").asText()
            + "; "
            + settings.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("; "));
    return new JmhResults(results, jvm, described);
  }

  private static String settings(JsonNode node) {
    return String.format(
        "%d fork(s), %d warm-up iteration(s) of %s, %d measured iteration(s) of %s",
        node.path("forks").asInt(),
        node.path("warmupIterations").asInt(),
        node.path("warmupTime").asText(),
        node.path("measurementIterations").asInt(),
        node.path("measurementTime").asText());
  }

  private static String benchmarkClass(String name) {
    int method = name.lastIndexOf('.');
    return name.substring(name.lastIndexOf('.', method - 1) + 1, method);
  }

  private static Result result(JsonNode node) {
    String name = node.path("benchmark").asText();
    int method = name.lastIndexOf('.');
    int type = name.lastIndexOf('.', method - 1);
    Map<String, String> params = new LinkedHashMap<>();
    node.path("params")
        .fields()
        .forEachRemaining(e -> params.put(e.getKey(), e.getValue().asText()));
    JsonNode primary = node.path("primaryMetric");
    JsonNode allocation = node.path("secondaryMetrics").path("gc.alloc.rate.norm");
    Map<String, Counter> events = new LinkedHashMap<>();
    node.path("secondaryMetrics")
        .fields()
        .forEachRemaining(
            e -> {
              if ("#".equals(e.getValue().path("scoreUnit").asText())) {
                events.put(e.getKey(), counter(e.getValue()));
              }
            });
    return new Result(
        name.substring(type + 1, method),
        name.substring(method + 1),
        params,
        number(primary.path("score")),
        number(primary.path("scoreError")),
        primary.path("scoreUnit").asText(),
        allocation.isMissingNode() ? Double.NaN : number(allocation.path("score")),
        events);
  }

  /** An event counter: its score (the total), and its raw data (one array per fork). */
  private static Counter counter(JsonNode metric) {
    List<Double> iterations = new ArrayList<>();
    for (JsonNode fork : metric.path("rawData")) {
      for (JsonNode iteration : fork) {
        iterations.add(number(iteration));
      }
    }
    return new Counter(number(metric.path("score")), iterations);
  }

  /** JMH writes NaN as the string "NaN". */
  private static double number(JsonNode node) {
    if (node.isNumber()) {
      return node.doubleValue();
    }
    return node.isTextual() ? Double.parseDouble(node.asText()) : Double.NaN;
  }

  /** The result of a variant with given parameters, if it was run. */
  public java.util.Optional<Result> find(
      String benchmark, String variant, Map<String, String> params) {
    return results.stream().filter(r -> r.is(benchmark, variant, params)).findFirst();
  }
}
