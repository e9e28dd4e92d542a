package io.cqrs.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * How the consumers of a {@link CommandBus} or {@link EventBus} are doing, for readiness checks and
 * supervisors: whether all of them consume, how many do, and the last failure that took consumers
 * away.
 *
 * <p><b>What a consumer's failure does.</b> Anything a consumer throws is a failed delivery (the
 * bus retries the message a bounded number of times, then dead-letters it with the failure's class
 * and message, and the listener goes on with the next message) unless it is {@linkplain #isFatal
 * fatal}. Fatal are the {@link VirtualMachineError}s other than {@link StackOverflowError}: {@link
 * OutOfMemoryError}, {@link InternalError}, {@link UnknownError}. After one of those the JVM can no
 * longer be trusted, so the bus stops every one of its consumers, logs the error, leaves the
 * message unacknowledged (a broker delivers it to another instance) and reports a fatal {@link
 * #lastFailure()}: the process should exit and be restarted. A {@code StackOverflowError} is a
 * {@code VirtualMachineError} too, but it is thrown on the overflowing thread only and unwinds that
 * thread's stack cleanly to the bus, and it usually comes from the message itself (a recursion
 * driven by its data): treating it as fatal would let one such message take down every instance in
 * turn, so it is a failed delivery like an exception.
 *
 * <p>Values are immutable snapshots; ask the bus again for a fresh one.
 *
 * @param healthy whether every listener the bus started, and that was not closed since, is
 *     consuming, and no fatal failure has happened; a closed bus is not healthy
 * @param consumers how many listeners consume now, over all subscriptions of the bus; a listener
 *     whose connection is recovering, whose channel is gone without recovery, or whose thread ended
 *     does not count
 * @param lastFailure the last failure that took consumers away, or {@code null} if none did; a
 *     fatal failure stays the last one
 * @param connections the bus's connections to its broker, for buses that connect to one (empty for
 *     the in-memory buses): which node each reached, whether it is up, since when it is down and
 *     why
 */
public record BusHealth(
    boolean healthy, int consumers, Failure lastFailure, List<Connection> connections) {

  /**
   * Checks the values.
   *
   * @throws IllegalArgumentException if {@code consumers} is negative, or a bus with a fatal
   *     failure claims to be healthy
   */
  public BusHealth {
    if (consumers < 0) {
      throw new IllegalArgumentException("consumers must be >= 0, was " + consumers);
    }
    if (healthy && lastFailure != null && lastFailure.fatal()) {
      throw new IllegalArgumentException("a bus with a fatal failure is not healthy");
    }
    connections = List.copyOf(Objects.requireNonNull(connections, "connections"));
  }

  /** The health of a bus without broker connections (an in-memory bus). */
  public BusHealth(boolean healthy, int consumers, Failure lastFailure) {
    this(healthy, consumers, lastFailure, List.of());
  }

  /** A bus with {@code consumers} listeners, all consuming, that has not failed. */
  public static BusHealth healthy(int consumers) {
    return new BusHealth(true, consumers, null);
  }

  /**
   * Whether the bus has lost consumers that it cannot bring back by itself (its {@link
   * #lastFailure()} is fatal): a supervised process should exit and be restarted.
   */
  public boolean needsRestart() {
    return lastFailure != null && lastFailure.fatal();
  }

  /**
   * Whether a {@link Throwable} thrown by a consumer stops the bus rather than failing one
   * delivery: every {@link VirtualMachineError} except {@link StackOverflowError} (see the class
   * comment).
   */
  public static boolean isFatal(Throwable failure) {
    return failure instanceof VirtualMachineError && !(failure instanceof StackOverflowError);
  }

  /**
   * One connection of a bus to its broker, as the bus saw it when asked.
   *
   * @param name the connection's name, as the broker's tools show it
   * @param node the broker node it is connected to, or was last connected to, as {@code host:port};
   *     {@code null} if it never connected
   * @param connected whether it is open and not recovering
   * @param downSince since when it has been down, or {@code null} while it is connected
   * @param failedAttempts how many attempts to reconnect have failed since it went down
   * @param lastError the last error it saw: why it was lost, or why the last attempt to reconnect
   *     failed; {@code null} if none; never credentials
   */
  public record Connection(
      String name,
      String node,
      boolean connected,
      Instant downSince,
      int failedAttempts,
      String lastError) {
    /** Checks that the name is there and the counts make sense. */
    public Connection {
      Objects.requireNonNull(name, "name");
      if (failedAttempts < 0) {
        throw new IllegalArgumentException("failedAttempts must be >= 0, was " + failedAttempts);
      }
      if (connected && downSince != null) {
        throw new IllegalArgumentException("a connected connection has no downSince");
      }
    }
  }

  /**
   * A failure that took consumers away.
   *
   * @param description what failed and where, such as the error's class and message and the message
   *     that was being handled; never credentials
   * @param at when it happened
   * @param fatal whether the consumers it took are gone for good: stopped after a {@linkplain
   *     BusHealth#isFatal fatal error}, or cancelled or closed by the broker in a way that
   *     automatic recovery does not undo; only a restart brings them back
   */
  public record Failure(String description, Instant at, boolean fatal) {
    /** Checks that description and time are there. */
    public Failure {
      Objects.requireNonNull(description, "description");
      Objects.requireNonNull(at, "at");
    }
  }
}
