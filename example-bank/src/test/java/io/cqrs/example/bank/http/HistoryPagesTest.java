package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.http.ApiClient.Reply;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /accounts/{id}/history} answers a page of the account's events after a version: the
 * store is asked for that page (one event more, to know whether another follows), not the whole
 * stream, so an account with a long history costs a request what its page costs; a client follows
 * {@code next}; parameters that are not exactly a version or a limit are refused, naming them.
 */
class HistoryPagesTest {
  private static final int CREDITS = 12;

  /** The store's loads of the account's stream: how many events each returned. */
  private static final List<String> loads = new CopyOnWriteArrayList<>();

  private static InMemoryEventStreamRepository store;
  private static InMemoryEventBus events;
  private static InMemoryCommandBus commands;
  private static ServedBank served;
  private static ApiClient alice;
  private static String account;

  /** Another account whose loads are recorded, for a test of its own. */
  private static volatile String watched;

  private static long version;

  /**
   * The store, behind a proxy of every interface it implements (the bank needs its relay and
   * processor stores as well), that records each load of the account's stream.
   */
  private static EventStreamRepository recording(InMemoryEventStreamRepository target) {
    return (EventStreamRepository)
        Proxy.newProxyInstance(
            HistoryPagesTest.class.getClassLoader(),
            target.getClass().getInterfaces(),
            (proxy, method, args) -> {
              Object result;
              try {
                result = method.invoke(target, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
              if (method.getName().startsWith("loadStream")
                  && (args[0].equals(account) || args[0].equals(watched))
                  && result instanceof EventStream stream) {
                loads.add(method.getName() + "/" + args.length + " " + stream.events().size());
              }
              return result;
            });
  }

  @BeforeAll
  static void start() throws Exception {
    store = new InMemoryEventStreamRepository();
    events = new InMemoryEventBus();
    commands = new InMemoryCommandBus();
    served =
        ServedBank.on(BankInfrastructure.of(recording(store), events, commands, "recorded"), false);
    alice = ApiClient.as("alice", served.uri());
    account = alice.open("Hana", "1.00");
    for (int i = 0; i < CREDITS; i++) {
      Reply credit = alice.post("/accounts/" + account + "/credit", "{\"amount\":1}");
      assertThat(credit.status()).as(credit.raw().body()).isLessThan(300);
    }
    version = store.version(account);
    assertThat(version).isGreaterThan(CREDITS);
  }

  @AfterAll
  static void stop() {
    served.close();
    commands.close();
    events.close();
  }

  private static List<Long> versions(Reply reply) {
    List<Long> versions = new ArrayList<>();
    reply.body().get("items").forEach(item -> versions.add(item.get("version").asLong()));
    return versions;
  }

  @Test
  void following_next_pages_through_the_whole_history_once_in_order() throws Exception {
    List<Long> seen = new ArrayList<>();
    String path = "/accounts/" + account + "/history?limit=5";
    int pages = 0;
    while (true) {
      Reply page = alice.get(path);
      assertThat(page.status()).as(page.raw().body()).isEqualTo(200);
      pages++;
      List<Long> versions = versions(page);
      assertThat(versions).hasSizeLessThanOrEqualTo(5).isNotEmpty();
      seen.addAll(versions);
      JsonNode next = page.body().get("next");
      if (next == null) {
        break;
      }
      assertThat(next.asText()).isEqualTo(Long.toString(versions.get(versions.size() - 1)));
      path = "/accounts/" + account + "/history?limit=5&after=" + next.asText();
    }

    assertThat(seen).containsExactlyElementsOf(LongStream.rangeClosed(1, version).boxed().toList());
    assertThat(pages).isEqualTo((int) ((version + 4) / 5));
    List<String> types = new ArrayList<>();
    for (VersionedEvent event : store.load(account)) {
      types.add(event.eventType());
    }
    List<String> shown = new ArrayList<>();
    alice
        .get("/accounts/" + account + "/history?limit=500")
        .body()
        .get("items")
        .forEach(item -> shown.add(item.get("type").asText()));
    assertThat(shown).containsExactlyElementsOf(types);
  }

  @Test
  void a_page_asks_the_store_for_its_events_and_one_more_not_the_whole_stream() throws Exception {
    // The account in the aggregate cache (another test empties it), as it is after its commands.
    served.bank().service().findAccount(account).orElseThrow();
    loads.clear();

    Reply page = alice.get("/accounts/" + account + "/history?after=3&limit=4");

    assertThat(versions(page)).containsExactly(4L, 5L, 6L, 7L);
    assertThat(page.body().get("next").asText()).isEqualTo("7");
    // The page's load: five events (one to tell that more follow). The account's own lookup reads
    // from its cached version onwards: nothing.
    assertThat(loads).contains("loadStream/3 5").allMatch(load -> !load.endsWith(" " + version));
  }

  @Test
  void a_page_of_a_long_history_not_cached_reads_the_page_and_the_account_from_its_snapshot()
      throws Exception {
    String kims = alice.open("Kim", "1.00");
    for (int i = 0; i < 230; i++) {
      Reply credit = alice.post("/accounts/" + kims + "/credit", "{\"amount\":1}");
      assertThat(credit.status()).as(credit.raw().body()).isLessThan(300);
    }
    watched = kims;
    served.bank().repository().cache().orElseThrow().invalidateAll();
    loads.clear();

    Reply page = alice.get("/accounts/" + kims + "/history?after=3&limit=1");

    assertThat(versions(page)).containsExactly(4L);
    // The owner is checked on the account (the write model), loaded from its last snapshot (one
    // every 100 events): at most 100 events, not its 231; the page is one event and one more.
    assertThat(loads).contains("loadStream/3 2").hasSize(2);
    assertThat(loads)
        .filteredOn(load -> !load.equals("loadStream/3 2"))
        .singleElement()
        .satisfies(
            load ->
                assertThat(Integer.parseInt(load.substring(load.indexOf(' ') + 1)))
                    .isLessThan(100));
  }

  @Test
  void another_kind_of_stream_or_none_is_not_an_account() throws Exception {
    // Accounts of their own: the others' pages stay as they are.
    String from = alice.open("Ines", "5.00");
    String to = alice.open("Jo", "0.00");
    Reply sent = alice.transfer(from, to, "1");
    assertThat(sent.status()).as(sent.raw().body()).isEqualTo(202);
    String transfer = sent.body().get("commandId").asText();
    org.awaitility.Awaitility.await()
        .atMost(ApiClient.TIMEOUT)
        .until(() -> store.version(transfer) > 0);

    for (String id : List.of(transfer, "nobody")) {
      for (String after : List.of("0", "1", Long.toString(Long.MAX_VALUE))) {
        Reply reply = alice.get("/accounts/" + id + "/history?after=" + after);
        assertThat(reply.status()).as(id + " after " + after).isIn(403, 404);
        assertThat(reply.raw().body()).doesNotContain("items");
      }
    }
  }

  @Test
  void the_last_page_has_no_next_and_a_page_past_the_end_is_empty() throws Exception {
    Reply last = alice.get("/accounts/" + account + "/history?limit=2&after=" + (version - 2));
    assertThat(versions(last)).containsExactly(version - 1, version);
    assertThat(last.body().has("next")).isFalse();

    for (String after : List.of(Long.toString(version), Long.toString(Long.MAX_VALUE))) {
      Reply past = alice.get("/accounts/" + account + "/history?after=" + after);
      assertThat(past.status()).as(past.raw().body()).isEqualTo(200);
      assertThat(versions(past)).as("after " + after).isEmpty();
      assertThat(past.body().has("next")).isFalse();
    }
  }

  @Test
  void parameters_that_are_not_exactly_a_version_or_a_limit_are_refused_naming_them()
      throws Exception {
    String path = "/accounts/" + account + "/history";
    for (String after :
        List.of(
            "",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1.0",
            "1e3",
            "0x10",
            "abc",
            "9223372036854775808", // Long.MAX_VALUE + 1
            "99999999999999999999",
            "00000000000000000000001",
            "\u0663", // an Arabic-Indic three
            "1\u0000")) {
      Reply reply = alice.get(path + "?after=" + ApiClient.encoded(after));
      assertThat(reply.status()).as("after '" + after + "'").isEqualTo(400);
      assertThat(reply.body().get("field").asText()).isEqualTo("after");
    }
    for (String limit : List.of("0", "501", "-1", "1e2", "\u0665")) {
      Reply reply = alice.get(path + "?limit=" + ApiClient.encoded(limit));
      assertThat(reply.status()).as("limit '" + limit + "'").isEqualTo(400);
      assertThat(reply.body().get("field").asText()).isEqualTo("limit");
    }
    for (String query : List.of("after=1&after=2", "limit=5&limit=6")) {
      Reply reply = alice.get(path + "?" + query);
      assertThat(reply.status()).as(query).isEqualTo(400);
    }
    assertThat(versions(alice.get(path + "?after=0&limit=1"))).containsExactly(1L);
  }
}
