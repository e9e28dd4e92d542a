package io.cqrs.couchbase;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Keeps a stream's head bounded. A head lists the stream's commits (15 bytes each) and the commands
 * they are the effects of (45 bytes each), and every save reads and mutates it, so a head that grew
 * with the stream would make saves and loads of a long stream ever slower and hit Couchbase's 20
 * MiB document limit at about 350,000 commands. Once a head spans {@code 2 · window} versions past
 * what it has archived, the commits that end at or before {@code version − window} move out:
 *
 * <ol>
 *   <li>their entries into a new <b>page</b>, {@code p::hp::<stream>::<n>} (an {@code insert}: a
 *       page is written once and never changes);
 *   <li>their commands into the stream's <b>command buckets</b>, {@code p::hm::<stream>::<x>}, by
 *       the first hex digit {@code x} of the command hash (sub-document upserts, 16 buckets);
 *   <li>then the head is <b>replaced</b>, with the CAS it was read with, by one that no longer
 *       lists them and records the last archived version and the number of pages ({@code "a":
 *       [archivedThrough, pages]}).
 * </ol>
 *
 * <p>So a head never stops naming anything before its pages and buckets hold it: a reader that sees
 * {@code p} pages finds all of them, and a command is always in the head or in its bucket (a save
 * reads the bucket after the head, or with it when the head's archive mark has not changed since an
 * earlier lookup: every replace adds a page, see {@link StreamWriter}). An archiver that dies after
 * step 1 or 2 leaves a page or bucket entries that the head also still lists; the next archiver
 * finds the page taken, reads it, and goes on with what it holds (it may hold fewer commits than
 * this archiver would have moved, never others: the head lists commits in order and only ever
 * appends). A lost CAS race reads the head again: if only saves moved it (they append), the
 * archiver replaces it as it is now, without copying the commands again; if another archiver
 * replaced it, it starts over. None of it is waited for by a save; a failure is logged and the next
 * save of the stream tries again.
 */
final class HeadArchive {
  private static final Logger log = LoggerFactory.getLogger(HeadArchive.class);
  private static final int ATTEMPTS = 8;

  private final Kv kv;
  private final KeyLayout keys;
  private final DocumentCodec codec;
  private final long window;
  private final Hook hook;

  HeadArchive(Kv kv, KeyLayout keys, DocumentCodec codec, long window, Hook hook) {
    this.kv = kv;
    this.keys = keys;
    this.codec = codec;
    this.window = window;
    this.hook = hook;
  }

  /** The point between an archiver's writes where a test lets a save move the head. */
  enum Step {
    /** The page is written and the commands are in their buckets; the head is not replaced. */
    COMMANDS_COPIED
  }

  /**
   * Called at each {@link Step} of every archive, on the SDK's thread, so it must not block: a test
   * returns a write to run there (a save that moves the head meanwhile). Production uses {@link
   * #NONE}.
   */
  interface Hook {
    Hook NONE = (step, streamId) -> Mono.empty();

    Mono<Void> at(Step step, String streamId);
  }

  /** Whether a head at {@code version} that has archived up to {@code archivedThrough} is due. */
  boolean due(long version, long archivedThrough) {
    return version - archivedThrough >= 2 * window;
  }

  /** Archives the oldest commits of the stream's head, if it is due; without waiting. */
  Mono<Void> archive(String streamId) {
    return archive(streamId, 0);
  }

