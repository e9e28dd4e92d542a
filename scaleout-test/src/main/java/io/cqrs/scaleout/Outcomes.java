package io.cqrs.scaleout;

import io.cqrs.CommandFailed;
import io.cqrs.VersionedEvent;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What became of each sent command, read from the store: accepted (events caused by it were
 * committed), rejected (a {@link CommandFailed} names it), both (a violation) or neither (lost).
 * Each command counts once however often it was published: a command whose two deliveries were both
 * rejected, each recording a {@link CommandFailed}, is rejected, and how often an accepted one took
 * effect is {@link Invariants}' business.
 *
 * <p>It also tells when each command's outcome was recorded: the {@code created} time of the first
 * event it caused or of its first {@link CommandFailed}, whichever came first (the time a worker
 * handled it; the clocks of the processes of a run are the machine's).
 */
public final class Outcomes {
  /** One command's fate. */
  public enum Outcome {
    /** Events it caused were committed. */
    ACCEPTED,
    /** It failed for good and the failure was recorded. */
    REJECTED,
    /** Both: it took effect and was also recorded as failed. */
    BOTH,
    /** Neither: it left no trace. */
    LOST
  }

  private final Map<String, Outcome> outcomes = new HashMap<>();
  private final Map<String, String> rejectionReasons = new HashMap<>();
  private final long[] decidedAt;

  /** The outcome of every sent command. */
  public Outcomes(List<SentCommand> sent, StoreContents store) {
    Map<String, List<VersionedEvent>> caused = store.streamEventsByCause();
    Map<String, List<CommandFailed>> failures = store.failuresByCommand();
    Map<String, Instant> failedAt = store.firstFailureTimes();
    decidedAt = new long[sent.size()];
    for (int i = 0; i < decidedAt.length; i++) {
      SentCommand command = sent.get(i);
      Instant decided = failedAt.get(command.messageId());
      for (VersionedEvent event : caused.getOrDefault(command.messageId(), List.of())) {
        decided = decided == null ? event.created() : earlier(decided, event.created());
      }
      decidedAt[i] = decided == null ? 0 : decided.toEpochMilli();
      boolean accepted = caused.containsKey(command.messageId());
      List<CommandFailed> failed = failures.get(command.messageId());
      boolean rejected = failed != null;
      if (rejected) {
        rejectionReasons.put(command.messageId(), simpleName(failed.get(0).errorType()));
      }
      outcomes.put(
          command.messageId(),
          accepted && rejected
              ? Outcome.BOTH
              : accepted ? Outcome.ACCEPTED : rejected ? Outcome.REJECTED : Outcome.LOST);
    }
  }

  /** The outcome of a sent command. */
  public Outcome of(String messageId) {
    return outcomes.getOrDefault(messageId, Outcome.LOST);
  }

  /** Whether the command was accepted. */
  public boolean accepted(String messageId) {
    return of(messageId) == Outcome.ACCEPTED;
  }

  /** Whether the command took effect: accepted, or accepted and also rejected. */
  public boolean tookEffect(String messageId) {
    Outcome outcome = of(messageId);
    return outcome == Outcome.ACCEPTED || outcome == Outcome.BOTH;
  }

  /**
   * When each command's outcome was recorded, in epoch milliseconds, index for index the commands
   * given to the constructor; 0 for a command without an outcome.
   */
  public long[] decidedAtMillis() {
    return decidedAt.clone();
  }

  static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** How many commands had each outcome. */
  public Map<Outcome, Long> counts() {
    Map<Outcome, Long> counts = new HashMap<>();
    outcomes.values().forEach(o -> counts.merge(o, 1L, Long::sum));
    return counts;
  }

  /** How many rejections each exception type caused, by its simple name. */
  public Map<String, Long> rejectionsByReason() {
    Map<String, Long> counts = new HashMap<>();
    rejectionReasons.values().forEach(r -> counts.merge(r, 1L, Long::sum));
    return counts;
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }
}
