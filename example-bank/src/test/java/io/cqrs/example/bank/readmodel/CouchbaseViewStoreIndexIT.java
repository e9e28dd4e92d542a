package io.cqrs.example.bank.readmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.codec.RawStringTranscoder;
import com.couchbase.client.java.kv.GetOptions;
import com.couchbase.client.java.kv.IncrementOptions;
import com.couchbase.client.java.kv.UpsertOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.SerializationException;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link ViewStoreIndexContract} on Couchbase, and what only a store of documents can meet: a
 * document someone corrupted is reported by id while the others are served, and keys that cannot be
 * document keys as they are get documents of their own.
 */
class CouchbaseViewStoreIndexIT extends ViewStoreIndexContract {
  private final CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
  private static final int CHUNK = 7;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String namespace = couchbase.newKeyPrefix();

  @Override
  ViewStore<AccountView> store() {
    return new CouchbaseViewStores(couchbase.collection(), namespace, CHUNK)
        .open("accounts", AccountView.class);
  }

  private Optional<JsonNode> document(String key) {
    try {
      return Optional.of(
          MAPPER.readTree(
              couchbase
                  .collection()
                  .get(key, GetOptions.getOptions().transcoder(RawJsonTranscoder.INSTANCE))
                  .contentAs(byte[].class)));
    } catch (DocumentNotFoundException e) {
      return Optional.empty();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void filers_at_once_fill_every_chunk_to_its_bound_and_dropping_removes_them_all()
      throws Exception {
    CouchbaseViewStore<AccountView> views = (CouchbaseViewStore<AccountView>) store();
    int writers = 8;
    int each = 30;
    fileAtOnce(views, "owner:many", writers, each);
    String base = views.indexKey("owner:many");
    int ids = writers * each;
    int chunks = (ids + CHUNK - 1) / CHUNK;

    assertThat(counter(base + "#n")).isEqualTo(ids); // one slot each: no write was retried
    for (int i = 1; i <= chunks; i++) {
      // Every chunk full but the last: filers at once never leave one part-filled.
      assertThat(document(base + "#" + i).orElseThrow().path("ids").size())
          .isEqualTo(i < chunks ? CHUNK : ids - (chunks - 1) * CHUNK);
    }
    assertThat(document(base + "#" + (chunks + 1))).isEmpty();
    assertThat(views.indexed("owner:many")).hasSize(ids);

    views.dropIndex("owner:many");

    for (int i = 1; i <= chunks; i++) {
      assertThat(document(base + "#" + i)).isEmpty();
    }
    assertThat(document(base + "#n")).isEmpty();
    assertThat(views.indexed("owner:many")).isEmpty();
  }

  private long counter(String key) {
    return Long.parseLong(
        couchbase
            .collection()
            .get(key, GetOptions.getOptions().transcoder(RawJsonTranscoder.INSTANCE))
            .contentAs(String.class));
  }

  @Test
  void a_slot_a_dead_filer_left_empty_is_skipped_and_an_index_of_earlier_builds_is_read() {
    CouchbaseViewStore<AccountView> views = (CouchbaseViewStore<AccountView>) store();
    String base = views.indexKey("owner:old");
    // Builds before chunks kept an index as one document; and a filer took slot 1 and died.
    overwrite(base, "{\"ids\":[\"old-1\",\"old-2\"]}");
    couchbase
        .collection()
        .binary()
        .increment(base + "#n", IncrementOptions.incrementOptions().initial(1));

    views.index("owner:old", "new");

    assertThat(views.indexed("owner:old")).containsExactlyInAnyOrder("old-1", "old-2", "new");
    assertThat(document(base + "#1").orElseThrow().path("ids")).hasSize(1);
    views.dropIndex("owner:old");
    assertThat(document(base)).isEmpty();
    assertThat(views.indexed("owner:old")).isEmpty();
  }

  @Test
  void a_corrupted_entry_is_reported_by_id_and_the_others_are_served() {
    ViewStore<AccountView> views = store();
    write(views, "a-1");
    write(views, "a-2");
    write(views, "a-3");
    couchbase
        .collection()
        .upsert(
            namespace + "::rm::accounts::v::a-2",
            "{not json",
            UpsertOptions.upsertOptions().transcoder(RawStringTranscoder.INSTANCE));

    ViewStore.Listing<AccountView> listing = views.get(List.of("a-1", "a-2", "a-3"));

    assertThat(listing.entries())
        .extracting(entry -> entry.view().id())
        .containsExactly("a-1", "a-3");
    assertThat(listing.unreadable()).containsExactly("a-2");
  }

  @Test
  void an_index_key_is_plain_where_couchbase_takes_it_and_a_digest_where_not() {
    CouchbaseViewStore<AccountView> views = (CouchbaseViewStore<AccountView>) store();
    String prefix = namespace + "::rm::accounts::index::";

    assertThat(views.indexKey("owner:alice")).isEqualTo(prefix + "owner:alice");
    assertThat(views.indexKey("owner:a b")).startsWith(prefix + "#").hasSize(prefix.length() + 65);
    assertThat(views.indexKey("owner:#")).startsWith(prefix + "#");
    assertThat(views.indexKey("owner:\u00e9")).startsWith(prefix + "#");
    assertThat(views.indexKey("x".repeat(250))).startsWith(prefix + "#");
    assertThat(views.indexKey("owner:a b")).isNotEqualTo(views.indexKey("owner:a#b"));
  }

  private void overwrite(String key, String content) {
    couchbase
        .collection()
        .upsert(
            key, content, UpsertOptions.upsertOptions().transcoder(RawStringTranscoder.INSTANCE));
  }

  @Test
  void an_index_document_of_another_shape_fails_filing_or_reading_naming_it() {
    CouchbaseViewStore<AccountView> views = (CouchbaseViewStore<AccountView>) store();
    String base = views.indexKey("owner:alice");
    for (String content :
        List.of("[]", "{\"ids\": 5}", "{\"ids\": [1, {}]}", "{not json", "\"text\"")) {
      // A chunk: reading it fails, and so does filing into one whose ids cannot take one more.
      overwrite(base + "#1", content);
      if (!content.contains("[1, {}]")) {
        overwrite(base + "#n", "0");
        assertThatThrownBy(() -> views.index("owner:alice", "a-1"))
            .as(content)
            .isInstanceOf(SerializationException.class)
            .hasMessageContaining("owner:alice");
      }
      overwrite(base + "#n", "1");
      assertThatThrownBy(() -> views.indexed("owner:alice"))
          .as(content)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("owner:alice");
      // A document of earlier builds: reading fails.
      couchbase.collection().remove(base + "#1");
      couchbase.collection().remove(base + "#n");
      overwrite(base, content);
      assertThatThrownBy(() -> views.indexed("owner:alice"))
          .as(content)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("owner:alice");
      couchbase.collection().remove(base);
    }
    for (String counter : List.of("abc", "-1", "1.5", "99999999999999999999", "1000000000")) {
      overwrite(base + "#n", counter);
      assertThatThrownBy(() -> views.indexed("owner:alice"))
          .as(counter)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("owner:alice");
    }
  }
}