  private Mono<Void> archive(String streamId, int attempt) {
    if (attempt >= ATTEMPTS) {
      log.warn(
          "Head of stream '{}' could not be archived after {} attempts (saves kept moving it);"
              + " the next save tries again",
          KeyLayout.shown(streamId),
          ATTEMPTS);
      return Mono.empty();
    }
    String key = keys.head(streamId);
    return withHead(
        streamId,
        (document, head) -> {
          if (!due(head.version(), head.archivedThrough())) {
            return Mono.empty(); // another archiver was first
          }
          List<StreamHead.Entry> moving = new ArrayList<>();
          for (StreamHead.Entry entry : head.commits()) {
            if (entry.last() <= head.version() - window) {
              moving.add(entry);
            }
          }
          if (moving.isEmpty()) {
            return Mono.empty(); // one commit spans the window; it moves when it can
          }
          return writePage(streamId, head, moving)
              .flatMap(
                  moved -> {
                    if (moved.isEmpty()) {
                      return archive(streamId, attempt + 1); // our head read was stale
                    }
                    List<StreamHead.Entry> page = moved.get();
                    long through = page.get(page.size() - 1).last();
                    Map<String, Long> commands =
                        codec.headCommands(key, document.content(), streamId);
                    return copyCommands(streamId, commands, Map.of(), through)
                        .then(Mono.defer(() -> hook.at(Step.COMMANDS_COPIED, streamId)))
                        .then(
                            Mono.defer(
                                () ->
                                    replaceHead(
                                        streamId, document, head, commands, page, attempt)));
                  });
        });
  }

  /**
   * Inserts the next page with {@code moving}; if another archiver (a dead one, or one racing this
   * one) already wrote it, what it holds, which must be the head's first commits. Empty if it holds
   * commits past the end of the head this archiver read: that head was stale.
   */
  private Mono<Optional<List<StreamHead.Entry>>> writePage(
      String streamId, StreamHead head, List<StreamHead.Entry> moving) {
    String pageKey = keys.headPage(streamId, head.pages());
    byte[] page = codec.headPage(streamId, head.pages(), head.archivedThrough(), moving);
    return kv.insertAsync(pageKey, page)
        .flatMap(
            cas -> {
              if (cas != 0) {
                return Mono.just(Optional.of(moving));
              }
              return kv.getAsync(pageKey)
                  .map(
                      existing -> {
                        List<StreamHead.Entry> held =
                            codec.headPage(
                                pageKey,
                                existing
                                    .orElseThrow(
                                        () ->
                                            new IllegalStateException(
                                                "page '" + pageKey + "' vanished"))
                                    .content(),
                                streamId,
                                head.archivedThrough());
                        checkAgrees(pageKey, streamId, held, head.commits());
                        return held.size() <= head.commits().size()
                            ? Optional.of(held)
                            : Optional.<List<StreamHead.Entry>>empty();
                      });
            });
  }

  /** A page and a head list the same commits as far as both go, or one of them is corrupt. */
  private static void checkAgrees(
      String pageKey, String streamId, List<StreamHead.Entry> held, List<StreamHead.Entry> head) {
    for (int i = 0; i < Math.min(held.size(), head.size()); i++) {
      if (held.get(i).last() != head.get(i).last() || held.get(i).seq() != head.get(i).seq()) {
        throw DocumentCodec.corrupt(
            pageKey,
            streamId,
            new IllegalArgumentException(
                "the page lists commit "
                    + held.get(i).first()
                    + ".."
                    + held.get(i).last()
                    + " at sequence "
                    + held.get(i).seq()
                    + " where its head lists "
                    + head.get(i).first()
                    + ".."
                    + head.get(i).last()
                    + " at "
                    + head.get(i).seq()));
      }
    }
  }

  /**
   * Replaces the head read as {@code document} ({@code head}, listing {@code commands}) by one that
   * no longer lists the commits of the page, {@code moved}, nor their commands, which are in their
   * buckets by now.
   */
  private Mono<Void> replaceHead(
      String streamId,
      Kv.Document document,
      StreamHead head,
      Map<String, Long> commands,
      List<StreamHead.Entry> moved,
      int attempt) {
    long through = moved.get(moved.size() - 1).last();
    Map<String, Long> kept = new LinkedHashMap<>();
    commands.forEach(
        (command, first) -> {
          if (first > through) {
            kept.put(command, first);
          }
        });
    List<StreamHead.Entry> remaining = head.commits().subList(moved.size(), head.commits().size());
    byte[] replacement =
        codec.pagedHead(head.version(), head.type(), remaining, kept, head.pages() + 1, through);
    return kv.replaceAsync(keys.head(streamId), replacement, document.cas())
        // Replaced: archive again if the head is still due (a head repaired over a long lag, or
        // one whose archives kept losing to saves). Lost the race: most likely to a save, which
        // only appends, so replace the head as it is now rather than copy everything again.
        .flatMap(
            replaced ->
                replaced
                    ? archive(streamId, attempt)
                    : replaceAgain(streamId, head, commands, moved, attempt + 1));
  }

