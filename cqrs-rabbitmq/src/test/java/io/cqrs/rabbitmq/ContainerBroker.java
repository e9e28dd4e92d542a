package io.cqrs.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.RabbitMQContainer;

/**
 * A RabbitMQ in a Testcontainers container, started once per JVM when no {@code CQRS_RABBITMQ_URI}
 * is set, no local broker answers and a Docker engine does (see {@link BrokerChoice}). Kept apart
 * from {@link RabbitTestBroker} so that modules without Testcontainers on their class path can use
 * the broker from the URI.
 */
final class ContainerBroker {
  private static final String IMAGE = "rabbitmq:3.13";

  private ContainerBroker() {}

  static boolean dockerAnswers() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  static RabbitTestBroker start() throws IOException {
    RabbitMQContainer container = new RabbitMQContainer(IMAGE);
    container.start();
    Exec admin = new Exec(container);
    admin.plugins("enable", "rabbitmq_consistent_hash_exchange");
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost(container.getHost());
    factory.setPort(container.getAmqpPort());
    factory.setUsername(container.getAdminUsername());
    factory.setPassword(container.getAdminPassword());
    return RabbitTestBroker.of(factory, admin);
  }

  /** rabbitmqctl inside the container. */
  private static final class Exec extends BrokerAdmin {
    private final RabbitMQContainer container;

    Exec(RabbitMQContainer container) {
      this.container = container;
    }

    @Override
    String run(String... arguments) {
      return exec("rabbitmqctl", arguments);
    }

    void plugins(String... arguments) {
      exec("rabbitmq-plugins", arguments);
    }

    private String exec(String tool, String... arguments) {
      String[] command = new String[arguments.length + 1];
      command[0] = tool;
      System.arraycopy(arguments, 0, command, 1, arguments.length);
      try {
        Container.ExecResult result = container.execInContainer(StandardCharsets.UTF_8, command);
        if (result.getExitCode() != 0) {
          throw new IllegalStateException(tool + " failed: " + result.getStderr());
        }
        return result.getStdout();
      } catch (IOException e) {
        throw new IllegalStateException("Cannot run " + tool + " in the container", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while running " + tool, e);
      }
    }

    @Override
    String unavailableReason() {
      return null;
    }
  }
}
