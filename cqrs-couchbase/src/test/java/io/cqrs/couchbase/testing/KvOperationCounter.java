package io.cqrs.couchbase.testing;

import com.couchbase.client.core.cnc.RequestSpan;
import com.couchbase.client.core.cnc.RequestTracer;
import com.couchbase.client.core.msg.RequestContext;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import reactor.core.publisher.Mono;

/**
 * Counts the key-value operations the Couchbase SDK performs for a thread, and how many round trips
 * that thread waited for one after another. It is the SDK's {@link RequestTracer}: the SDK opens a
 * top-level span for each operation it starts ({@code get}, {@code lookup_in}, {@code insert}, …)
 * and a {@code dispatch_to_server} span under it each time it sends the request, so every operation
 * the framework makes through the SDK is seen, whichever of the SDK's APIs it uses.
 *
 * <p>An operation counts for the thread that started it, while that thread is {@linkplain #start
 * counting}. It is in flight from its top-level span's start until its response arrives: the end of
 * its first dispatch span or of its top-level span, whichever comes first. (Both end on the I/O
 * thread before the caller sees the result. The first is needed because SDK 3.12.1 never ends the
 * top-level span of a binary {@code increment}.) A sequential round trip is a stretch of time
 * during which the thread has at least one operation in flight: operations sent together (a
 * parallel fan-out) overlap and count once; an operation sent after the previous one completed
 * counts again. This holds for a thread that runs one command at a time and waits for each
 * operation, as a command handler does. A retried operation is dispatched more than once; its
 * retries show in {@link Tally#dispatches}, not in the round trips.
 *
 * <p>An operation started on a thread that was never {@linkplain #enrol enrolled} (an SDK thread,
 * for a request chained in a reactive pipeline) while some thread is counting cannot be attributed:
 * it is counted {@linkplain #unattributed apart} so that a benchmark can refuse such a run rather
 * than under-count.
 *
 * <p>Give it to the SDK as the environment's request tracer ({@code ClusterOptions.environment(env
 * -> env.requestTracer(counter))}); {@code CouchbaseCommandCostIT} and the benchmarks count with
 * it.
 */
public final class KvOperationCounter implements RequestTracer {

  /** One thread's operations while it was counting. Read only when that thread is not counting. */
  public static final class Tally {
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong dispatches = new AtomicLong();
    private final Map<String, Long> byOperation = new TreeMap<>();
    private long operations;
    private long roundTrips;

    /** Operations started. */
    public long operations() {
      return operations;
    }

    /** Stretches of time with at least one operation in flight. */
    public long roundTrips() {
      return roundTrips;
    }

    /** Requests sent to the server: the operations, and any retries of them. */
    public long dispatches() {
      return dispatches.get();
    }

    /** Operations started, by the SDK's name for them ({@code get}, {@code lookup_in}, …). */
    public Map<String, Long> byOperation() {
      return Map.copyOf(byOperation);
    }

    /**
     * Waits until none of the counted operations is in flight: a save sends its head update without
     * waiting for it, so it may still be on its way when the command returns.
     *
     * @throws IllegalStateException if one still is after {@code timeout}
     */
    public void awaitAnswers(Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (inFlight.get() > 0) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(inFlight.get() + " KV operations still in flight");
        }
        LockSupport.parkNanos(100_000);
      }
    }

    /** Forgets what was counted. */
    public void reset() {
      operations = 0;
      roundTrips = 0;
      dispatches.set(0);
      byOperation.clear();
    }

    private void started(String name) {
      operations++;
      byOperation.merge(name, 1L, Long::sum);
      if (inFlight.getAndIncrement() == 0) {
        roundTrips++;
      }
    }

    private void ended() {
      inFlight.decrementAndGet();
    }
  }

  private static final String DISPATCH = "dispatch_to_server";
  private static final RequestSpan IGNORED = new Span(null);

  private final ThreadLocal<Boolean> enrolled = ThreadLocal.withInitial(() -> false);
  private final ThreadLocal<Tally> counting = new ThreadLocal<>();
  private final AtomicInteger countingThreads = new AtomicInteger();
  private final AtomicLong unattributed = new AtomicLong();

  /**
   * Marks the calling thread as one that runs benchmark code; its operations are never
   * unattributed.
   */
  public void enrol() {
    enrolled.set(true);
  }

  /** Counts the operations the calling thread starts into {@code tally}, until {@link #stop}. */
  public void start(Tally tally) {
    enrolled.set(true);
    counting.set(tally);
    countingThreads.incrementAndGet();
  }

  /** Stops counting the calling thread's operations. */
  public void stop() {
    if (counting.get() != null) {
      counting.remove();
      countingThreads.decrementAndGet();
    }
  }

  /** Operations started on threads that were never enrolled while some thread was counting. */
  public long unattributed() {
    return unattributed.get();
  }

  @Override
  public RequestSpan requestSpan(String name, RequestSpan parent) {
    if (parent != null) {
      if (DISPATCH.equals(name) && parent instanceof Span operation && operation.tally != null) {
        operation.tally.dispatches.incrementAndGet();
        return new Dispatch(operation);
      }
      return IGNORED; // encoding, or a step of an operation not counted
    }
    Tally tally = counting.get();
    if (tally != null) {
      tally.started(name);
      return new Span(tally);
    }
    if (!enrolled.get() && countingThreads.get() > 0) {
      unattributed.incrementAndGet();
    }
    return IGNORED;
  }

  @Override
  public Mono<Void> start() {
    return Mono.empty();
  }

  @Override
  public Mono<Void> stop(Duration timeout) {
    return Mono.empty();
  }

  /** An operation's top-level span: it tells its tally when the operation is answered, once. */
  private static class Span implements RequestSpan {
    private final Tally tally;
    private final AtomicBoolean answered = new AtomicBoolean();

    Span(Tally tally) {
      this.tally = tally;
    }

    /** The operation's response has arrived (a dispatch or the operation ended). */
    void answered() {
      if (tally != null && answered.compareAndSet(false, true)) {
        tally.ended();
      }
    }

    @Override
    public void end() {
      answered();
    }

    @Override
    public void attribute(String key, String value) {}

    @Override
    public void attribute(String key, boolean value) {}

    @Override
    public void attribute(String key, long value) {}

    @Override
    public void event(String name, Instant timestamp) {}

    @Override
    public void status(StatusCode status) {}

    @Override
    public void requestContext(RequestContext requestContext) {}
  }

  /** One sending of an operation's request; it ends when the response is read. */
  private static final class Dispatch extends Span {
    private final Span operation;

    Dispatch(Span operation) {
      super(null);
      this.operation = operation;
    }

    @Override
    public void end() {
      operation.answered();
    }
  }
}
