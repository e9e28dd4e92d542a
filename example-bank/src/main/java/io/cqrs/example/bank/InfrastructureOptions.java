package io.cqrs.example.bank;

import java.util.Objects;

/**
 * Which store and buses the bank runs on, and how to reach the servers.
 *
 * @param store where events are kept
 * @param bus how commands and events travel
 * @param couchbaseConnection Couchbase connection string, or {@code null}
 * @param couchbaseUsername Couchbase user, or {@code null}
 * @param couchbasePassword Couchbase password, or {@code null}; never printed
 * @param couchbaseBucket Couchbase bucket, or {@code null}
 * @param rabbitmqUri RabbitMQ URI such as {@code amqp://guest:guest@127.0.0.1:5672/%2f}, or {@code
 *     null}; printed without its password
 */
public record InfrastructureOptions(
    Store store,
    Bus bus,
    String couchbaseConnection,
    String couchbaseUsername,
    String couchbasePassword,
    String couchbaseBucket,
    String rabbitmqUri) {

  /** Where events are kept. */
  public enum Store {
    /** In this process's memory: gone when it exits. */
    MEMORY,
    /** In a Couchbase bucket shared by every instance. */
    COUCHBASE
  }

  /** How commands and events travel. */
  public enum Bus {
    /** Within this process. */
    MEMORY,
    /** Through RabbitMQ, between every instance. */
    RABBITMQ
  }

  public InfrastructureOptions {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(bus, "bus");
  }

  /** Everything in memory, in this process. */
  public static InfrastructureOptions inMemory() {
    return new InfrastructureOptions(Store.MEMORY, Bus.MEMORY, null, null, null, null, null);
  }

  /** Whether the store and both buses are in this process's memory. */
  public boolean isInMemory() {
    return store == Store.MEMORY && bus == Bus.MEMORY;
  }

  /** A one-line description without secrets, for logs and output. */
  public String describe() {
    String where =
        store == Store.MEMORY
            ? "events in memory"
            : "events in Couchbase " + couchbaseConnection + " bucket " + couchbaseBucket;
    String how =
        bus == Bus.MEMORY
            ? "buses in memory"
            : "buses on RabbitMQ " + (rabbitmqUri == null ? null : withoutPassword(rabbitmqUri));
    return where + ", " + how;
  }

  @Override
  public String toString() {
    return "InfrastructureOptions[" + describe() + "]";
  }

  private static String withoutPassword(String uri) {
    // amqp://user:password@host → amqp://user:***@host
    return uri.replaceFirst("^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@]*):[^@/]*@", "$1:***@");
  }
}
