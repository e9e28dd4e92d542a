package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SharedReadTest {
  private final ExecutorService threads = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  private static void awaitWaiting(AtomicReference<Thread> thread) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (thread.get() == null || thread.get().getState() != Thread.State.WAITING) {
      assertThat(System.nanoTime() - deadline).as("second caller waiting").isNegative();
      Thread.onSpinWait();
    }
  }

  @Test
  void a_caller_that_asks_while_a_read_is_in_flight_gets_its_answer_without_reading()
      throws Exception {
    AtomicInteger reads = new AtomicInteger();
    CountDownLatch inRead = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    SharedRead shared =
        new SharedRead(
            () -> {
              reads.incrementAndGet();
              inRead.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
              return 42;
            });
    Future<Long> first = threads.submit(shared::get);
    assertThat(inRead.await(30, TimeUnit.SECONDS)).isTrue();
    AtomicReference<Thread> secondThread = new AtomicReference<>();
    Future<Long> second =
        threads.submit(
            () -> {
              secondThread.set(Thread.currentThread());
              return shared.get();
            });
    awaitWaiting(secondThread); // joined the read in flight

    release.countDown();

    assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(42);
    assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(42);
    assertThat(reads).hasValue(1);
  }

  @Test
  void a_caller_after_the_read_completed_reads_again_and_a_failure_reaches_every_caller() {
    AtomicInteger reads = new AtomicInteger();
    SharedRead shared = new SharedRead(() -> reads.incrementAndGet());
    assertThat(shared.get()).isEqualTo(1);
    assertThat(shared.get()).isEqualTo(2);

    SharedRead failing =
        new SharedRead(
            () -> {
              throw new IllegalStateException("counter away");
            });
    assertThatThrownBy(failing::get).hasMessage("counter away");
    assertThatThrownBy(failing::get).hasMessage("counter away");
  }
}
