package io.cqrs.couchbase;

import io.cqrs.NonTransientCqrsException;
import io.cqrs.SerializationException;
import io.cqrs.TransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the integration log and the correlation index.
 *
 * <p>The log is read in windows of sequences fetched in parallel, up to the counter's value. A
 * sequence without a document is a write in flight or one that died: events after it are not
 * returned until it is settled, so that the log's order holds. If it is the first sequence of a
 * read, the reader waits for it, at most the grace period counted from when this repository first
 * saw it missing, then closes it by inserting a gap marker. The marker and a late writer's insert
 * are exclusive: either the writer's document lands and is read, or the marker does and the writer
 * retries under a new sequence. A reader is never blocked for longer than the grace period, and a
 * committed event is never skipped.
 *
 * <p>Events of one commit share its sequence; an event's position is {@code (seq - 1) * 2^20 +
 * index + 1}, so positions increase in commit order and a read may stop and resume inside a commit.
 */
final class LogReader {
  /** Positions per sequence: more than a commit can hold (20 MB at more than 20 bytes an event). */
  static final long POSITIONS_PER_SEQUENCE = 1L << 20;

  private static final Logger log = LoggerFactory.getLogger(LogReader.class);
  private static final int MIN_WINDOW = 16;
  private static final long HEAD_SCAN = 1024;
  private static final int MAX_WINDOW = 512;
  private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;
  private final CommitResolver resolver;
  private final OwedMarks owed;
  private final long graceNanos;
  private final Map<Long, Long> missingSince = new ConcurrentHashMap<>();
  private final SharedRead sharedTop;

