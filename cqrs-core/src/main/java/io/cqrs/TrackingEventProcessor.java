package io.cqrs;

import io.cqrs.interceptor.Interceptors;
import io.cqrs.internal.Ids;
import io.cqrs.internal.Texts;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.DurationSettings;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EventProcessor} that tracks the integration log: a named, durable consumer that the
 * read models and process managers of an application run on. It catches up from its stored
 * checkpoint, then follows the log as it grows; a restart resumes after the last checkpoint, so it
 * costs time in proportion to the events added since, not to all history.
 *
 * <p><b>Segments.</b> The log is split into {@code segments} by a hash of each event's stream id,
 * so all events of one aggregate fall into one segment and are handled in log order (which is
 * version order). Any number of processes may run a processor of the same name on the same store:
 * each segment is handled by one of them at a time, under a claim with a fencing token (see {@link
 * ProcessorStore}); the processes share the segments evenly, take over the segments of a process
 * that stops renewing its claims, and hand segments to a process that joins.
 *
 * <p><b>Delivery.</b> At least once: a segment saves its checkpoint (the last log position it has
 * handled, or with an {@linkplain Builder#asyncHandler asynchronous handler} the last before the
 * oldest event whose stage is still open) when it reaches the end of the log, after at most {@code
 * batchSize} log positions or {@code checkpointInterval} (1 s) while busy, when it pauses and when
 * it stops; never after every read, which cost a store write per poll. After a crash, a lost claim
 * or a hand-over the events since the last checkpoint are handled again. A handler gets an
 * exactly-once effect in one of two ways:
 *
 * <ul>
 *   <li>a {@link Projection} ({@link Builder#projection}): the read model stores each stream's
 *       applied version with its data, and an event at or below it is skipped (the version gate);
 *   <li>a handler that is idempotent on its own, for example one that sends commands with a
 *       deterministic message id ({@link Command#reactingTo}), which the command path deduplicates.
 * </ul>
 *
 * <p><b>Failures.</b> A handler that throws a {@link TransientCqrsException} or an I/O exception is
 * retried with back-off until it succeeds (the segment waits; its lag shows it). Any other
 * exception is retried {@code maxAttempts} times; then, by default, an {@link
 * EventProcessingFailed} dead letter is recorded in the integration log (a {@link
 * EventProcessor#local local} processor's in its own memory) and the processor goes on with the
 * next event ({@link #deadLetters()} lists them, {@link #replayDeadLetter} replays one); with
 * {@link Builder#stopOnFailure()} the segment stops instead, keeps its claim and checkpoint while
 * it stays within this process's share (a joining process that makes it its own takes it over), and
 * {@link #failure()} says why. A fatal error ({@link BusHealth#isFatal}) stops the whole processor.
 * A store that fails transiently (a timeout) is tried again; any other store failure of a segment
 * stops the segment, which keeps its claim as with {@code stopOnFailure}, and {@link #failure()}
 * says why; one of the coordinating thread (a segment document that cannot be read) stops the
 * processor in this process, every segment released. A segment whose thread stopped on a claim that
 * ran out on this process's clock (a stalled thread, or a renewal that landed just after its check)
 * is claimed afresh by the next coordination round, from its checkpoint, if no other process took
 * it.
 *
 * <p>Thread-safe. {@link #start()} starts one coordinating thread and one thread per segment this
 * process holds; {@link #close()} stops them, saves the checkpoints and gives up the claims.
 */
public final class TrackingEventProcessor implements EventProcessor {
  private static final Logger log = LoggerFactory.getLogger(TrackingEventProcessor.class);
  private static final int CLAIM_CHECK_MASK = 31; // every 32 events

  /**
   * The most records (letters and replays) a {@link EventProcessor#local local} processor keeps in
   * its in-memory ledger; a letter beyond them is logged and counted, not kept.
   */
  static final int MAX_LOCAL_LEDGER = 10_000;

  /** The logical types of dead-letter records, whose own letters are not dead-lettered again. */
  private static final Set<String> DEAD_LETTER_TYPES =
      Set.of(
          TypeRegistry.logicalName(EventProcessingFailed.class),
          TypeRegistry.logicalName(EventProcessingRetried.class));

  private final String name;
  private final EventStreamRepository events;
  private final ProcessorStore store;
  private final VersionedEventHandler handler;
  private final AsyncStarts starts;
  private final VersionedEventHandler starter;
  private final long checkpointIntervalMillis;
  private final int requestedSegments;
  private final int batchSize;
  private final String owner;

  /**
   * Where its dead letters are recorded: the store's integration log, or for a {@link
   * EventProcessor#local local} processor a log in its own memory, as its checkpoints are (see
   * {@link #deadLetters()}).
   */
  private final EventStreamRepository letters;

  private final boolean local;
  private final int localLedgerLimit;
  private final Duration claimTtl;
  private final Duration idleWait;
  private final Clock clock;

  /** Measures how long a store write took to fail ({@link #storeFailedClosing}): monotonic. */
  private final LongSupplier nanoTime;

  private final int maxAttempts;
  private final boolean stopOnFailure;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<Integer, Worker> workers = new HashMap<>();
  // Segments this process stopped at an event it cannot read and gave up, so that a process that
  // can read it takes them, and when to try them again here (the event may have been repaired);
  // then those tried again, until they pass the event. The coordinator's own, but for the retry
  // time a leaving segment's thread sets again when it releases the claim (Worker#leave).
  private final Map<Integer, Instant> givenUp = new ConcurrentHashMap<>();
  private final Map<Integer, GivenUp> retried = new HashMap<>();

  /**
   * What stopped each segment here that stopped on a failure (or gave up at an event it cannot
   * read), until it runs here again or reads past that event: one segment's recovery does not make
   * {@link #failure()} forget another's, nor bring back one that is over. {@link #failure} itself
   * holds only what stopped the processor (a fatal error, the coordinator's failure).
   */
  private final Map<Integer, SegmentFailure> segmentFailures = new ConcurrentHashMap<>();

  /** Orders {@link #segmentFailures}: {@link #failure()} reports the latest. */
  private final AtomicLong failures = new AtomicLong();

  /** What stopped a segment, and when among the others ({@link #failures}). */
  private record SegmentFailure(Throwable failure, long order) {}

  private final Duration unreadableRetry;
  private final LongAdder deadLettered = new LongAdder();
  private final ProcessorDeadLetters deadLetters;
  private volatile int segments;
  private volatile boolean running;
  private volatile boolean paused;
  private volatile boolean halted;

  /**
   * Set when a write to the processor store failed slowly while the processor stops ({@link
   * #close()}, or a fatal failure): a final checkpoint or a release that took a second or more to
   * fail ({@link #SLOW_FAILURE_NANOS}, on a monotonic clock), as a timeout does. The store is taken
   * to be gone, and the remaining releases and the leave are skipped rather than each waiting out
   * its own timeout; claims and membership expire on their own, within the claim's time to live. A
   * failure that comes back quickly (contention, a refusal) costs nothing to follow with the other
   * writes, and leaving claims to expire would make the other processes wait for nothing. (A pause
   * of the JVM during a quick failure can make it look slow: the claims then expire as after a
   * crash.)
   */
  private volatile boolean storeFailedClosing;

  /** How long a failed store write during close takes before the store counts as gone. */
  static final long SLOW_FAILURE_NANOS = 1_000_000_000L;

  /** The members the last heartbeat listed; the coordinator thread's own. */
  private List<String> lastMembers;

  private volatile Throwable failure;
  private Thread coordinator;

  private TrackingEventProcessor(Builder builder) {
    this.name = builder.name;
    this.events = builder.events;
    this.store = builder.store;
    VersionedEventHandler chain = builder.interceptors.eventHandler(builder.name, builder.handler);
    if (builder.wants != null) {
      chain = VersionGate.only(builder.wants, chain);
    }
    this.starts = builder.starts;
    this.starter = starts == null ? null : chain;
    // Retries, dead letters and their replays wait for each event's stage.
    this.handler = starts == null ? chain : starts.awaiting(chain);
    this.checkpointIntervalMillis = builder.checkpointInterval.toMillis();
    this.requestedSegments = builder.segments;
    this.batchSize = builder.batchSize;
    this.owner = builder.owner != null ? Ids.instanceOf(builder.owner) : Ids.newId();
    this.claimTtl = builder.claimTtl;
    this.unreadableRetry = builder.unreadableRetry;
    this.idleWait = builder.idleWait;
    this.clock = builder.clock;
    this.nanoTime = builder.nanoTime;
    this.maxAttempts = builder.maxAttempts;
    this.stopOnFailure = builder.stopOnFailure;
    this.local = builder.local;
    this.localLedgerLimit = builder.localLedgerLimit;
    this.letters = local ? new InMemoryEventStreamRepository() : events;
    this.deadLetters = new ProcessorDeadLetters(name, events, letters, handler, maxAttempts);
  }

  /** See {@link EventProcessor#tracking(String, EventStreamRepository, ProcessorStore)}. */
  static Builder builder(String name, EventStreamRepository store, ProcessorStore processors) {
    return new Builder(name, store, processors);
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * This processor's id among the processes that run it, as the store records its claims: a fresh
   * id, or the name given to {@link Builder#owner} followed by {@code '#'} and a random suffix.
   */
  public String owner() {
    return owner;
  }

  /**
   * Starts handling: fixes the segment count in the store on first use, claims this process's share
   * of the segments and starts handling them; returns without waiting for the catch-up.
   *
   * @throws SegmentCountMismatchException if the store holds another segment count for this
   *     processor
   * @throws IllegalStateException if the processor was started already
   */
  @Override
  public void start() {
    lock.lock();
    try {
      if (coordinator != null) {
        throw new IllegalStateException("Processor '" + name + "' was started already");
      }
      int fixed = store.segmentCount(name, requestedSegments);
      if (fixed != requestedSegments) {
        throw new SegmentCountMismatchException(name, fixed, requestedSegments);
      }
      segments = fixed;
      running = true;
      coordinator = new Thread(this::coordinate, "cqrs-processor-" + name);
      coordinator.setDaemon(true);
      coordinator.start();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops handling events in this process, keeping its claims, until {@link #resume()}: returns
   * once every segment here has finished the event in hand and handles no more. A handler being
   * retried (one that keeps failing, its database away) is not waited for: the retry ends, and the
   * event, still after the checkpoint, is tried afresh on resume (an asynchronous handler's failed
   * stage likewise). An asynchronous handler's stages in flight are waited for, a retried one too.
   * Returns early if {@link #resume()} ends the pause meanwhile or the processor closes; called
   * from a handler of this processor (on any of its segments), it only asks for the pause and
   * returns: each segment parks once its handler returns. Not from a callback of an asynchronous
   * handler's stage on a thread of its own: the segments wait for that stage, and the pause for
   * them (ask for it on another thread, or from the handler itself).
   */
  @Override
  public void pause() {
    lock.lock();
    try {
      paused = true;
      changed.signalAll();
      // A handler (or a stage's callback on a worker) that pauses its processor does not wait:
      // its own worker parks once it returns, and two that waited for each other would hang.
      if (workers.values().stream().anyMatch(w -> w.thread == Thread.currentThread())) {
        return;
      }
      // Nor for a worker that is not parked and never will be: resumed meanwhile, or closing.
      while (paused
          && running
          && workers.values().stream().anyMatch(w -> !w.parked && !w.ended && w.thread.isAlive())) {
        changed.awaitUninterruptibly();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Goes on after {@link #pause()}. */
  @Override
  public void resume() {
    lock.lock();
    try {
      paused = false;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@link #pause()} holds this process's segments. */
  @Override
  public boolean isPaused() {
    return paused;
  }

  /** The segments this process holds now, in order. */
  public List<Integer> ownedSegments() {
    lock.lock();
    try {
      return List.copyOf(new TreeSet<>(workers.keySet()));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether the processor keeps its checkpoints in this process's memory ({@link
   * EventProcessor#local}): it reads the whole log at every start and runs every segment here.
   */
  public boolean isLocal() {
    return local;
  }

  /** How far the processor is behind the log, over all segments, whoever holds them. */
  public ProcessorLag lag() {
    long head = events.logHead();
    List<SegmentState> states = store.segments(name);
    long lowest = states.stream().mapToLong(SegmentState::checkpoint).min().orElse(0);
    return new ProcessorLag(head, lowest, events.logDistance(lowest, head));
  }

  /**
   * Why the processor, or one of its segments here, stopped handling: a fatal error, or a failed
   * event with {@link Builder#stopOnFailure()}; {@code null} while all is well.
   */
  @Override
  public Throwable failure() {
    Throwable processorFailure = failure;
    if (processorFailure != null) {
      return processorFailure;
    }
    SegmentFailure latest = null;
    for (SegmentFailure segmentFailure : segmentFailures.values()) {
      if (latest == null || segmentFailure.order() > latest.order()) {
        latest = segmentFailure;
      }
    }
    return latest == null ? null : latest.failure();
  }

  /**
   * How many events this process has dead-lettered since the processor was built: {@link
   * EventProcessingFailed} entries it recorded after a handler failed {@code maxAttempts} times. A
   * count for metrics; the dead letters themselves are in the integration log (a {@link
   * EventProcessor#local local} processor's in its memory, at most 10,000 records of them).
   */
  public long deadLettered() {
    return deadLettered.sum();
  }

  /**
   * The dead letters of this processor that no replay has resolved, oldest first: its {@link
   * EventProcessingFailed} entries in the integration log, recorded by any process that runs it,
   * each with the reason of its last failure. A {@link EventProcessor#local local} processor's are
   * kept in its memory instead, as its checkpoints are, and are this instance's alone: each
   * process's is a read model of its own, rebuilt at every start (which meets a poison event again
   * and lists it again). The first call reads the whole log, later ones only what was committed
   * since.
   */
  public List<ProcessorDeadLetter> deadLetters() {
    return deadLetters.open();
  }

  /**
   * Replays one dead letter: loads the event it names from the integration log and hands it to the
   * handler again, through the same interceptors and version gate as normal handling and with the
   * same retries ({@code maxAttempts}; transient failures a few more times, with back-off), then
   * records an {@link EventProcessingRetried} entry in the log. A success resolves the dead letter
   * everywhere; a failure leaves it listed with the new reason, which the result holds. Works
   * whether or not this processor runs here, except for a {@link EventProcessor#local local}
   * processor: its letters are in the memory of the instance that recorded them, and only that
   * instance replays them (and records the outcome there).
   *
   * <p>Racing replays of one dead letter (two calls, two processes) may both reach the handler: as
   * for any redelivery, the version gate of a {@link Builder#projection projection}, or the
   * handler's own idempotency, makes the event take effect once.
   *
   * @param failureId the {@link ProcessorDeadLetter#id() id} of the dead letter
   * @return what happened; {@link DeadLetterReplay.Outcome#NOT_FOUND} for an id that names no open
   *     dead letter of this processor (unknown, of another processor, or resolved already)
   * @throws IllegalStateException if the log no longer holds the event at the recorded position
   */
  public DeadLetterReplay replayDeadLetter(String failureId) {
    return deadLetters.replay(failureId);
  }

  /** How many dead letters have a replay running or waiting in this process; for tests. */
  int deadLetterReplaysInProgress() {
    return deadLetters.replaysInProgress();
  }

  /**
   * Moves every segment's checkpoint to {@code position} (0: handle the whole log again), for
   * example after clearing the read model. Only while the processor runs nowhere: call it before
   * {@link #start()} or after {@link #close()}, on every process.
   *
   * @throws IllegalStateException if this processor runs, or a segment is claimed elsewhere
   */
  public void resetTo(long position) {
    lock.lock();
    try {
      if (running) {
        throw new IllegalStateException(
            "Processor '" + name + "' runs here: close it before resetting it");
      }
      store.segmentCount(name, requestedSegments);
      store.reset(name, position, clock.instant());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops handling: each segment finishes the event in hand, saves its checkpoint and gives up its
   * claim, and this process leaves the processor's members, so the others take its segments over at
   * once. It waits for a handler still running, and renews that segment's claim meanwhile, a third
   * of the claim's time to live apart, so that no other process takes the segment and runs the same
   * event beside it: a handler that never returns keeps close waiting, and the segment claimed, for
   * as long as the process lives, as it would a hand-over. With the store gone (a final checkpoint
   * or a release that failed after a second or more, as a timeout does), the remaining releases and
   * the leave are skipped rather than each waiting out its timeout: the claims and the membership
   * run out within the claim's time to live, when the others take the segments over. Idempotent.
   * Called from a handler of this processor (on any of its segments), it only asks for the stop and
   * returns: each segment stops once its handler returns, as from another thread.
   */
  @Override
  public void close() {
    Thread stopping;
    boolean fromWorker;
    lock.lock();
    try {
      running = false;
      changed.signalAll();
      stopping = coordinator;
      // The coordinator joins every worker on its way out: a worker that joined the coordinator
      // here would wait for it for ever, and so would every later close().
      fromWorker = workers.values().stream().anyMatch(w -> w.thread == Thread.currentThread());
    } finally {
      lock.unlock();
    }
    if (stopping != null && stopping != Thread.currentThread() && !fromWorker) {
      joinQuietly(stopping);
    }
  }

  /**
   * Stops every thread the way a crash would, for tests: no final checkpoint, no release, no
   * leaving; the claims run out on their own.
   */
  void halt() {
    halted = true;
    close();
  }

  // ------------------------------------------------------------------ coordination

  private void coordinate() {
    try {
      while (running) {
        try {
          rebalance();
        } catch (RuntimeException e) {
          if (!isTransient(e)) {
            throw e;
          }
          // A store that times out must not end coordination: the next round tries again, and
          // meanwhile workers stop on their own if their claims run out unrenewed.
          log.warn("Processor '{}' could not coordinate, retrying: {}", name, e.toString());
        }
        awaitCoordination(claimTtl.dividedBy(3));
      }
    } catch (Throwable e) {
      failure = e; // whatever stopped it, failure() must say so
      log.error("Processor '{}' stopped coordinating", name, e);
    } finally {
      if (halted) {
        for (Worker worker : snapshotWorkers()) {
          worker.stop();
          joinQuietly(worker.thread);
        }
      } else {
        stopAll();
      }
    }
  }

  /**
   * One round: heartbeat, renew what is held, give up or claim to reach the fair share. A transient
   * store failure on one segment does not end the round: the others are still renewed (a store that
   * fails now and then must not keep the last segments of the list from ever being renewed, and
   * their claims from running out), and the first such failure is thrown at the round's end.
   */
  private void rebalance() {
    RuntimeException[] firstFailure = new RuntimeException[1];
    Instant now = clock.instant();
    List<String> members;
    try {
      members = store.heartbeat(name, owner, now, claimTtl);
      lastMembers = members;
      if (sittingOut(now)) {
        // A segment given up here waits for a process that can read it: this one leaves the
        // membership again at once (its own share it reckons with the list it just got), so
        // that the others' shares grow by it and one of them takes the segment even when each
        // holds its share already (a rolling deploy's newer process).
        store.leave(name, owner);
      }
    } catch (RuntimeException e) {
      if (!isTransient(e) || lastMembers == null) {
        throw e;
      }
      firstFailure[0] = e; // renew what is held with the members of the last round
      members = lastMembers;
    }
    int count = segments;
    int mine = members.indexOf(owner);
    if (mine < 0) {
      mine = members.size(); // not listed (yet): count as the last member
    }
    int live = Math.max(members.size(), mine + 1);
    // Every member computes the same shares from the same ordered list: count / live each, and
    // one more for the first count % live members, so the shares add up to the segment count
    // (with a rounded-up share for all, 4 segments over 3 members would leave one member idle).
    int share = count / live + (mine < count % live ? 1 : 0);

    for (Worker worker : snapshotWorkers()) {
      if (!running) {
        return; // closing: each worker releases its own claim, and stopAll waits for them
      }
      tolerating(firstFailure, () -> renewOrLeave(worker));
    }

    List<Worker> held = snapshotWorkers().stream().filter(worker -> !worker.leaving).toList();
    for (int i = held.size() - 1; i >= share; i--) {
      handOver(held.get(i)); // the highest segments first
    }

    for (int i = 0; i < count && workerCount() < share && running; i++) {
      int segment = (mine * (count / live) + i) % count;
      if (hasWorker(segment) || !due(segment)) {
        continue;
      }
      tolerating(
          firstFailure,
          () ->
              store
                  .claim(name, segment, owner, clock.instant(), claimTtl)
                  .ifPresent(claim -> startWorker(claim)));
    }
    if (firstFailure[0] != null) {
      throw firstFailure[0];
    }
  }

  /** Runs {@code step}; a transient failure is kept in {@code firstFailure} (the first one). */
  private void tolerating(RuntimeException[] firstFailure, Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      if (!isTransient(e)) {
        throw e;
      }
      if (firstFailure[0] == null) {
        firstFailure[0] = e;
      } else if (firstFailure[0] != e) {
        firstFailure[0].addSuppressed(e);
      }
    }
  }

  /** Renews a worker's claim, or lets it leave: what a round does for each worker it holds. */
  private void renewOrLeave(Worker worker) {
    if (worker.leaving) {
      renewLeaving(worker);
      return;
    }
    if (worker.expired) {
      // Its thread stopped on a claim it found run out (a renewal can land just after that
      // check) or lost: renewing for it as a working segment would hold the segment with nothing
      // working on it. It leaves like a segment handed over, without this thread waiting for its
      // stages to settle, and is claimed afresh from its checkpoint once it has left, if it is
      // still this process's to hold.
      worker.leaving = true;
      renewLeaving(worker);
      log.info(
          "Processor '{}' segment {} stopped on an expired claim; claiming it again",
          name,
          worker.segment);
      return;
    }
    if (worker.unreadable) {
      // Its checkpoint stands right before the event; a process that reads it goes on. It leaves
      // as a segment handed over does, without this thread waiting for it: on its way out it may
      // wait for its stages up to a claim's lifetime, and the process's other claims, unrenewed
      // meanwhile, would run out.
      // Sitting out starts now; the retry is counted again from the release (Worker#leave), which
      // may come up to a claim's lifetime later.
      givenUp.put(worker.segment, clock.instant().plus(unreadableRetry));
      retried.put(
          worker.segment, new GivenUp(worker.unreadableAfter, segmentFailures.get(worker.segment)));
      worker.leaving = true;
      log.warn(
          "Processor '{}' gave up segment {}, which it cannot read on; a process that can takes"
              + " it over, and this one tries again in {}",
          name,
          worker.segment,
          unreadableRetry);
      renewLeaving(worker);
      return;
    }
    Optional<SegmentClaim> renewed =
        store.claim(name, worker.segment, owner, clock.instant(), claimTtl);
    if (renewed.isPresent() && renewed.get().token() == worker.claim.token()) {
      worker.claim = renewed.get();
      passedUnreadable(worker.segment, renewed.get().checkpoint());
    } else {
      log.warn("Processor '{}' lost segment {} to another process", name, worker.segment);
      if (renewed.isPresent()) {
        releaseQuietly(renewed.get()); // a new claim of a segment whose old one had run out
      }
      // Left without waiting for a handler that takes its time, as a hand-over is; its writes
      // under the lost claim are refused, and its release of it frees nothing.
      handOver(worker);
    }
  }

  /**
   * Whether this process sits out of the membership: it gave a segment up at an event it cannot
   * read, and its retry is not due yet (see {@link #rebalance}).
   */
  private boolean sittingOut(Instant now) {
    return givenUp.values().stream().anyMatch(now::isBefore);
  }

  /** A segment given up at {@code checkpoint}, which stopped it with {@code failure}. */
  private record GivenUp(long checkpoint, SegmentFailure failure) {}

  /** Records what stopped {@code segment} here, the latest failure {@link #failure()} reports. */
  private void stoppedBy(int segment, Throwable failure) {
    segmentFailures.put(segment, new SegmentFailure(failure, this.failures.incrementAndGet()));
  }

  /** Whether this process may claim {@code segment}: not given up, or its retry is due. */
  private boolean due(int segment) {
    Instant retryAt = givenUp.get(segment);
    if (retryAt == null) {
      return true;
    }
    if (clock.instant().isBefore(retryAt)) {
      return false;
    }
    givenUp.remove(segment);
    return true;
  }

  /**
   * A segment tried again after it was given up has saved a checkpoint past the event it could not
   * read (repaired, say): its failure is over, so {@link #failure()} no longer reports it.
   */
  private void passedUnreadable(int segment, long checkpoint) {
    GivenUp was = retried.get(segment);
    if (was != null && checkpoint > was.checkpoint()) {
      retried.remove(segment);
      if (was.failure() != null && segmentFailures.remove(segment, was.failure())) {
        log.info("Processor '{}' segment {} reads on past where it had stopped", name, segment);
      }
    }
  }

  /**
   * Stops every segment. Each leaves as a segment handed over does, releasing its own claim on its
   * way out (a worker that saw the close first releases it then too, see {@code run()}), and all
   * are told before any is waited for: a handler that takes its time (or never returns) on one
   * segment does not keep the others' claims from the processes that would take them over.
   */
  private void stopAll() {
    List<Worker> all = snapshotWorkers();
    for (Worker worker : all) {
      handOver(worker);
    }
    awaitLeaving(all);
    for (Worker worker : all) {
      stopWorker(worker, true);
    }
    if (storeFailedClosing) {
      log.info(
          "Processor '{}' does not leave its members: the store failed while closing, so its"
              + " membership is left to run out (within {})",
          name,
          claimTtl);
      return;
    }
    try {
      store.leave(name, owner);
    } catch (RuntimeException e) {
      log.warn("Processor '{}' could not leave its members", name, e);
    }
  }

  /**
   * Waits for the threads of the segments handed over at a stop to end, renewing their claims a
   * third of a claim's lifetime apart (one cadence for all) meanwhile, as a round does during a
   * hand-over: a handler still running when the processor closes keeps its segment's claim until it
   * is done, so that no other process takes the segment and handles the same event beside it. Not
   * once the store has failed while closing (the claims are then left to run out).
   */
  private void awaitLeaving(List<Worker> all) {
    // One cadence for all of them, on the wall clock the joins wait on: a renewal per join that
    // timed out would be put off by each thread that ended just before its timeout, and a few
    // segments ending one after another would let a claim still held run out.
    long renewEveryNanos = Math.max(1, claimTtl.toNanos() / 3);
    long nextRenewal = System.nanoTime() + renewEveryNanos;
    for (Worker worker : all) {
      while (worker.thread != Thread.currentThread() && worker.thread.isAlive()) {
        long wait = nextRenewal - System.nanoTime();
        if (wait > 0) {
          try {
            TimeUnit.NANOSECONDS.timedJoin(worker.thread, wait);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          continue; // ended, or the renewal is due: look again
        }
        nextRenewal = System.nanoTime() + renewEveryNanos;
        for (Worker leaving : all) {
          if (storeFailedClosing) {
            break; // the claims are left to run out
          }
          long started = nanoTime.getAsLong();
          try {
            renewLeaving(leaving);
          } catch (RuntimeException e) {
            storeFailedWhileClosing(started);
            log.warn(
                "Processor '{}' could not renew segment {} while closing",
                name,
                leaving.segment,
                e);
          }
        }
      }
    }
  }

  private void startWorker(SegmentClaim claim) {
    Worker worker = new Worker(claim);
    lock.lock();
    try {
      if (!running) {
        releaseQuietly(claim);
        return;
      }
      workers.put(claim.segment(), worker);
    } finally {
      lock.unlock();
    }
    // The segment runs here again: what stopped it before is over, unless it is the retry of an
    // event it could not read, whose failure stands until it reads past it (passedUnreadable).
    if (!retried.containsKey(claim.segment())) {
      segmentFailures.remove(claim.segment());
    }
    worker.thread.start();
  }

  /**
   * Hands a segment over without waiting for its thread, which saves its checkpoint and releases
   * the claim on its way out ({@link Worker#leave}): a handler or stage that takes its time must
   * not hold up the rounds that renew the process's other claims, which would run out meanwhile and
   * be taken, only to be lost and claimed back. The claim is renewed while the thread finishes.
   */
  private void handOver(Worker worker) {
    worker.leaving = true;
    stopSignalled(worker);
  }

  /** Stops {@code worker} and wakes it, wherever it waits for a change. */
  private void stopSignalled(Worker worker) {
    worker.stop();
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Renews the claim of a segment being handed over until its thread has released it; never once it
   * has (a renewal then would claim the segment anew).
   */
  private void renewLeaving(Worker worker) {
    synchronized (worker) {
      if (worker.released) {
        return;
      }
      if (!worker.thread.isAlive()) {
        // Its thread had ended before it was handed over (stopped on a failure, say), or ended
        // without seeing it was: it will not leave on its own, so the coordinator lets it go.
        worker.leave();
        return;
      }
      Optional<SegmentClaim> renewed =
          store.claim(name, worker.segment, owner, clock.instant(), claimTtl);
      if (renewed.isPresent() && renewed.get().token() == worker.claim.token()) {
        worker.claim = renewed.get();
      } else if (renewed.isPresent()) {
        // The old claim had run out and this is a new one, which the leaving thread does not
        // hold (its release would not free it): let it go at once.
        releaseQuietly(renewed.get());
      }
      // Otherwise another process took it: the store refuses the thread's last checkpoint.
    }
  }

  private void releaseQuietly(SegmentClaim claim) {
    if (!running && storeFailedClosing) {
      log.info(
          "Processor '{}' leaves segment {} claimed: the store failed while closing, so its claim"
              + " is left to run out (within {})",
          name,
          claim.segment(),
          claimTtl);
      return;
    }
    long started = nanoTime.getAsLong();
    try {
      store.release(claim);
    } catch (RuntimeException e) {
      storeFailedWhileClosing(started);
      log.warn("Processor '{}' could not release segment {}", name, claim.segment(), e);
    }
  }

  /**
   * Notes, if the processor is stopping, that a store write begun at {@code startedNanos} failed
   * slowly (see {@link #storeFailedClosing}).
   */
  private void storeFailedWhileClosing(long startedNanos) {
    if (!running && nanoTime.getAsLong() - startedNanos >= SLOW_FAILURE_NANOS) {
      storeFailedClosing = true;
    }
  }

  /** Stops a worker; with {@code release}, saves its checkpoint and gives up its claim. */
  private void stopWorker(Worker worker, boolean release) {
    stopSignalled(worker);
    if (worker.thread != Thread.currentThread()) {
      joinQuietly(worker.thread);
    }
    lock.lock();
    try {
      workers.remove(worker.segment, worker);
    } finally {
      lock.unlock();
    }
    if (release && worker.leaving) {
      worker.leave(); // released already on its way out, unless its thread ended before that
    } else if (release) {
      releaseQuietly(worker.claim);
    }
  }

  private List<Worker> snapshotWorkers() {
    lock.lock();
    try {
      return workers.values().stream()
          .sorted((a, b) -> Integer.compare(a.segment, b.segment))
          .toList();
    } finally {
      lock.unlock();
    }
  }

  /** The segments this process works and keeps: those being handed over do not count. */
  private int workerCount() {
    lock.lock();
    try {
      return (int) workers.values().stream().filter(worker -> !worker.leaving).count();
    } finally {
      lock.unlock();
    }
  }

  private boolean hasWorker(int segment) {
    lock.lock();
    try {
      return workers.containsKey(segment);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The coordinator's wait between rounds: until a change is signalled or {@code timeout} passes,
   * at most 50 ms while a worker waits to be given up (a round that failed on the store comes round
   * again soon, without spinning). That check and the wait are one step under the lock, and a
   * worker signals under it after marking itself, so the signal cannot fall between them and leave
   * the segment held for a whole round.
   */
  private void awaitCoordination(Duration timeout) {
    lock.lock();
    try {
      if (running) {
        boolean givingUp = workers.values().stream().anyMatch(Worker::awaitsGivingUp);
        changed.awaitNanos(givingUp ? Math.min(timeout.toNanos(), 50_000_000L) : timeout.toNanos());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  private void awaitChange(Duration timeout) {
    lock.lock();
    try {
      if (running) {
        changed.awaitNanos(timeout.toNanos());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  private static void joinQuietly(Thread thread) {
    boolean interrupted = false;
    while (true) {
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Which segment an event belongs to: a hash of its stream id, the same in every process. */
  static int segmentOf(String streamId, int segments) {
    int h = streamId.hashCode();
    h ^= h >>> 16; // spread the high bits, as HashMap does
    h *= 0x45d9f3b;
    h ^= h >>> 16;
    return Math.floorMod(h, segments);
  }

  /** An event whose asynchronous handling was started, and its stage. */
  private record Started(LoggedEvent entry, CompletableFuture<?> stage) {}

  // ------------------------------------------------------------------ one segment

  /** Handles one claimed segment on its own thread until stopped or the claim is lost. */
  private final class Worker {
    final int segment;
    final Thread thread;
    volatile SegmentClaim claim;
    volatile boolean stopped;
    volatile boolean parked;
    volatile boolean unreadable; // stopped at an event the store cannot read for this process
    long unreadableAfter; // the position handled before that event; published by unreadable
    volatile boolean expired; // stopped on a claim that ran out on this clock, or was lost
    volatile boolean leaving; // handed over: its thread releases the claim on its way out
    volatile boolean ended; // its thread is past its last handler and will not park
    private boolean released; // guarded by this worker: its claim released on the way out
    private boolean stopping; // a handler's failure is rethrown because the segment is stopping
    // The worker thread's own state: the last position handled (or started), the last saved.
    private long handled;
    private long saved;
    private int sinceSave;
    private long savedAt;
    private final ArrayDeque<Started> inFlight = new ArrayDeque<>();

    Worker(SegmentClaim claim) {
      this.segment = claim.segment();
      this.claim = claim;
      this.thread = new Thread(this::run, "cqrs-processor-" + name + "-" + segment);
      thread.setDaemon(true);
    }

    void stop() {
      stopped = true;
    }

    boolean active() {
      return !stopped && running;
    }

    /**
     * Whether the coordinator has yet to give this segment up: it stopped at an event it cannot
     * read, and is not leaving yet, or its thread ended before it saw it was (it will not release
     * the claim on its own).
     */
    boolean awaitsGivingUp() {
      return unreadable && (!leaving || ended);
    }

    // The loop is long because it is the hot path and its state (what is handled, what is saved,
    // what is in flight) is what the checkpoint rules read; the rules are in the class Javadoc.
    private void run() {
      handled = claim.checkpoint();
      saved = handled;
      savedAt = clock.millis();
      int storeFailures = 0;
      try {
        while (active()) {
          try {
            if (paused) {
              checkpointBeforePause(); // pause() returns with the checkpoint at what was handled
              park();
              continue;
            }
            List<LoggedEvent> page = readPage();
            if (page.isEmpty()) {
              // Caught up: the log's end is where a restart should resume, once what is in flight
              // has completed; a slow stage does not stop the segment from reading on.
              checkpointCompleted();
              awaitChange(idleWait);
              continue;
            }
            handlePage(page);
            if (sinceSave >= batchSize || clock.millis() - savedAt >= checkpointIntervalMillis) {
              if (page.size() < batchSize) {
                checkpointCompleted(); // the read reached the log's end: do not wait, read on
              } else {
                checkpoint();
              }
            }
            storeFailures = 0;
          } catch (ClaimLostException e) {
            throw e;
          } catch (RuntimeException e) {
            if (!isTransient(e) || stopping) {
              throw e; // stopping: a handler's failure the stop cut short, not the store's
            }
            log.warn("Processor '{}' segment {}: the store failed, retrying", name, segment, e);
            backOff(++storeFailures);
            storeFailures = Math.min(storeFailures, 10);
          }
        }
      } catch (ClaimLostException e) {
        log.warn("Processor '{}' stops segment {}: {}", name, segment, e.getMessage());
        expired = true;
        stopped = true;
        saved = Long.MAX_VALUE; // nothing more may be written under this claim
      } catch (Throwable e) {
        if (stopping && !BusHealth.isFatal(e)) {
          // The handler failed while the segment was being stopped (a hand-over, close): the
          // event stays after the checkpoint for whoever works the segment next, which applies
          // the retry policy; nothing failed for good here.
          log.info(
              "Processor '{}' segment {} stopped while handling an event, which stays after the"
                  + " checkpoint: {}",
              name,
              segment,
              Texts.shown(e));
        } else {
          if (BusHealth.isFatal(e)) {
            running = false;
            failure = e; // the processor's, not only this segment's
          }
          stoppedBy(segment, e);
          log.error("Processor '{}' stopped segment {}", name, segment, e);
        }
        unreadableAfter = handled; // before the way out settles, and may lower, what was handled
        unreadable = e instanceof UnreadableLogException;
        stopped = true;
      }
      if (!halted && saved != Long.MAX_VALUE) {
        settleQuietly();
        if (handled > saved) {
          saveOnStop(handled);
        }
      }
      // Handed over, or the processor is closing: the claim goes as soon as this segment is done,
      // not when the coordinator has waited for every segment before it (one of which may be
      // stuck in a handler). A crash (halt) releases nothing.
      if ((leaving || !running) && !halted) {
        leave();
      }
      lock.lock();
      try {
        ended = true;
        changed.signalAll(); // a pause() may wait for this thread
      } finally {
        lock.unlock();
      }
    }

    /**
     * The way out of a segment handed over ({@link #handOver}): releases the claim, after which the
     * coordinator no longer renews it, and leaves the process's segments.
     */
    private void leave() {
      synchronized (this) {
        if (released) {
          return;
        }
        released = true;
        releaseQuietly(claim);
      }
      if (unreadable) {
        // Given up: the retry is due unreadableRetry after the release, not after the coordinator
        // saw the stop, or a way out that took that long would let this process claim the segment
        // back at once, before a process that can read the event has had it.
        givenUp.put(segment, clock.instant().plus(unreadableRetry));
      }
      lock.lock();
      try {
        workers.remove(segment, this);
      } finally {
        lock.unlock();
      }
    }

    /**
     * The next page of the log. If the store cannot read it for good (an event of a type this
     * process's registry does not know, written by a newer build during a rolling deploy), the
     * events before the one it cannot read are read one at a time and handled, so that the segment
     * stops exactly there, saying where, and is given up: another process, whose registry knows the
     * type, goes on from that checkpoint.
     */
    private List<LoggedEvent> readPage() {
      try {
        return events.readLogEvents(handled + 1, batchSize);
      } catch (RuntimeException e) {
        if (isTransient(e)) {
          throw e;
        }
        List<LoggedEvent> readable = new ArrayList<>();
        long from = handled + 1;
        while (readable.size() < batchSize) {
          List<LoggedEvent> one;
          try {
            one = events.readLogEvents(from, 1);
          } catch (RuntimeException single) {
            if (isTransient(single)) {
              throw single; // the store failed for now: the run loop retries
            }
            if (readable.isEmpty()) {
              throw new UnreadableLogException(
                  "Processor '"
                      + name
                      + "' segment "
                      + segment
                      + " cannot read the log after position "
                      + handled
                      + " (handled up to there): "
                      + single.getMessage(),
                  single);
            }
            return readable;
          }
          if (one.isEmpty()) {
            if (readable.isEmpty()) {
              throw e; // the page failed, yet nothing alone: not an event it cannot read
            }
            return readable;
          }
          readable.add(one.get(0));
          from = one.get(0).position() + 1;
        }
        return readable;
      }
    }

    /** Handles (or, with an asynchronous handler, starts) the events of one page in order. */
    private void handlePage(List<LoggedEvent> page) throws Exception {
      int count = segments;
      int sinceCheck = 0;
      for (LoggedEvent entry : page) {
        // The claim's expiry is read off the clock every 32 events, not every event: it narrows
        // the window in which a stalled worker goes on (the store's fencing is what keeps it from
        // writing), and a clock read per event cost a tenth of the catch-up rate.
        if (!active() || paused || ((sinceCheck++ & CLAIM_CHECK_MASK) == 0 && !holdsClaim())) {
          return;
        }
        boolean mine = count == 1 || segmentOf(entry.event().sourceId(), count) == segment;
        if (mine) {
          if (starts != null) {
            if (!start(entry)) {
              return; // rewound to a failed event, or stopped at it
            }
          } else {
            try {
              if (!handle(entry)) {
                stopped = true; // stopOnFailure: the checkpoint stays before this event
                return;
              }
            } catch (PausedDuringRetry paused) {
              return; // the event stays after the checkpoint and is tried again on resume
            }
          }
        }
        handled = entry.position();
        sinceSave++;
      }
    }

    /**
     * Starts the asynchronous handler on an event, keeping at most {@code batchSize} events in
     * flight; false if waiting for the oldest found a failure (see {@link #settle}).
     */
    private boolean start(LoggedEvent entry) throws Exception {
      if (inFlight.size() >= batchSize && !settle(false)) {
        return false;
      }
      CompletableFuture<?> stage;
      try {
        stage = starts.start(starter, entry.event());
      } catch (Exception | Error e) {
        rethrowIfFatal(e);
        stage = CompletableFuture.failedFuture(e); // a start that throws fails like its stage
      }
      inFlight.add(new Started(entry, stage));
      return true;
    }

    /**
     * Waits for the events in flight: all of them, or with {@code all} false only the oldest. A
     * failed one rewinds the segment to it: the events started after it are dropped (they are
     * handled again), and the failed event goes through the synchronous retry policy ({@link
     * #handle}), so it is retried, dead-lettered or stops the segment as a failure of a synchronous
     * handler would. False if it rewound.
     */
    private boolean settle(boolean all) throws Exception {
      while (!inFlight.isEmpty()) {
        Started oldest = inFlight.peekFirst();
        if (!awaitStage(oldest.stage())) {
          return false; // stopping: the way out waits for what is in flight, for a bounded time
        }
        if (!retire(oldest)) {
          return false;
        }
        if (!all) {
          return true;
        }
      }
      return true;
    }

    /**
     * Takes the oldest event in flight, whose stage is done, off the list; if the stage failed,
     * rewinds the segment to it ({@link #rewind}) and returns false.
     */
    private boolean retire(Started oldest) throws Exception {
      try {
        AsyncStarts.await(oldest.stage());
        inFlight.removeFirst();
        return true;
      } catch (Exception | Error e) {
        // An Error (an assertion, a stack overflow in the handler) is retried and dead-lettered
        // like a synchronous handler's; only a fatal one stops the processor.
        rethrowIfFatal(e);
        rewind(oldest, e);
        return false;
      }
    }

    /** Throws {@code e} on if it is a fatal error ({@link BusHealth#isFatal}), which stops all. */
    private static void rethrowIfFatal(Throwable e) {
      if (e instanceof Error error && BusHealth.isFatal(error)) {
        throw error;
      }
    }

    /** Waits for a stage to complete while the segment is active; false if it stopped first. */
    private boolean awaitStage(CompletableFuture<?> stage) {
      while (!stage.isDone()) {
        if (!active()) {
          return false;
        }
        try {
          stage.get(idleWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
          // not done yet, or done: the loop looks again
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          stopped = true;
          return false;
        }
      }
      return true;
    }

    private void rewind(Started failed, Throwable failure) throws Exception {
      for (Started started : inFlight) {
        // Let the dropped ones finish first, unless the segment is stopping.
        if (!awaitStage(started.stage())) {
          break;
        }
      }
      inFlight.clear();
      handled = failed.entry().position() - 1;
      if (!active()) {
        return; // stopping: the checkpoint stays before the failed event
      }
      try {
        if (!handle(failed.entry(), failure)) {
          stopped = true; // stopOnFailure: the checkpoint stays before this event
          return;
        }
      } catch (PausedDuringRetry paused) {
        return; // as for a stop: the checkpoint stays before the failed event, tried on resume
      }
      handled = failed.entry().position();
    }

    /**
     * Waits for the events in flight on the way out, at most a claim's lifetime in all (a stage
     * that never completes must not hold up {@link #close()} for ever), and never past a tenth of a
     * lifetime before the claim runs out: a closing processor's coordinator no longer renews it,
     * and a checkpoint saved after it ran out would be refused, losing what did complete. The
     * checkpoint stays before the first that failed or did not complete in time.
     */
    private void settleQuietly() {
      long deadline = System.nanoTime() + claimTtl.toNanos();
      for (Started started : inFlight) {
        if (!settledInTime(started.stage(), deadline)) {
          handled = started.entry().position() - 1;
          break;
        }
      }
      inFlight.clear();
    }

    /** Whether {@code stage} completed normally in time (see {@link #settleQuietly}). */
    private boolean settledInTime(CompletableFuture<?> stage, long deadline) {
      while (true) {
        // The claim as renewed last: a segment handed over is still renewed while it leaves.
        long claimEnds =
            Duration.between(clock.instant(), claim.expiresAt()).toNanos()
                - claimTtl.toNanos() / 10;
        long wait = Math.min(deadline - System.nanoTime(), claimEnds);
        if (wait <= 0 && !stage.isDone()) {
          return false;
        }
        try {
          stage.get(Math.max(0, Math.min(wait, idleWait.toNanos())), TimeUnit.NANOSECONDS);
          return true;
        } catch (TimeoutException e) {
          // look at the claim again
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        } catch (ExecutionException | CancellationException e) {
          return false;
        }
      }
    }

    /**
     * Saves the checkpoint at what was handled, if it moved, after waiting for the events in flight
     * (a checkpoint never passes an event whose effect has not completed).
     */
    private void checkpoint() throws Exception {
      if (!settle(true)) {
        // Rewound: the events from the failed one on are read again, and every event before it
        // completed, so the checkpoint may go that far (pause() returns with it saved). Stopping
        // with stages still in flight: it stays where it is.
        if (inFlight.isEmpty()) {
          saveCheckpointAt(handled);
        }
        return;
      }
      saveCheckpointAt(handled);
      sinceSave = 0;
      savedAt = clock.millis();
    }

    /**
     * Saves the checkpoint at what has completed without waiting for the events still in flight:
     * just before the oldest of them, or at what was handled if none is. Stages that completed are
     * settled first (a failed one rewinds, as in {@link #settle}). A checkpoint still never passes
     * an event whose stage has not completed, and the segment goes on reading while one is slow.
     */
    private void checkpointCompleted() throws Exception {
      while (!inFlight.isEmpty() && inFlight.peekFirst().stage().isDone()) {
        if (!retire(inFlight.peekFirst())) {
          return; // the events from the failed one on are read again before any checkpoint
        }
      }
      if (inFlight.isEmpty()) {
        checkpoint();
        return;
      }
      saveCheckpointAt(inFlight.peekFirst().entry().position() - 1);
    }

    /** Saves the checkpoint at {@code position} if that moves it and the claim still allows it. */
    private void saveCheckpointAt(long position) throws Exception {
      if (position > saved && holdsClaim() && !halted) {
        store.saveCheckpoint(claim, position, clock.instant());
        saved = position;
      }
    }

    /** Waits while the processor is paused, saying so to {@link #pause()}. */
    private void park() {
      lock.lock();
      try {
        parked = true;
        changed.signalAll();
        while (paused && active()) {
          changed.awaitNanos(idleWait.toNanos());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopped = true;
      } finally {
        parked = false;
        lock.unlock();
      }
    }

    /**
     * The checkpoint a pause leaves; a store that is away (often the handler's database too, whose
     * outage the pause answers) must not keep the segment from parking: the checkpoint then stays
     * earlier, and the events after it are handled again after the resume, at least once.
     */
    private void checkpointBeforePause() throws Exception {
      try {
        checkpoint();
      } catch (RuntimeException e) {
        if (!isTransient(e)) {
          throw e;
        }
        log.warn(
            "Processor '{}' segment {} pauses without saving its checkpoint: {}",
            name,
            segment,
            e.toString());
      }
    }

    /** The last checkpoint, on the way out, if the claim still allows it. */
    private void saveOnStop(long handled) {
      long started = nanoTime.getAsLong();
      try {
        store.saveCheckpoint(claim, handled, clock.instant());
      } catch (ClaimLostException e) {
        log.debug("Processor '{}' segment {}: no final checkpoint, {}", name, segment, e);
      } catch (RuntimeException e) {
        storeFailedWhileClosing(started);
        log.warn("Processor '{}' segment {}: final checkpoint failed", name, segment, e);
      }
    }

    /** Whether the claim is still valid on this process's clock; a stalled worker stops here. */
    private boolean holdsClaim() {
      if (claim.expiresAt().isAfter(clock.instant())) {
        return true;
      }
      log.warn("Processor '{}' segment {}: claim expired before renewal, stopping", name, segment);
      expired = true;
      stopped = true;
      return false;
    }

    /** Handles one event with the retry policy; false if the segment must stop. */
    private boolean handle(LoggedEvent entry) throws Exception {
      return handle(entry, null);
    }

    /**
     * {@link #handle(LoggedEvent)} for an event whose first attempt already ended with {@code
     * firstFailure} (an asynchronous handler's failed stage), or null: the retry policy counts it,
     * so the event is tried {@code maxAttempts} times in all, not once more.
     */
    private boolean handle(LoggedEvent entry, Throwable firstFailure) throws Exception {
      VersionedEvent event = entry.event();
      int attempts = 0;
      Throwable pending = firstFailure;
      while (true) {
        try {
          if (pending != null) {
            Throwable first = pending;
            pending = null;
            throw AsyncStarts.<RuntimeException>rethrow(first);
          }
          handleOnce(event);
          return true;
        } catch (PausedDuringRetry paused) {
          throw paused;
        } catch (Exception e) {
          if (!active()) {
            stopping = true; // not a failure of the event: see run()
            throw e;
          }
          if (isTransient(e)) {
            log.warn(
                "Processor '{}' retries {} at position {}: {}",
                name,
                Texts.shown(event.eventType()),
                entry.position(),
                Texts.shown(e));
            backOff(++attempts, true);
            attempts = Math.min(attempts, 10);
            endRetryIfStoppedOrPaused(e);
            continue;
          }
          if (++attempts < maxAttempts) {
            backOff(attempts, true);
            endRetryIfStoppedOrPaused(e);
            continue;
          }
          endRetryIfStoppedOrPaused(e); // paused meanwhile: tried afresh on resume, not given up
          return giveUp(entry, e);
        } catch (Error e) {
          if (!active() && !BusHealth.isFatal(e)) {
            stopping = true; // as for an exception: not a failure of the event, see run()
            throw e;
          }
          if (BusHealth.isFatal(e) || ++attempts >= maxAttempts) {
            if (BusHealth.isFatal(e)) {
              throw e;
            }
            return giveUp(entry, e);
          }
          backOff(attempts, true);
          endRetryIfStoppedOrPaused(e);
        }
      }
    }

    /**
     * Runs the handler on an event once. An asynchronous handler's stage is waited for while the
     * segment is active, then as on the way out (a retried stage that never completes must not hold
     * {@link #close()} for ever): the event then stays after the checkpoint.
     */
    private void handleOnce(VersionedEvent event) throws Exception {
      if (starts == null) {
        handler.handle(event);
        return;
      }
      CompletableFuture<?> stage = starts.start(starter, event);
      // Stopping: as on the way out, the stage gets a claim's lifetime at most (and not past the
      // claim), so that the next owner does not run the event beside it.
      if (!awaitStage(stage)
          && !settledInTime(stage, System.nanoTime() + claimTtl.toNanos())
          && !stage.isDone()) {
        throw new CancellationException("The segment stopped while a retried stage ran");
      }
      AsyncStarts.await(stage);
    }

    /**
     * Ends a retry the segment's stop or pause came upon while it backed off: rethrows the
     * handler's last failure as one during a stop (see {@code run()}), or throws {@link
     * PausedDuringRetry} for a pause, so that a handler that fails for a while (a database away)
     * does not keep {@link #pause()} from returning. Either way the event stays after the
     * checkpoint and is not tried again here; both callers of {@link #handle} (the page loop, the
     * rewind to a failed asynchronous stage) catch the pause.
     */
    private <T extends Throwable> void endRetryIfStoppedOrPaused(T failure) throws T {
      if (!active()) {
        stopping = true;
        throw failure;
      }
      if (paused) {
        throw PausedDuringRetry.INSTANCE;
      }
    }

    private boolean giveUp(LoggedEvent entry, Throwable error) {
      VersionedEvent event = entry.event();
      if (stopOnFailure) {
        stoppedBy(segment, error);
        log.error(
            "Processor '{}' segment {} stops at {} (position {}) of stream '{}'",
            name,
            segment,
            Texts.shown(event.eventType()),
            entry.position(),
            Texts.shown(event.sourceId()),
            error);
        return false;
      }
      if (event.event() instanceof EventProcessingFailed letter && letter.processor().equals(name)
          || event.event() instanceof EventProcessingRetried retried
              && retried.processor().equals(name)) {
        log.warn(
            "Processor '{}' skips a dead-letter record of its name at position {} that failed",
            name,
            entry.position(),
            error);
        return true; // a dead letter of a dead letter (or of its replay) would loop forever
      }
      if (event.event() instanceof EventProcessingFailed letter
          && DEAD_LETTER_TYPES.contains(letter.eventType())) {
        // Two processors whose handlers fail on dead-letter records would otherwise each
        // dead-letter the other's letter about their own, for ever.
        log.warn(
            "Processor '{}' skips the dead-letter record at position {} that failed: it is one"
                + " about another dead-letter record",
            name,
            entry.position(),
            error);
        return true;
      }
      // Only the segment's owner dead-letters: a process that took the segment over meanwhile
      // (this one paused, or its clock behind) may have handled the event since, and a letter of
      // it would be listed, alerted on and replayed for nothing. A checkpoint save at 0, below any
      // saved one, writes nothing but is refused with ClaimLostException (which stops the segment)
      // unless the claim is still the segment's. Only a takeover in the moment between this
      // probe and the record below can still leave such a letter.
      if (!holdsClaim()) {
        return false;
      }
      store.saveCheckpoint(claim, 0, clock.instant());
      log.warn(
          "Processor '{}' dead-letters {} (position {}) of stream '{}'",
          name,
          Texts.shown(event.eventType()),
          entry.position(),
          Texts.shown(event.sourceId()),
          error);
      if (local && letters.logHead() >= localLedgerLimit) {
        // Its ledger is heap: a handler that rejects a common event would fill it at each start.
        log.warn(
            "Processor '{}' keeps no more dead letters in memory ({} records): the one at"
                + " position {} is only logged",
            name,
            localLedgerLimit,
            entry.position());
        deadLettered.increment();
        return true;
      }
      letters.recordIntegrationEvent(EventProcessingFailed.of(name, entry, error));
      deadLettered.increment(); // after the record: a store that failed it has the event retried
      return true;
    }

    /**
     * Waits before a retry, as {@link Retries#backOff} would, but no longer than until the segment
     * is stopped (a stop signals {@code changed}): a close or hand-over does not wait out a
     * back-off of up to a second, and the handler is not tried again after it.
     */
    private void backOff(int attempt) {
      backOff(attempt, false);
    }

    /** {@link #backOff(int)}, ending early for a pause too where {@code endOnPause}. */
    private void backOff(int attempt, boolean endOnPause) {
      long nanos = Retries.backOffNanos(attempt);
      lock.lock();
      try {
        while (active() && !(endOnPause && paused) && nanos > 0) {
          nanos = changed.awaitNanos(nanos);
        }
      } catch (InterruptedException e) {
        // As a park does: the flag stays and the segment stops. A retry would fail at once on the
        // flag (a store call that blocks), again and again without waiting.
        Thread.currentThread().interrupt();
        stopped = true;
      } finally {
        lock.unlock();
      }
    }
  }

  /** A retry given up for a {@link #pause()}: the event is tried again on resume. */
  private static final class PausedDuringRetry extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final PausedDuringRetry INSTANCE = new PausedDuringRetry();

    private PausedDuringRetry() {
      super("paused during a retry", null, false, false);
    }
  }

  /** A segment's log cannot be read on by this process: see {@code readPage}. */
  private static final class UnreadableLogException extends NonTransientCqrsException {
    private static final long serialVersionUID = 1L;

    UnreadableLogException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static boolean isTransient(Throwable e) {
    return Retries.isTransient(e);
  }

  /** Settings of a {@link TrackingEventProcessor}. */
  public static final class Builder {
    private final String name;
    private final EventStreamRepository events;
    private final ProcessorStore store;
    private VersionedEventHandler handler;
    private AsyncStarts starts;
    private Duration checkpointInterval = Duration.ofSeconds(1);
    private int segments = 1;
    private int batchSize = 256;
    private String owner;
    private Duration claimTtl = Duration.ofSeconds(30);
    private Duration unreadableRetry = Duration.ofMinutes(5);
    private Duration idleWait = Duration.ofMillis(100);
    private Clock clock = Clock.systemUTC();
    private LongSupplier nanoTime = System::nanoTime;
    private int maxAttempts = 3;
    private boolean stopOnFailure;
    private boolean local;
    private int localLedgerLimit = MAX_LOCAL_LEDGER;
    private Interceptors interceptors = Interceptors.none();

    /** A projection's filter of the events its gate considers, or null for a handler's. */
    private Predicate<VersionedEvent> wants;

    private Builder(String name, EventStreamRepository events, ProcessorStore store) {
      this.name = Objects.requireNonNull(name, "name");
      if (name.isBlank() || name.chars().anyMatch(Character::isISOControl)) {
        throw new IllegalArgumentException("name must be non-blank text, was '" + name + "'");
      }
      if (name.startsWith(EventRelay.processorName(""))) {
        // A store tells the relay's lease by it (the Couchbase store owes publication marks while
        // a relay of its process leads), and a relay of that name would share its segments.
        throw new IllegalArgumentException(
            "name must not start with '"
                + EventRelay.processorName("")
                + "', which is kept for EventRelay's lease; was '"
                + name
                + "'");
      }
      this.events = Objects.requireNonNull(events, "store");
      this.store = Objects.requireNonNull(store, "processors");
    }

    /**
     * Handles each event at least once, in log order per stream. Exactly one of {@code handler} and
     * {@link #projection} is required.
     */
    public Builder handler(VersionedEventHandler handler) {
      this.handler = PartsHandler.of(Objects.requireNonNull(handler, "handler"));
      this.wants = null;
      this.starts = null;
      return this;
    }

    /**
     * Handles each event at least once, in log order per stream, without waiting for one event's
     * effect before starting the next: {@code handler} starts the work (for example a {@link
     * io.cqrs.spi.CommandBus#publishAsync(Command) publishAsync} of the commands a process manager
     * sends) and returns a stage that completes when the effect is done. Instead of {@link
     * #handler} or {@link #projection}.
     *
     * <p>Each segment keeps at most {@link #batchSize} events in flight, and waits for all of them
     * before it saves a checkpoint while busy: a checkpoint never passes an event whose stage has
     * not completed. When a read reaches the log's end it saves the checkpoint at what has
     * completed and reads on, so a slow stage does not hold up the events committed after it (until
     * {@link #batchSize} events are in flight). A stage that fails (or a handler that throws)
     * rewinds the segment to its event: the events started after it are handled again, and the
     * failed event is retried with the policy of a synchronous handler (back-off, {@link
     * #maxAttempts}, then a dead letter or {@link #stopOnFailure}), waiting for its stage each
     * time. Events of one stream are started in order, but their effects may complete in any order;
     * a handler that needs them ordered must order them itself (a channel's publishes keep their
     * order). Interceptors run around the call that starts the work and find the stage in {@link
     * io.cqrs.interceptor.Handling#pending()}: metrics and traces end when it completes.
     */
    public Builder asyncHandler(
        Function<? super VersionedEvent, ? extends CompletionStage<?>> handler) {
      Objects.requireNonNull(handler, "asyncHandler");
      this.starts = new AsyncStarts();
      this.handler = PartsHandler.of(starts.starting(handler));
      this.wants = null;
      return this;
    }

    /**
     * Applies each stream event to {@code projection} exactly once in effect, in version order: an
     * event at or below the stream's applied version is skipped, and a stream whose applied version
     * is behind the event (the read model was cleared, or the processor was reset past it) is
     * filled in from the store first. Events outside streams (version 0) are not applied.
     */
    public Builder projection(Projection projection) {
      this.starts = null;
      VersionGate gate = new VersionGate(Objects.requireNonNull(projection, "projection"), events);
      this.handler = gate::handle;
      this.wants = gate::wants;
      return this;
    }

    /** The interceptors set so far ({@link Interceptors#none()} unless set). */
    Interceptors interceptors() {
      return interceptors;
    }

    /**
     * Runs the {@link io.cqrs.interceptor.EventHandlerInterceptor}s among {@code interceptors}
     * around the handling of every event, each attempt apart (none by default); {@link
     * io.cqrs.interceptor.Handling#component()} is the processor's name.
     */
    public Builder interceptors(Interceptors interceptors) {
      this.interceptors = Objects.requireNonNull(interceptors, "interceptors");
      return this;
    }

    /**
     * How many segments the log is split into (default 1): the most processes that can share the
     * work. Fixed in the store by the first start; changing it needs a new processor name.
     */
    public Builder segments(int segments) {
      if (segments < 1 || segments > 1024) {
        throw new IllegalArgumentException("segments must be in [1, 1024], was " + segments);
      }
      this.segments = segments;
      return this;
    }

    /**
     * How many log positions a segment reads at once, and the most it passes before it saves its
     * checkpoint (default 256): larger batches cost fewer checkpoint writes and repeat more events
     * after a crash. See {@link #checkpointInterval} for the other moments a checkpoint is saved.
     */
    public Builder batchSize(int batchSize) {
      if (batchSize < 1 || batchSize > 10_000) {
        throw new IllegalArgumentException("batchSize must be in [1, 10000], was " + batchSize);
      }
      this.batchSize = batchSize;
      return this;
    }

    /**
     * The longest a busy segment goes without saving its checkpoint (default 1 s): while events
     * keep coming, a segment saves every {@link #batchSize} log positions or after this long,
     * whichever is first, and always when it reaches the end of the log (with an asynchronous
     * handler, up to the oldest stage still open), pauses or stops. Longer intervals cost fewer
     * checkpoint writes and repeat more events after a crash. At most 365 days.
     */
    public Builder checkpointInterval(Duration checkpointInterval) {
      this.checkpointInterval = DurationSettings.positive("checkpointInterval", checkpointInterval);
      return this;
    }

    /**
     * Marks the processor {@link EventProcessor#local local}: its dead letters are kept in its
     * memory.
     */
    Builder local() {
      this.local = true;
      return this;
    }

    /**
     * For tests: the monotonic time, in nanoseconds, that a failed store write is timed with
     * (default {@link System#nanoTime}).
     */
    Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    /** For tests: the records a local processor keeps (default {@link #MAX_LOCAL_LEDGER}). */
    Builder localLedgerLimit(int records) {
      this.localLedgerLimit = records;
      return this;
    }

    /**
     * A name for this process among the processes that run the processor, shown wherever claims are
     * (default: a fresh id). Each processor built adds a random suffix to it ({@code
     * name#5f0c2a9e1b7d}, see {@link TrackingEventProcessor#owner()}), so the store never takes two
     * processes for one owner, even when every process's configuration gives the same name: they
     * share the segments as any two processes do. A process restarted after a crash therefore waits
     * for its predecessor's claims to run out ({@link #claimTtl}), as one with the default does; a
     * process that stopped cleanly released them.
     *
     * @throws IllegalArgumentException if the name is blank
     */
    public Builder owner(String owner) {
      Objects.requireNonNull(owner, "owner");
      if (owner.isBlank()) {
        throw new IllegalArgumentException("owner must not be blank");
      }
      this.owner = owner;
      return this;
    }

    /**
     * How long a claim lasts without renewal (default 30 s): how long the segments of a process
     * that died unannounced wait before another takes them. Claims are renewed every third of it.
     * From 30 ms to 365 days.
     */
    public Builder claimTtl(Duration claimTtl) {
      Objects.requireNonNull(claimTtl, "claimTtl");
      if (claimTtl.compareTo(Duration.ofMillis(30)) < 0) {
        throw new IllegalArgumentException("claimTtl must be at least 30 ms, was " + claimTtl);
      }
      this.claimTtl = DurationSettings.positive("claimTtl", claimTtl);
      return this;
    }

    /**
     * How long after giving a segment up at an event it cannot read (an unknown type, a corrupted
     * document) this process tries the segment again, if no process that reads the event has taken
     * it (default 5 minutes): the event may have been repaired. Until one reads past it, {@link
     * TrackingEventProcessor#failure()} says where it stopped, and each try that fails logs again.
     * At most 365 days.
     */
    public Builder unreadableRetry(Duration unreadableRetry) {
      this.unreadableRetry = DurationSettings.positive("unreadableRetry", unreadableRetry);
      return this;
    }

    /**
     * How long a caught-up segment waits before it reads the log again (default 100 ms, at most 365
     * days).
     */
    public Builder idleWait(Duration idleWait) {
      this.idleWait = DurationSettings.positive("idleWait", idleWait);
      return this;
    }

    /** The clock claims are timed by (default the system clock, UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How often an event is tried when its handler throws a non-transient exception (default 3)
     * before it is dead-lettered, or the segment stops ({@link #stopOnFailure()}).
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Stops a segment at an event that keeps failing instead of dead-lettering it: the segment
     * keeps its claim and checkpoint, and {@link TrackingEventProcessor#failure()} says why.
     */
    public Builder stopOnFailure() {
      return stopOnFailure(true);
    }

    /**
     * Whether a segment stops at an event that keeps failing ({@link #stopOnFailure()}) or
     * dead-letters it and goes on (the default): for settings that come from configuration.
     */
    public Builder stopOnFailure(boolean stopOnFailure) {
      this.stopOnFailure = stopOnFailure;
      return this;
    }

    /**
     * The processor, not yet started.
     *
     * @throws IllegalStateException if no handler, async handler or projection was given
     */
    public TrackingEventProcessor build() {
      if (handler == null) {
        throw new IllegalStateException(
            "Processor '" + name + "' needs a handler(...), asyncHandler(...) or projection(...)");
      }
      return new TrackingEventProcessor(this);
    }
  }
}
