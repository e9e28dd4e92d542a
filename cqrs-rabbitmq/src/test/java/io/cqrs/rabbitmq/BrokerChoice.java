package io.cqrs.rabbitmq;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Which RabbitMQ the integration tests use, and why, decided in one place:
 *
 * <ol>
 *   <li>the broker at {@code CQRS_RABBITMQ_URI} when it is set (a broker there that does not answer
 *       is then a failure to report, never a reason to try another);
 *   <li>else the local broker at 127.0.0.1:5672 (guest/guest, vhost {@code /}) when a TCP
 *       connection and an AMQP handshake there succeed within a short timeout;
 *   <li>else a Testcontainers {@code RabbitMQContainer} when a Docker engine answers;
 *   <li>else none: tests skip (or fail when {@code CQRS_REQUIRE_SERVERS=true}) with a message that
 *       says how to give them one.
 * </ol>
 *
 * <p>The probes are given by the caller and called lazily, in that order, each only if the ones
 * before found nothing, so that a set URI never waits on a local probe or on Docker.
 *
 * @param kind where the broker comes from
 * @param uri the broker's AMQP URI for {@link Kind#URI} and {@link Kind#LOCAL}, else {@code null};
 *     it may hold credentials: never log it
 * @param reason why this choice, for the log line or the skip message; never holds credentials
 */
record BrokerChoice(BrokerChoice.Kind kind, String uri, String reason) {
  /** The local broker the tests try when no URI is set: the guest account of a default install. */
  static final String LOCAL_URI = "amqp://guest:guest@127.0.0.1:5672/%2f";

  private static final String LOCAL_URI_SHOWN = "127.0.0.1:5672 (guest/guest, vhost /)";

  /** Where the broker comes from. */
  enum Kind {
    /** {@code CQRS_RABBITMQ_URI}. */
    URI,
    /** The local broker at {@link #LOCAL_URI}. */
    LOCAL,
    /** A Testcontainers container. */
    CONTAINER,
    /** No broker: tests skip or fail. */
    NONE
  }

  /** What a probe of the local broker found. */
  record LocalProbe(boolean answers, String detail) {
    static LocalProbe answered() {
      return new LocalProbe(true, "it answered");
    }

    /**
     * @param why what went wrong, without credentials (such as {@code ConnectException: ...})
     */
    static LocalProbe failed(String why) {
      return new LocalProbe(false, why);
    }
  }

  BrokerChoice {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
  }

  /**
   * Decides.
   *
   * @param configuredUri the value of {@code CQRS_RABBITMQ_URI}, or {@code null}
   * @param local probes {@link #LOCAL_URI} (a TCP connect, then an AMQP connection, each with a
   *     short timeout)
   * @param docker whether a Docker engine answers
   */
  static BrokerChoice choose(
      String configuredUri, Supplier<LocalProbe> local, BooleanSupplier docker) {
    if (configuredUri != null && !configuredUri.isBlank()) {
      return new BrokerChoice(Kind.URI, configuredUri, RabbitTestBroker.URI_VARIABLE + " is set");
    }
    String noUri = RabbitTestBroker.URI_VARIABLE + " is not set";
    LocalProbe probe = local.get();
    if (probe.answers()) {
      return new BrokerChoice(
          Kind.LOCAL, LOCAL_URI, noUri + " and a RabbitMQ answers at " + LOCAL_URI_SHOWN);
    }
    String noLocal =
        noUri + ", no RabbitMQ answers at " + LOCAL_URI_SHOWN + " (" + probe.detail() + ")";
    if (docker.getAsBoolean()) {
      return new BrokerChoice(
          Kind.CONTAINER, null, noLocal + " and a Docker engine answers: a RabbitMQContainer");
    }
    return new BrokerChoice(
        Kind.NONE,
        null,
        "No RabbitMQ for integration tests: "
            + noLocal
            + " and no Docker engine answers. To run them, start RabbitMQ on this machine"
            + " (Debian: apt-get install rabbitmq-server; then rabbitmq-plugins enable"
            + " rabbitmq_consistent_hash_exchange), or set "
            + RabbitTestBroker.URI_VARIABLE
            + "=amqp://USER:PASSWORD@HOST:5672/%2f, or start a Docker engine");
  }
}
