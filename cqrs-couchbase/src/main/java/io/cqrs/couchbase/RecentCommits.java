package io.cqrs.couchbase;

/**
 * The last version and log sequence of each commit this repository claimed lately, by claim key. A
 * claim's last version never changes once inserted, so a publication mark of a commit the
 * repository has just saved (what {@link io.cqrs.EventSourcingRepository} marks after each publish)
 * needs no read of the claim: one sub-document add instead of an add and a lookup; and once that
 * add has landed, the log readers of this repository know the commit is published without reading
 * the claim ({@link CommitResolver#published}). Bounded; what it forgets only costs those reads
 * again.
 */
final class RecentCommits {
  private static final int CAPACITY = 4096;

  /** A commit claimed by this repository: its last version and its log sequence. */
  record Claimed(long last, long seq) {}

  // Forgotten at capacity: saves that are never marked (no event bus) must not pile up.
  private final ForgetfulMap<String, Claimed> byClaim = new ForgetfulMap<>(CAPACITY);

  /** Remembers that the commit claimed at {@code claimKey} ends at {@code last}, at {@code seq}. */
  void claimed(String claimKey, long last, long seq) {
    byClaim.put(claimKey, new Claimed(last, seq));
  }

  /** The last version of the commit claimed at {@code claimKey}, or 0 if not known. */
  long last(String claimKey) {
    Claimed claimed = byClaim.get(claimKey);
    return claimed == null ? 0 : claimed.last();
  }

  /** The commit claimed at {@code claimKey}, or null if not known; forgets it. */
  Claimed take(String claimKey) {
    return byClaim.remove(claimKey);
  }
}
