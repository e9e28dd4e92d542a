package io.cqrs.couchbase;

import com.couchbase.client.java.Collection;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.kv.UpsertOptions;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Base of this module's integration tests: the shared server, a repository with a fresh key prefix
 * per test, and raw access to its documents for tests that play a crashed writer or corrupt data.
 */
abstract class RepositoryIT {
  static final Duration SHORT_GRACE = Duration.ofMillis(300);

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
