package io.cqrs.example.bank.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.ViewStore.Stored;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ViewStore} promises of its indexes and of reading entries by the page: filing
 * is idempotent and loses no id under concurrent writers, any key (long, non-ASCII, with the
 * characters a store's own key syntax uses) has an index of its own, entries come back in the order
 * asked, and ids without an entry are left out.
 */
abstract class ViewStoreIndexContract {

  /** A fresh, empty store of account views. */
  abstract ViewStore<AccountView> store();

  static AccountView view(String id, String owner) {
    return new AccountView(id, "F", "L", id + "@bank.example", BigDecimal.ONE, false, owner);
  }

  static void write(ViewStore<AccountView> views, String id) {
    assertThat(views.replace(id, null, view(id, "o"), 1)).isTrue();
  }

  @Test
  void filing_is_idempotent_and_each_key_lists_only_its_own_ids() {
    ViewStore<AccountView> views = store();

    views.index("owner:alice", "a-1");
    views.index("owner:alice", "a-1");
    views.index("owner:alice", "a-2");
    views.index("owner:bob", "b-1");

    assertThat(views.indexed("owner:alice")).containsExactlyInAnyOrder("a-1", "a-2");
    assertThat(views.indexed("owner:bob")).containsExactly("b-1");
    assertThat(views.indexed("owner:carol")).isEmpty();
    assertThat(views.indexed(List.of("owner:alice", "owner:bob", "owner:carol")))
        .containsExactlyInAnyOrder("a-1", "a-2", "b-1");
    views.dropIndex("owner:alice");
    assertThat(views.indexed("owner:alice")).isEmpty();
    assertThat(views.indexed("owner:bob")).containsExactly("b-1");
  }

  @Test
  void keys_a_store_could_confuse_or_not_hold_each_have_an_index_of_their_own() {
    ViewStore<AccountView> views = store();
    List<String> keys =
        List.of(
            "owner:a b",
            "owner:a#b",
            "owner:a::b",
            "owner:a::index::b",
            "owner:#",
            "owner:\u00e9l\u00e8ve",
            "owner:\u0000\n",
            "owner:" + "x".repeat(300),
            "owner:" + "x".repeat(301),
            "owner:" + "\u00e9".repeat(200));
    for (int i = 0; i < keys.size(); i++) {
      views.index(keys.get(i), "id-" + i);
    }

    for (int i = 0; i < keys.size(); i++) {
      assertThat(views.indexed(keys.get(i))).as(keys.get(i)).containsExactly("id-" + i);
    }
  }

  @Test
  void entries_are_read_in_the_order_asked_and_ids_without_one_are_left_out() {
    ViewStore<AccountView> views = store();
    List<String> asked = new ArrayList<>();
    for (int i = 0; i < 600; i++) { // more than a Couchbase window of parallel reads
      String id = String.format("e-%03d", 599 - i);
      asked.add(id);
      if (i % 3 != 0) {
        write(views, id);
      }
    }

    List<Stored<AccountView>> found = views.get(asked).entries();

    List<String> expected = new ArrayList<>();
    for (int i = 0; i < asked.size(); i++) {
      if (i % 3 != 0) {
        expected.add(asked.get(i));
      }
    }
    assertThat(found).extracting(entry -> entry.view().id()).containsExactlyElementsOf(expected);
    assertThat(views.get(List.of()).entries()).isEmpty();
    assertThat(views.ids()).hasSize(400);
  }

  @Test
  void writers_filing_under_one_key_at_once_lose_no_id() throws Exception {
    ViewStore<AccountView> views = store();

    fileAtOnce(views, "owner:shared", 8, 25);

    assertThat(views.indexed("owner:shared")).hasSize(8 * 25);
  }

  /**
   * Files {@code each} ids under {@code key} from each of {@code writers} threads, all started at
   * once: {@code w<writer>-<i>}.
   */
  static void fileAtOnce(ViewStore<AccountView> views, String key, int writers, int each)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < each; i++) {
                    views.index(key, "w" + writer + "-" + i);
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> future : done) {
        future.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void clearing_removes_the_entries_and_their_index_but_not_the_keyed_indexes() {
    ViewStore<AccountView> views = store();
    write(views, "a-1");
    views.index("owner:alice", "a-1");

    views.clear();

    assertThat(views.ids()).isEmpty();
    assertThat(views.get(Set.of("a-1")).entries()).isEmpty();
    assertThat(views.indexed("owner:alice")).containsExactly("a-1");
  }
}
