package io.cqrs.scaleout;

import com.rabbitmq.client.ConnectionFactory;
import java.util.Map;
import java.util.Objects;

/**
 * The Couchbase and RabbitMQ every process of a run shares, as the child processes get them: the
 * {@code CQRS_COUCHBASE_*} and {@code CQRS_RABBITMQ_URI} environment variables.
 *
 * @param couchbaseDescription which Couchbase this is, for the report, without secrets
 * @param rabbitDescription which RabbitMQ this is, for the report, without secrets
 * @param rabbitFactory a connection factory for the harness's own connections
 */
public record Servers(
    String couchbaseConnection,
    String couchbaseUsername,
    String couchbasePassword,
    String couchbaseBucket,
    String rabbitUri,
    String couchbaseDescription,
    String rabbitDescription,
    ConnectionFactory rabbitFactory) {

  public Servers {
    Objects.requireNonNull(couchbaseConnection, "couchbaseConnection");
    Objects.requireNonNull(couchbaseUsername, "couchbaseUsername");
    Objects.requireNonNull(couchbasePassword, "couchbasePassword");
    Objects.requireNonNull(couchbaseBucket, "couchbaseBucket");
    Objects.requireNonNull(rabbitUri, "rabbitUri");
    Objects.requireNonNull(rabbitFactory, "rabbitFactory");
  }

  /** The environment a child process finds the servers in. */
  public Map<String, String> environment() {
    return Map.of(
        "CQRS_COUCHBASE_CONNECTION", couchbaseConnection,
        "CQRS_COUCHBASE_USERNAME", couchbaseUsername,
        "CQRS_COUCHBASE_PASSWORD", couchbasePassword,
        "CQRS_COUCHBASE_BUCKET", couchbaseBucket,
        "CQRS_RABBITMQ_URI", rabbitUri);
  }

  /** The same Couchbase with another RabbitMQ. */
  public Servers withRabbit(String uri, String description, ConnectionFactory factory) {
    return new Servers(
        couchbaseConnection,
        couchbaseUsername,
        couchbasePassword,
        couchbaseBucket,
        uri,
        couchbaseDescription,
        description,
        factory);
  }

  @Override
  public String toString() {
    return "Servers[" + couchbaseDescription + "; " + rabbitDescription + "]";
  }
}
