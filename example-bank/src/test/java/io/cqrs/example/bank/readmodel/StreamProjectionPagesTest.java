package io.cqrs.example.bank.readmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.EventSourcingRepository;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.MoneyTransfer;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.StreamProjection.Page;
import io.cqrs.example.bank.readmodel.TransfersReadModel.TransferView;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Listings read what they list: a page reads at most its limit of entries, and a customer's page of
 * accounts or transfers reads the customer's index and entries only, whatever else the bank holds.
 * Indexes are written before the views they list, so a crash between the two leaves an id a reader
 * skips, never a view no index lists.
 */
class StreamProjectionPagesTest {
  private static final PasswordHasher HASHER = new PasswordHasher(1_000);

  /** Counts the entries read, and can fail the next write of a view. */
  static final class CountingStore<V> extends ForwardingViewStore<V> {
    final List<String> entriesRead = new ArrayList<>();
    final AtomicInteger indexReads = new AtomicInteger();
    boolean failNextWrite;
    boolean failClear;

    CountingStore() {
      super(new InMemoryViewStore<>());
    }

    @Override
    public Listing<V> get(Collection<String> ids) {
      entriesRead.addAll(ids);
      return super.get(ids);
    }

    @Override
    public Set<String> ids() {
      indexReads.incrementAndGet();
      return super.ids();
    }

    @Override
    public Set<String> indexed(String key) {
      indexReads.incrementAndGet();
      return super.indexed(key);
    }

    @Override
    public Set<String> indexed(Collection<String> keys) {
      indexReads.addAndGet(keys.size());
      return super.indexed(keys);
    }

    @Override
    public boolean replace(String id, Stored<V> current, V view, long version) {
      if (failNextWrite) {
        failNextWrite = false;
        throw new IllegalStateException("crashed before the view's write");
      }
      return super.replace(id, current, view, version);
    }

    @Override
    public void clear() {
      if (failClear) {
        failClear = false;
        throw new IllegalStateException("store unreachable while clearing");
      }
      super.clear();
    }
  }

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(store, BankTypes.registry()).build();
  private final CountingStore<AccountView> accountViews = new CountingStore<>();
  private final AccountsReadModel accounts = new AccountsReadModel(accountViews);

  private void open(String id, String owner) {
    Account account =
        Account.open(
            id,
            "First",
            "Last",
            id + "@bank.example",
            HASHER.hash("$password1"),
            BigDecimal.ONE,
            owner);
    repository.save(account, "c").forEach(accounts::apply);
  }

  private static List<String> ids(Page<AccountView> page) {
    return page.entries().stream().map(entry -> entry.view().id()).toList();
  }

  @Test
  void pages_followed_by_next_list_every_view_once_in_id_order() {
    for (int i = 9; i >= 0; i--) {
      open("acc-" + i, i % 2 == 0 ? "alice" : "bob");
    }

    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      Page<AccountView> page = accounts.page(null, after, 3);
      assertThat(page.entries()).hasSizeLessThanOrEqualTo(3);
      seen.addAll(ids(page));
      after = page.next();
      pages++;
    } while (after != null);

