package io.cqrs.couchbase;

import com.couchbase.client.java.Collection;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.UpsertOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Base of this module's integration tests: the shared server, a repository with a fresh key prefix
 * per test, and raw access to its documents for tests that play a crashed writer or corrupt data.
 */
abstract class RepositoryIT {
  static final Duration SHORT_GRACE = Duration.ofMillis(300);
  private static final ObjectMapper HEAD_JSON = new ObjectMapper();

  final CouchbaseTestServer server = CouchbaseTestServer.shared();
  final Collection collection = server.collection();
  final String prefix = server.newKeyPrefix();
  final KeyLayout keys = new KeyLayout(prefix);
  final DocumentCodec codec = new DocumentCodec(TestEvents.serializer());
  final Kv kv = new Kv(collection, 16);

  CouchbaseEventStreamRepository.Builder builder() {
    return CouchbaseEventStreamRepository.builder(collection, TestEvents.serializer())
        .keyPrefix(prefix)
        .gapGracePeriod(SHORT_GRACE);
  }

  CouchbaseEventStreamRepository repository() {
    return builder().build();
  }

  /**
   * The arguments that lead a child process to this test's documents (connection string, user,
   * password, bucket, key prefix), followed by {@code more}.
   */
  String[] childArgs(String... more) {
    String[] args = new String[5 + more.length];
    args[0] = server.connectionString();
    args[1] = server.username();
    args[2] = server.password();
    args[3] = server.bucketName();
    args[4] = prefix;
    System.arraycopy(more, 0, args, 5, more.length);
    return args;
  }

  Optional<String> raw(String key) {
    return kv.get(key).map(doc -> new String(doc.content(), StandardCharsets.UTF_8));
  }

  /** The head document of {@code stream}, or a missing node where it has none. */
  JsonNode head(String stream) {
    try {
      Optional<String> raw = raw(keys.head(stream));
      return raw.isEmpty() ? HEAD_JSON.missingNode() : HEAD_JSON.readTree(raw.get());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last version of each commit the head of {@code stream} lists, in order. */
  List<Long> headEntries(String stream) {
    List<Long> lasts = new ArrayList<>();
    head(stream).path("c").forEach(entry -> lasts.add(entry.get(0).asLong()));
    return lasts;
  }

  /**
   * Waits until the head of {@code stream} stands at {@code version}, its archive done: it lists
   * less than twice {@code window} versions past its archive mark. (Head updates are sent without
   * waiting, and an archive follows the update that makes it due.)
   */
  void awaitHeadArchived(String stream, long version, int window) {
    Await.until(
        "the head of " + stream + " at " + version + ", archived",
        () -> {
          JsonNode head = head(stream);
          return head.path("v").asLong() == version
              && version - head.path("a").path(0).asLong() < 2L * window;
        });
  }

  void writeRaw(String key, String content) {
    collection.upsert(
        key,
        content.getBytes(StandardCharsets.UTF_8),
        UpsertOptions.upsertOptions().transcoder(RawJsonTranscoder.INSTANCE));
  }

  /**
   * Every document of this test's prefix that the layout can name, given the streams and
   * correlation ids used: what "nothing else changed" is checked against.
   */
  Map<String, String> documents(Iterable<String> streams, Iterable<String> correlationIds) {
    Map<String, String> found = new TreeMap<>();
    long top = kv.counter(keys.sequence());
    put(found, keys.sequence());
    for (long seq = 1; seq <= top + 3; seq++) {
      put(found, keys.log(seq));
    }
    for (String stream : streams) {
      put(found, keys.head(stream));
      put(found, keys.snapshot(stream));
      for (long version = 1; version <= 64; version++) {
        put(found, keys.claim(stream, version));
      }
    }
    for (String id : correlationIds) {
      put(found, keys.correlation(id));
    }
    return found;
  }

  private void put(Map<String, String> found, String key) {
    raw(key).ifPresent(content -> found.put(key, content));
  }
}
