package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import io.cqrs.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link RabbitCluster} on this machine's RabbitMQ: a 3-node cluster losing and freezing nodes. */
class RabbitClusterIT {
  private static final Logger log = LoggerFactory.getLogger(RabbitClusterIT.class);
  private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(60);
  private static final String BODY = "survives";
  private static RabbitCluster cluster;

  /** Skips (or fails) the whole class at once when the cluster cannot start. */
  @BeforeAll
  static void cluster() {
    cluster = RabbitCluster.shared();
  }

  @Test
  void every_node_takes_an_amqp_connection_on_its_own_port() throws Exception {
    for (int node = 1; node <= 3; node++) {
      try (Connection connection = connect(node)) {
        assertThat(connection.getPort()).isEqualTo(cluster.port(node));
        assertThat(connection.isOpen()).isTrue();
      }
    }
  }

  @Test
  void a_quorum_queue_keeps_its_message_when_its_leader_is_killed_and_the_node_rejoins()
      throws Exception {
    String queue = "cluster-it-" + UUID.randomUUID();
    try (Connection connection = connect(1)) {
      connection
          .createChannel()
          .queueDeclare(queue, true, false, false, Map.of("x-queue-type", "quorum"));
    }
    try (Connection connection = connect(2)) {
      Channel channel = connection.createChannel();
      channel.confirmSelect();
      channel.basicPublish(
          "", queue, MessageProperties.PERSISTENT_BASIC, BODY.getBytes(StandardCharsets.UTF_8));
      channel.waitForConfirmsOrDie(10_000);
    }
    assertThat(peek(3, queue)).isEqualTo(BODY);
    String leader = cluster.quorumLeader(queue);
    int lost = cluster.nodeIndex(leader);
    int survivor = lost == 1 ? 2 : 1;

    long killed = System.nanoTime();
    cluster.kill(lost);
    Await.until(
        ELECTION_TIMEOUT,
        () -> "a leader other than " + leader,
        () -> {
          String now = leaderOrNull(queue);
          return now != null && !now.equals(leader);
        });
    long elected = System.nanoTime();
    Await.until(
        ELECTION_TIMEOUT,
        "the message through node " + survivor,
        () -> BODY.equals(peek(survivor, queue)));
    log.info(
        "Killed node {}, the leader: {} led {} ms after the kill began, node {} gave the message after {} ms",
        lost,
        leaderOrNull(queue),
        (elected - killed) / 1_000_000,
        survivor,
        (System.nanoTime() - killed) / 1_000_000);

    cluster.restart(lost);
    assertThat(cluster.isRunning(lost)).isTrue();
    assertThat(cluster.runningNodes(survivor))
        .containsExactlyInAnyOrder(cluster.nodeName(1), cluster.nodeName(2), cluster.nodeName(3));
  }

  @Test
  void a_frozen_node_answers_no_handshake_until_it_is_thawed() throws Exception {
    ConnectionFactory impatient = factory(3);
    impatient.setHandshakeTimeout(1_000);
    cluster.freeze(3);
    try {
      assertThat(cluster.isRunning(3)).isFalse();
      assertThatThrownBy(() -> impatient.newConnection("cluster-it-frozen").close())
          .isInstanceOfAny(IOException.class, TimeoutException.class);
    } finally {
      cluster.thaw(3);
    }
    assertThat(cluster.isRunning(3)).isTrue();
    // A node just thawed on a loaded machine may take more than the impatient second to finish
    // a handshake; what matters is that it answers one again, so the default timeout (10 s).
    try (Connection connection = factory(3).newConnection("cluster-it-thawed")) {
      assertThat(connection.isOpen()).isTrue();
    }
  }

  /** The body of the queue's head message, left in the queue; {@code null} if none or failing. */
  private static String peek(int node, String queue) {
    try (Connection connection = connect(node)) {
      Channel channel = connection.createChannel();
      GetResponse response = channel.basicGet(queue, false);
      if (response == null) {
        return null;
      }
      channel.basicReject(response.getEnvelope().getDeliveryTag(), true);
      return new String(response.getBody(), StandardCharsets.UTF_8);
    } catch (IOException | TimeoutException | RuntimeException e) {
      return null;
    }
  }

  private static String leaderOrNull(String queue) {
    try {
      return cluster.quorumLeader(queue);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Connection connect(int node) throws IOException, TimeoutException {
    return factory(node).newConnection("cluster-it");
  }

  private static ConnectionFactory factory(int node) {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(cluster.amqpUri(node));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    factory.setAutomaticRecoveryEnabled(false);
    return factory;
  }
}
