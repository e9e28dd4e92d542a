package io.cqrs;

import io.cqrs.internal.Texts;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open dead letters of one {@link TrackingEventProcessor}, and their replay.
 *
 * <p>The integration log is the ledger: an {@link EventProcessingFailed} entry of the processor
 * opens a dead letter, an {@link EventProcessingRetried} entry that succeeded closes it, one that
 * failed gives it a new reason. So every process that runs the processor sees the same list. The
 * ledger is folded from the log incrementally: the first look reads the whole log (an operator's
 * call, not a hot path), later ones only what was committed since, up to the log head. A {@link
 * EventProcessor#local local} processor's ledger is a log in its own memory instead, as its
 * checkpoints are: each process's is a read model of its own, rebuilt at every start.
 */
final class ProcessorDeadLetters {
  private static final Logger log = LoggerFactory.getLogger(ProcessorDeadLetters.class);
  private static final int PAGE = 500;
  private static final int MAX_TRANSIENT_RETRIES = 10;

  private final String processor;
  private final EventStreamRepository events;

  /** Where the letters and replays are recorded and folded from. */
  private final EventStreamRepository letters;

  private final VersionedEventHandler handler;
  private final int maxAttempts;

  /**
   * Per failure id, held by a replay from its look-up to its record: replays of one letter in one
   * process go one at a time, and one stuck replay holds up no other letter's. An entry lives while
   * a replay of its letter runs or waits, so the map holds the letters being replayed, not every
   * letter ever replayed.
   */
  private final Map<String, Turn> replaying = new ConcurrentHashMap<>();

  /** The lock of one letter's replays, and how many replays hold it or wait for it. */
  private static final class Turn {
    final ReentrantLock lock = new ReentrantLock();

    /** Replays holding or waiting for the lock; changed only inside the map's compute. */
    int replays;
  }

  /** Open dead letters by failure id, in log order; guarded by {@code this}. */
  private final Map<String, ProcessorDeadLetter> open = new LinkedHashMap<>();

  /** The log positions of the open letters, guarded by {@code this}: one letter per position. */
  private final Set<Long> openPositions = new HashSet<>();

  private long folded;

  ProcessorDeadLetters(
      String processor,
      EventStreamRepository events,
      EventStreamRepository letters,
      VersionedEventHandler handler,
      int maxAttempts) {
    this.processor = processor;
    this.events = events;
    this.letters = letters;
    this.handler = handler;
    this.maxAttempts = maxAttempts;
  }

  /** The open dead letters, oldest first. */
  synchronized List<ProcessorDeadLetter> open() {
    fold();
    return List.copyOf(open.values());
  }

  private synchronized ProcessorDeadLetter find(String failureId) {
    fold();
    return open.get(failureId);
  }

  /**
   * Hands the failed event to the handler again, with the processor's retry policy, and records the
   * outcome in the log. Replays of one letter in one process go one at a time, and each looks it up
   * afresh: a second replay of a letter the first resolved (an operator's double click) finds it
   * resolved ({@code NOT_FOUND}) and does not hand the event over again. Replays racing in two
   * processes may both reach the handler: its version gate (or its own idempotency) makes the
   * second one a no-op, as for any redelivery.
   */
  DeadLetterReplay replay(String failureId) {
    Objects.requireNonNull(failureId, "failureId");
    if (find(failureId) == null) {
      // Before a lock is made for it: an id no letter has takes no turn.
      return new DeadLetterReplay(DeadLetterReplay.Outcome.NOT_FOUND, null);
    }
    Turn turn =
        replaying.compute(
            failureId,
            (id, existing) -> {
              Turn joined = existing == null ? new Turn() : existing;
              joined.replays++;
              return joined;
            });
    try {
      turn.lock.lock();
      try {
        return replayAlone(failureId);
      } finally {
        turn.lock.unlock();
      }
    } finally {
      replaying.computeIfPresent(failureId, (id, left) -> --left.replays == 0 ? null : left);
    }
  }

  /** How many letters have a replay running or waiting; for tests. */
  int replaysInProgress() {
    return replaying.size();
  }

  private DeadLetterReplay replayAlone(String failureId) {
    ProcessorDeadLetter letter = find(failureId);
    if (letter == null) {
      return new DeadLetterReplay(DeadLetterReplay.Outcome.NOT_FOUND, null);
    }
    LoggedEvent entry = failedEvent(letter);
    Throwable failure = handle(entry.event());
    VersionedEvent event = entry.event();
    letters.recordIntegrationEvent(
        VersionedEvent.builder(
                processor + "@" + letter.position() + "/retry",
                0,
                new EventProcessingRetried(
                    processor,
                    failureId,
                    letter.position(),
                    event.id(),
                    failure == null,
                    failure == null ? null : failure.getClass().getName(),
                    failure == null ? null : bounded(failure)))
            .correlationId(event.correlationId())
            .causationId(failureId)
            .build());
    if (failure == null) {
      log.info(
          "Processor '{}' replayed dead letter {} ({})",
          processor,
          Texts.shown(failureId),
          Texts.shown(event.eventType()));
      return new DeadLetterReplay(DeadLetterReplay.Outcome.REPLAYED, letter);
    }
    log.warn(
        "Processor '{}' failed again on dead letter {}",
        processor,
        Texts.shown(failureId),
        failure);
    return new DeadLetterReplay(
        DeadLetterReplay.Outcome.FAILED,
        letter.failedAgain(failure.getClass().getName(), bounded(failure)));
  }

  /** A failure's message as a letter keeps it: cut as a recorded command failure's is. */
  private static String bounded(Throwable failure) {
    return CommandDispatchManager.bounded(String.valueOf(failure.getMessage()));
  }

  private LoggedEvent failedEvent(ProcessorDeadLetter letter) {
    List<LoggedEvent> found = events.readLog(letter.position(), 1);
    if (found.isEmpty()
        || found.get(0).position() != letter.position()
        || !found.get(0).event().id().equals(letter.eventId())) {
      throw new IllegalStateException(
          "Dead letter "
              + letter.id()
              + " of processor '"
              + processor
              + "' names event "
              + letter.eventId()
              + " at log position "
              + letter.position()
              + ", which the log does not hold there");
    }
    return found.get(0);
  }

  /** Handles the event as a segment would; returns the last failure, or null on success. */
  private Throwable handle(VersionedEvent event) {
    int attempts = 0;
    int transientRetries = 0;
    while (true) {
      try {
        handler.handle(event);
        return null;
      } catch (Exception | Error e) {
        if (e instanceof Error error && BusHealth.isFatal(error)) {
          throw error;
        }
        if (Retries.isTransient(e) && ++transientRetries <= MAX_TRANSIENT_RETRIES) {
          Retries.backOff(transientRetries);
          continue;
        }
        if (++attempts >= maxAttempts || Retries.isTransient(e)) {
          return e;
        }
        Retries.backOff(attempts);
      }
    }
  }

  /**
   * Reads what the log holds beyond the last fold, up to its head; guarded by {@code this}. A page
   * may hold fewer entries than asked for before the head (a store reads "at most" that many, and
   * stops at a commit not written yet, a slow writer's): only an empty read ends the fold there,
   * and the next fold reads on from the last entry taken, so nothing after such a stop is skipped.
   */
  private void fold() {
    long head = letters.logHead();
    while (folded < head) {
      List<LoggedEvent> page = letters.readLog(folded + 1, PAGE);
      if (page.isEmpty()) {
        return; // the log's end, or a commit not written yet: the next fold reads on from here
      }
      for (LoggedEvent entry : page) {
        if (entry.position() > head) {
          folded = head; // positions come in order: nothing at or below the head is left
          return;
        }
        take(entry.event());
        folded = entry.position();
      }
    }
  }

  private void take(VersionedEvent event) {
    if (event.event() instanceof EventProcessingFailed failed
        && failed.processor().equals(processor)) {
      // One letter per log position: a pass that failed after recording it (a crash, a store
      // error, a relay's stalled pass) records the same event's letter again on its next try.
      if (openPositions.add(failed.position())) {
        open.put(event.id(), ProcessorDeadLetter.of(event.id(), failed));
      }
    } else if (event.event() instanceof EventProcessingRetried retried
        && retried.processor().equals(processor)) {
      if (retried.succeeded()) {
        ProcessorDeadLetter resolved = open.remove(retried.failureId());
        if (resolved != null) {
          openPositions.remove(resolved.position());
        }
      } else {
        open.computeIfPresent(
            retried.failureId(),
            (id, letter) -> letter.failedAgain(retried.errorType(), retried.message()));
      }
    }
  }
}
