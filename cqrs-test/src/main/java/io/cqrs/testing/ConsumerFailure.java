package io.cqrs.testing;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * The kinds of {@link Throwable} a consumer may throw, for tests that every one of them is handled
 * as the bus promises: each but {@link #OUT_OF_MEMORY_ERROR} is a failed delivery, {@code
 * OUT_OF_MEMORY_ERROR} stops the bus ({@link io.cqrs.spi.BusHealth#isFatal}).
 */
public enum ConsumerFailure {
  RUNTIME_EXCEPTION(() -> new IllegalStateException("poison: runtime exception")),
  CHECKED_EXCEPTION(() -> new IOException("poison: checked exception")),
  ASSERTION_ERROR(() -> new AssertionError("poison: assertion error")),
  NO_CLASS_DEF_FOUND_ERROR(() -> new NoClassDefFoundError("poison/MissingClass")),
  EXCEPTION_IN_INITIALIZER_ERROR(
      () -> new ExceptionInInitializerError(new IllegalStateException("poison: static init"))),
  /** A real overflow of the consumer's stack, not a constructed error. */
  STACK_OVERFLOW_ERROR(null),
  /** An {@code Error} of no particular kind, as a library might throw. */
  PLAIN_ERROR(() -> new Error("poison: plain error")),
  /** Simulated: a real one would starve the test JVM. */
  OUT_OF_MEMORY_ERROR(() -> new OutOfMemoryError("poison: simulated out of memory"));

  private final Supplier<Throwable> failure;

  ConsumerFailure(Supplier<Throwable> failure) {
    this.failure = failure;
  }

  /** The class of what {@link #throwIt()} throws. */
  public Class<? extends Throwable> type() {
    return this == STACK_OVERFLOW_ERROR ? StackOverflowError.class : failure.get().getClass();
  }

  /** Throws this kind of failure, from the calling consumer. */
  public void throwIt() throws Exception {
    if (this == STACK_OVERFLOW_ERROR) {
      overflow(0);
      throw new IllegalStateException("the stack did not overflow");
    }
    Throwable thrown = failure.get();
    if (thrown instanceof Exception exception) {
      throw exception;
    }
    throw (Error) thrown;
  }

  /** Recurses until the stack overflows; the sum keeps the JIT from removing the recursion. */
  private static long overflow(long depth) {
    return depth + overflow(depth + 1) + 1;
  }
}
