package io.cqrs.couchbase;

import io.cqrs.VersionedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  /** Resolves {@code seqs}, whose documents were read as {@code documents}, in order. */
  List<Resolution> resolve(List<Long> seqs, List<Optional<Kv.Document>> documents) {
    List<LogDocument> decoded = new ArrayList<>(seqs.size());
    List<String> claimKeys = new ArrayList<>();
    for (int i = 0; i < seqs.size(); i++) {
      String key = keys.log(seqs.get(i));
      Optional<Kv.Document> stored = documents.get(i);
      LogDocument document =
          stored.isPresent() ? codec.log(key, stored.get().content(), null) : null;
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
      LogDocument document = decoded.get(i);
      if (document instanceof LogDocument.Commit commit) {
        resolved.add(resolveCommit(seq, commit, claims.get(claimIndex++)));
      } else if (document instanceof LogDocument.Integration integration) {
        resolved.add(new Events(seq, integration.events(), PublicationMarks.ALL));
      } else if (document == null) {
        resolved.add(new Missing(seq));
      } else {
        resolved.add(new Skip(seq));
      }
    }
    return resolved;
  }

  private Resolution resolveCommit(
      long seq, LogDocument.Commit commit, Optional<Kv.Document> claim) {
    String key = keys.claim(commit.streamId(), commit.first());
    Optional<Kv.Document> holder = claim;
    if (holder.isEmpty()) {
      index.appendNow(seq, commit.events());
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
