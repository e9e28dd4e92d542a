package io.cqrs.couchbase;

import io.cqrs.EventRelay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Publication marks this repository did not write because a relay of its own process held the lease
 * on the log: marks it owes the store until that relay has passed the commits (see {@code
 * docs/couchbase-relay.md}, "Marks a leading relay's process keeps").
 *
 * <p>A mark only spares the relay publishing a commit again, and the relay that would read it is in
 * this process: it learns from here, in memory, what the repository published, so the mark's
 * sub-document add (one KV operation per command) is left out. The relay's checkpoint, once past a
 * commit, makes its mark useless to every relay after it, so owed marks below the checkpoint are
 * forgotten. A relay that loses or gives up the lease, or stops renewing it, leaves others to read
 * the claims: the marks still owed are then handed back to be written. A process that dies owing
 * marks leaves commits that the next relay publishes again, which publication at least once allows
 * (consumers deduplicate by version); nothing is lost, since no mark is owed before the bus has
 * confirmed the events.
 *
 * <p>Bounded: beyond {@link #capacity} owed marks a mark is written as before. Thread-safe; {@link
 * #owe} and the hand-back are serialised, so no mark is owed after the lease was lost.
 */
final class OwedMarks {
  /** How many marks may be owed at once: a relay more commits behind gets them written. */
  static final int CAPACITY = 8192;

  private static final String RELAY = EventRelay.processorName("");

  /** A mark not written: versions {@code first..last}, the whole commit claimed at the key. */
  record Owed(long seq, String claimKey, long first, long last) {}

  /**
   * A lease held by a relay of this process: until when (nano time), its fencing token, the
   * checkpoint it took the lease at, and the checkpoint it has reached since, without a break.
   */
  private record Lease(long expiresAt, long token, long since, long checkpoint) {}

  private final int capacity;
  private final LongSupplier nanoTime;
  private final Map<String, Lease> leases = new HashMap<>();
  private final NavigableMap<Long, Owed> owed = new TreeMap<>();
  // Handed back (to be written) and not yet acknowledged written: no checkpoint may pass them
  // first.
  private final NavigableMap<Long, Owed> unwritten = new TreeMap<>();
  // Handed back by forgetPassed (below a new run's start), for the caller to send.
  private final List<Owed> toSend = new ArrayList<>();
  // Read without the lock by log readers that find nothing owed, the usual case off the leader.
  private volatile int owedCount;
  private boolean closed;

  OwedMarks() {
    this(CAPACITY, System::nanoTime);
  }

  OwedMarks(int capacity, LongSupplier nanoTime) {
    this.capacity = capacity;
    this.nanoTime = nanoTime;
  }

  /**
   * Whether {@code processor} is an {@link EventRelay}'s lease: the prefix is kept for relays
   * ({@link io.cqrs.TrackingEventProcessor} refuses such names).
   */
  static boolean isRelay(String processor) {
    return processor.startsWith(RELAY);
  }

  /** The nano time now, to pass to {@link #leased} as the time a claim was asked for. */
  long now() {
    return nanoTime.getAsLong();
  }

  /**
   * A relay of this process took or renewed its lease for {@code ttl} from {@code askedAt} (the
   * nano time before the claim was asked for), with fencing {@code token}, its checkpoint at {@code
   * checkpoint}. The lease counts as held here for two thirds of {@code ttl} only: other processes
   * judge it on their own clocks, and a relay renews it with each pass (at most a third of the
   * lease apart, even while failing).
   *
   * <p>The positions it passes from here on, while it keeps the lease and its checkpoint moves only
   * by its own passes, are one unbroken run. A renewal with the token this process last held proves
   * that no one else held the lease in between (any new claim, and an operator's reset, takes a new
   * token), so whatever moved the checkpoint was this relay's own passes: the run goes on, even
   * past the checkpoint it last saved here, which it does not know of when a write that landed
   * reported a failure. Any other token with a checkpoint other than the one it last saved (another
   * relay's passes in between, an operator's reset) starts a new run.
   *
   * @return the run {@code (since, checkpoint]} to record as passed if marks were forgotten (see
   *     {@link PassedRanges}), else null
   */
  synchronized long[] leased(
      String processor, Duration ttl, long checkpoint, long token, long askedAt) {
    if (closed) {
      return null;
    }
    Lease held = leases.get(processor);
    boolean unbroken =
        held != null
            && (held.token() == token || held.checkpoint() == checkpoint)
            && checkpoint >= held.since();
    long since = unbroken ? held.since() : checkpoint;
    leases.put(processor, new Lease(askedAt + ttl.toNanos() / 3 * 2, token, since, checkpoint));
    return forgetPassed(processor) ? run(processor) : null;
  }

  /** How long until the lease this process holds runs out here, in nanos; 0 if none runs. */
  synchronized long nanosLeft() {
    long now = nanoTime.getAsLong();
    long left = 0;
    for (Lease lease : leases.values()) {
      left = Math.max(left, lease.expiresAt() - now);
    }
    return left;
  }

  /**
   * The relay's checkpoint reached {@code position}: commits before it need no mark any more.
   *
   * @return the run to record as passed if marks were forgotten, else null (see {@link #leased})
   */
  synchronized long[] passed(String processor, long position) {
    Lease lease = leases.get(processor);
    if (lease != null && position > lease.checkpoint()) {
      leases.put(processor, new Lease(lease.expiresAt(), lease.token(), lease.since(), position));
      return forgetPassed(processor) ? run(processor) : null;
    }
    return null;
  }

  /**
   * The run a checkpoint of {@code processor} at {@code position} would pass if saving it may
   * forget a mark this process owes, {@code (since, position]}; null if it forgets none. Asked
   * before the checkpoint is saved, so that the run is recorded first ({@link
   * RelayDocuments#beforeCheckpoint}): a process killed between the checkpoint's save and the
   * record would leave those commits looking unpublished for good, since every later relay starts
   * past them.
   */
  synchronized long[] wouldPass(String processor, long token, long position) {
    Lease lease = leases.get(processor);
    if (lease == null
        || lease.token() != token
        || position <= lease.checkpoint()
        || position <= lease.since()) {
      return null;
    }
    Long first = owed.isEmpty() ? null : owed.firstKey();
    if (first == null || first > LogReader.sequenceOf(position)) {
      return null;
    }
    return new long[] {lease.since(), position};
  }

  /**
   * What a checkpoint save at {@code position} must do first: write these marks, record the run.
   */
  record Guard(List<Owed> write, long[] run) {}

  /**
   * One atomic answer for {@link RelayDocuments#beforeCheckpoint}: the handed-back marks the save
   * passes and, when no run can be recorded for it (no lease here, another token), the owed marks
   * it passes too; a hand-back after this answer is covered by the run or by the writes.
   */
  synchronized Guard guard(String processor, long token, long position) {
    long seq = LogReader.sequenceOf(position);
    List<Owed> write = unwrittenUpTo(seq);
    long[] run = wouldPass(processor, token, position);
    if (run == null) {
      write.addAll(owed.headMap(seq, true).values());
    }
    return new Guard(write, run);
  }

  private long[] run(String processor) {
    Lease lease = leases.get(processor);
    return lease == null || lease.checkpoint() <= lease.since()
        ? null
        : new long[] {lease.since(), lease.checkpoint()};
  }

  /**
   * The positions every relay of this process that leads has passed in its current run, {@code
   * (since, through]}: whatever stream event lies there reached the bus, marked or not. Null if
   * none leads, or it has passed nothing yet.
   */
  synchronized long[] passedRun() {
    if (!leading()) {
      return null;
    }
    long since = 0;
    long through = Long.MAX_VALUE;
    for (Lease lease : leases.values()) {
      since = Math.max(since, lease.since());
      through = Math.min(through, lease.checkpoint());
    }
    return through > since ? new long[] {since, through} : null;
  }

  /**
   * Owes the mark of the whole commit at {@code seq} instead of writing it, if a relay of this
   * process holds an unexpired lease and there is room.
   *
   * @return whether the mark is owed; if not, the caller writes it
   */
  synchronized boolean owe(long seq, String claimKey, long first, long last) {
    if (closed || !leading() || owed.size() >= capacity) {
      return false;
    }
    owed.put(seq, new Owed(seq, claimKey, first, last));
    owedCount = owed.size();
    return true;
  }

  /** Whether the event at {@code version} of the commit at {@code seq} is owed a mark. */
  boolean covers(long seq, long version) {
    if (owedCount == 0) {
      return false;
    }
    synchronized (this) {
      Owed mark = owed.get(seq);
      return mark != null && mark.first() <= version && version <= mark.last();
    }
  }

  /**
   * The relay lost or gave up its lease on {@code processor}: the marks owed, to be written now,
   * unless a lease of another relay of this process still runs.
   */
  synchronized List<Owed> lost(String processor) {
    leases.remove(processor);
    return leading() ? List.of() : handBack();
  }

  /** The marks owed if every lease of this process has run out unrenewed, to be written now. */
  synchronized List<Owed> expired() {
    List<Owed> out = owed.isEmpty() || leading() ? new ArrayList<>() : handBack();
    out.addAll(toSend);
    toSend.clear();
    return out;
  }

  /** Every mark owed, to be written now: the repository closes, and owes none from now on. */
  synchronized List<Owed> drain() {
    closed = true;
    leases.clear();
    return handBack();
  }

  /** How many marks are owed now. */
  synchronized int size() {
    return owed.size();
  }

  private boolean leading() {
    long now = nanoTime.getAsLong();
    boolean dropped = leases.values().removeIf(lease -> now - lease.expiresAt() >= 0);
    if (dropped && leases.isEmpty() && !owed.isEmpty()) {
      toSend.addAll(handBack()); // unwritten at once: a checkpoint writes them before passing them
    }
    return !leases.isEmpty();
  }

  /** The mark was written: a checkpoint may pass its commit. */
  synchronized void written(Owed mark) {
    unwritten.remove(mark.seq(), mark);
  }

  /** The marks handed back and not yet known written, of commits at or before {@code seq}. */
  synchronized List<Owed> unwrittenUpTo(long seq) {
    return new ArrayList<>(unwritten.headMap(seq, true).values());
  }

  /** The marks forgetPassed handed back, to be written now. */
  synchronized List<Owed> takeToSend() {
    List<Owed> out = new ArrayList<>(toSend);
    toSend.clear();
    return out;
  }

  /** A mark no recorded run covers: to be written (by the caller) instead of forgotten. */
  private void sendInstead(Owed mark) {
    unwritten.put(mark.seq(), mark);
    toSend.add(mark);
  }

  private List<Owed> handBack() {
    List<Owed> back = new ArrayList<>(owed.values());
    for (Owed mark : back) {
      unwritten.put(mark.seq(), mark);
    }
    owed.clear();
    owedCount = 0;
    return back;
  }

  private long leastCheckpoint() {
    long least = Long.MAX_VALUE;
    for (Lease lease : leases.values()) {
      least = Math.min(least, lease.checkpoint());
    }
    return least == Long.MAX_VALUE ? 0 : least;
  }

  /**
   * Forgets the marks of commits every leading relay of this process has passed.
   *
   * @return whether any was forgotten
   */
  private boolean forgetPassed(String processor) {
    long passed = leastCheckpoint();
    if (passed == 0) {
      return false;
    }
    long seq = LogReader.sequenceOf(passed);
    var before = owed.headMap(seq, false);
    boolean any = false;
    // Only the caller's run is returned for the record: a mark it does not cover whole is written.
    long since = leases.get(processor).since();
    for (Owed mark : before.values()) {
      if (LogReader.position(mark.seq(), 0) <= since) {
        // Passed before the run that forgets it began (a checkpoint this process did not move
        // by passing it, or a lease entry dropped meanwhile): no run recorded covers it, so it is
        // written instead.
        sendInstead(mark);
      } else {
        any = true;
      }
    }
    before.clear();
    // The commit holding the checkpoint may be passed only in part: its mark is kept unless the
    // checkpoint is at its last event. Kept, the mark of a log's last commit would stay owed (and
    // the run unrecorded) for as long as nothing is committed after it.
    Owed holding = owed.get(seq);
    if (holding != null
        && passed >= LogReader.position(seq, (int) (holding.last() - holding.first()))) {
      owed.remove(seq);
      if (LogReader.position(seq, 0) <= since) {
        sendInstead(holding);
      } else {
        any = true;
      }
    }
    owedCount = owed.size();
    return any;
  }
}