    assertThat(pages).isEqualTo(4);
    assertThat(seen)
        .containsExactly(
            "acc-0", "acc-1", "acc-2", "acc-3", "acc-4", "acc-5", "acc-6", "acc-7", "acc-8",
            "acc-9");
    // A page that ends exactly at the last view says so: no empty page after it.
    assertThat(accounts.page(null, "acc-6", 3).next()).isNull();
    assertThat(accounts.page(null, "acc-9", 3).entries()).isEmpty();
    assertThatThrownBy(() -> accounts.page(null, null, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void a_page_reads_its_limit_of_entries_not_the_whole_model() {
    for (int i = 0; i < 50; i++) {
      open(String.format("acc-%02d", i), "bob");
    }
    accountViews.entriesRead.clear();

    Page<AccountView> page = accounts.page(null, "acc-10", 5);

    assertThat(ids(page)).containsExactly("acc-11", "acc-12", "acc-13", "acc-14", "acc-15");
    assertThat(page.next()).isEqualTo("acc-15");
    assertThat(accountViews.entriesRead).hasSize(5);
  }

  @Test
  void a_customers_page_reads_that_customers_index_and_accounts_only() {
    for (int i = 0; i < 40; i++) {
      open("bob-" + i, "bob");
    }
    open("alice-1", "alice");
    open("alice-2", "alice");
    open("nobody", "");
    accountViews.entriesRead.clear();
    accountViews.indexReads.set(0);

    Page<AccountView> page = accounts.ownedBy("alice", null, 100);

    assertThat(ids(page)).containsExactly("alice-1", "alice-2");
    assertThat(page.next()).isNull();
    assertThat(accountViews.entriesRead).containsExactlyInAnyOrder("alice-1", "alice-2");
    assertThat(accountViews.indexReads.get()).isEqualTo(1);
    assertThat(accounts.ownedBy("mallory", null, 100).entries()).isEmpty();
    // An account without an owner is filed under none: administrators list it through all ids.
    assertThat(accounts.page(null, "bob-9", 100).entries())
        .extracting(entry -> entry.view().id())
        .containsExactly("nobody");
  }

  @Test
  void
      a_crash_between_the_index_and_the_view_leaves_an_id_readers_skip_until_the_view_is_written() {
    Account account =
        Account.open(
            "acc-1",
            "First",
            "Last",
            "a@bank.example",
            HASHER.hash("$password1"),
            BigDecimal.ONE,
            "alice");
    List<VersionedEvent> opened = repository.save(account, "c");
    accountViews.failNextWrite = true;

    assertThatThrownBy(() -> opened.forEach(accounts::apply))
        .hasMessageContaining("crashed before the view's write");

    // Filed under alice already, the view not written: listed by no page, and no failure.
    assertThat(accountViews.indexed(AccountsReadModel.ownerKey("alice"))).containsExactly("acc-1");
    assertThat(accounts.idsOwnedBy("alice")).isEmpty();
    assertThat(accounts.ownedBy("alice", null, 10).entries()).isEmpty();
    // The redelivery writes the view, filed once.
    opened.forEach(accounts::apply);
    assertThat(ids(accounts.ownedBy("alice", null, 10))).containsExactly("acc-1");
  }

  @Test
  void an_id_an_owners_index_holds_for_another_owners_account_is_not_taken_for_the_owners() {
    open("alice-1", "alice");
    open("bob-1", "bob");
    // A namespace reused with old documents, say: alice's index names bob's account.
    accountViews.index(AccountsReadModel.ownerKey("alice"), "bob-1");

    assertThat(accounts.idsOwnedBy("alice")).containsExactly("alice-1");
    assertThat(ids(accounts.ownedBy("alice", null, 10))).containsExactly("alice-1");
  }

  @Test
  void a_view_that_lost_its_key_stays_filed_under_it_and_is_skipped() {
    UsersReadModel users = new UsersReadModel();
    Account account =
        Account.open(
            "u-1", "First", "Last", "old@bank.example", HASHER.hash("$password1"), BigDecimal.ONE);
    repository.save(account, "c").forEach(users::apply);
    account.changeEmailAddress("new@bank.example");
    repository.save(account, "c").forEach(users::apply);

    assertThat(users.findByEmail("NEW@bank.example "))
        .map(UsersReadModel.UserView::id)
        .contains("u-1");
    assertThat(users.findByEmail("old@bank.example")).isEmpty();
  }

  @Test
  void a_customer_sees_the_transfers_from_or_to_their_accounts_only() {
    CountingStore<TransferView> transferViews = new CountingStore<>();
    TransfersReadModel transfers = new TransfersReadModel(transferViews);
    // Debited: on its way, so filed under its destination too (TransfersReadModel.keys).
    List.of(
            MoneyTransfer.create("t-1", "alice-1", "bob-1", BigDecimal.ONE),
            MoneyTransfer.create("t-2", "bob-1", "alice-2", BigDecimal.ONE),
            MoneyTransfer.create("t-3", "bob-1", "carol-1", BigDecimal.ONE),
            MoneyTransfer.create("t-4", "carol-1", "bob-2", BigDecimal.ONE))
        .forEach(
            transfer -> {
              transfer.recordDebit();
              repository.save(transfer, "c").forEach(transfers::apply);
            });
    // Created only (its source has not paid, and may never): filed under its source alone.
    MoneyTransfer unpaid = MoneyTransfer.create("t-5", "carol-1", "alice-1", BigDecimal.ONE);
    repository.save(unpaid, "c").forEach(transfers::apply);
    transferViews.entriesRead.clear();

    Page<TransferView> alices = transfers.involving(Set.of("alice-1", "alice-2"), null, 10);
    assertThat(transferViews.entriesRead)
        .as("not t-5, which alice-1 is the destination of but which was never paid")
        .containsExactlyInAnyOrder("t-1", "t-2");
    Page<TransferView> carols = transfers.involving(Set.of("carol-1"), "t-3", 10);

    assertThat(alices.entries())
        .extracting(entry -> entry.view().id())
        .containsExactly("t-1", "t-2");
    assertThat(carols.entries())
        .extracting(entry -> entry.view().id())
        .containsExactly("t-4", "t-5");
    assertThat(transfers.involving(Set.of(), null, 10).entries()).isEmpty();
  }

  @Test
  void a_clear_that_fails_leaves_every_view_it_did_not_remove_filed() {
    open("acc-1", "alice");
    accountViews.failClear = true;

    assertThatThrownBy(accounts::clear).hasMessageContaining("unreachable");

    // The indexes go after the views: a view the failed clear left is still listed.
    assertThat(ids(accounts.ownedBy("alice", null, 10))).containsExactly("acc-1");
  }

  @Test
  void clearing_a_read_model_drops_its_indexes() {
    open("acc-1", "alice");
    open("acc-2", "bob");

    accounts.clear();

    assertThat(accountViews.ids()).isEmpty();
    assertThat(accounts.idsOwnedBy("alice")).isEmpty();
    assertThat(accounts.idsOwnedBy("bob")).isEmpty();
    open("acc-3", "alice");
    assertThat(ids(accounts.ownedBy("alice", null, 10))).containsExactly("acc-3");
  }
}
