package io.cqrs.memory;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The queue between an in-memory bus's publishers and its listener threads: unbounded, FIFO, with a
 * way back to the head for a message a listener could not handle. An {@link ArrayDeque} under the
 * object's monitor, so handing a message over allocates nothing: the {@code LinkedBlockingDeque} it
 * replaces allocated a node per message, and a {@code Condition} would allocate a node each time a
 * listener waits. A publisher notifies only when a listener waits.
 *
 * <p>The array grows with the longest backlog and does not shrink. Thread-safe.
 */
final class HandOff<T> {
  private final ArrayDeque<T> items = new ArrayDeque<>();

  /** Listeners blocked in {@link #poll}; guarded by this object's monitor. */
  private int waiting;

  /** Adds {@code item} at the tail. */
  synchronized void add(T item) {
    items.addLast(item);
    if (waiting > 0) {
      notify();
    }
  }

  /** Puts {@code item} back at the head, to be taken next. */
  synchronized void addFirst(T item) {
    items.addFirst(item);
    if (waiting > 0) {
      notify();
    }
  }

  /** Takes the head, waiting up to {@code timeout} for one; {@code null} if none came. */
  synchronized T poll(long timeout, TimeUnit unit) throws InterruptedException {
    T item = items.pollFirst();
    if (item != null) {
      return item;
    }
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while ((item = items.pollFirst()) == null) {
      long nanos = deadline - System.nanoTime();
      if (nanos <= 0) {
        return null;
      }
      waiting++;
      try {
        // At least a millisecond: wait(0) would wait for ever.
        wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)));
      } finally {
        waiting--;
      }
    }
    return item;
  }
}