  LogReader(
      Kv kv,
      KeyLayout keys,
      DocumentCodec codec,
      CommitResolver resolver,
      OwedMarks owed,
      Duration grace) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
    this.resolver = resolver;
    this.owed = owed;
    this.graceNanos = grace.toNanos();
    this.sharedTop = new SharedRead(() -> kv.counter(keys.sequence()));
  }

  static long position(long seq, int index) {
    return (seq - 1) * POSITIONS_PER_SEQUENCE + index + 1;
  }

  /** The log sequence that holds {@code position} (at least 1). */
  static long sequenceOf(long position) {
    return (position - 1) / POSITIONS_PER_SEQUENCE + 1;
  }

  /**
   * The log sequences (commits, and saves refused after taking one) from {@code fromPosition} to
   * {@code toPosition}: the sequences past the one {@code fromPosition} is in (none before the
   * first event), 1 where both are in one commit, 0 unless {@code toPosition} is past {@code
   * fromPosition}.
   */
  static long commitsBetween(long fromPosition, long toPosition) {
    if (toPosition <= fromPosition) {
      return 0;
    }
    long from = fromPosition <= 0 ? 0 : sequenceOf(fromPosition);
    return Math.max(1, sequenceOf(toPosition) - from);
  }

  List<LoggedEvent> read(long fromPosition, int maxEvents) {
    return read(fromPosition, maxEvents, true);
  }

  /**
   * Reads the log; with {@code marks} false for a reader that does not look at the publication
   * marks (an event processor), which gets kept commits from memory without their claims and the
   * log's end from a counter read it may share with concurrent readers ({@link SharedRead}).
   */
  List<LoggedEvent> read(long fromPosition, int maxEvents, boolean marks) {
    List<LoggedEvent> out = entries(fromPosition, maxEvents, marks);
    return marks ? relayed(out) : out;
  }

  /**
   * Reports published, as well, the unmarked stream events a relay has passed: a relay passes an
   * event only once it reached the bus, and a process whose own relay leads does not mark what its
   * repository published ({@link OwedMarks}). Which: the current run of this process's leading
   * relay, and the runs the relays recorded ({@link PassedRanges}, read only for an event neither
   * covers, about four times a second at most). A relay that starts again from an earlier
   * checkpoint (a reset, a new name) thus does not publish again what its predecessors passed
   * without marks, and events an operator's reset skipped stay unpublished.
   */
  private List<LoggedEvent> relayed(List<LoggedEvent> out) {
    long[] run = owed.passedRun();
    PassedRanges recorded = passedSeen;
    boolean read = false;
    for (int i = 0; i < out.size(); i++) {
      LoggedEvent entry = out.get(i);
      if (entry.published() || entry.event().version() == 0) {
        continue;
      }
      long position = entry.position();
      boolean passed =
          (run != null && run[0] < position && position <= run[1]) || recorded.covers(position);
      if (!passed && !read) {
        read = true;
        recorded = readPassed();
        passed = recorded.covers(position);
      }
      if (passed) {
        out.set(i, new LoggedEvent(position, entry.event(), true));
      }
    }
    return out;
  }

  private static final long PASSED_READ_NANOS = 250_000_000L;
  private volatile PassedRanges passedSeen = PassedRanges.NONE;
  private final AtomicLong passedReadAt = new AtomicLong(System.nanoTime() - PASSED_READ_NANOS);
  private volatile boolean passedWarned;

  /** The relays' record, read again if the last read is 250 ms old; a bad one counts as none. */
  private PassedRanges readPassed() {
    long now = System.nanoTime();
    long last = passedReadAt.get();
    if (now - last < PASSED_READ_NANOS || !passedReadAt.compareAndSet(last, now)) {
      return passedSeen; // read just now, or being read by another reader now
    }
    String key = keys.relayed();
    try {
      passedSeen =
          kv.get(key).map(doc -> codec.relayed(key, doc.content())).orElse(PassedRanges.NONE);
    } catch (SerializationException e) {
      if (!passedWarned) {
        passedWarned = true; // once: it is read again and again while it stays so
        log.warn("Ignoring '{}', which the relays write: {}", key, e.getMessage());
      }
      passedSeen = PassedRanges.NONE;
    }
    return passedSeen;
  }

  private List<LoggedEvent> entries(long fromPosition, int maxEvents, boolean marks) {
    forgetOldGaps();
    long firstSeq = sequenceOf(fromPosition);
    int firstIndex = (int) ((fromPosition - 1) % POSITIONS_PER_SEQUENCE);
    long top = marks ? kv.counter(keys.sequence()) : sharedTop.get();
    List<LoggedEvent> out = new ArrayList<>(Math.min(maxEvents, 1024));
    long seq = firstSeq;
    while (out.size() < maxEvents && seq <= top) {
      int wanted = Math.max(MIN_WINDOW, maxEvents - out.size());
      int window = (int) Math.min(top - seq + 1, Math.min(MAX_WINDOW, wanted));
      List<Long> seqs = new ArrayList<>(window);
      for (long s = seq; s < seq + window; s++) {
        seqs.add(s);
      }
      for (CommitResolver.Resolution resolution : resolver.resolveWindow(seqs, marks)) {
        if (resolution instanceof CommitResolver.Unreadable unreadable) {
          if (!out.isEmpty()) {
            return out; // what precedes it; the next read, starting there, fails on it
          }
          throw unreadable.failure();
        }
        if (resolution instanceof CommitResolver.Missing) {
          missingSince.putIfAbsent(resolution.seq(), System.nanoTime());
          if (!out.isEmpty()) {
            return out; // return what precedes the gap now; the next read settles it
          }
          resolution = settle(resolution.seq());
        } else if (!missingSince.isEmpty()) {
          missingSince.remove(resolution.seq());
        }
        if (resolution instanceof CommitResolver.Events events) {
          List<VersionedEvent> list = events.events();
          for (int i = events.seq() == firstSeq ? firstIndex : 0; i < list.size(); i++) {
            if (out.size() == maxEvents) {
              return out;
            }
            VersionedEvent event = list.get(i);
            // Published: marked in its claim, or by this process while its relay leads.
            boolean published =
                events.marks().covers(event.version())
                    || (marks && owed.covers(events.seq(), event.version()));
            out.add(new LoggedEvent(position(events.seq(), i), event, published));
          }
          if (list.size() > CommitResolver.KEPT_EVENTS) {
            resolver.passed(events.seq()); // only such a commit can be held for its readers
          }
        }
        seq = resolution.seq() + 1;
      }
    }
    return out;
  }

  /**
   * The position of the last event of the highest sequence that holds a commit or an integration
   * event now: sequences above it are writes in flight, abandoned commits or gaps. Looks at most
   * {@link #HEAD_SCAN} sequences back from the counter.
   */
  long head() {
    long top = kv.counter(keys.sequence());
    long lowest = Math.max(1, top - HEAD_SCAN + 1);
    for (long seq = top; seq >= lowest; seq--) {
      Optional<Kv.Document> document = kv.get(keys.log(seq));
      if (document.isEmpty()) {
        continue; // in flight, or a writer that died before its insert
      }
      CommitResolver.Resolution resolution;
      try {
        resolution = resolver.resolve(List.of(seq), List.of(document)).get(0);
      } catch (NonTransientCqrsException unreadable) {
        long position = unreadableHead(seq, document.get(), unreadable);
        if (position > 0) {
          return position;
        }
        continue;
      }
      if (resolution instanceof CommitResolver.Events events) {
        return position(seq, events.events().size() - 1);
      }
    }
    // Nothing readable in the scanned window: everything below it counts as read.
    return lowest == 1 ? 0 : (lowest - 1) * POSITIONS_PER_SEQUENCE;
  }

  /**
   * The head at log document {@code seq}, whose events this process cannot read (a type its
   * registry does not know, a newer revision: a newer build's, or another service's that shares the
   * log): the position of its last event if it is committed, or 0 if it is not a commit of the log
   * (a prepared commit, which this process cannot complete without its events and so does not
   * count, as for a write in flight; a commit that lost its stream's version). A position needs no
   * event read, and failing here made every lag of such a process unknown and its store's health
   * DOWN.
   *
   * @throws NonTransientCqrsException {@code unreadable}, if the document is not a log document at
   *     all
   */
  private long unreadableHead(
      long seq, Kv.Document document, NonTransientCqrsException unreadable) {
    String key = keys.log(seq);
    DocumentCodec.LogShape shape;
    try {
      shape = codec.logShape(key, document.content());
    } catch (RuntimeException e) {
      unreadable.addSuppressed(e);
      throw unreadable;
    }
    switch (shape.kind()) {
      case DocumentCodec.INTEGRATION:
        return position(seq, shape.events() - 1);
      case DocumentCodec.COMMIT:
        String claimKey = keys.claim(shape.streamId(), shape.first());
        Optional<Kv.Document> claim = kv.get(claimKey);
        if (claim.isEmpty()
            || codec.claim(claimKey, claim.get().content(), shape.streamId(), shape.first()).seq()
                != seq) {
          return 0;
        }
        return position(seq, shape.events() - 1);
      default:
        return 0;
    }
  }

  List<VersionedEvent> byCorrelationId(String correlationId) {
    String key = keys.correlation(correlationId);
    Optional<Kv.Document> index = kv.get(key);
    if (index.isEmpty()) {
      return List.of();
    }
    // Appends are at-least-once and sequences may be listed out of order: dedupe and sort.
    List<Long> seqs = new ArrayList<>(new TreeSet<>(codec.sequences(key, index.get().content())));
    return events(seqs, event -> event.correlationId().equals(correlationId));
  }

  /**
   * The events of {@code correlationId} that {@code causationId} caused. Reads the index, then only
   * the commits it lists with that cause's tag (or with none known). A command that starts its own
   * correlation (its id is the correlation id, as {@link io.cqrs.Command#create(Object)} makes it)
   * is looked up first with {@code exists}: its index is missing unless it was handled before, and
   * a get would answer that usual miss with an exception, which costs more than the read.
   */
  List<VersionedEvent> byCause(String correlationId, String causationId) {
    String key = keys.correlation(correlationId);
    if (correlationId.equals(causationId) && !kv.exists(key)) {
      return List.of();
    }
    Optional<Kv.Document> index = kv.get(key);
    if (index.isEmpty()) {
      return List.of();
    }
    List<Long> seqs =
        codec.correlation(key, index.get().content()).causedBy(KeyLayout.causeTag(causationId));
    if (seqs.isEmpty()) {
      return List.of();
    }
    return events(
        seqs,
        event ->
            event.correlationId().equals(correlationId) && causationId.equals(event.causationId()));
  }

  /** The events of the commits at {@code seqs} (ascending) that {@code wanted} accepts. */
  private List<VersionedEvent> events(List<Long> seqs, Predicate<VersionedEvent> wanted) {
    List<String> logKeys = new ArrayList<>(seqs.size());
    for (long seq : seqs) {
      logKeys.add(keys.log(seq));
    }
    List<VersionedEvent> out = new ArrayList<>();
    for (CommitResolver.Resolution resolution : resolver.resolve(seqs, kv.getAll(logKeys))) {
      // Missing sequences are writes not committed yet; they are not waited for here.
      if (resolution instanceof CommitResolver.Events events) {
        for (VersionedEvent event : events.events()) {
          if (wanted.test(event)) {
            out.add(event);
          }
        }
      }
    }
    return out;
  }

  /**
   * Drops sequences seen missing long ago: another reader settled them, or this one moved on. Keeps
   * the map small without tracking which reader settled what.
   */
  private void forgetOldGaps() {
    if (missingSince.size() > 1024) {
      long cutoff = System.nanoTime() - 10 * graceNanos;
      missingSince.values().removeIf(seen -> seen - cutoff < 0);
    }
  }

  /** Waits for a missing sequence until the grace period is over, then closes it as a gap. */
  private CommitResolver.Resolution settle(long seq) {
    String key = keys.log(seq);
    long deadline = missingSince.computeIfAbsent(seq, s -> System.nanoTime()) + graceNanos;
    long pause = TimeUnit.MILLISECONDS.toNanos(1);
    while (true) {
      Optional<Kv.Document> document = kv.get(key);
      if (document.isPresent()) {
        missingSince.remove(seq);
        return resolver.resolve(List.of(seq), List.of(document)).get(0);
      }
      long now = System.nanoTime();
      if (now - deadline >= 0) {
        if (kv.insert(key, codec.marker(DocumentCodec.GAP)) != 0) {
          missingSince.remove(seq);
          log.warn("Closed log sequence {} as a gap: nothing was stored there in time", seq);
          return new CommitResolver.Skip(seq);
        }
        continue; // the writer's document landed first: read it
      }
      LockSupport.parkNanos(Math.min(pause, deadline - now));
      pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new TransientCqrsException(
            "Interrupted while waiting for log sequence " + seq + " to be written");
      }
    }
  }
}
