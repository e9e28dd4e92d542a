package io.cqrs.example.bank.http;

import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.example.bank.InfrastructureOptions;
import io.cqrs.rabbitmq.RabbitNamespace;
import io.cqrs.rabbitmq.RabbitTestBroker;

/**
 * The servers of an integration test that runs the bank in the test's JVM: Couchbase (the shared
 * test server, or one the test names) and a RabbitMQ namespace of its own, whose exchanges and
 * queues {@link #close()} deletes.
 */
final class ServiceServers implements AutoCloseable {
  private RabbitNamespace rabbit;

  /**
   * Options for the shared Couchbase test server and a fresh namespace named after {@code hint}.
   */
  InfrastructureOptions shared(String hint) {
    CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
    return options(
        hint,
        couchbase.connectionString(),
        couchbase.username(),
        couchbase.password(),
        couchbase.bucketName());
  }

  /** Options for the given Couchbase and a fresh namespace named after {@code hint}. */
  InfrastructureOptions options(
      String hint, String couchbaseConnection, String user, String password, String bucket) {
    close();
    rabbit = RabbitTestBroker.get().newNamespace(hint);
    return new InfrastructureOptions(
        InfrastructureOptions.Store.COUCHBASE,
        InfrastructureOptions.Bus.RABBITMQ,
        couchbaseConnection,
        user,
        password,
        bucket,
        RabbitTestBroker.get().amqpUri(),
        null,
        rabbit.prefix());
  }

  /** The namespace of the last options made. */
  RabbitNamespace rabbit() {
    return rabbit;
  }

  /** Deletes what the bank declared in the namespace. */
  @Override
  public void close() {
    if (rabbit != null) {
      rabbit.deleteEverythingWithPrefix();
      rabbit = null;
    }
  }
}
