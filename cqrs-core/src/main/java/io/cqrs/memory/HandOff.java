package io.cqrs.memory;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The queue between an in-memory bus's publishers and its listener threads: unbounded, FIFO, with a
 * way back to the head for a message a listener could not handle. An {@link ArrayDeque} under one
 * lock, so handing a message over allocates nothing (the {@code LinkedBlockingDeque} it replaces
 * allocated a node per message), and a publisher signals only when a listener waits.
 *
 * <p>The array grows with the longest backlog and does not shrink. Thread-safe.
 */
final class HandOff<T> {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final ArrayDeque<T> items = new ArrayDeque<>();

  /** Listeners blocked in {@link #poll}; guarded by the lock. */
  private int waiting;

  /** Adds {@code item} at the tail. */
  void add(T item) {
    lock.lock();
    try {
      items.addLast(item);
      if (waiting > 0) {
        notEmpty.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Puts {@code item} back at the head, to be taken next. */
  void addFirst(T item) {
    lock.lock();
    try {
      items.addFirst(item);
      if (waiting > 0) {
        notEmpty.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Takes the head, waiting up to {@code timeout} for one; {@code null} if none came. */
  T poll(long timeout, TimeUnit unit) throws InterruptedException {
    long nanos = unit.toNanos(timeout);
    lock.lockInterruptibly();
    try {
      T item;
      while ((item = items.pollFirst()) == null) {
        if (nanos <= 0) {
          return null;
        }
        waiting++;
        try {
          nanos = notEmpty.awaitNanos(nanos);
        } finally {
          waiting--;
        }
      }
      return item;
    } finally {
      lock.unlock();
    }
  }
}
