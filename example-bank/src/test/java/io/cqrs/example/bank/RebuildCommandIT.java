package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.example.bank.readmodel.CouchbaseReadModelGeneration;
import io.cqrs.example.bank.readmodel.CouchbaseViewStores;
import io.cqrs.example.bank.readmodel.ViewStore;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * {@code rebuild} run through {@link BankApplication#run} against the test Couchbase: it never
 * empties documents that another bank serves, and it exits 1 when the rebuilt read models disagree
 * with the live ones.
 */
class RebuildCommandIT {
  private static final Duration SETTLE = Duration.ofSeconds(60);

  private final Map<String, String> servers = BankServers.environment();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return BankApplication.run(
        args,
        servers,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        new CountDownLatch(1));
  }

  private String output() {
    return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
  }

  private static String uniquePrefix() {
    return "rb" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static BankInfrastructure infrastructure(String prefix, Map<String, String> servers) {
    return BankInfrastructure.create(
        InfrastructureOptions.fromEnvironment(
            InfrastructureOptions.Store.COUCHBASE,
            InfrastructureOptions.Bus.MEMORY,
            prefix,
            servers));
  }

  /** Opens accounts in a bank of {@code prefix} and waits until its read models show them. */
  private List<String> liveBank(String prefix, int accounts) throws Exception {
    try (BankInfrastructure infrastructure = infrastructure(prefix, servers);
        Bank bank =
            Bank.builder(infrastructure).passwords(new PasswordHasher(1_000)).build().start()) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < accounts; i++) {
        ids.add(
            bank.service()
                .openAccount(
                    "Owner", "No" + i, "o" + i + "@bank.example", "$password", BigDecimal.TEN));
      }
      bank.awaitReadModels(ids, List.of(), SETTLE);
      return ids;
    }
  }

  /** The accounts read model of the views under {@code namespace}. */
  private static ViewStore<AccountView> accountViews(String namespace) {
    return new CouchbaseViewStores(CouchbaseTestServer.shared().collection(), namespace)
        .open("accounts", AccountView.class);
  }

  @Test
  void a_namespace_that_holds_read_model_views_only_is_found_to_hold_documents() {
    String namespace = uniquePrefix();
    try (BankInfrastructure infrastructure = infrastructure(uniquePrefix(), servers)) {
      assertThat(infrastructure.holdsDocuments(namespace)).isFalse();
      // Views a rebuild wrote there, and no event log: listed in their index's chunks only.
      assertThat(
              accountViews(namespace)
                  .replace(
                      "a-1",
                      null,
                      new AccountView("a-1", "F", "L", "f@bank.example", BigDecimal.ONE, false),
                      1))
          .isTrue();

      assertThat(infrastructure.holdsDocuments(namespace)).isTrue();
    }
  }

  @Test
  void rebuild_refuses_a_generation_whose_views_are_another_banks_live_read_models()
      throws Exception {
    String prefix = uniquePrefix();
    // Another bank whose prefix is what this one's generation 'g1' would be named.
    liveBank(prefix + "-g1", 2);

    assertThat(run("rebuild", "--store", "couchbase", "--prefix", prefix, "--generation", "g1"))
        .as(output())
        .isEqualTo(2);

    assertThat(output())
        .contains("example-bank: rebuild would write generation 'g1' under '" + prefix + "-g1'")
        .contains("already holds documents");
    assertThat(accountViews(prefix + "-g1").all()).hasSize(2);
  }

  @Test
  void a_rebuild_never_empties_views_that_a_bank_of_another_prefix_serves() throws Exception {
    String prefix = uniquePrefix();
    liveBank(prefix + "-g2", 3);

    try (BankInfrastructure infrastructure = infrastructure(prefix, servers);
        Bank bank = Bank.create(infrastructure)) {
      BlueGreenRebuild rebuild =
          new BlueGreenRebuild(bank, new PrintStream(OutputStream.nullOutputStream()), SETTLE);
      try {
        rebuild.run("g2");
      } catch (BlueGreenRebuild.TargetInUseException expected) {
        // What the command reports as a usage error.
      }
    }

    assertThat(accountViews(prefix + "-g2").all()).hasSize(3);
  }

  @Test
  void rebuild_refuses_a_target_that_holds_the_serving_generation_of_a_shorter_prefix()
      throws Exception {
    // Bank 'P' serves generation 'a-b' (views under 'P-a-b'); bank 'P-a' rebuilding into
    // generation 'b' would write, and first empty, the very same documents.
    String prefix = uniquePrefix();
    try (BankInfrastructure infrastructure = infrastructure(prefix, servers)) {
      assertThat(
              new CouchbaseReadModelGeneration(CouchbaseTestServer.shared().collection(), prefix)
                  .switchFrom("", "a-b"))
          .isTrue();
    }
    liveBank(prefix, 2);
    assertThat(accountViews(prefix + "-a-b").all()).hasSize(2);

    assertThat(
            run("rebuild", "--store", "couchbase", "--prefix", prefix + "-a", "--generation", "b"))
        .as(output())
        .isEqualTo(2);

    assertThat(output()).contains("'" + prefix + "-a-b'").contains("already holds documents");
    assertThat(accountViews(prefix + "-a-b").all()).hasSize(2);
  }

  @Test
  void the_demo_on_couchbase_leaves_the_read_models_of_other_prefixes_alone() throws Exception {
    String prefix = uniquePrefix();
    liveBank(prefix + "-scenario-rebuild", 2);

    // Options alone run the demo, with the command line of before and of now.
    assertThat(run("--store", "couchbase", "--prefix", prefix)).as(output()).isZero();

    assertThat(accountViews(prefix + "-scenario-rebuild").all()).hasSize(2);
  }

  @Test
  void rebuild_exits_1_and_keeps_the_generation_when_a_live_view_differs_at_its_version()
      throws Exception {
    String prefix = uniquePrefix();
    List<String> accounts = liveBank(prefix, 2);
    ViewStore<AccountView> live = accountViews(prefix);
    ViewStore.Stored<AccountView> entry = live.get(accounts.get(0)).orElseThrow();
    AccountView view = entry.view();
    AccountView richer =
        new AccountView(
            view.id(),
            view.firstName(),
            view.lastName(),
            view.email(),
            view.balance().add(BigDecimal.ONE),
            view.closed());
    assertThat(live.replace(accounts.get(0), entry, richer, entry.version())).isTrue();

    assertThat(run("rebuild", "--store", "couchbase", "--prefix", prefix))
        .as(output())
        .isEqualTo(1);

    assertThat(output()).contains("differ from the live ones; not switched");
    assertThat(generation(prefix)).isEmpty();
  }

  @Test
  void rebuild_exits_1_when_the_live_read_models_hold_a_view_of_a_stream_with_no_events()
      throws Exception {
    String prefix = uniquePrefix();
    List<String> accounts = liveBank(prefix, 2);
    ViewStore<AccountView> live = accountViews(prefix);
    AccountView real = live.get(accounts.get(0)).orElseThrow().view();
    String phantom = UUID.randomUUID().toString();
    AccountView ghost =
        new AccountView(
            phantom, real.firstName(), real.lastName(), real.email(), real.balance(), false);
    assertThat(live.replace(phantom, null, ghost, 3)).isTrue();

    assertThat(run("rebuild", "--store", "couchbase", "--prefix", prefix))
        .as(output())
        .isEqualTo(1);

    assertThat(output()).contains(phantom).contains("not switched");
    assertThat(generation(prefix)).isEmpty();
  }

  @Test
  void rebuild_switches_and_exits_0_when_the_rebuilt_read_models_agree() throws Exception {
    String prefix = uniquePrefix();
    List<String> accounts = liveBank(prefix, 2);

    assertThat(run("rebuild", "--store", "couchbase", "--prefix", prefix, "--generation", "next1"))
        .as(output())
        .isZero();

    assertThat(generation(prefix)).isEqualTo("next1");
    try (BankInfrastructure infrastructure = infrastructure(prefix, servers)) {
      BankReadModels next =
          new BankReadModels(infrastructure.store(), infrastructure.viewsOf("next1"));
      assertThat(next.accounts().size()).isEqualTo(accounts.size());
    }
  }

  private static String generation(String prefix) {
    return new CouchbaseReadModelGeneration(CouchbaseTestServer.shared().collection(), prefix)
        .current();
  }
}
