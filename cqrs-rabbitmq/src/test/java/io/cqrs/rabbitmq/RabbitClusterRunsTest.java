package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * What {@link RabbitCluster} leaves behind when a run dies, and what the next run removes. The
 * "nodes" here are shell processes with a node's {@code -home} argument: how the runs find their
 * nodes, without booting RabbitMQ.
 */
@EnabledOnOs(OS.LINUX)
class RabbitClusterRunsTest {
  private final List<Process> started = new ArrayList<>();
  private final List<Path> runs = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    started.forEach(Process::destroyForcibly);
    runs.forEach(
        run -> {
          if (Files.exists(run)) {
            RabbitClusterRuns.destroy(run);
          }
        });
  }

  @Test
  void a_node_whose_run_directory_is_gone_is_killed_by_the_next_run() throws IOException {
    Path gone = RabbitClusterRuns.ROOT.resolve("cqrsgone" + ProcessHandle.current().pid());
    assertThat(gone).doesNotExist();
    Process orphan = fakeNode(gone.resolve("home"));

    RabbitClusterRuns.removeStale();

    assertGone(orphan);
  }

  @Test
  void a_node_of_a_live_run_is_left_alone_and_one_of_a_dead_owner_is_killed() throws IOException {
    Path live = RabbitClusterRuns.create();
    runs.add(live);
    Process ours = fakeNode(live.resolve("home"));
    Path dead = RabbitClusterRuns.create();
    runs.add(dead);
    // An owner that cannot be alive: pid 1 did not start at the epoch.
    Files.writeString(dead.resolve("owner"), "1 0");
    Process stale = fakeNode(dead.resolve("home"));
    // A -home outside the runs' root is never touched.
    Process stranger = fakeNode(Files.createTempDirectory("cqrs-not-a-run"));

    RabbitClusterRuns.removeStale();

    assertGone(stale);
    assertThat(dead).doesNotExist();
    assertThat(ours.isAlive()).as("the live run's node").isTrue();
    assertThat(live).exists();
    assertThat(stranger.isAlive()).as("a process outside the runs").isTrue();
  }

  @Test
  void a_port_is_never_handed_out_twice_in_a_jvm() {
    // 150 picks of 12 ports from 12,000: drawn independently, about 135 would repeat a port.
    Set<Integer> seen = new HashSet<>();
    List<Integer> repeated = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      int[] node = RabbitClusterPorts.pick(1).get(0);
      List<Integer> ports = new ArrayList<>(List.of(node[0], node[1]));
      for (int cli = 0; cli < 10; cli++) {
        ports.add(node[2] + cli);
      }
      for (int port : ports) {
        if (!seen.add(port)) {
          repeated.add(port);
        }
      }
    }
    assertThat(repeated).isEmpty();
  }

  /** A process with {@code -home home} among its arguments, alive until killed. */
  private Process fakeNode(Path home) throws IOException {
    // The shell waits on its standard input, a pipe this JVM holds: no child of its own that
    // killing the shell would leave behind.
    Process process =
        new ProcessBuilder("sh", "-c", "read line", "beam", "-home", home.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    started.add(process);
    // Until the shell runs, the child's command line is the launcher's.
    Await.until(
        "process " + process.pid() + " runs with -home " + home,
        () -> home.toString().equals(OsProcesses.argumentAfter("-home").get(process.pid())));
    return process;
  }

  private static void assertGone(Process process) {
    OsProcesses.awaitGone(List.of(process.pid()), Duration.ofSeconds(10));
    assertThat(OsProcesses.isAlive(process.pid())).isFalse();
  }
}
