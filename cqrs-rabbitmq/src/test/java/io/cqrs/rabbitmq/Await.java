package io.cqrs.rabbitmq;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * This module's argument order for {@link io.cqrs.testing.Await}, which does the waiting: a
 * condition with a deadline, failing with a description of the state the test saw.
 */
final class Await {
  private Await() {}

  static void until(Duration timeout, BooleanSupplier condition, Supplier<String> state) {
    io.cqrs.testing.Await.until(timeout, state, condition);
  }
}
