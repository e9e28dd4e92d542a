package io.cqrs.rabbitmq;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * How the buses name their exchanges and queues. Everything a bus declares starts with its prefix,
 * so several applications (or tests) share a virtual host without seeing each other's messages.
 *
 * @param prefix the namespace, for example {@code cqrs}
 * @param eventExchange the topic exchange events are published to
 * @param commandExchange the direct exchange commands are published to
 */
record Names(String prefix, String eventExchange, String commandExchange) {
  /** Queue names are at most 255 bytes; suffixes take up to about 40 of them. */
  private static final int MAX_NAME_BYTES = 200;

  /** The default names under a prefix. */
  static Names of(String prefix) {
    return new Names(prefix, prefix + ".events", prefix + ".commands");
  }

  /** The queue of an event subscription (or the base name of its partitions). */
  String eventQueue(String subscription) {
    return prefix + ".events." + subscription;
  }

  /** The queue of a command-handling service. */
  String commandQueue(String service) {
    return prefix + ".commands." + service;
  }

  /**
   * The direct exchange the framework moves failed messages through: into retry and dead-letter
   * queues, and replayed dead letters back into their queue, each bound with its own name. A named
   * exchange under the prefix rather than the default exchange, so that a broker user who may write
   * to it reaches this prefix's queues only (write permission on the default exchange reaches every
   * queue of the virtual host).
   */
  String failureExchange() {
    return prefix + ".failures";
  }

  /** The consistent-hash exchange that spreads an ordered subscription over its partitions. */
  static String hashExchange(String queue) {
    return queue + ".hash";
  }

  /** Partition {@code index} of an ordered subscription. */
  static String partition(String queue, int index) {
    return queue + ".p" + index;
  }

  /** Where a queue's messages go when they cannot be handled. */
  static String deadLetterQueue(String queue) {
    return queue + ".dlq";
  }

  /** Where a queue's failed messages wait {@code delay} before they return to it. */
  static String retryQueue(String queue, Duration delay) {
    return queue + ".retry-" + delay.toMillis() + "ms";
  }

  /**
   * Checks a prefix, exchange, subscription or service name.
   *
   * @param setting the setting's name, for the message
   * @throws IllegalArgumentException if it is blank, holds whitespace or is too long
   */
  static String requireValid(String setting, String value) {
    if (value == null) {
      throw new NullPointerException(setting);
    }
    if (value.isBlank()) {
      throw new IllegalArgumentException(setting + " must not be blank");
    }
    if (value.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
      throw new IllegalArgumentException(
          setting + " must not contain whitespace or control characters, was '" + value + "'");
    }
    if (value.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw new IllegalArgumentException(
          setting + " must be at most " + MAX_NAME_BYTES + " bytes long, was '" + value + "'");
    }
    return value;
  }
}
