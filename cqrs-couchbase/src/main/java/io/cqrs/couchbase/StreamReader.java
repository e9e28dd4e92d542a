package io.cqrs.couchbase;

import io.cqrs.SerializationException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * Reads streams: the head names every commit's log sequence, so a load costs one read of the head
 * and then one parallel wave of commit reads, whatever the number of events. Claims beyond the head
 * (left by a writer that died before updating it) are followed one by one; that path only runs
 * after such a failure, until the next save of the stream repairs the head.
 */
final class StreamReader {
  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;

  StreamReader(Kv kv, KeyLayout keys, DocumentCodec codec) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
  }

  /** The fields of the head a reader needs: not its command set, which only saves consult. */
  private static final List<String> HEAD_FIELDS =
      List.of("f", "v", "c", DocumentCodec.TYPE, DocumentCodec.ARCHIVE);

  /** The stream's head document; {@link StreamHead#EMPTY} if it has none. */
  StreamHead head(String streamId) {
    return Kv.await(headAsync(streamId), "read of the head of '" + KeyLayout.shown(streamId) + "'");
  }

  private Mono<StreamHead> headAsync(String streamId) {
    String key = keys.head(streamId);
    return kv.getFieldsAsync(key, HEAD_FIELDS)
        // Named here, with the document's key and stream, whichever read it is part of.
        .onErrorMap(
            e -> {
              RuntimeException mapped =
                  CouchbaseErrors.map("lookup of " + HEAD_FIELDS + " in '" + key + "'", e);
              return mapped instanceof SerializationException unreadable
                  ? DocumentCodec.corrupt(key, streamId, unreadable)
                  : mapped;
            })
        .map(
            fields -> {
              try {
                return fields
                    .map(doc -> codec.head(key, doc.content(), streamId, doc.cas()))
                    .orElse(StreamHead.EMPTY);
              } catch (SerializationException e) {
                throw DocumentCodec.corrupt(key, streamId, e);
              }
            });
  }

  /** The head's version and the head document's CAS; empty if the stream has no head. */
  Optional<Kv.NumberField> headVersion(String streamId) {
    String key = keys.head(streamId);
    try {
      return kv.lookupNumber(key, "v");
    } catch (SerializationException e) {
      throw DocumentCodec.corrupt(key, streamId, e);
    }
  }

  /**
   * What a save checks in the head: its version and CAS, its type, whether it records the command,
   * and the log sequence of the commit ending at its version (0 if it lists none).
   */
  record HeadCheck(
      long version,
      long cas,
      String type,
      boolean holdsCommand,
      long lastSeq,
      long archivedThrough,
      long pages) {}

  /**
   * The head's last commit entry and its type, read beside its version, and how much of the stream
   * it has moved to pages (its commands to buckets, which a save then reads too).
   */
  private static final List<String> CHECKED_FIELDS =
      List.of(DocumentCodec.TYPE, "c[-1]", DocumentCodec.ARCHIVE);

  /**
   * The head's version, the head document's CAS, the stream's aggregate type, whether the head
   * records command {@code command} (a {@linkplain KeyLayout#commandHash hash}; null to ask only
   * for the version and type) and the log sequence of its last commit, in one lookup, without
   * waiting; empty if the stream has no head.
   */
  Mono<Optional<HeadCheck>> headCheckAsync(String streamId, String command) {
    String key = keys.head(streamId);
    return kv.lookupNumberAndFieldsAsync(
            key,
            "v",
            CHECKED_FIELDS,
            command == null ? null : DocumentCodec.COMMANDS + "." + command)
        .onErrorMap(SerializationException.class, e -> DocumentCodec.corrupt(key, streamId, e))
        .map(
            found ->
                found.map(
                    head -> {
                      long[] archive = archive(key, streamId, head.fields().get(2));
                      return new HeadCheck(
                          head.value(),
                          head.cas(),
                          codec.type(key, head.fields().get(0), streamId),
                          head.pathExists(),
                          lastSeq(key, streamId, head.fields().get(1)),
                          archive[0],
                          archive[1]);
                    }));
  }

  /** The head's {@code [archivedThrough, pages]} from its raw JSON; {@code [0, 0]} if absent. */
  private long[] archive(String key, String streamId, byte[] field) {
    try {
      return codec.archive(field);
    } catch (IllegalArgumentException e) {
      throw DocumentCodec.corrupt(key, streamId, e);
    }
  }

  /** The sequence of a head entry {@code [last, seq]} as raw JSON; 0 if there is none. */
  private static long lastSeq(String key, String streamId, byte[] entry) {
    if (entry == null) {
      return 0;
    }
    String text = new String(entry, StandardCharsets.US_ASCII).trim();
    int comma = text.indexOf(',');
    try {
      if (!text.startsWith("[") || !text.endsWith("]") || comma < 0) {
        throw new NumberFormatException(text);
      }
      return Long.parseLong(text.substring(comma + 1, text.length() - 1).trim());
    } catch (NumberFormatException e) {
      throw DocumentCodec.corrupt(
          key,
          streamId,
          new SerializationException("head entry " + text + " is not [last, seq]", e));
    }
  }

  /** The head's version and the head document's CAS, without waiting; empty if it has no head. */
  Mono<Optional<Kv.NumberField>> headVersionAsync(String streamId) {
    String key = keys.head(streamId);
    return kv.lookupNumberAsync(key, "v")
        .onErrorMap(SerializationException.class, e -> DocumentCodec.corrupt(key, streamId, e));
  }

  /** The claims after {@code version}, followed until one is missing. */
  List<StreamHead.Entry> claimsAfter(String streamId, long version) {
    return Kv.await(
        claimsAfterAsync(streamId, version, new ArrayList<>()),
        "read of the claims of stream '" + KeyLayout.shown(streamId) + "'");
  }

  /** The stream's current version: its head, then any claims past it. */
  long version(String streamId) {
    long head = headVersion(streamId).map(Kv.NumberField::value).orElse(0L);
    return end(head, claimsAfter(streamId, head));
  }

  /**
   * The events with version {@code >= fromVersion}, in order, and the stream's aggregate type: the
   * head's, or, while a stream has no head yet, its first claim's.
   */
  EventStream load(String streamId, long fromVersion) {
    if (fromVersion > 1) {
      // A reader that holds the stream up to fromVersion - 1 (from a snapshot, say) often finds
      // the head right there: read the head and the one claim that would start the next commit at
      // once, one round trip when nothing was committed since. The claim is trusted only if the
      // head is at exactly fromVersion - 1, so that it starts a commit; the chain is followed only
      // then (claims stay after the head moves on, so a reader further behind would walk them all).
      String claimKey = keys.claim(streamId, fromVersion);
      var both =
          Kv.await(
              Mono.zip(headAsync(streamId), kv.getAsync(claimKey)),
              "load of stream '" + KeyLayout.shown(streamId) + "'");
      StreamHead head = both.getT1();
      if (head.version() == fromVersion - 1) {
        List<StreamHead.Entry> beyond = new ArrayList<>();
        if (both.getT2().isPresent()) {
          StreamHead.Entry next =
              codec.claim(claimKey, both.getT2().get().content(), streamId, fromVersion);
          beyond.add(next);
          beyond.addAll(claimsAfter(streamId, next.last()));
        }
        List<VersionedEvent> events = new ArrayList<>();
        collect(streamId, beyond, kv.getAll(logKeys(beyond)), fromVersion, events);
        return new EventStream(streamId, type(head, beyond), events);
      }
      return load(streamId, fromVersion, head);
    }
    return load(streamId, fromVersion, head(streamId));
  }

  /**
   * The events after {@code readVersion}, which ends a commit of the stream: one existence probe
   * ({@link Kv#exists}, a metadata read) of the claim that would start the next commit, which,
   * missing, proves the stream ends there (a version is committed exactly when its claim exists,
   * whatever the head says). Only if it exists is the stream loaded from there, as {@link
   * #load(String, long)} does.
   */
  EventStream loadAfter(String streamId, long readVersion) {
    if (!kv.exists(keys.claim(streamId, readVersion + 1))) {
      return new EventStream(streamId, null, List.of());
    }
    return load(streamId, readVersion + 1);
  }

  /**
   * At most {@code maxEvents} events with version {@code >= fromVersion}, in order: the head, then
   * only the pages, commits and claims past the head that hold them (whole commits, so at most one
   * commit's events more are read than returned). A page from early in a long stream reads the
   * head's pages a window at a time from the one holding {@code fromVersion}, not all of them; one
   * from its end walks the claims past a lagging head only as far as the page reaches.
   */
  EventStream load(String streamId, long fromVersion, int maxEvents) {
    StreamHead head = head(streamId);
    List<StreamHead.Entry> wanted = commitsFrom(streamId, head, fromVersion, maxEvents);
    long missing = maxEvents - eventsFrom(wanted, fromVersion);
    List<StreamHead.Entry> beyond;
    List<Optional<Kv.Document>> documents;
    if (missing <= 0) {
      beyond = List.of();
      documents = kv.getAll(logKeys(wanted));
    } else {
      var both =
          Kv.await(
              Mono.zip(
                  kv.getAllAsync(logKeys(wanted)),
                  claimsAfterAsync(
                      streamId, head.version(), new ArrayList<>(), fromVersion, missing)),
              "load of stream '" + KeyLayout.shown(streamId) + "'");
      documents = both.getT1();
      beyond = both.getT2();
    }
    List<VersionedEvent> events = new ArrayList<>((int) Math.min(maxEvents, 1024));
    collect(streamId, wanted, documents, fromVersion, maxEvents, events);
    List<StreamHead.Entry> held = holding(beyond, fromVersion);
    collect(streamId, held, kv.getAll(logKeys(held)), fromVersion, maxEvents, events);
    return new EventStream(streamId, type(head, beyond), events);
  }

  /**
   * The commits of {@code entries} that hold a version {@code >= fromVersion}: the claims past a
   * lagging head are followed from the head, but the commits before the load's first version need
   * not be read.
   */
  private static List<StreamHead.Entry> holding(List<StreamHead.Entry> entries, long fromVersion) {
    if (entries.isEmpty() || entries.get(0).last() >= fromVersion) {
      return entries;
    }
    List<StreamHead.Entry> held = new ArrayList<>(entries.size());
    for (StreamHead.Entry entry : entries) {
      if (entry.last() >= fromVersion) {
        held.add(entry);
      }
    }
    return held;
  }

  /** How many events of {@code entries} have a version {@code >= fromVersion}. */
  private static long eventsFrom(List<StreamHead.Entry> entries, long fromVersion) {
    long count = 0;
    for (StreamHead.Entry entry : entries) {
      count += eventsFrom(entry, fromVersion);
    }
    return count;
  }

  private static long eventsFrom(StreamHead.Entry entry, long fromVersion) {
    return entry.last() < fromVersion ? 0 : entry.last() - Math.max(entry.first(), fromVersion) + 1;
  }

  private EventStream load(String streamId, long fromVersion, StreamHead head) {
    List<StreamHead.Entry> wanted = commitsFrom(streamId, head, fromVersion);
    // The head's commits and the claims past the head are read at the same time.
    var both =
        Kv.await(
            Mono.zip(
                kv.getAllAsync(logKeys(wanted)),
                claimsAfterAsync(streamId, head.version(), new ArrayList<>())),
            "load of stream '" + KeyLayout.shown(streamId) + "'");
    List<StreamHead.Entry> beyond = both.getT2();
    List<VersionedEvent> events = new ArrayList<>();
    collect(streamId, wanted, both.getT1(), fromVersion, events);
    List<StreamHead.Entry> held = holding(beyond, fromVersion);
    collect(streamId, held, kv.getAll(logKeys(held)), fromVersion, events);
    return new EventStream(streamId, type(head, beyond), events);
  }

  /**
   * The commits the head names (its own and, if {@code fromVersion} is at or before its last
   * archived version, its pages') that end at or after {@code fromVersion}, in version order.
   */
  List<StreamHead.Entry> commitsFrom(String streamId, StreamHead head, long fromVersion) {
    return commitsFrom(streamId, head, fromVersion, Long.MAX_VALUE);
  }

  /**
   * {@link #commitsFrom(String, StreamHead, long)}, ending with the first commit that brings the
   * events at or after {@code fromVersion} to {@code maxEvents}.
   */
  private List<StreamHead.Entry> commitsFrom(
      String streamId, StreamHead head, long fromVersion, long maxEvents) {
    List<StreamHead.Entry> wanted = new ArrayList<>();
    long[] count = {0};
    if (fromVersion <= head.archivedThrough()) {
      for (StreamHead.Entry entry : archivedCommits(streamId, head, fromVersion, maxEvents)) {
        if (take(entry, fromVersion, maxEvents, wanted, count)) {
          return wanted;
        }
      }
    }
    for (StreamHead.Entry entry : head.commits()) {
      if (take(entry, fromVersion, maxEvents, wanted, count)) {
        return wanted;
      }
    }
    return wanted;
  }

  /** Adds a commit that holds events wanted; true once {@code maxEvents} are reached. */
  private static boolean take(
      StreamHead.Entry entry,
      long fromVersion,
      long maxEvents,
      List<StreamHead.Entry> wanted,
      long[] count) {
    long events = eventsFrom(entry, fromVersion);
    if (events > 0) {
      wanted.add(entry);
      count[0] += events;
    }
    return count[0] >= maxEvents;
  }

  /** Up to this many pages a load reads all at once; beyond, it first looks for where to start. */
  static final int PAGES_READ_WHOLE = 16;

  /**
   * The commits in the head's pages from the one holding {@code fromVersion} on, read in parallel:
   * contiguous up to the head's last archived version, or a {@link SerializationException} naming
   * the page that breaks it. A head with more than {@value #PAGES_READ_WHOLE} pages has its pages
   * searched first (a binary search on the version each page follows, one get per step), so that a
   * load from late in a long stream does not read every page from the first.
   */
  private List<StreamHead.Entry> archivedCommits(
      String streamId, StreamHead head, long fromVersion, long maxEvents) {
    long first = 0;
    long offset = 0;
    if (head.pages() > PAGES_READ_WHOLE && fromVersion > 1) {
      // The last page that follows a version before fromVersion holds it: pages are contiguous.
      long low = 0;
      long high = head.pages() - 1;
      while (low < high) {
        long middle = (low + high + 1) >>> 1;
        long follows = pageOffset(streamId, middle);
        if (follows < fromVersion) {
          low = middle;
          offset = follows;
        } else {
          high = middle - 1;
        }
      }
      first = low;
    }
    // A bounded read takes the pages a window at a time and stops once they hold its events;
    // an unbounded one reads them all at once.
    long window = maxEvents == Long.MAX_VALUE ? head.pages() : PAGES_READ_WHOLE;
    List<StreamHead.Entry> commits = new ArrayList<>();
    long wanted = 0;
    long page = first;
    while (page < head.pages()) {
      List<String> pageKeys = new ArrayList<>();
      for (long end = Math.min(head.pages(), page + window); page < end; page++) {
        pageKeys.add(keys.headPage(streamId, page));
      }
      List<Optional<Kv.Document>> pages = kv.getAll(pageKeys);
      long firstOfWindow = page - pageKeys.size();
      for (int i = 0; i < pages.size(); i++) {
        String key = pageKeys.get(i);
        if (pages.get(i).isEmpty()) {
          throw missingPage(streamId, head, firstOfWindow + i);
        }
        List<StreamHead.Entry> entries =
            codec.headPage(key, pages.get(i).get().content(), streamId, offset);
        commits.addAll(entries);
        wanted += eventsFrom(entries, fromVersion);
        offset = entries.get(entries.size() - 1).last();
        if (wanted >= maxEvents) {
          // Enough: the window's later pages are not looked at, as if never read (a page missing
          // or corrupted there fails the loads that need it, not this one).
          return commits;
        }
      }
    }
    if (offset != head.archivedThrough()) {
      throw DocumentCodec.corrupt(
          keys.head(streamId),
          streamId,
          new SerializationException(
              "its pages end at version "
                  + offset
                  + ", not at its last archived version "
                  + head.archivedThrough()));
    }
    return commits;
  }

  /** The version page {@code page} follows. */
  private long pageOffset(String streamId, long page) {
    String key = keys.headPage(streamId, page);
    return codec.headPageOffset(
        key, kv.get(key).orElseThrow(() -> missingPage(streamId, null, page)).content(), streamId);
  }

  private SerializationException missingPage(String streamId, StreamHead head, long page) {
    return DocumentCodec.corrupt(
        keys.headPage(streamId, page),
        streamId,
        new SerializationException(
            "page "
                + page
                + (head == null ? "" : " of the head's " + head.pages())
                + " is missing"));
  }

  /** The stream's aggregate type: the head's, or, while it has no head yet, its first claim's. */
  private static String type(StreamHead head, List<StreamHead.Entry> beyond) {
    String type = head.type();
    if (type == null && head.version() == 0 && !beyond.isEmpty()) {
      type = beyond.get(0).type();
    }
    return type;
  }

  static long end(long version, List<StreamHead.Entry> beyond) {
    return beyond.isEmpty() ? version : beyond.get(beyond.size() - 1).last();
  }

  private List<String> logKeys(List<StreamHead.Entry> entries) {
    List<String> logKeys = new ArrayList<>(entries.size());
    for (StreamHead.Entry entry : entries) {
      logKeys.add(keys.log(entry.seq()));
    }
    return logKeys;
  }

  private void collect(
      String streamId,
      List<StreamHead.Entry> entries,
      List<Optional<Kv.Document>> documents,
      long fromVersion,
      List<VersionedEvent> out) {
    collect(streamId, entries, documents, fromVersion, Integer.MAX_VALUE, out);
  }

  /** Adds the commits' events from {@code fromVersion} on until {@code out} holds {@code max}. */
  private void collect(
      String streamId,
      List<StreamHead.Entry> entries,
      List<Optional<Kv.Document>> documents,
      long fromVersion,
      int max,
      List<VersionedEvent> out) {
    for (int i = 0; i < entries.size(); i++) {
      LogDocument.Commit commit = commit(streamId, entries.get(i), documents.get(i));
      for (VersionedEvent event : commit.events()) {
        if (out.size() == max) {
          return;
        }
        if (event.version() >= fromVersion) {
          out.add(event);
        }
      }
    }
  }

  private LogDocument.Commit commit(
      String streamId, StreamHead.Entry entry, Optional<Kv.Document> document) {
    String key = keys.log(entry.seq());
    if (document.isEmpty()) {
      throw new SerializationException(
          "Commit of stream '"
              + KeyLayout.shown(streamId)
              + "' at versions "
              + entry.first()
              + ".."
              + entry.last()
              + " is missing: document '"
              + key
              + "' does not exist");
    }
    LogDocument read = codec.log(key, document.get().content(), streamId);
    if (!(read instanceof LogDocument.Commit commit)
        || !commit.streamId().equals(streamId)
        || commit.first() != entry.first()
        || commit.last() != entry.last()) {
      throw DocumentCodec.corrupt(
          key,
          streamId,
          new IllegalArgumentException(
              "it does not hold versions " + entry.first() + ".." + entry.last()));
    }
    return commit;
  }

  /** {@link #claimsAfter}, without waiting. */
  Mono<List<StreamHead.Entry>> claimsAfterAsync(String streamId, long version) {
    return Mono.defer(() -> claimsAfterAsync(streamId, version, new ArrayList<>()));
  }

  private Mono<List<StreamHead.Entry>> claimsAfterAsync(
      String streamId, long version, List<StreamHead.Entry> found) {
    return claimsAfterAsync(streamId, version, found, 1, Long.MAX_VALUE);
  }

  /**
   * The claims after {@code version}, followed until one is missing or those found hold {@code
   * wanted} events at or after {@code fromVersion}.
   */
  private Mono<List<StreamHead.Entry>> claimsAfterAsync(
      String streamId, long version, List<StreamHead.Entry> found, long fromVersion, long wanted) {
    String key = keys.claim(streamId, version + 1);
    return kv.getAsync(key)
        .flatMap(
            claim -> {
              if (claim.isEmpty()) {
                return Mono.just(found);
              }
              StreamHead.Entry entry =
                  codec.claim(key, claim.get().content(), streamId, version + 1);
              found.add(entry);
              long left = wanted - eventsFrom(entry, fromVersion);
              return left <= 0
                  ? Mono.just(found)
                  : claimsAfterAsync(streamId, entry.last(), found, fromVersion, left);
            });
  }
}
