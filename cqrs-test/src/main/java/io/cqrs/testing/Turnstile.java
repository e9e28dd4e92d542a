package io.cqrs.testing;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets a test decide the order in which several parties take their steps: party {@code p} calls
 * {@link #step(int, Step)} around each step, and steps run one at a time in the order of the
 * schedule. A party that has {@link #finish finished} is skipped; once the schedule is used up,
 * every party runs freely (so a retry beyond the schedule needs no entry of its own).
 *
 * <p>No sleeps: waiting parties block on a condition, with a deadline that fails the test instead
 * of hanging it.
 */
final class Turnstile {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private final List<Integer> schedule;
  private final Set<Integer> finished = new HashSet<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition moved = lock.newCondition();
  private int next;

  /** A turnstile that lets parties through in the order of {@code schedule}. */
  public Turnstile(List<Integer> schedule) {
    this.schedule = List.copyOf(schedule);
  }

  /** One step of a party. */
  @FunctionalInterface
  public interface Step<T> {
    T run();
  }

  /** Waits for {@code party}'s turn, runs the step, and hands the turn on. */
  public <T> T step(int party, Step<T> step) {
    boolean scheduled = awaitTurn(party);
    try {
      return step.run();
    } finally {
      if (scheduled) {
        lock.lock();
        try {
          next++;
          moved.signalAll();
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /** Says that {@code party} takes no more steps, so its remaining turns are skipped. */
  public void finish(int party) {
    lock.lock();
    try {
      finished.add(party);
      moved.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Returns whether the step takes a turn of the schedule (false once it is used up). */
  private boolean awaitTurn(int party) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    lock.lock();
    try {
      while (true) {
        while (next < schedule.size() && finished.contains(schedule.get(next))) {
          next++;
        }
        if (next >= schedule.size()) {
          return false;
        }
        if (schedule.get(next) == party) {
          return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "party " + party + " waited " + DEADLINE + " for its turn in " + schedule);
        }
        moved.await(left, TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for a turn", e);
    } finally {
      lock.unlock();
    }
  }

  /** Every order of {@code a} steps of party 1 and {@code b} steps of party 2. */
  public static List<List<Integer>> interleavings(int a, int b) {
    List<List<Integer>> all = new java.util.ArrayList<>();
    interleave(a, b, new java.util.ArrayList<>(), all);
    return all;
  }

  private static void interleave(int a, int b, List<Integer> prefix, List<List<Integer>> all) {
    if (a == 0 && b == 0) {
      all.add(List.copyOf(prefix));
      return;
    }
    for (int party = 1; party <= 2; party++) {
      int left = party == 1 ? a : b;
      if (left > 0) {
        prefix.add(party);
        interleave(party == 1 ? a - 1 : a, party == 2 ? b - 1 : b, prefix, all);
        prefix.remove(prefix.size() - 1);
      }
    }
  }
}
