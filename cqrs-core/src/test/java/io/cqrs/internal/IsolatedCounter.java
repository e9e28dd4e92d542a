package io.cqrs.internal;

import io.cqrs.EventSourceBased;
import java.io.IOException;

/**
 * An aggregate that {@code DispatchersTest} loads through a class loader of its own, so that it
 * lands in another module than cqrs (a class loader's unnamed module), as an aggregate in a named
 * module that opens its package to cqrs would: cqrs then gets private access to it but not full
 * privilege.
 */
public class IsolatedCounter extends EventSourceBased {
  /** Adds. */
  public record Added(long n) {}

  /** Subtracts. */
  public record Subtracted(long n) {}

  /** Fails. */
  public record Failed() {}

  /** The sum of the events applied. */
  public long total;

  public IsolatedCounter(String id) {
    super(id);
  }

  @SuppressWarnings("unused")
  private void handleAdded(Added e) {
    total += e.n();
  }

  void handleSubtracted(Subtracted e) {
    total -= e.n();
  }

  void handleFailed(Failed e) throws IOException {
    throw new IOException("cannot apply");
  }
}
