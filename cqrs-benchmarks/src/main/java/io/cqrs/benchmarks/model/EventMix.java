package io.cqrs.benchmarks.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which event types a benchmark's stream holds. {@link #SINGLE} lets the JIT specialise every call
 * site on one type; {@link #MIXED} draws each event from five types in a seeded random order (not
 * round-robin, which a branch predictor learns), as a real stream is.
 */
public enum EventMix {
  /** Only {@link MoneyDeposited}. */
  SINGLE,
  /**
   * {@link MoneyDeposited}, {@link MoneyWithdrawn}, {@link OverdraftLimitChanged}, {@link
   * OwnerChanged} and {@link StatementIssued}, in a seeded random order.
   */
  MIXED;

  private static final long SEED = 42;
  private static final String[] OWNERS = {"alice", "bob", "carol", "dave"};

  /** {@code count} domain events of this mix; the same list for the same arguments. */
  public List<Object> events(int count) {
    SplittableRandom random = new SplittableRandom(SEED);
    List<Object> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      events.add(this == SINGLE ? new MoneyDeposited(1 + i % 100) : mixed(random, i));
    }
    return events;
  }

  /**
   * An account's whole history: {@link AccountOpened} (which Axon needs first, to learn the
   * aggregate's identifier) followed by {@code count - 1} events of this mix.
   */
  public List<Object> history(String accountId, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be >= 1, was " + count);
    }
    List<Object> history = new ArrayList<>(count);
    history.add(new AccountOpened(accountId, "alice"));
    history.addAll(events(count - 1));
    return history;
  }

  private static Object mixed(SplittableRandom random, int i) {
    switch (random.nextInt(5)) {
      case 0:
        return new MoneyDeposited(1 + i % 100);
      case 1:
        return new MoneyWithdrawn(1 + i % 50);
      case 2:
        return new OverdraftLimitChanged(i % 1000);
      case 3:
        return new OwnerChanged(OWNERS[i % OWNERS.length]);
      default:
        return new StatementIssued(i);
    }
  }
}
