package io.cqrs.couchbase;

import reactor.core.publisher.Mono;

/**
 * What one of several operations sent at once did: its value, or its failure, mapped. A writer that
 * sends independent writes together must see every outcome, not only the first failure, to know
 * what it left behind.
 */
record Settled<T>(T value, RuntimeException failure) {
  /** Waits for nothing: {@code operation}'s outcome, as a value that never fails. */
  static <T> Mono<Settled<T>> of(Mono<T> operation, String description) {
    return operation
        .map(value -> new Settled<>(value, (RuntimeException) null))
        .onErrorResume(e -> Mono.just(new Settled<>(null, CouchbaseErrors.map(description, e))));
  }

  /** The value; throws the failure. */
  T get() {
    if (failure != null) {
      throw failure;
    }
    return value;
  }
}
