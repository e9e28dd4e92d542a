package io.cqrs;

import java.util.Objects;

/**
 * What {@link TrackingEventProcessor#replayDeadLetter} did.
 *
 * @param outcome whether the dead letter was replayed, failed again or was not found
 * @param deadLetter the dead letter as it stands after the call: for {@link Outcome#FAILED} with
 *     the new failure as its reason (it stays listed); for {@link Outcome#REPLAYED} as it was (it
 *     is no longer listed); {@code null} for {@link Outcome#NOT_FOUND}
 */
public record DeadLetterReplay(Outcome outcome, ProcessorDeadLetter deadLetter) {
  /** The outcomes of a replay. */
  public enum Outcome {
    /**
     * The handler took the event (or its version gate found it applied already, by a racing replay
     * or a later event that filled the hole): the dead letter is resolved.
     */
    REPLAYED,
    /** The handler failed again: the dead letter stays, with the new reason. */
    FAILED,
    /** No open dead letter of the processor has that id: unknown, or resolved already. */
    NOT_FOUND
  }

  public DeadLetterReplay {
    Objects.requireNonNull(outcome, "outcome");
    if ((deadLetter == null) != (outcome == Outcome.NOT_FOUND)) {
      throw new IllegalArgumentException("a dead letter goes with REPLAYED and FAILED only");
    }
  }
}
