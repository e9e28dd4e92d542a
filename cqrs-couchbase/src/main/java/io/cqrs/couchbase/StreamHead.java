package io.cqrs.couchbase;

import java.util.List;

/**
 * A stream's head document: a hint of how far the stream is known to reach, with the log sequence
 * of each of its commits so that loads fetch them in parallel. Claims beyond {@link #version()} may
 * exist (a writer died before updating the head); readers follow them.
 *
 * @param version the last version covered by {@link #commits()}
 * @param commits the stream's commits in version order, contiguous from version 1
 * @param cas the head document's CAS; 0 when the document does not exist
 * @param type the aggregate type the stream was created for; null if none was recorded
 */
record StreamHead(long version, List<Entry> commits, long cas, String type) {

  /** No head document yet. */
  static final StreamHead EMPTY = new StreamHead(0, List.of(), 0, null);

  /**
   * One commit: versions {@code first..last}, stored at log sequence {@code seq}, the effect of the
   * command whose {@linkplain KeyLayout#commandHash hash} is {@code command} (null if none, or not
   * known to the reader: the head lists commands apart from its entries), of a stream created for
   * aggregate type {@code type} (only a claim on version 1 carries it; null otherwise).
   */
  record Entry(long first, long last, long seq, String command, String type) {
    Entry(long first, long last, long seq) {
      this(first, last, seq, null, null);
    }

    Entry(long first, long last, long seq, String command) {
      this(first, last, seq, command, null);
    }
  }
}
