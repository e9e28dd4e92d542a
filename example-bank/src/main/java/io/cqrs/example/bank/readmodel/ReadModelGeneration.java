package io.cqrs.example.bank.readmodel;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Which generation of the read models serves: the switch of a blue/green rebuild.
 *
 * <p>A generation is a set of views and the processors that feed them: generation {@code ""} (the
 * first) has views under the bank's prefix and processors {@code bank-<model>}; generation {@code
 * G} has views under {@code <prefix>-G} and processors {@code bank-<model>-G} ({@link
 * BankReadModels#processorName}). Serving processes read the current generation when they start; a
 * rebuild builds a new one beside it and then {@linkplain #switchFrom switches}, and processes
 * started after that serve the new one (restart them, one by one, to move them over).
 *
 * <p>Implementations are thread-safe; one in Couchbase is shared by every process of a bank.
 */
public interface ReadModelGeneration {

  /** The generation that serves now; {@code ""} before any switch. */
  String current();

  /**
   * Makes {@code next} the serving generation, if {@code expected} still is.
   *
   * @return whether it switched; {@code false} if another switch came first
   */
  boolean switchFrom(String expected, String next);

  /** A generation pointer in this process's memory, at {@code ""}. */
  static ReadModelGeneration inMemory() {
    AtomicReference<String> current = new AtomicReference<>("");
    return new ReadModelGeneration() {
      @Override
      public String current() {
        return current.get();
      }

      @Override
      public boolean switchFrom(String expected, String next) {
        return current.compareAndSet(Objects.requireNonNull(expected, "expected"), validated(next));
      }
    };
  }

  /**
   * {@code generation}, if it is a usable name: letters, digits and {@code -} only (it becomes part
   * of Couchbase keys and processor names), or empty.
   *
   * @throws IllegalArgumentException otherwise
   */
  static String validated(String generation) {
    Objects.requireNonNull(generation, "generation");
    if (!generation.matches("[A-Za-z0-9-]*")) {
      throw new IllegalArgumentException(
          "generation must hold letters, digits and '-' only, was '" + generation + "'");
    }
    return generation;
  }
}
