package io.cqrs.example.bank.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.AggregateCache;
import io.cqrs.Command;
import io.cqrs.CommandFailed;
import io.cqrs.Cqrs;
import io.cqrs.SnapshotPolicy;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.AccountCommand.CloseAccount;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccountForTransfer;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccountForTransfer;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.AccountCommand.RefundAccountForTransfer;
import io.cqrs.example.bank.domain.AccountEvent.AccountDebited;
import io.cqrs.example.bank.domain.AccountEvent.AccountRefunded;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.example.bank.domain.TransferCommand.RecordTransferDebit;
import io.cqrs.example.bank.domain.TransferCommand.RecordTransferRefund;
import io.cqrs.example.bank.domain.TransferCommand.RefuseTransferCredit;
import io.cqrs.memory.InMemoryCommandBus;
import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tries to make a transfer step take effect twice or never, now that an account keeps no record of
 * its transfers and relies on each step's one message id (an adversarial review's tests): a step
 * under a wrong id first, redeliveries after the transfer failed (to this process and to others
 * with their own caches), deliveries racing on four threads, refunds racing their own record. The
 * {@link Cqrs} is set up as {@code Bank}'s: aggregate cache, {@code lookupProvesEffects}, {@code
 * deferCacheChecks}.
 */
class TransferStepRacesTest {
  private static final PasswordHasher HASHER = new PasswordHasher(1_000);
  private static final String HASH = HASHER.hash("$ThisIsAPassword");

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final InMemoryCommandBus commandBus = new InMemoryCommandBus();
  private final InMemoryEventBus eventBus = new InMemoryEventBus();
  private final Cqrs cqrs = cqrs(true);
  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private final List<Cqrs> others = new ArrayList<>();

  private Cqrs cqrs(boolean defer) {
    Cqrs c =
        Cqrs.builder()
            .types(BankTypes.registry())
            .store(store)
            .commandBus(commandBus)
            .eventBus(eventBus)
            .snapshotPolicy(SnapshotPolicy.every(100))
            .aggregateCache(AggregateCache.maximumSize(10_000))
            .lookupProvesEffects(true)
            .deferCacheChecks(defer)
            .build();
    AccountCommandHandlers.register(c);
    TransferCommandHandlers.register(c);
    if (cqrs != null) {
      others.add(c);
    }
    return c;
  }

  @AfterEach
  void close() {
    pool.shutdownNow();
    others.forEach(Cqrs::close);
    cqrs.close();
    commandBus.close();
    eventBus.close();
  }

  private static BigDecimal money(String s) {
    return new BigDecimal(s);
  }

  private void run(Cqrs c, Object body) throws Exception {
    c.commands().dispatch(Command.create(body));
  }

  private static Command step(String transferId, Object body) {
    return Command.builder(body)
        .messageId(TransferProcess.stepMessageId(transferId, body.getClass()))
        .correlationId(transferId)
        .build();
  }

  private void open(String id, String balance) throws Exception {
    run(cqrs, new OpenAccount(id, "A", "B", id + "@cqrs.example", HASH, money(balance)));
  }

  private BigDecimal balance(String id) {
    return AggregateLookup.account(cqrs.repository(), id).balance();
  }

  private List<VersionedEvent> failures(String correlation, String messageId) {
    return store.eventsCausedBy(correlation, messageId).stream()
        .filter(e -> e.event() instanceof CommandFailed)
        .toList();
  }

  /** Transfer t of amount from a to b (closed), brought to COMPENSATING by hand. */
  private void compensating(String t, String a, String b, String amount) throws Exception {
    cqrs.commands().dispatch(Command.create(new CreateMoneyTransfer(t, a, b, money(amount)), t));
    cqrs.commands().dispatch(step(t, new DebitAccountForTransfer(a, t, money(amount))));
    cqrs.commands().dispatch(step(t, new RecordTransferDebit(t)));
    cqrs.commands().dispatch(step(t, new CreditAccountForTransfer(b, t, money(amount))));
    cqrs.commands().dispatch(step(t, new RefuseTransferCredit(t, "closed")));
    assertThat(AggregateLookup.transfer(cqrs.repository(), t).state())
        .isEqualTo(TransferState.COMPENSATING);
  }

