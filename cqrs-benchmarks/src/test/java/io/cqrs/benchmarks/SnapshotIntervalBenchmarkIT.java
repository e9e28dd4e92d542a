package io.cqrs.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SnapshotIntervalBenchmark} measures the steady state only if each invocation runs exactly
 * one interval, from just after a snapshot to the next: run outside JMH, two invocations must end
 * on the next two multiples of the interval, with a snapshot at each and every command counted.
 */
class SnapshotIntervalBenchmarkIT {

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void each_invocation_is_one_whole_interval_ending_in_a_snapshot(boolean cache) throws Exception {
    SnapshotIntervalBenchmark.Server server = new SnapshotIntervalBenchmark.Server();
    server.interval = 10;
    server.cache = cache;
    server.start();
    try {
      SnapshotIntervalBenchmark benchmark = new SnapshotIntervalBenchmark();
      SnapshotIntervalBenchmark.Commands commands = new SnapshotIntervalBenchmark.Commands();
      commands.reset();

      assertThat(benchmark.cycle(server, commands)).isEqualTo(20);
      assertThat(server.snapshotVersion()).isEqualTo(20);
      assertThat(benchmark.cycle(server, commands)).isEqualTo(30);
      assertThat(server.snapshotVersion()).isEqualTo(30);
      assertThat(commands.commands).isEqualTo(20);
    } finally {
      server.stop();
    }
  }
}
