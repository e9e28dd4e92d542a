package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.http.ApiClient.Reply;
import io.cqrs.example.bank.readmodel.ForwardingViewStore;
import io.cqrs.example.bank.readmodel.ViewStore;
import io.cqrs.example.bank.readmodel.ViewStores;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /accounts} and {@code GET /transfers} answer one page: a customer's listing reads that
 * customer's index and entries, not every view of the bank (each a Couchbase read), so no customer
 * can make the server read everyone's documents per request; a client follows {@code next} for
 * more; page parameters that are not exactly what they must be are refused, naming the parameter.
 */
class ListingPagesTest {
  private static final int BOBS_ACCOUNTS = 24;

  private static final AtomicInteger entriesRead = new AtomicInteger();
  private static InMemoryEventBus events;
  private static InMemoryCommandBus commands;
  private static ServedBank served;
  private static ApiClient alice;
  private static ApiClient bob;
  private static ApiClient root;
  private static final List<String> alicesAccounts = new ArrayList<>();
  private static final List<String> bobsAccounts = new ArrayList<>();

  /**
   * In-memory views that count the entries read by the page, as listings read them (the read
   * models' processors read entries one by one, and run beside the requests).
   */
  private static ViewStores countingViews() {
    ViewStores views = ViewStores.inMemory();
    return new ViewStores() {
      @Override
      public <V> ViewStore<V> open(String model, Class<V> viewType) {
        return new ForwardingViewStore<>(views.open(model, viewType)) {
          @Override
          public Listing<V> get(Collection<String> ids) {
            entriesRead.addAndGet(ids.size());
            return super.get(ids);
          }
        };
      }
    };
  }

  @BeforeAll
  static void start() throws Exception {
    events = new InMemoryEventBus();
    commands = new InMemoryCommandBus();
    served =
        ServedBank.on(
            BankInfrastructure.of(
                new InMemoryEventStreamRepository(), events, commands, countingViews(), "counted"),
            false);
    alice = ApiClient.as("alice", served.uri());
    bob = ApiClient.as("bob", served.uri());
    root = ApiClient.as("root", served.uri());
    for (int i = 0; i < BOBS_ACCOUNTS; i++) {
      bobsAccounts.add(bob.open("Bob" + i, "10.00"));
    }
    alicesAccounts.add(alice.open("Alice", "10.00"));
    alicesAccounts.add(alice.open("Alicia", "10.00"));
  }

  @AfterAll
  static void stop() {
    served.close();
    commands.close();
    events.close();
  }

  private static List<String> ids(Reply reply) {
    List<String> ids = new ArrayList<>();
    reply.body().get("items").forEach(item -> ids.add(item.get("id").asText()));
    return ids;
  }

  @Test
  void a_customers_listing_reads_that_customers_accounts_not_the_banks() throws Exception {
    entriesRead.set(0);

    Reply reply = alice.get("/accounts");

    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
    assertThat(ids(reply)).containsExactlyElementsOf(alicesAccounts.stream().sorted().toList());
    assertThat(reply.body().has("next")).isFalse();
    // Alice's two entries: not Bob's 24 (the listing read every view and filtered them).
    assertThat(entriesRead.get()).isEqualTo(2);
  }

  @Test
  void a_customers_transfers_are_read_through_that_customers_accounts() throws Exception {
    Reply sent = alice.transfer(alicesAccounts.get(0), bobsAccounts.get(0), "1");
    assertThat(sent.status()).as(sent.raw().body()).isEqualTo(202);
    String transferId = sent.body().get("commandId").asText();
    for (int i = 1; i < 4; i++) {
      assertThat(bob.transfer(bobsAccounts.get(i), bobsAccounts.get(i + 1), "1").status())
          .isEqualTo(202);
    }
    Awaitility.await()
        .atMost(ApiClient.TIMEOUT)
        .untilAsserted(() -> assertThat(ids(alice.get("/transfers"))).containsExactly(transferId));
    entriesRead.set(0);

    Reply alices = alice.get("/transfers");
    int read = entriesRead.get();

    assertThat(ids(alices)).containsExactly(transferId);
    // Her two accounts (checked against their views) and her one transfer; Bob's other three
    // transfers are not read for her.
    assertThat(read).isEqualTo(3);
    // Bob, the destination, sees it once it is on its way (debited): not one its source could not
    // pay, which anyone could send him by the thousand (TransfersReadModel.keys).
    Awaitility.await()
        .atMost(ApiClient.TIMEOUT)
        .untilAsserted(
            () -> assertThat(ids(bob.get("/transfers"))).contains(transferId).hasSize(4));
  }

  @Test
  void pages_followed_by_next_list_each_account_once_in_id_order() throws Exception {
    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      entriesRead.set(0);
      Reply page = bob.get("/accounts?limit=5" + (after == null ? "" : "&after=" + after));
      assertThat(page.status()).as(page.raw().body()).isEqualTo(200);
      assertThat(entriesRead.get()).isLessThanOrEqualTo(5);
      seen.addAll(ids(page));
      JsonNode next = page.body().get("next");
      after = next == null ? null : next.asText();
      pages++;
    } while (after != null);

    assertThat(pages).isEqualTo(5); // 24 accounts, 5 a page
    assertThat(seen).containsExactlyElementsOf(bobsAccounts.stream().sorted().toList());
    // An administrator pages through every account the same way.
    Reply first = root.get("/accounts?limit=3");
    assertThat(ids(first)).hasSize(3);
    assertThat(first.body().get("next").asText()).isEqualTo(ids(first).get(2));
  }

  @Test
  void page_parameters_that_are_not_exactly_a_limit_or_an_id_are_refused_naming_them()
      throws Exception {
    List<String> badLimits =
        List.of(
            "0",
            "-1",
            "+5",
            "501",
            "1000",
            "5.0",
            "1e2",
            " 5",
            "5 ",
            "abc",
            "",
            "99999999999999999999999999",
            "\u0665", // an Arabic-Indic five: a digit to Character.isDigit, not to the API
            "5\u0000");
    for (String path : List.of("/accounts", "/transfers")) {
      for (String limit : badLimits) {
        Reply reply = alice.get(path + "?limit=" + ApiClient.encoded(limit));
        assertThat(reply.status()).as(path + " limit '" + limit + "'").isEqualTo(400);
        assertThat(reply.body().get("field").asText()).isEqualTo("limit");
      }
      for (String after : List.of("", "-a", "a/b", "a b", "x".repeat(101), "a\nb", "é")) {
        Reply reply = alice.get(path + "?after=" + ApiClient.encoded(after));
        assertThat(reply.status()).as(path + " after '" + after + "'").isEqualTo(400);
        assertThat(reply.body().get("field").asText()).isEqualTo("after");
      }
      for (String twice : List.of("limit=5&limit=500", "after=a&after=b")) {
        Reply reply = alice.get(path + "?" + twice);
        assertThat(reply.status()).as(path + "?" + twice).isEqualTo(400);
      }
      assertThat(alice.get(path + "?limit=500").status()).isEqualTo(200);
      assertThat(alice.get(path + "?limit=1&after=zzz").body().get("items").size()).isZero();
    }
    assertThat(Set.copyOf(ids(alice.get("/accounts?limit=1")))).hasSize(1);
  }
}
