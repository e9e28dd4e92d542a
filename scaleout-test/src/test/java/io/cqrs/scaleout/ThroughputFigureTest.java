package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.rabbitmq.QueueType;
import io.cqrs.scaleout.Outcomes.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A throughput run's figure counts the publishers' commands over the seconds from their first to
 * quiescence, and neither the warm-up nor the openings, which the report and the JSON give beside
 * it.
 */
class ThroughputFigureTest {
  private static final RunConfig BASE =
      new RunConfig(
          "base",
          1,
          3,
          100,
          8,
          15,
          10,
          QueueType.CLASSIC,
          false,
          false,
          false,
          false,
          false,
          0,
          0,
          Duration.ofSeconds(60),
          1L);

  @Test
  void the_figure_counts_the_measured_commands_only() {
    // 8 openings and 600 warm-up commands decided too, 300 measured in 2.5 s; the warm-up took 4 s.
    RunResult run = run(BASE.throughputRun(1, 100, 600), 600, Duration.ofSeconds(4), 300);

    assertThat(run.commandsPerSecond()).isCloseTo(120.0, within(1e-9));
    assertThat(run.warmupCommandsPerSecond()).isCloseTo(150.0, within(1e-9));
    RunResult cold = run(BASE.throughputRun(1, 100, 0), 0, Duration.ZERO, 300);
    assertThat(cold.commandsPerSecond()).isCloseTo(120.0, within(1e-9));
    assertThat(cold.warmupCommandsPerSecond()).isZero();
  }

  @Test
  void the_report_and_the_json_give_the_warm_up_beside_the_figure(@TempDir Path dir)
      throws Exception {
    RunResult warm = run(BASE.throughputRun(1, 100, 600), 600, Duration.ofSeconds(4), 300);
    RunResult cold = run(BASE.throughputRun(2, 100, 0), 0, Duration.ZERO, 300);

    String report = Report.markdown(null, List.of(warm, cold), "servers");
    assertThat(report).contains("| 1 | 600 in 4.0 s, 150/s | 908 |").contains("| 2 | none | 308 |");
    Path json = dir.resolve("throughput.json");
    Report.writeThroughput(json, List.of(warm, cold));
    JsonNode rows = new ObjectMapper().readTree(json.toFile());
    assertThat(rows.get(0).get("commandsPerSecond").asDouble()).isEqualTo(120.0);
    assertThat(rows.get(0).get("measuredCommands").asLong()).isEqualTo(300);
    assertThat(rows.get(0).get("seconds").asDouble()).isEqualTo(2.5);
    assertThat(rows.get(0).get("warmupCommands").asLong()).isEqualTo(600);
    assertThat(rows.get(0).get("warmupCommandsPerSecond").asDouble()).isEqualTo(150.0);
    assertThat(rows.get(1).get("workers").asInt()).isEqualTo(2);
    assertThat(rows.get(1).get("warmupCommands").asLong()).isZero();
  }

  @Test
  void a_negative_warm_up_is_refused() {
    assertThatThrownBy(() -> BASE.throughputRun(1, 100, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("warmupCommands");
  }

  /**
   * A run of {@code measured} publishers' commands over 2.5 s (first sent at 1 s, settled at 3.5
   * s), after {@code warmup} warm-up commands and the 8 openings, all accepted.
   */
  private static RunResult run(RunConfig config, int warmup, Duration took, long measured) {
    long sent = 8 + warmup + measured;
    return new RunResult(
        config,
        "so1",
        "broker",
        List.of(),
        sent,
        0,
        Map.of(Outcome.ACCEPTED, sent),
        Map.of(),
        warmup,
        took,
        measured,
        Duration.ofMillis(1_000),
        Duration.ofMillis(2_000),
        Duration.ofMillis(3_500),
        0,
        0,
        0,
        List.of(),
        List.of(),
        List.of(),
        "1.0, 1.0, 1.0",
        List.of(),
        null,
        Timeline.empty());
  }
}
