package io.cqrs.couchbase;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;

/**
 * Writes this repository sent without waiting for them (head updates, publication marks), counted
 * so that {@link CouchbaseEventStreamRepository#close()} can wait for them before it disconnects,
 * which would cancel them.
 */
final class InFlight {
  private final AtomicInteger count = new AtomicInteger();
  private final Object done = new Object();

  /** {@code write}, counted from now until it terminates (or is cancelled). */
  <T> Mono<T> track(Mono<T> write) {
    count.incrementAndGet();
    return write.doFinally(signal -> finished());
  }

  private void finished() {
    if (count.decrementAndGet() == 0) {
      synchronized (done) {
        done.notifyAll();
      }
    }
  }

  /** How many are in flight now. */
  int count() {
    return count.get();
  }

  /** Waits until none is in flight, at most {@code timeout}. */
  void await(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (done) {
      while (count.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        TimeUnit.NANOSECONDS.timedWait(done, left);
      }
    }
  }
}
