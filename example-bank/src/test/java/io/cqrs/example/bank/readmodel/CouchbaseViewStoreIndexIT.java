package io.cqrs.example.bank.readmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.couchbase.client.core.error.DocumentNotFoundException;
import com.couchbase.client.java.codec.RawJsonTranscoder;
import com.couchbase.client.java.codec.RawStringTranscoder;
import com.couchbase.client.java.kv.GetOptions;
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
  void no_index_document_holds_more_than_its_chunk_and_dropping_removes_them_all() {
    CouchbaseViewStore<AccountView> views = (CouchbaseViewStore<AccountView>) store();
    for (int i = 0; i < 40; i++) {
      views.index("owner:many", "id-" + i);
    }
    String base = views.indexKey("owner:many");

    JsonNode head = document(base).orElseThrow();
    long chunks = head.path("chunks").asLong();
    assertThat(chunks).isEqualTo(5); // 7 in the base, 33 in five chunks of 7
    assertThat(head.path("ids").size()).isLessThanOrEqualTo(CHUNK);
    for (long i = 1; i <= chunks; i++) {
      assertThat(document(base + "#" + i).orElseThrow().path("ids").size()).isBetween(1, CHUNK);
    }
    assertThat(views.indexed("owner:many")).hasSize(40);

    views.dropIndex("owner:many");

    assertThat(document(base)).isEmpty();
    for (long i = 1; i <= chunks; i++) {
      assertThat(document(base + "#" + i)).isEmpty();
    }
    assertThat(views.indexed("owner:many")).isEmpty();
  }

  @Test
  void a_chunk_a_crashed_filer_inserted_but_did_not_count_is_read_and_then_counted() {
    CouchbaseViewStore<AccountView> views = (CouchbaseViewStore<AccountView>) store();
    for (int i = 0; i < CHUNK; i++) {
      views.index("owner:crash", "id-" + i); // the base is full
    }
    String base = views.indexKey("owner:crash");
    // A filer inserted chunk 1 with its id, and died before the base counted it.
    overwrite(base + "#1", "{\"ids\":[\"orphan\"]}");

    assertThat(views.indexed("owner:crash")).contains("orphan").hasSize(CHUNK + 1);

    views.index("owner:crash", "after");

    assertThat(document(base).orElseThrow().path("chunks").asLong()).isEqualTo(1);
    assertThat(views.indexed("owner:crash")).contains("orphan", "after").hasSize(CHUNK + 2);
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
  void an_index_document_of_another_shape_fails_filing_and_reading_naming_it() {
    CouchbaseViewStore<AccountView> views = (CouchbaseViewStore<AccountView>) store();
    for (String content :
        List.of(
            "[]",
            "{\"ids\": 5}",
            "{\"ids\": [1, {}]}",
            "{not json",
            "{\"ids\": [], \"chunks\": -1}",
            "{\"ids\": [], \"chunks\": 1.5}",
            "{\"ids\": [], \"chunks\": \"x\"}",
            "{\"ids\": [], \"chunks\": 99999999999999999999}")) {
      overwrite(views.indexKey("owner:alice"), content);

      assertThatThrownBy(() -> views.index("owner:alice", "a-1"))
          .as(content)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("owner:alice");
      assertThatThrownBy(() -> views.indexed("owner:alice"))
          .as(content)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("owner:alice");
    }
  }
}
