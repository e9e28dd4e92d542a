package io.cqrs.example.bank;

import java.util.Map;
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
 * @param prefix the Couchbase key prefix and the RabbitMQ name prefix; instances with the same
 *     prefix form one bank (default {@value #DEFAULT_PREFIX})
 */
public record InfrastructureOptions(
    Store store,
    Bus bus,
    String couchbaseConnection,
    String couchbaseUsername,
    String couchbasePassword,
    String couchbaseBucket,
    String rabbitmqUri,
    String prefix) {

  /** The prefix used unless {@code --prefix} gives one. */
  public static final String DEFAULT_PREFIX = "bank";

  /**
   * The bucket used unless {@code --couchbase-bucket} or {@code CQRS_COUCHBASE_BUCKET} names one.
   */
  public static final String DEFAULT_BUCKET = "cqrs";

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
    Objects.requireNonNull(prefix, "prefix");
    if (!prefix.matches("[A-Za-z0-9_.-]{1,40}")) {
      throw new IllegalArgumentException(
          "prefix must be 1 to 40 characters of [A-Za-z0-9_.-], was '" + prefix + "'");
    }
    couchbaseBucket = couchbaseBucket == null ? DEFAULT_BUCKET : couchbaseBucket;
  }

  /** Everything in memory, in this process. */
  public static InfrastructureOptions inMemory() {
    return new InfrastructureOptions(
        Store.MEMORY, Bus.MEMORY, null, null, null, null, null, DEFAULT_PREFIX);
  }

  /**
   * The given store and bus with the servers of the {@code CQRS_*} variables in {@code environment}
   * ({@code CQRS_COUCHBASE_CONNECTION}, {@code _USERNAME}, {@code _PASSWORD}, {@code _BUCKET},
   * {@code CQRS_RABBITMQ_URI}), as a worker's child processes get them.
   */
  public static InfrastructureOptions fromEnvironment(
      Store store, Bus bus, String prefix, Map<String, String> environment) {
    Objects.requireNonNull(environment, "environment");
    return new InfrastructureOptions(
        store,
        bus,
        environment.get("CQRS_COUCHBASE_CONNECTION"),
        environment.get("CQRS_COUCHBASE_USERNAME"),
        environment.get("CQRS_COUCHBASE_PASSWORD"),
        environment.get("CQRS_COUCHBASE_BUCKET"),
        environment.get("CQRS_RABBITMQ_URI"),
        prefix);
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
    return where + ", " + how + (isInMemory() ? "" : ", prefix " + prefix);
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