  @Test
  void a_wrong_id_step_recorded_as_failed_does_not_block_the_right_one() throws Exception {
    open("a", "100.00");
    open("b", "0.00");
    Command wrong = Command.create(new DebitAccountForTransfer("a", "t-1", money("30")), "t-1");
    assertThatThrownBy(() -> cqrs.commands().dispatch(wrong))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(failures("t-1", wrong.messageId())).hasSize(1);
    // Same correlation; the right id still takes effect once.
    Command right = step("t-1", new DebitAccountForTransfer("a", "t-1", money("30")));
    cqrs.commands().dispatch(right);
    cqrs.commands().dispatch(right);
    assertThat(balance("a")).isEqualByComparingTo("70.00");
    assertThat(failures("t-1", right.messageId())).isEmpty();
    // And a wrong one after, too: refused, nothing changes.
    assertThatThrownBy(
            () ->
                cqrs.commands()
                    .dispatch(
                        Command.create(
                            new DebitAccountForTransfer("a", "t-1", money("30")), "t-1")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(balance("a")).isEqualByComparingTo("70.00");
  }

  @Test
  void every_account_step_redelivered_after_the_transfer_failed_changes_nothing() throws Exception {
    open("a", "100.00");
    open("b", "0.00");
    run(cqrs, new CloseAccount("b"));
    compensating("t-1", "a", "b", "30");
    Command refund = step("t-1", new RefundAccountForTransfer("a", "t-1"));
    cqrs.commands().dispatch(refund);
    cqrs.commands().dispatch(step("t-1", new RecordTransferRefund("t-1")));
    assertThat(AggregateLookup.transfer(cqrs.repository(), "t-1").state())
        .isEqualTo(TransferState.FAILED);
    long a = store.version("a");
    long b = store.version("b");

    cqrs.commands().dispatch(refund);
    cqrs.commands().dispatch(step("t-1", new DebitAccountForTransfer("a", "t-1", money("30"))));
    cqrs.commands().dispatch(step("t-1", new CreditAccountForTransfer("b", "t-1", money("30"))));
    // A second process's fresh cache / a cold process: same.
    Cqrs cold = cqrs(false);
    cold.commands().dispatch(refund);
    cold.commands().dispatch(step("t-1", new DebitAccountForTransfer("a", "t-1", money("30"))));

    assertThat(store.version("a")).isEqualTo(a);
    assertThat(store.version("b")).isEqualTo(b);
    assertThat(balance("a")).isEqualByComparingTo("100.00");
    assertThat(failures("t-1", refund.messageId())).isEmpty();
  }

  @Test
  void racing_deliveries_of_one_debit_take_effect_once() throws Exception {
    open("a", "1000.00");
    for (int i = 0; i < 100; i++) {
      String t = "t-" + i;
      Command debit = step(t, new DebitAccountForTransfer("a", t, money("1")));
      race(4, () -> cqrs.commands().dispatch(debit));
    }
    assertThat(balance("a")).isEqualByComparingTo("900.00");
    assertThat(
            store.loadStream("a", 1).events().stream()
                .filter(e -> e.event() instanceof AccountDebited)
                .count())
        .isEqualTo(100);
  }

  @Test
  void racing_refunds_and_their_record_take_effect_once() throws Exception {
    open("a", "10000.00");
    open("b", "0.00");
    run(cqrs, new CloseAccount("b"));
    Cqrs other = cqrs(false); // another process: its own cache, checks at once
    int n = 60;
    for (int i = 0; i < n; i++) {
      String t = "t-" + i;
      compensating(t, "a", "b", "10");
      Command refund = step(t, new RefundAccountForTransfer("a", t));
      Command record = step(t, new RecordTransferRefund(t));
      race(
          4,
          () -> cqrs.commands().dispatch(refund),
          () -> other.commands().dispatch(refund),
          () -> {
            // RecordTransferRefund as soon as the refund is in
            while (store.eventsCausedBy(t, refund.messageId()).isEmpty()) {
              Thread.onSpinWait();
            }
            other.commands().dispatch(record);
          },
          () -> cqrs.commands().dispatch(refund));
      // a late redelivery after FAILED
      other.commands().dispatch(refund);
      assertThat(failures(t, refund.messageId())).as(t).isEmpty();
    }
    assertThat(balance("a")).isEqualByComparingTo("10000.00");
    assertThat(
            store.loadStream("a", 1).events().stream()
                .filter(e -> e.event() instanceof AccountRefunded)
                .count())
        .isEqualTo(n);
  }

  interface Action {
    void run() throws Exception;
  }

  private void race(int threads, Action... actions) throws Exception {
    int k = actions.length == 1 ? threads : actions.length;
    CyclicBarrier barrier = new CyclicBarrier(k);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      Action a = actions[actions.length == 1 ? 0 : i];
      fs.add(
          pool.submit(
              () -> {
                barrier.await();
                a.run();
                return null;
              }));
    }
    for (Future<?> f : fs) {
      f.get(30, TimeUnit.SECONDS);
    }
  }
}
