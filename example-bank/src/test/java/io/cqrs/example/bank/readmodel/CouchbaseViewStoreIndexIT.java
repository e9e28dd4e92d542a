package io.cqrs.example.bank.readmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.couchbase.client.java.codec.RawStringTranscoder;
import com.couchbase.client.java.kv.UpsertOptions;
import io.cqrs.SerializationException;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ViewStoreIndexContract} on Couchbase, and what only a store of documents can meet: a
 * document someone corrupted is reported by id while the others are served, and keys that cannot be
 * document keys as they are get documents of their own.
 */
class CouchbaseViewStoreIndexIT extends ViewStoreIndexContract {
  private final CouchbaseTestServer couchbase = CouchbaseTestServer.shared();
  private final String namespace = couchbase.newKeyPrefix();

  @Override
  ViewStore<AccountView> store() {
    return new CouchbaseViewStores(couchbase.collection(), namespace)
        .open("accounts", AccountView.class);
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
    for (String content : List.of("[]", "{\"ids\": 5}", "{\"ids\": [1, {}]}", "{not json")) {
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
