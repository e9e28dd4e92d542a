package io.cqrs.couchbase;

import io.cqrs.CqrsException;
import io.cqrs.VersionedEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Decides what a log sequence holds for readers: committed events, nothing (a marker, or a commit
 * that lost its stream's version to another), or not yet known (no document).
 *
 * <p>A commit document whose claim does not exist yet is <em>prepared</em>: its writer checked the
 * stream's end before taking the sequence, so the claim is still free and the document complete.
 * The resolver completes it by inserting the claim itself; if the writer (or another reader)
 * inserted it first, the claim says whose commit won. Either way the decision is final, so no
 * reader ever waits on a writer that died after storing its document. The writer indexes a commit
 * while storing it, and may have died before its index entries landed, so the resolver appends them
 * before it claims: a committed commit is always found by its correlation ids.
 */
final class CommitResolver {
  private static final Logger log = LoggerFactory.getLogger(CommitResolver.class);

  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;
  private final CorrelationIndex index;

  CommitResolver(Kv kv, KeyLayout keys, DocumentCodec codec, CorrelationIndex index) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
    this.index = index;
  }

  /** What one sequence holds. */
  sealed interface Resolution {
    long seq();
  }

  /** Committed events, with the marks of those that reached the event bus. */
  record Events(long seq, List<VersionedEvent> events, PublicationMarks marks)
      implements Resolution {}

  /** Nothing to read: a marker, or a commit that lost the race for its stream's version. */
  record Skip(long seq) implements Resolution {}

  /** No document yet: a write in flight, or one that died before storing it. */
  record Missing(long seq) implements Resolution {}

  /**
   * A document this process cannot read for good (an event type its registry does not know, a
   * corrupted document), answered by {@link #resolveWindow} in its place so that a reader can
   * return what precedes it; the sequences after it in the window are not resolved (they answer
   * this too). Never kept.
   */
  record Unreadable(long seq, RuntimeException failure) implements Resolution {}

  /**
   * Resolves {@code seqs} in order, reading only what it does not know yet. A commit's events and
   * whether it won its version never change once resolved, nor does a skipped sequence, so those
   * are kept in a ring of {@value #KEPT} slots (commits of at most {@value #KEPT_EVENTS} events),
   * by sequence, for the next reader of the same positions (every segment of every tracking
   * processor of this repository reads the whole log): only the publication marks can still change,
   * and only by growing, so a kept commit not yet marked published throughout has its claim read
   * again, and one marked throughout costs nothing. The answer is what {@link #resolve} would give
   * from the documents now.
   */
  List<Resolution> resolveWindow(List<Long> seqs) {
    return resolveWindow(seqs, true);
  }

  /**
   * {@link #resolveWindow(List)}, with {@code marks} false for a reader that does not look at the
   * publication marks (an event processor): a kept commit is then answered from memory, its claim
   * not read again, and its marks may be stale.
   */
  List<Resolution> resolveWindow(List<Long> seqs, boolean marks) {
    Resolution[] out = new Resolution[seqs.size()];
    List<Long> unknown = new ArrayList<>();
    List<Integer> unknownAt = new ArrayList<>();
    List<Integer> refreshAt = new ArrayList<>();
    List<String> refreshKeys = new ArrayList<>();
    for (int i = 0; i < seqs.size(); i++) {
      long seq = seqs.get(i);
      Kept kept = this.kept.get(slot(seq));
      if (kept == null || kept.resolution().seq() != seq) {
        kept = large(seq);
      }
      if (kept == null || kept.resolution().seq() != seq) {
        unknown.add(seq);
        unknownAt.add(i);
        continue;
      }
      out[i] = kept.resolution();
      if (marks && kept.claimKey() != null) {
        refreshAt.add(i);
        refreshKeys.add(kept.claimKey());
      }
    }
    List<String> logKeys = new ArrayList<>(unknown.size());
    for (long seq : unknown) {
      logKeys.add(keys.log(seq));
    }
    // The unknown sequences' documents and the kept commits' claims are independent: one round
    // trip for both.
    var fetched =
        Kv.await(
            Mono.zip(kv.getAllAsync(logKeys), kv.getAllAsync(refreshKeys)),
            "read of " + seqs.size() + " log sequences from " + keys.log(seqs.get(0)));
    if (!unknown.isEmpty()) {
      List<Resolution> resolved = resolve(unknown, fetched.getT1(), true, true);
      for (int j = 0; j < resolved.size(); j++) {
        out[unknownAt.get(j)] = resolved.get(j);
      }
    }
    if (!refreshKeys.isEmpty()) {
      List<Optional<Kv.Document>> claims = fetched.getT2();
      for (int j = 0; j < refreshAt.size(); j++) {
        Events events = (Events) out[refreshAt.get(j)];
        String key = refreshKeys.get(j);
        String stream = events.events().isEmpty() ? null : events.events().get(0).sourceId();
        byte[] claim =
            claims
                .get(j)
                .orElseThrow(() -> new IllegalStateException("claim '" + key + "' vanished"))
                .content();
        Events now = new Events(events.seq(), events.events(), codec.marks(key, claim, stream));
        out[refreshAt.get(j)] = now;
        keep(now, key, true);
      }
    }
    return List.of(out);
  }

  /** How many settled resolutions are kept: a power of two. */
  static final int KEPT = 1024;

  /**
   * The most events a kept commit holds: with {@link #KEPT}, bounds what the ring holds to about
   * 16,000 decoded events (the commits of commands are small; a bulk import's are not kept).
   */
  static final int KEPT_EVENTS = 16;

  /** A settled resolution, with the claim to read again for its marks (null: they are final). */
  private record Kept(Resolution resolution, String claimKey) {}

  private final AtomicReferenceArray<Kept> kept = new AtomicReferenceArray<>(KEPT);

  /** How many commits of more than {@link #KEPT_EVENTS} events are held at most. */
  static final int LARGE_KEPT = 4;

  /**
   * The last commits of more than {@link #KEPT_EVENTS} events that log reads resolved, least
   * recently used first, held while readers go through them page by page (a relay or processor
   * batch stops inside a bulk import's commit and the next one resumes there): without them every
   * page fetched and decoded the whole commit again, quadratic in its size. Several, so that
   * readers in different large commits (the relay one import behind the processors, a processor
   * rebuilding from the start) do not push each other's out at every page. Each is released once a
   * read has returned its last event ({@link #passed}); another reader still in it then reads it
   * again once. So a process holds at most {@value #LARGE_KEPT} such commits, those its readers are
   * in (or stopped in). Guarded by itself.
   */
  private final ArrayDeque<Kept> large = new ArrayDeque<>(LARGE_KEPT);

  /** The held large commit at {@code seq}, now the most recently used; null if none. */
  private Kept large(long seq) {
    synchronized (large) {
      for (Iterator<Kept> it = large.iterator(); it.hasNext(); ) {
        Kept held = it.next();
        if (held.resolution().seq() == seq) {
          it.remove();
          large.addLast(held);
          return held;
        }
      }
      return null;
    }
  }

  private void holdLarge(Kept held) {
    synchronized (large) {
      large.removeIf(other -> other.resolution().seq() == held.resolution().seq());
      if (large.size() == LARGE_KEPT) {
        large.removeFirst();
      }
      large.addLast(held);
    }
  }

  /** A log read has returned the last event of the commit at {@code seq}. */
  void passed(long seq) {
    synchronized (large) {
      large.removeIf(held -> held.resolution().seq() == seq);
    }
  }

  private static int slot(long seq) {
    return (int) (seq & (KEPT - 1));
  }

  /** With {@code read}, for a log read: a large commit is then held ({@link #large}). */
  private void keep(Resolution resolution, String claimKey, boolean read) {
    if (resolution instanceof Events events) {
      boolean marked = true;
      for (VersionedEvent event : events.events()) {
        marked &= events.marks().covers(event.version());
      }
      Kept held = new Kept(resolution, marked ? null : claimKey);
      if (events.events().size() > KEPT_EVENTS) {
        if (read) {
          holdLarge(held);
        }
        return;
      }
      kept.set(slot(resolution.seq()), held);
    } else if (resolution instanceof Skip) {
      kept.set(slot(resolution.seq()), new Kept(resolution, null));
    }
  }

  /**
   * Keeps a commit this repository has just committed (its claim inserted) at {@code seq}, so that
   * its own log readers answer it from memory instead of reading its document: what a reader would
   * resolve from the documents now, marks aside (none yet; a reader that wants them reads the claim
   * at {@code claimKey}, as for any kept commit not marked throughout).
   */
  void committed(long seq, List<VersionedEvent> events, String claimKey) {
    keep(new Events(seq, List.copyOf(events), PublicationMarks.NONE), claimKey, false);
  }

  /**
   * Records that the server holds the mark {@code first..last} of the whole commit at {@code seq},
   * claimed at {@code claimKey}, or that this process owes it ({@link OwedMarks}): if that commit
   * is kept, its marks are now final and its claim is not read again. What a reader would find in
   * the claim now (marks only grow), or what the owed mark says until it is written or the relay
   * has passed the commit; a slot that moved on to another sequence is left alone.
   */
  void published(long seq, String claimKey, long first, long last) {
    int slot = slot(seq);
    Kept held = kept.get(slot);
    if (covers(held, seq, claimKey, last)) {
      kept.compareAndSet(slot, held, marked(held, first, last));
    }
    synchronized (large) {
      Kept bulk = null;
      for (Kept other : large) {
        if (covers(other, seq, claimKey, last)) {
          bulk = other;
        }
      }
      if (bulk != null) {
        large.remove(bulk); // held on, with its marks now final
        large.addLast(marked(bulk, first, last));
      }
    }
  }

  /**
   * Whether {@code held} is the commit at {@code seq}, claimed at {@code claimKey}, to {@code
   * last}.
   */
  private static boolean covers(Kept held, long seq, String claimKey, long last) {
    return held != null
        && held.resolution() instanceof Events events
        && events.seq() == seq
        // The claim key names the stream and the commit's first version.
        && claimKey.equals(held.claimKey())
        && !events.events().isEmpty()
        && events.events().get(events.events().size() - 1).version() == last;
  }

  private static Kept marked(Kept held, long first, long last) {
    Events events = (Events) held.resolution();
    return new Kept(
        new Events(events.seq(), events.events(), PublicationMarks.covering(first, last)), null);
  }

  /** Resolves {@code seqs}, whose documents were read as {@code documents}, in order. */
  List<Resolution> resolve(List<Long> seqs, List<Optional<Kv.Document>> documents) {
    return resolve(seqs, documents, false, false);
  }

  /**
   * With {@code lenient}, a document that cannot be read for good ends the resolution there: it and
   * every later sequence answer {@link Unreadable}; without, its failure is thrown.
   */
  private List<Resolution> resolve(
      List<Long> seqs, List<Optional<Kv.Document>> documents, boolean keep, boolean lenient) {
    List<LogDocument> decoded = new ArrayList<>(seqs.size());
    List<String> claimKeys = new ArrayList<>();
    int readable = seqs.size();
    RuntimeException unreadable = null;
    for (int i = 0; i < seqs.size(); i++) {
      String key = keys.log(seqs.get(i));
      Optional<Kv.Document> stored = documents.get(i);
      LogDocument document;
      try {
        document = stored.isPresent() ? codec.log(key, stored.get().content(), null) : null;
      } catch (CqrsException e) {
        if (!lenient || e.isTransient()) {
          throw e;
        }
        readable = i;
        unreadable = e;
        break;
      }
      decoded.add(document);
      if (document instanceof LogDocument.Commit commit) {
        claimKeys.add(keys.claim(commit.streamId(), commit.first()));
      }
    }
    List<Optional<Kv.Document>> claims = kv.getAll(claimKeys);
    List<Resolution> resolved = new ArrayList<>(seqs.size());
    int claimIndex = 0;
    for (int i = 0; i < seqs.size(); i++) {
      long seq = seqs.get(i);
      if (i >= readable) {
        resolved.add(new Unreadable(seq, unreadable));
        continue;
      }
      LogDocument document = decoded.get(i);
      Resolution resolution;
      String claimKey = null;
      if (document instanceof LogDocument.Commit commit) {
        resolution = resolveCommit(seq, commit, claims.get(claimIndex++));
        claimKey = keys.claim(commit.streamId(), commit.first());
      } else if (document instanceof LogDocument.Integration integration) {
        resolution = new Events(seq, integration.events(), PublicationMarks.ALL);
      } else if (document == null) {
        resolution = new Missing(seq);
      } else {
        resolution = new Skip(seq);
      }
      if (keep) {
        keep(resolution, claimKey, true);
      }
      resolved.add(resolution);
    }
    return resolved;
  }

  /**
   * A prepared commit that a correlation index at its size limit cannot list: nobody can ever claim
   * it, since a claim needs the listing first (and the index document only grows), so it is
   * abandoned as its writer abandons it, and the log goes on past it. Left prepared, it stopped
   * every log reader at its sequence for good.
   */
  private Resolution abandoned(
      long seq, LogDocument.Commit commit, CorrelationIndexFullException full) {
    log.error(
        "Abandoning prepared commit {} of stream '{}' (versions {}..{}): {}",
        seq,
        KeyLayout.shown(commit.streamId()),
        commit.first(),
        commit.last(),
        full.getMessage());
    kv.replace(keys.log(seq), codec.marker(DocumentCodec.ABORTED), 0);
    return new Skip(seq);
  }

  private Resolution resolveCommit(
      long seq, LogDocument.Commit commit, Optional<Kv.Document> claim) {
    String key = keys.claim(commit.streamId(), commit.first());
    Optional<Kv.Document> holder = claim;
    if (holder.isEmpty()) {
      try {
        index.appendNow(seq, commit.events());
      } catch (CorrelationIndexFullException full) {
        return abandoned(seq, commit, full);
      }
      if (kv.insert(key, codec.claim(seq, commit.last(), commit.command(), commit.type())) != 0) {
        log.info(
            "Completed prepared commit {} of stream '{}' (versions {}..{}) for its writer",
            seq,
            KeyLayout.shown(commit.streamId()),
            commit.first(),
            commit.last());
        return new Events(seq, commit.events(), PublicationMarks.NONE);
      }
      holder = kv.get(key);
    }
    byte[] content =
        holder
            .orElseThrow(() -> new IllegalStateException("claim '" + key + "' vanished"))
            .content();
    if (codec.claim(key, content, commit.streamId(), commit.first()).seq() != seq) {
      return new Skip(seq);
    }
    return new Events(seq, commit.events(), codec.marks(key, content, commit.streamId()));
  }
}
