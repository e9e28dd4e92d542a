package io.cqrs.couchbase;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The last version of each commit this repository claimed lately, by claim key. A claim's last
 * version never changes once inserted, so a publication mark of a commit the repository has just
 * saved (what {@link io.cqrs.EventSourcingRepository} marks after each publish) needs no read of
 * the claim: one sub-document add instead of an add and a lookup. Bounded; what it forgets only
 * costs that lookup again.
 */
final class RecentCommits {
  private static final int CAPACITY = 4096;

  private final ConcurrentHashMap<String, Long> lastByClaim = new ConcurrentHashMap<>();

  /** Remembers that the commit claimed at {@code claimKey} ends at {@code last}. */
  void claimed(String claimKey, long last) {
    if (lastByClaim.size() >= CAPACITY) {
      lastByClaim.clear(); // saves that are never marked (no event bus) must not pile up
    }
    lastByClaim.put(claimKey, last);
  }

  /** The last version of the commit claimed at {@code claimKey}, or 0 if not known. */
  long last(String claimKey) {
    Long last = lastByClaim.get(claimKey);
    return last == null ? 0 : last;
  }

  /** The last version of the commit claimed at {@code claimKey}, or 0 if not known; forgets it. */
  long take(String claimKey) {
    Long last = lastByClaim.remove(claimKey);
    return last == null ? 0 : last;
  }
}
