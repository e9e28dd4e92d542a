package io.cqrs.example.bank;

import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.rabbitmq.RabbitTestBroker;
import java.util.Map;

/**
 * The Couchbase and RabbitMQ of the example's integration tests, found as the adapters' tests find
 * them ({@link CouchbaseTestServer}, {@link RabbitTestBroker}), and the {@code CQRS_*} variables
 * that point a child process at them.
 */
final class BankServers {
  private BankServers() {}

  /**
   * The variables for the bank's command line and child JVMs. Skips the test without a broker, or
   * fails it when {@code CQRS_REQUIRE_SERVERS=true}.
   */
  static Map<String, String> environment() {
    // The broker the tests found (a URI, the local one, or a container), passed on as a URI.
    String uri = RabbitTestBroker.get().amqpUri();
    CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
    return Map.of(
        "CQRS_COUCHBASE_CONNECTION", couchbase.connectionString(),
        "CQRS_COUCHBASE_USERNAME", couchbase.username(),
        "CQRS_COUCHBASE_PASSWORD", couchbase.password(),
        "CQRS_COUCHBASE_BUCKET", couchbase.bucketName(),
        "CQRS_RABBITMQ_URI", uri);
  }
}
