package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.couchbase.client.core.error.UnambiguousTimeoutException;
import com.couchbase.client.java.Cluster;
import io.cqrs.NonTransientCqrsException;
import io.cqrs.TransientCqrsException;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A store that connects itself to a bucket it cannot open says why: the server's answer, which the
 * SDK keeps inside its timeout's context, and not a retryable "timed out".
 */
class CouchbaseOpenBucketIT {
  private final CouchbaseTestServer server = CouchbaseTestServer.shared();

  private CouchbaseEventStreamRepository.Builder builder(String password, String bucket) {
    return CouchbaseEventStreamRepository.builder(
            server.connectionString(), TestEvents.serializer())
        .credentials(server.username(), password)
        .bucket(bucket)
        .connectTimeout(Duration.ofSeconds(3));
  }

  @Test
  void a_bucket_that_does_not_exist_fails_for_good_with_the_servers_answer() {
    assertThatThrownBy(() -> builder(server.password(), "nosuchbucket").build())
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageStartingWith("Couchbase bucket 'nosuchbucket' at '" + server.connectionString())
        .hasMessageContaining("was not ready within PT3S for user '" + server.username() + "'")
        .hasMessageContaining("the server answered: ")
        .hasMessageContaining("\"nosuchbucket\" is not present")
        .hasMessageContaining("Check the bucket's name, the user's password and its roles")
        .hasCauseInstanceOf(UnambiguousTimeoutException.class);
  }

  /**
   * A refusal the server keeps giving ends the wait long before a generous timeout: the failure
   * says how long it waited and why. (Without the early end, the build waits out the timeout.)
   */
  @Test
  @Timeout(value = 40, unit = TimeUnit.SECONDS)
  void a_bucket_the_server_keeps_refusing_fails_without_waiting_out_the_timeout() {
    assertThatThrownBy(
            () ->
                builder(server.password(), "nosuchbucket")
                    .connectTimeout(Duration.ofSeconds(45))
                    .build())
        .isInstanceOf(NonTransientCqrsException.class)
        .hasMessageContaining(
            "(of PT45S allowed: the server kept refusing it for "
                + ConnectedCluster.refusedFor(Duration.ofSeconds(45)).toSeconds()
                + " s) for user '"
                + server.username()
                + "'")
        .hasMessageContaining("\"nosuchbucket\" is not present");
  }

  @Test
  void a_bucket_of_the_applications_own_cluster_fails_the_same_way() {
    // A connection of its own: a bucket that never opens leaves the cluster's later waits
    // reporting it, so the shared connection must not see it.
    Cluster own = server.connect(env -> {});
    try {
      assertThat(
              CouchbaseEventStreamRepository.awaitReady(
                      own.bucket(server.bucketName()), Duration.ofSeconds(30))
                  .name())
          .isEqualTo(server.bucketName());
      assertThatThrownBy(
              () ->
                  CouchbaseEventStreamRepository.awaitReady(
                      own.bucket("nosuchbucket"), Duration.ofSeconds(3)))
          .isInstanceOf(NonTransientCqrsException.class)
          .hasMessageStartingWith("Couchbase bucket 'nosuchbucket' was not ready within PT3S")
          .hasMessageContaining("\"nosuchbucket\" is not present");
    } finally {
      own.disconnect();
    }
  }

  @Test
  void refused_credentials_fail_for_good_without_the_password() {
    assertThatThrownBy(() -> builder("not-the-password", server.bucketName()).build())
        .isInstanceOf(NonTransientCqrsException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-password"));
  }

  @Test
  void a_cluster_that_refuses_connections_stays_transient() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    String nowhere = "couchbase://127.0.0.1:" + closed + "=kv,127.0.0.1:" + closed + "=manager";

    assertThatThrownBy(
            () ->
                CouchbaseEventStreamRepository.builder(nowhere, TestEvents.serializer())
                    .credentials("app", "secret")
                    .bucket("orders")
                    .connectTimeout(Duration.ofSeconds(3))
                    .build())
        .isInstanceOf(TransientCqrsException.class)
        .hasMessageStartingWith("Couchbase bucket 'orders' at '" + nowhere + "'")
        .hasMessageContaining("reachable from here");
  }

  @Test
  void a_timeout_without_an_answer_stays_transient() {
    Duration thirtySeconds = Duration.ofSeconds(30);
    UnambiguousTimeoutException timeout =
        new UnambiguousTimeoutException("WaitUntilReady timed out in stage WAIT_FOR_CONFIG", null);

    assertThat(
            ConnectedCluster.notReady(
                "orders", "couchbase://192.0.2.1", "app", thirtySeconds, thirtySeconds, timeout))
        .isInstanceOf(TransientCqrsException.class)
        .hasMessage(
            "Couchbase bucket 'orders' at 'couchbase://192.0.2.1' was not ready within PT30S: no"
                + " answer; check that the cluster runs and is reachable from here");
  }
}
