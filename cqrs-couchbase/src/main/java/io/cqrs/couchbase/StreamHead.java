package io.cqrs.couchbase;

import java.util.List;

/**
 * A stream's head document: a hint of how far the stream is known to reach, with the log sequence
 * of each of its commits so that loads fetch them in parallel. Claims beyond {@link #version()} may
 * exist (a writer died before updating the head); readers follow them.
 *
 * <p>The head lists the commits of the stream's recent versions only: once it spans twice its
 * window, the oldest commits move to {@linkplain KeyLayout#headPage pages} and their commands to
 * {@linkplain KeyLayout#commandBucket buckets} (see {@link HeadArchive}), so that it stays bounded
 * however long the stream grows.
 *
 * @param version the last version covered by {@link #commits()}
 * @param commits the stream's commits in version order, contiguous from {@code archivedThrough + 1}
 * @param cas the head document's CAS; 0 when the document does not exist
 * @param type the aggregate type the stream was created for; null if none was recorded
 * @param archivedThrough the last version of the commits moved to pages; 0 if none
 * @param pages how many pages hold them: pages {@code 0 .. pages - 1}
 */
record StreamHead(
    long version, List<Entry> commits, long cas, String type, long archivedThrough, long pages) {

  /** No head document yet. */
  static final StreamHead EMPTY = new StreamHead(0, List.of(), 0, null, 0, 0);

  /** A head that has never moved commits to pages. */
  StreamHead(long version, List<Entry> commits, long cas, String type) {
    this(version, commits, cas, type, 0, 0);
  }

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
