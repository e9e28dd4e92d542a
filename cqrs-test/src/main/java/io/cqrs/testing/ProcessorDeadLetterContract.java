package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.ConcurrencyException;
import io.cqrs.DeadLetterReplay;
import io.cqrs.EventProcessingRetried;
import io.cqrs.EventProcessor;
import io.cqrs.ProcessorDeadLetter;
import io.cqrs.Projection;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.ProcessorStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dead letters of a {@link TrackingEventProcessor} on a store: listed from the integration log
 * until a replay resolves them, replayed through the processor's version gate, racing replays (in
 * one process and in two) taking effect once. A store runs it through a subclass that implements
 * {@link #newRepository()} and, for a store shared between processes, {@link #secondProcessOf}:
 *
 * <pre>{@code
 * class MyStoreDeadLetterTest extends ProcessorDeadLetterContract {
 *   protected EventStreamRepository newRepository() { return new MyStore(freshNamespace()); }
 * }
 * }</pre>
 *
 * <p>The repository must also be a {@link ProcessorStore} and serialize the suite's events ({@link
 * EventStreamRepositoryContract#contractTypes()}).
 */
public abstract class ProcessorDeadLetterContract {
  private static final Duration HOLD = Duration.ofSeconds(20);
  private static final String PROCESSOR = "tally";

  /** The repository under test, made fresh for each test. */
  protected EventStreamRepository repository;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final Tally tally = new Tally();

  /** A repository, and processor store, that sees nothing written through earlier ones. */
  protected abstract EventStreamRepository newRepository();

  /**
   * The same store as another process sees it (a connection of its own); the default returns {@code
   * repository} itself. The suite closes it after the test if it is {@link AutoCloseable}.
   */
  protected EventStreamRepository secondProcessOf(EventStreamRepository repository) {
    return repository;
  }

  /**
   * A new registry holding the suite's events ({@link ContractEvents}), from which serializing
   * stores build their {@code EventSerializer}.
   */
  protected static TypeRegistry contractTypes() {
    return EventStreamRepositoryContract.contractTypes();
  }

  @BeforeEach
  void createRepository() {
    repository = newRepository();
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (AutoCloseable closeable : toClose) {
      closeable.close();
    }
  }

  @Test
  void a_dead_letter_is_listed_with_its_reason_until_a_replay_resolves_it_once() {
    TrackingEventProcessor processor = deadLetterOneEvent();
    ProcessorDeadLetter letter = processor.deadLetters().get(0);
    assertThat(letter.processor()).isEqualTo(PROCESSOR);
    assertThat(letter.sourceId()).isEqualTo("poisoned");
    assertThat(letter.version()).isEqualTo(2);
    assertThat(letter.eventType()).isEqualTo("Happened");
    assertThat(letter.errorType()).isEqualTo(IllegalStateException.class.getName());
    assertThat(letter.message()).isEqualTo("poisoned stream, failure 1");
    assertThat(tally.version("healthy")).as("the other stream went on").isEqualTo(3);

    DeadLetterReplay failed = processor.replayDeadLetter(letter.id());

    assertThat(failed.outcome()).isEqualTo(DeadLetterReplay.Outcome.FAILED);
    assertThat(failed.deadLetter().message()).isEqualTo("poisoned stream, failure 2");
    assertThat(processor.deadLetters())
        .as("still listed, with the new reason")
        .containsExactly(failed.deadLetter());
    assertThat(failed.deadLetter().failedReplays()).isOne();

    tally.cure();
    DeadLetterReplay replayed = processor.replayDeadLetter(letter.id());

    assertThat(replayed.outcome()).isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
    assertThat(processor.deadLetters()).isEmpty();
    assertThat(tally.version("poisoned")).isEqualTo(2);
    assertThat(tally.applications("poisoned", 2)).isOne();
    assertThat(processor.replayDeadLetter(letter.id()).outcome())
        .as("a resolved dead letter is not replayed again")
        .isEqualTo(DeadLetterReplay.Outcome.NOT_FOUND);
    assertThat(processor.replayDeadLetter("no-such-dead-letter").outcome())
        .isEqualTo(DeadLetterReplay.Outcome.NOT_FOUND);
    assertThat(otherProcess().deadLetters()).as("another process reads the same log").isEmpty();
    assertThat(repository.readLog(1, 1000))
        .extracting(entry -> entry.event().event())
        .filteredOn(EventProcessingRetried.class::isInstance)
        .extracting(e -> ((EventProcessingRetried) e).succeeded())
        .containsExactly(false, true);
  }

  @Test
  void another_process_lists_the_same_dead_letters() {
    TrackingEventProcessor processor = deadLetterOneEvent();

    assertThat(otherProcess().deadLetters()).isEqualTo(processor.deadLetters()).hasSize(1);
  }

  @Test
  void two_racing_replays_in_one_process_apply_the_event_once() throws Exception {
    TrackingEventProcessor processor = deadLetterOneEvent();
    String id = processor.deadLetters().get(0).id();
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<DeadLetterReplay> first = replayHeldInsideApply(processor, id, release);
    Thread[] second = new Thread[1];
    CompletableFuture<DeadLetterReplay> secondReplay =
        OwnThread.supplyAsync(
            () -> {
              second[0] = Thread.currentThread();
              return processor.replayDeadLetter(id);
            });
    // The second replay waits for the first: replays in one process go one at a time.
    Await.until(
        HOLD,
        "the second replay to wait for the first",
        () ->
            second[0] != null
                && LockSupport.getBlocker(second[0]) instanceof AbstractQueuedSynchronizer);
    release.countDown();

    assertThat(first.get(HOLD.toSeconds(), TimeUnit.SECONDS).outcome())
        .isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
    assertThat(secondReplay.get(HOLD.toSeconds(), TimeUnit.SECONDS).outcome())
        .as("the second found the letter resolved, and did not hand the event over again")
        .isEqualTo(DeadLetterReplay.Outcome.NOT_FOUND);
    assertThat(tally.applications("poisoned", 2)).isOne();
    assertThat(processor.deadLetters()).isEmpty();
  }

  @Test
  void two_racing_replays_in_two_processes_apply_the_event_once() throws Exception {
    TrackingEventProcessor processor = deadLetterOneEvent();
    TrackingEventProcessor other = otherProcess();
    String id = processor.deadLetters().get(0).id();
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<DeadLetterReplay> first = replayHeldInsideApply(processor, id, release);
    // The other process's gate has no lock in common with this one: it reads version 1 and
    // applies version 2 while the first replay is inside apply; the read model's conditional
    // write then refuses the first one, whose retry finds the event applied.
    DeadLetterReplay second = other.replayDeadLetter(id);
    release.countDown();

    assertThat(second.outcome()).isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
    assertThat(first.get(HOLD.toSeconds(), TimeUnit.SECONDS).outcome())
        .isEqualTo(DeadLetterReplay.Outcome.REPLAYED);
    assertThat(tally.applications("poisoned", 2)).isOne();
    assertThat(tally.conflicts()).as("the race did happen").isPositive();
    assertThat(processor.deadLetters()).isEmpty();
    assertThat(other.deadLetters()).isEmpty();
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Runs the processor over two streams until version 2 of {@code poisoned} is dead-lettered and
   * {@code healthy} is applied up to version 3, then stops it (replays need no running processor).
   */
  private TrackingEventProcessor deadLetterOneEvent() {
    repository.save("poisoned", 0, EventStreamRepositoryContract.happened("poisoned", 1, 2));
    repository.save("healthy", 0, EventStreamRepositoryContract.happened("healthy", 1, 3));
    tally.poison("poisoned", 2);
    TrackingEventProcessor processor = processor(repository);
    processor.start();
    Await.until(
        "one dead letter and the healthy stream applied",
        () -> processor.deadLetters().size() == 1 && tally.version("healthy") == 3);
    processor.close();
    return processor;
  }

  private TrackingEventProcessor otherProcess() {
    EventStreamRepository other = secondProcessOf(repository);
    if (other != repository && other instanceof AutoCloseable closeable) {
      toClose.add(closeable);
    }
    return processor(other);
  }

  private TrackingEventProcessor processor(EventStreamRepository store) {
    TrackingEventProcessor processor =
        EventProcessor.tracking(PROCESSOR, store, (ProcessorStore) store)
            .projection(tally)
            .segments(1)
            .maxAttempts(1)
            .idleWait(Duration.ofMillis(10))
            .build();
    toClose.add(0, processor);
    return processor;
  }

  /**
   * Cures the read model and starts a replay that stops inside the read model's apply, before it
   * writes, until {@code release}; returns once it is there.
   */
  private CompletableFuture<DeadLetterReplay> replayHeldInsideApply(
      TrackingEventProcessor processor, String id, CountDownLatch release) throws Exception {
    tally.cure();
    CountDownLatch inside = new CountDownLatch(1);
    tally.holdFirstApply(inside, release);
    CompletableFuture<DeadLetterReplay> replay =
        OwnThread.supplyAsync(() -> processor.replayDeadLetter(id));
    assertThat(inside.await(HOLD.toSeconds(), TimeUnit.SECONDS))
        .as("the first replay inside")
        .isTrue();
    return replay;
  }

  /**
   * A read model that keeps each stream's applied version and counts applications per event; it
   * writes conditionally, as a document store's CAS replace does, so two processes cannot both
   * apply one version. It fails one poisoned event until cured.
   */
  private static final class Tally implements Projection {
    private final Map<String, Long> versions = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> applications = new ConcurrentHashMap<>();
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger conflicts = new AtomicInteger();
    private volatile String poisoned;
    private volatile CountDownLatch inside;
    private volatile CountDownLatch release;

    void poison(String stream, long version) {
      poisoned = stream + "@" + version;
    }

    void cure() {
      poisoned = null;
    }

    /** The next apply signals {@code inside}, then waits for {@code release}. */
    void holdFirstApply(CountDownLatch inside, CountDownLatch release) {
      this.release = release;
      this.inside = inside;
    }

    long version(String stream) {
      return versions.getOrDefault(stream, 0L);
    }

    int applications(String stream, long version) {
      AtomicInteger count = applications.get(stream + "@" + version);
      return count == null ? 0 : count.get();
    }

    int conflicts() {
      return conflicts.get();
    }

    @Override
    public long appliedVersion(String streamId) {
      return version(streamId);
    }

    @Override
    public void apply(VersionedEvent event) throws Exception {
      String key = event.sourceId() + "@" + event.version();
      if (key.equals(poisoned)) {
        throw new IllegalStateException("poisoned stream, failure " + failures.incrementAndGet());
      }
      CountDownLatch held = inside;
      if (held != null) {
        inside = null;
        held.countDown();
        if (!release.await(HOLD.toSeconds(), TimeUnit.SECONDS)) {
          throw new IllegalStateException("never released");
        }
      }
      long expected = event.version() - 1;
      boolean applied =
          expected == 0
              ? versions.putIfAbsent(event.sourceId(), event.version()) == null
              : versions.replace(event.sourceId(), expected, event.version());
      if (!applied) {
        conflicts.incrementAndGet();
        throw new ConcurrencyException(event.sourceId(), expected, version(event.sourceId()));
      }
      applications.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }
  }
}
