package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import com.couchbase.client.java.Cluster;
import com.couchbase.client.java.ClusterOptions;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * {@link CouchbaseEventStreamRepository#close()} with a publication mark still in flight: the mark
 * that {@link io.cqrs.EventSourcingRepository} sends without waiting after each publish is written
 * before close returns, so an application that closes right after a command loses no mark.
 *
 * <p>The closing repository's cluster delivers the SDK's answers on {@link HeldCompletions}, so the
 * test holds the mark in flight for as long as it needs, without timing.
 */
class CouchbaseCloseIT extends RepositoryIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final HeldCompletions completions = new HeldCompletions();
  private final Scheduler scheduler = Schedulers.fromExecutor(completions);
  private Cluster cluster;

  @BeforeEach
  void connect() {
    cluster =
        Cluster.connect(
            server.connectionString(),
            ClusterOptions.clusterOptions(server.username(), server.password())
                .environment(env -> env.publishOnScheduler(() -> scheduler)));
    cluster.bucket(server.bucketName()).waitUntilReady(Duration.ofSeconds(60));
  }

  @AfterEach
  void disconnect() {
    completions.release();
    cluster.disconnect();
    scheduler.dispose();
    completions.shutdown();
  }

  @Test
  void close_waits_for_the_publication_mark_of_a_just_saved_commit() throws Exception {
    CouchbaseEventStreamRepository closing =
        CouchbaseEventStreamRepository.builder(
                cluster.bucket(server.bucketName()).defaultCollection(), TestEvents.serializer())
            .keyPrefix(prefix)
            .build();
    closing.save("acc-1", 0, TestEvents.batch("acc-1", 0, 2));
    completions.hold();
    CompletableFuture<Void> mark = closing.markPublishedAsync("acc-1", 1, 2).toCompletableFuture();
    AtomicBoolean markedWhenClosed = new AtomicBoolean();
    Thread closer =
        new Thread(
            () -> {
              closing.close();
              markedWhenClosed.set(mark.isDone() && !mark.isCompletedExceptionally());
            },
            "closer");

    closer.start();
    Await.until(
        WAIT,
        "close() waiting for the writes in flight, or returning",
        () -> waitsForWritesInFlight(closer) || !closer.isAlive());
    assertThat(closer.isAlive()).as("close() returned while the mark was in flight").isTrue();
    assertThat(mark).isNotDone();
    completions.release();
    closer.join(WAIT.toMillis());

    assertThat(closer.isAlive()).as("close() still running").isFalse();
    assertThat(markedWhenClosed).as("mark written when close() returned").isTrue();
    try (CouchbaseEventStreamRepository reader = repository()) {
      assertThat(reader.readLog(1, 10))
          .extracting(LoggedEvent::published)
          .containsExactly(true, true);
    }
  }

  private static boolean waitsForWritesInFlight(Thread thread) {
    return Arrays.stream(thread.getStackTrace())
        .anyMatch(
            frame ->
                frame.getClassName().equals(InFlight.class.getName())
                    && frame.getMethodName().equals("await"));
  }

  /**
   * Runs the SDK's completions one at a time on one thread and, while held, holds them: a write
   * whose answer has not been delivered is still in flight for the repository that sent it.
   */
  private static final class HeldCompletions implements Executor {
    private final ExecutorService thread =
        Executors.newSingleThreadExecutor(task -> new Thread(task, "held-completions"));
    private volatile CountDownLatch gate = new CountDownLatch(0);

    void hold() {
      gate = new CountDownLatch(1);
    }

    void release() {
      gate.countDown();
    }

    void shutdown() {
      thread.shutdownNow();
    }

    @Override
    public void execute(Runnable completion) {
      CountDownLatch held = gate;
      thread.execute(
          () -> {
            try {
              held.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            completion.run();
          });
    }
  }
}