  /**
   * After a lost race: reads the head again and, if it still has the archive this archiver read (so
   * saves moved it on, appending commits and commands, and no other archiver replaced it), replaces
   * it the same way; otherwise starts over. The copy of the page's commands is not repeated: that
   * is the long part, a round trip per bucket, and a stream that is being written would move its
   * head during every copy, so an archiver that started over each time would never finish and the
   * head would grow without bound.
   */
  /** Reads the stream's head and hands it to {@code then}, with its document; nothing if none. */
  private Mono<Void> withHead(
      String streamId, BiFunction<Kv.Document, StreamHead, Mono<Void>> then) {
    String key = keys.head(streamId);
    return kv.getAsync(key)
        .flatMap(
            found ->
                found.isEmpty()
                    ? Mono.empty()
                    : then.apply(
                        found.get(),
                        codec.head(key, found.get().content(), streamId, found.get().cas())));
  }

  private Mono<Void> replaceAgain(
      String streamId,
      StreamHead before,
      Map<String, Long> copied,
      List<StreamHead.Entry> moved,
      int attempt) {
    if (attempt >= ATTEMPTS) {
      return archive(streamId, attempt); // gives up, saying so
    }
    String key = keys.head(streamId);
    return withHead(
        streamId,
        (document, head) -> {
          if (head.pages() != before.pages()
              || head.archivedThrough() != before.archivedThrough()) {
            return archive(streamId, attempt); // another archiver replaced it first
          }
          String pageKey = keys.headPage(streamId, before.pages());
          checkAgrees(pageKey, streamId, moved, head.commits());
          if (head.commits().size() <= moved.size()) {
            throw DocumentCodec.corrupt(
                key,
                streamId,
                new IllegalArgumentException(
                    "it lists fewer commits than before, or no more than page '" + pageKey + "'"));
          }
          long through = moved.get(moved.size() - 1).last();
          Map<String, Long> commands = codec.headCommands(key, document.content(), streamId);
          return copyCommands(streamId, commands, copied, through)
              .then(
                  Mono.defer(
                      () -> replaceHead(streamId, document, head, commands, moved, attempt)));
        });
  }

  /**
   * Copies the commands of the commits up to {@code through} to their buckets, but those {@code
   * copied} already: the buckets at once, each bucket's mutations in turn.
   */
  private Mono<Void> copyCommands(
      String streamId, Map<String, Long> commands, Map<String, Long> copied, long through) {
    Map<String, Map<String, Long>> buckets = new TreeMap<>();
    commands.forEach(
        (command, first) -> {
          if (first <= through && !first.equals(copied.get(command))) {
            buckets
                .computeIfAbsent(keys.commandBucket(streamId, command), k -> new LinkedHashMap<>())
                .put(DocumentCodec.COMMANDS + "." + command, first);
          }
        });
    return Flux.fromIterable(buckets.entrySet())
        .flatMap(
            bucket ->
                Flux.fromIterable(chunks(bucket.getValue()))
                    .concatMap(chunk -> kv.upsertCreatingAsync(bucket.getKey(), chunk)),
            buckets.size() + 1)
        .then();
  }

  /** A bucket's upserts in mutations of at most {@link Kv#MAX_SPECS}. */
  private static List<Map<String, Long>> chunks(Map<String, Long> upserts) {
    List<Map<String, Long>> chunks = new ArrayList<>();
    Map<String, Long> chunk = new LinkedHashMap<>();
    for (Map.Entry<String, Long> upsert : upserts.entrySet()) {
      chunk.put(upsert.getKey(), upsert.getValue());
      if (chunk.size() == Kv.MAX_SPECS) {
        chunks.add(chunk);
        chunk = new LinkedHashMap<>();
      }
    }
    if (!chunk.isEmpty()) {
      chunks.add(chunk);
    }
    return chunks;
  }
}
