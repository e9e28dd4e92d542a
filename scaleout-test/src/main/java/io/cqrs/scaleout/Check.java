package io.cqrs.scaleout;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The result of checking one invariant: whether it holds, what was checked, and for a violation the
 * evidence (stream id, expected, actual), at most {@link #MAX_EVIDENCE} items of it.
 *
 * @param name the invariant, as a sentence
 * @param checked how many things were checked (streams, commands, queues …)
 * @param violations how many violated it
 * @param evidence the first violations, each naming the stream or message, expected and actual
 */
public record Check(String name, long checked, long violations, List<String> evidence) {
  /** How many violations a check keeps as evidence. */
  public static final int MAX_EVIDENCE = 20;

  public Check {
    Objects.requireNonNull(name, "name");
    evidence = List.copyOf(evidence);
  }

  /** Whether the invariant holds. */
  public boolean holds() {
    return violations == 0;
  }

  /** Collects the violations of one invariant. */
  static final class Builder {
    private final String name;
    private final List<String> evidence = new ArrayList<>();
    private long checked;
    private long violations;

    Builder(String name) {
      this.name = name;
    }

    /** Counts one thing checked; records a violation if {@code ok} is false. */
    Builder expect(boolean ok, String subject, Object expected, Object actual) {
      checked++;
      if (!ok) {
        violation(subject + ": expected " + expected + ", actual " + actual);
      }
      return this;
    }

    /** Records a violation. */
    Builder violation(String description) {
      violations++;
      if (evidence.size() < MAX_EVIDENCE) {
        evidence.add(description);
      }
      return this;
    }

    Check build() {
      return new Check(name, checked, violations, evidence);
    }
  }
}
