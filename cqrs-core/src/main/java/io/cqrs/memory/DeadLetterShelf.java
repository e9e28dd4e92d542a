package io.cqrs.memory;

import io.cqrs.spi.QueuedDeadLetter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The dead letters of one in-memory bus, oldest first, and what its {@code DeadLetterQueues}
 * methods do with them: one lock, so that a replay takes each dead letter exactly once however many
 * replays race, and a look sees them all in place.
 */
final class DeadLetterShelf<T> {
  /** A dead letter, and whether its listener gave up on it at once for a non-transient failure. */
  private record Shelved<T>(DeadLetter<T> letter, boolean nonTransient) {
    String name() {
      return letter.subscription();
    }
  }

  private final List<Shelved<T>> letters = new ArrayList<>();
  private final Function<T, String> messageId;
  private final Function<T, String> type;

  DeadLetterShelf(Function<T, String> messageId, Function<T, String> type) {
    this.messageId = messageId;
    this.type = type;
  }

  synchronized void add(DeadLetter<T> letter, boolean nonTransient) {
    letters.add(new Shelved<>(letter, nonTransient));
  }

  synchronized List<DeadLetter<T>> all() {
    return letters.stream().map(Shelved::letter).toList();
  }

  synchronized long count(String name) {
    Objects.requireNonNull(name, "name");
    return letters.stream().filter(shelved -> shelved.name().equals(name)).count();
  }

  synchronized List<QueuedDeadLetter> peek(String name, int max) {
    Objects.requireNonNull(name, "name");
    requireNotNegative(max);
    return letters.stream()
        .filter(shelved -> shelved.name().equals(name))
        .limit(max)
        .map(this::queued)
        .toList();
  }

  /**
   * Replays up to {@code max} dead letters of {@code name}, oldest first, by offering them to the
   * group again: taken from the shelf and offered under one lock, so a racing replay gets others.
   */
  synchronized long replay(String name, long max, Map<String, ListenerGroup<T>> groups) {
    Objects.requireNonNull(name, "name");
    requireNotNegative(max);
    ListenerGroup<T> group = groups.get(name);
    if (group == null) {
      return 0;
    }
    List<T> taken = new ArrayList<>();
    for (Iterator<Shelved<T>> it = letters.iterator(); it.hasNext() && taken.size() < max; ) {
      Shelved<T> shelved = it.next();
      if (shelved.name().equals(name)) {
        it.remove();
        taken.add(shelved.letter().message());
      }
    }
    taken.forEach(group::offer);
    return taken.size();
  }

  private QueuedDeadLetter queued(Shelved<T> shelved) {
    DeadLetter<T> letter = shelved.letter();
    String reason =
        shelved.nonTransient() ? QueuedDeadLetter.NON_TRANSIENT : QueuedDeadLetter.HANDLER_FAILED;
    return new QueuedDeadLetter(
        messageId.apply(letter.message()),
        type.apply(letter.message()),
        reason,
        letter.reason(),
        letter.attempts());
  }

  private static void requireNotNegative(long max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must be >= 0, was " + max);
    }
  }
}
