package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.ForwardingViewStore;
import io.cqrs.example.bank.readmodel.ViewStore;
import io.cqrs.example.bank.readmodel.ViewStores;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import io.cqrs.testing.OwnThread;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Bank#rebuildReadModels} clears the views only while its live read-model processors are
 * paused: a live write of a new account's view that the clear overtook would land after it, and the
 * rebuild's version gate would then skip that account, which its owner's index, dropped by the
 * clear, would never list again.
 */
class RebuildInPlaceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final CountDownLatch writing = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private volatile String holdWriteOf;
  private final ViewStores memory = ViewStores.inMemory();
  private final InMemoryEventBus events = new InMemoryEventBus();
  private final InMemoryCommandBus commands = new InMemoryCommandBus();
  private final BankInfrastructure infrastructure =
      BankInfrastructure.of(
          new InMemoryEventStreamRepository(), events, commands, this::views, "held writes");
  private final Bank bank = Bank.create(infrastructure, new PasswordHasher(1_000)).start();

  /** The in-memory views, where the accounts' write of {@link #holdWriteOf} waits for release. */
  @SuppressWarnings("unchecked")
  private <V> ViewStore<V> views(String model, Class<V> type) {
    ViewStore<V> views = memory.open(model, type);
    if (type != AccountView.class) {
      return views;
    }
    return new ForwardingViewStore<>(views) {
      @Override
      public boolean replace(String id, Stored<V> current, V view, long version) {
        if (id.equals(holdWriteOf) && Thread.currentThread().getName().contains("bank-accounts-")) {
          holdWriteOf = null;
          writing.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return super.replace(id, current, view, version);
      }
    };
  }

  @AfterEach
  void close() {
    release.countDown();
    bank.close();
    infrastructure.close();
    commands.close();
    events.close();
  }

  @Test
  void a_rebuild_waits_for_a_live_write_before_it_clears_and_loses_no_account() throws Exception {
    BankService service = bank.service();
    service.execute(Command.create(open("first", "ada@bank.example")));
    bank.awaitReadModels(List.of("first"), List.of(), TIMEOUT);
    holdWriteOf = "held";
    // The live processor files 'held' under bob, then waits just before writing its view.
    service.execute(Command.create(open("held", "grace@bank.example")));
    assertThat(writing.await(30, TimeUnit.SECONDS)).isTrue();

    Thread[] rebuilding = new Thread[1];
    CompletableFuture<Long> rebuild =
        OwnThread.supplyAsync(
            () -> {
              rebuilding[0] = Thread.currentThread();
              try {
                return bank.rebuildReadModels(TIMEOUT);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    // The rebuild waits for the paused processor's write: nothing is cleared yet.
    Await.until(
        "the rebuild to wait for the live write",
        () ->
            rebuilding[0] != null
                && LockSupport.getBlocker(rebuilding[0])
                    instanceof AbstractQueuedSynchronizer.ConditionObject);
    assertThat(bank.accounts().find("first")).isPresent();
    release.countDown();
    rebuild.get(60, TimeUnit.SECONDS);

    assertThat(bank.accounts().ownedBy("bob", null, 10).entries())
        .extracting(entry -> entry.view().id())
        .containsExactlyInAnyOrder("first", "held");
  }

  private static OpenAccount open(String id, String email) {
    return new OpenAccount(
        id,
        "First",
        "Last",
        email,
        new PasswordHasher(1_000).hash("$password1"),
        BigDecimal.TEN,
        "bob");
  }
}
