package io.cqrs.couchbase;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The publication marks of one commit, as its claim document holds them: an array {@code p} of
 * version ranges {@code "first-last"} that reached the event bus (see {@code
 * docs/couchbase-relay.md}). Ranges are added with a sub-document add-unique, so marking is one
 * atomic, idempotent, order-independent operation per commit, and no mark can cover an event that
 * was not marked.
 */
final class PublicationMarks {
  /** The claim field that holds the marks. */
  static final String FIELD = "p";

  /** No event of the commit is marked. */
  static final PublicationMarks NONE = new PublicationMarks(new long[0]);

  /** Every event counts as published: integration events, which the relay never sends. */
  static final PublicationMarks ALL =
      new PublicationMarks(new long[] {Long.MIN_VALUE, Long.MAX_VALUE});

  private final long[] bounds;

  private PublicationMarks(long[] bounds) {
    this.bounds = bounds;
  }

  /** The marks of a claim that holds the one mark {@code first..last}. */
  static PublicationMarks covering(long first, long last) {
    return new PublicationMarks(new long[] {first, last});
  }

  /** The mark of versions {@code first..last}, as stored. */
  static String range(long first, long last) {
    return first + "-" + last;
  }

  /**
   * The marks of a claim document already parsed.
   *
   * @throws IllegalArgumentException if the marks are malformed
   */
  static PublicationMarks of(JsonNode claim) {
    JsonNode array = claim.get(FIELD);
    if (array == null) {
      return NONE;
    }
    if (!array.isArray()) {
      throw new IllegalArgumentException("field '" + FIELD + "' must be an array");
    }
    List<Long> parsed = new ArrayList<>(array.size() * 2);
    for (JsonNode mark : array) {
      String text = mark.isTextual() ? mark.textValue() : "";
      int dash = text.indexOf('-');
      try {
        long first = Long.parseLong(text.substring(0, Math.max(dash, 0)));
        long last = Long.parseLong(text.substring(dash + 1));
        if (first < 1 || last < first) {
          throw new NumberFormatException();
        }
        parsed.add(first);
        parsed.add(last);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("malformed publication mark " + mark, e);
      }
    }
    long[] bounds = new long[parsed.size()];
    for (int i = 0; i < bounds.length; i++) {
      bounds[i] = parsed.get(i);
    }
    return new PublicationMarks(bounds);
  }

  /** Whether the event at {@code version} is marked published. */
  boolean covers(long version) {
    // Usually one range (the commit's own mark): a linear scan beats any index.
    for (int i = 0; i < bounds.length; i += 2) {
      if (bounds[i] <= version && version <= bounds[i + 1]) {
        return true;
      }
    }
    return false;
  }
}
