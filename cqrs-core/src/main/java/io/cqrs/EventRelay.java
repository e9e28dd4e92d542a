package io.cqrs;

import io.cqrs.internal.Ids;
import io.cqrs.internal.Texts;
import io.cqrs.spi.DurationSettings;
import io.cqrs.spi.EventBus;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.RelayStore;
import io.cqrs.spi.SegmentClaim;
import io.cqrs.spi.SegmentState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes committed events that the fast path did not: the outbox relay that makes publication
 * lossless.
 *
 * <p>{@link EventSourcingRepository} publishes right after each commit and then marks the commit
 * published in the {@link RelayStore}. If the process dies between commit and publish, or the bus
 * is down, the commit stays unmarked. The relay walks the integration log from its durable
 * checkpoint and publishes every unmarked stream event older than the grace period (which gives the
 * fast path time to mark what it published), marks it, and advances the checkpoint past every entry
 * known to be published. Publication is therefore at least once; consumers make it exactly-once in
 * effect (see {@link Projection}).
 *
 * <p>With several processes running a relay, a lease lets one publish at a time: the relay's lease
 * and checkpoint are the claim and checkpoint of a one-segment {@link ProcessorStore} processor
 * named {@code relay:<name>}, the same fenced claims event processors use. The holder renews the
 * claim before every batch; when the holder dies the claim expires after its ttl and another relay
 * takes over from the shared checkpoint, so nothing is lost. Entries of a batch a dying holder
 * published but did not checkpoint are published again. A holder that stalled past its lease (a GC
 * pause, a partition) and was replaced may publish its batch once more, but its checkpoint write is
 * refused ({@link ClaimLostException}): it stops leading and cannot move the new holder's
 * checkpoint.
 *
 * <p>Thread-safe. {@link #start()} runs the relay on a daemon thread; {@link #publishPending()}
 * runs one pass on the caller's thread.
 */
public final class EventRelay implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventRelay.class);

  private final EventStreamRepository store;
  private final RelayStore relayStore;
  private final ProcessorStore leases;
  private final EventBus bus;
  private final String name;
  private final String processor;
  private final Clock clock;
  private final String owner;
  private final Duration leaseTtl;
  private final Duration grace;
  private final Duration pollInterval;
  private final int batchSize;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wakeUp = lock.newCondition();
  private final LongAdder deadLettered = new LongAdder();

  /** Serializes passes: the relay thread's and {@link #publishPending()} callers'. */
  private final ReentrantLock passing = new ReentrantLock();

  /**
   * Log positions this relay dead-lettered whose publication mark is not written yet; guarded by
   * {@link #passing}. A pass that fails after recording a letter (the bus failed on a later event,
   * the mark failed) reads the event again on its next try: it is not recorded or counted again.
   */
  private final Set<Long> letteredUnmarked = new HashSet<>();

  /** Set by {@link #close()}: no pass takes the lease after it. */
  private volatile boolean closed;

  private final ProcessorDeadLetters deadLetters;
  private volatile boolean running;
  private volatile boolean leader;
  private volatile SegmentClaim claim;
  private volatile boolean segmentCountFixed;
  private Thread thread;

  private EventRelay(Builder builder) {
    this.store = builder.store;
    this.relayStore = (RelayStore) builder.store;
    this.leases = (ProcessorStore) builder.store;
    this.bus = builder.bus;
    this.name = builder.name;
    this.processor = processorName(builder.name);
    this.clock = builder.clock;
    this.owner =
        builder.owner != null
            ? Ids.instanceOf(builder.owner)
            : ProcessHandle.current().pid() + "-" + Ids.newId();
    this.leaseTtl = builder.leaseTtl;
    this.grace = builder.grace;
    this.pollInterval = builder.pollInterval;
    this.batchSize = builder.batchSize;
    // A replay publishes the event again, once: the bus either carries it now or refuses it again.
    this.deadLetters =
        new ProcessorDeadLetters(processor, store, store, event -> bus.publish(List.of(event)), 1);
  }

  /**
   * A relay from {@code store}'s integration log to {@code bus}.
   *
   * @param store an event store that also implements {@link RelayStore} and {@link ProcessorStore}
   * @throws IllegalArgumentException if the store does not implement both
   */
  public static Builder builder(EventStreamRepository store, EventBus bus) {
    return new Builder(store, bus);
  }

  /**
   * The name of the one-segment processor whose claim and checkpoint are the lease and checkpoint
   * of the relay named {@code relayName}, e.g. for {@link ProcessorStore#segments} in a health
   * check.
   */
  public static String processorName(String relayName) {
    return "relay:" + Objects.requireNonNull(relayName, "relayName");
  }

  /**
   * The relay's name, under which its lease and checkpoint are kept (see {@link #processorName}).
   */
  public String name() {
    return name;
  }

  /**
   * How far the relay's checkpoint is behind the integration log, whoever holds the lease: what it
   * still has to walk ({@link ProcessorLag#behind()}), to publish what the fast path did not and to
   * pass over what it did. It stays near 0 while a relay runs; a value that keeps growing means no
   * relay runs, or the bus refuses what it publishes. Reads the store (its log head and the relay's
   * checkpoint).
   */
  public ProcessorLag lag() {
    long head = store.logHead();
    long checkpoint =
        leases.segments(processor).stream().mapToLong(SegmentState::checkpoint).min().orElse(0);
    return new ProcessorLag(head, checkpoint, store.logDistance(checkpoint, head));
  }

  /** Whether this relay held the lease at its last pass. */
  public boolean isLeader() {
    return leader;
  }

  /**
   * The owner id this relay takes the lease under: the process id and a random id, or the name
   * given to {@link Builder#owner} followed by {@code '#'} and a random suffix.
   */
  public String owner() {
    return owner;
  }

  /** Starts relaying on a daemon thread until {@link #close()}. */
  public synchronized EventRelay start() {
    if (thread != null) {
      throw new IllegalStateException("EventRelay '" + name + "' is already started");
    }
    running = true;
    thread = new Thread(this::run, "cqrs-relay-" + name);
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /**
   * Runs relay passes until the log holds nothing more to publish, if this relay holds (or can
   * take) the lease.
   *
   * @return how many events this call published
   * @throws IllegalStateException once the relay is {@linkplain #close() closed}
   */
  public int publishPending() {
    if (closed) {
      throw new IllegalStateException(
          "EventRelay '" + name + "' is closed: a pass would take its lease again and hold it");
    }
    return publishPending(false);
  }

  /**
   * {@link #publishPending()}; on the relay's own thread ({@code untilStopped}) it ends between
   * passes once the relay is closing, rather than walking the whole backlog first.
   */
  private int publishPending(boolean untilStopped) {
    int published = 0;
    while (true) {
      if (untilStopped && !running) {
        return published;
      }
      Pass pass;
      passing.lock();
      try {
        if (closed) {
          return published; // closed between two passes of this call
        }
        leader = acquire();
        if (!leader) {
          return published;
        }
        pass = onePass(claim);
      } finally {
        passing.unlock();
      }
      published += pass.published;
      if (!pass.moreToRead) {
        return published;
      }
    }
  }

  /** Takes or renews the lease: a claim on the relay processor's only segment. */
  private boolean acquire() {
    if (!segmentCountFixed) {
      int count = leases.segmentCount(processor, 1);
      if (count != 1) {
        throw new IllegalStateException(
            "Processor '" + processor + "' has " + count + " segments; a relay's must have 1");
      }
      segmentCountFixed = true;
    }
    SegmentClaim held = claim;
    Optional<SegmentClaim> got = leases.claim(processor, 0, owner, clock.instant(), leaseTtl);
    if (got.isPresent() && held != null && got.get().token() != held.token()) {
      log.warn("Relay '{}' lost its lease since its last pass and took it again", name);
    } else if (got.isPresent() && held == null) {
      // Which process leads, and from where, is what a diagnosis of a stuck or repeated
      // publication needs first; logged once per change, not per pass.
      log.info(
          "Relay '{}' leads as '{}' from log position {}", name, owner, got.get().checkpoint());
    } else if (got.isEmpty() && held != null) {
      log.info("Relay '{}' no longer leads: another relay holds the lease", name);
    }
    claim = got.orElse(null);
    return got.isPresent();
  }

  private record Pass(int published, boolean moreToRead) {}

  private Pass onePass(SegmentClaim lease) {
    long checkpoint = lease.checkpoint();
    List<LoggedEvent> entries = store.readLog(checkpoint + 1, batchSize);
    Instant now = clock.instant();
    Instant youngest = now.minus(grace);
    // An event dated more than a grace period ahead comes from a writer whose clock is ahead of
    // this one's: waiting for it to age would hold back every event after it for as long as the
    // clocks disagree. Its fast path has had the time this relay can judge; publish it (at least
    // once: the fast path may publish it too).
    Instant future = now.plus(grace);
    List<LoggedEvent> toPublish = new ArrayList<>();
    long advanceTo = checkpoint;
    boolean blocked = false;
    for (LoggedEvent entry : entries) {
      VersionedEvent event = entry.event();
      if (!entry.published() && event.version() > 0) {
        if (event.created().isAfter(youngest) && !event.created().isAfter(future)) {
          // The fast path may still be publishing it: look again at the next pass.
          blocked = true;
          break;
        }
        toPublish.add(entry);
      }
      advanceTo = entry.position();
    }
    int published = 0;
    if (!toPublish.isEmpty()) {
      published = publish(toPublish);
      // Dead-lettered ones too: their record stands for them, and no relay tries them again.
      markPublished(toPublish.stream().map(LoggedEvent::event).toList());
      toPublish.forEach(entry -> letteredUnmarked.remove(entry.position()));
      log.info("Relay '{}' published {} event(s) the fast path had not", name, published);
    }
    if (advanceTo > checkpoint) {
      try {
        leases.saveCheckpoint(lease, advanceTo, clock.instant());
      } catch (ClaimLostException e) {
        // Stalled past the lease and replaced: the batch went out once more (at least once), but
        // the new holder's checkpoint is not ours to move.
        log.warn("Relay '{}' lost its lease during a pass: {}", name, e.getMessage());
        leader = false;
        claim = null;
        return new Pass(toPublish.size(), false);
      }
    }
    return new Pass(published, !blocked && entries.size() == batchSize);
  }

  /**
   * Publishes the events; returns how many went out. A bus refuses an event it can never carry with
   * {@link UnpublishableMessageException} (larger than it allows, an id or header too long for its
   * protocol): retrying the batch would hold back every event after it for good. The events then go
   * one at a time (those of the batch the bus had sent before it refused go again: at least once),
   * and each one refused is recorded as a dead letter in the integration log ({@link
   * EventProcessingFailed} naming this relay's processor, {@code relay:<name>}) and marked
   * published: the event stays in the store, and processors reading the log still get it; only the
   * bus's subscribers do not. Every process's bus must allow the same (a relay with smaller limits
   * dead-letters what another could carry).
   */
  private int publish(List<LoggedEvent> entries) {
    try {
      bus.publish(entries.stream().map(LoggedEvent::event).toList());
      return entries.size();
    } catch (UnpublishableMessageException refused) {
      int published = 0;
      for (LoggedEvent entry : entries) {
        try {
          bus.publish(List.of(entry.event()));
          published++;
        } catch (UnpublishableMessageException e) {
          deadLetter(entry, e);
        }
      }
      return published;
    }
  }

  private void deadLetter(LoggedEvent entry, UnpublishableMessageException refusal) {
    if (letteredUnmarked.contains(entry.position())) {
      return; // recorded by an earlier pass of this relay that failed before marking it
    }
    VersionedEvent event = entry.event();
    store.recordIntegrationEvent(EventProcessingFailed.of(processor, entry, refusal));
    letteredUnmarked.add(entry.position());
    deadLettered.increment();
    log.error(
        "Relay '{}' dead-letters {} (position {}) of stream '{}', version {}: the bus refuses to"
            + " carry it, so its subscribers will not get it (processors reading the log do)",
        name,
        Texts.shown(event.eventType()),
        entry.position(),
        Texts.shown(event.sourceId()),
        event.version(),
        refusal);
  }

  /**
   * The relay's dead letters that no replay has resolved, oldest first: events the bus refused to
   * carry at all, recorded by the relay of any process with this name. The first call reads the
   * whole log, later ones only what was committed since.
   */
  public List<ProcessorDeadLetter> deadLetters() {
    return deadLetters.open();
  }

  /**
   * Publishes the event of one dead letter again, once, and records the outcome in the log ({@link
   * EventProcessingRetried}): {@code REPLAYED} resolves it everywhere (say, after {@code
   * maxMessageBytes} and the broker's limit were raised), {@code FAILED} leaves it listed with the
   * new reason. Works whether or not the relay runs here.
   *
   * @param failureId the {@link ProcessorDeadLetter#id() id} of the dead letter
   * @return what happened; {@code NOT_FOUND} for an id that names no open dead letter of this relay
   * @throws IllegalStateException if the log no longer holds the event at the recorded position
   */
  public DeadLetterReplay replayDeadLetter(String failureId) {
    return deadLetters.replay(failureId);
  }

  /**
   * How many events this relay recorded as dead letters since it was built: events the bus refused
   * to carry at all (see the integration log's {@link EventProcessingFailed} records naming it).
   */
  public long deadLettered() {
    return deadLettered.sum();
  }

  private void markPublished(List<VersionedEvent> events) {
    int start = 0;
    for (int i = 1; i <= events.size(); i++) {
      boolean runEnds =
          i == events.size()
              || !events.get(i).sourceId().equals(events.get(start).sourceId())
              || events.get(i).version() != events.get(i - 1).version() + 1;
      if (runEnds) {
        relayStore.markPublished(
            events.get(start).sourceId(), events.get(start).version(), events.get(i - 1).version());
        start = i;
      }
    }
  }

  private void run() {
    int failures = 0;
    String lastFailure = null;
    while (running) {
      int published;
      try {
        published = publishPending(true);
      } catch (RuntimeException e) {
        failures++;
        // Failures are the same when their classes are: messages name keys and request contexts
        // that differ from one attempt to the next.
        String failure = kind(e);
        Duration wait = afterFailure(failures, e);
        // The whole trace when a failure is new; while the same one repeats, a line now and then
        // (after 2, 4, 8 … in a row): a relay that cannot get on must not bury the log.
        if (!failure.equals(lastFailure)) {
          log.warn("Relay '{}' pass failed; retrying in {}", name, wait, e);
        } else if (Integer.bitCount(failures) == 1) {
          log.warn(
              "Relay '{}' pass failed {} times in a row, the last: {}; retrying in {}",
              name,
              failures,
              e.toString(),
              wait);
        }
        lastFailure = failure;
        pause(wait);
        continue;
      }
      if (failures > 0 && leader) {
        log.info("Relay '{}' passes again after {} failed", name, failures);
        failures = 0;
        lastFailure = null;
      }
      if (published == 0) {
        pause(pollInterval);
      }
    }
  }

  /** A failure's exception classes, outermost first: what tells one failure from another. */
  private static String kind(Throwable failure) {
    StringBuilder kind = new StringBuilder();
    int depth = 0;
    for (Throwable e = failure; e != null && depth < 4; e = e.getCause(), depth++) {
      kind.append(e.getClass().getName()).append('<');
    }
    return kind.toString();
  }

  /**
   * What a failed pass leads to, and how long to wait before the next. A store or bus that fails
   * for a while (transient failures) is asked again after the poll interval, doubled with each
   * failure in a row up to a third of the lease's time, so that the lease is still renewed as soon
   * as they answer. A failure that will not pass by itself (an event of a type this process's
   * registry does not know, during a rolling deploy; an event it cannot serialize) gives the lease
   * up, so that a relay of another process, which may read the event, takes over; this relay tries
   * again after the lease's time.
   */
  private Duration afterFailure(int failures, RuntimeException e) {
    if (e instanceof CqrsException cqrs && !cqrs.isTransient()) {
      // Under the pass lock: a publishPending() caller's pass on this lease would otherwise lose it
      // midway and see its checkpoint refused (its batch then published once more).
      passing.lock();
      try {
        SegmentClaim held = claim;
        claim = null;
        leader = false;
        if (held != null) {
          leases.release(held);
          if (Integer.bitCount(failures) == 1) { // as quiet as the failure's own lines
            log.warn(
                "Relay '{}' gave up its lease: it cannot publish what the log holds next ({});"
                    + " a relay of another process may",
                name,
                e.getMessage());
          }
        }
      } catch (RuntimeException releaseFailed) {
        e.addSuppressed(releaseFailed);
      } finally {
        passing.unlock();
      }
      return leaseTtl;
    }
    return backOff(failures, pollInterval, leaseTtl);
  }

  /**
   * The wait after {@code failures} transient failures in a row: the poll interval, doubled with
   * each, at most a third of the lease's time (never less than the poll interval).
   */
  static Duration backOff(int failures, Duration pollInterval, Duration leaseTtl) {
    Duration cap = leaseTtl.dividedBy(3);
    if (cap.compareTo(pollInterval) < 0) {
      cap = pollInterval;
    }
    Duration wait = pollInterval.multipliedBy(1L << Math.min(failures - 1, 20));
    return wait.compareTo(cap) > 0 ? cap : wait;
  }

  private void pause(Duration wait) {
    lock.lock();
    try {
      if (running) {
        wakeUp.await(wait.toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  /** Stops relaying as a dying process would: the lease is kept until it expires. */
  void abandon() {
    stopThread();
  }

  /**
   * Stops relaying and gives up the lease so another relay can take over at once. A pass that is
   * running (the relay's own, or a {@link #publishPending()} caller's, which then ends the call) is
   * waited for, at most about twice the lease's time; one that does not end by then (a publish the
   * bus never returns from) keeps the lease until it runs out, and close() returns. Later calls
   * fail.
   */
  @Override
  public synchronized void close() {
    // Synchronized: a second close waits for the first to have stopped the thread, instead of
    // releasing the lease under a pass still running.
    closed = true;
    stopThread();
    // A publishPending() caller's pass may still run on the lease: released under it, its
    // checkpoint would be refused and its batch published again by the next holder. Wait for it,
    // at most the lease's time (after which the lease has expired anyway).
    boolean between;
    try {
      between = passing.tryLock(leaseTtl.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      between = false;
    }
    if (!between) {
      log.warn(
          "Relay '{}' closed during a pass that did not end; its lease expires after {}",
          name,
          leaseTtl);
      leader = false;
      return;
    }
    try {
      SegmentClaim held = claim;
      claim = null;
      leader = false;
      if (held != null) {
        leases.release(held);
      }
    } catch (RuntimeException e) {
      log.warn("Relay '{}' could not release its lease; it expires after {}", name, leaseTtl, e);
    } finally {
      passing.unlock();
    }
  }

  private void stopThread() {
    Thread running;
    synchronized (this) {
      running = thread;
      thread = null;
    }
    this.running = false;
    lock.lock();
    try {
      wakeUp.signalAll();
    } finally {
      lock.unlock();
    }
    if (running != null && running != Thread.currentThread()) {
      try {
        // At most the lease's time: a pass stuck in the bus (a publish that never returns) must
        // not hold close() for ever; its lease runs out on its own (see close()).
        running.join(Math.max(1, leaseTtl.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Builds an {@link EventRelay}. */
  public static final class Builder {
    private final EventStreamRepository store;
    private final EventBus bus;
    private String name = "cqrs-relay";
    private String owner;
    private Duration leaseTtl = Duration.ofSeconds(10);
    private Duration grace = Duration.ofSeconds(2);
    private Duration pollInterval = Duration.ofMillis(200);
    private int batchSize = 500;
    private Clock clock = Clock.systemUTC();

    private Builder(EventStreamRepository store, EventBus bus) {
      this.store = Objects.requireNonNull(store, "store");
      this.bus = Objects.requireNonNull(bus, "bus");
      if (!(store instanceof RelayStore) || !(store instanceof ProcessorStore)) {
        throw new IllegalArgumentException(
            "store "
                + store.getClass().getName()
                + " does not implement RelayStore and ProcessorStore");
      }
    }

    /**
     * The name of the lease and checkpoint (default {@code cqrs-relay}); relays sharing it compete.
     * They are kept as the processor {@link EventRelay#processorName processorName(name)}.
     */
    public Builder name(String name) {
      this.name = requireText(name, "name");
      return this;
    }

    /**
     * A name for this relay in the lease, shown wherever the lease is (default: the process id and
     * a random id). Each relay built adds a random suffix to it ({@code name#5f0c2a9e1b7d}, see
     * {@link EventRelay#owner()}), so the store never takes two relays for one owner, even when
     * every process's configuration gives the same name: one leads and the other stands by. A relay
     * restarted after a crash therefore waits for its predecessor's lease to run out ({@link
     * #leaseTtl}); a relay closed cleanly gave it up.
     *
     * @throws IllegalArgumentException if the name is blank
     */
    public Builder owner(String owner) {
      this.owner = requireText(owner, "owner");
      return this;
    }

    /**
     * How long the lease lasts without renewal (default 10 s): the longest hand-over time. The
     * lease is renewed before each pass, so a pass (reading, publishing and marking {@link
     * #batchSize} entries) must end within it, or its checkpoint write is refused and the pass is
     * repeated by whoever leads next. At most 365 days.
     */
    public Builder leaseTtl(Duration leaseTtl) {
      this.leaseTtl = DurationSettings.positive("leaseTtl", leaseTtl);
      return this;
    }

    /**
     * How long a commit is left to the fast path before the relay publishes it (default 2 s),
     * counted from its events' creation time. One dated more than this ahead of the relay's clock
     * (its writer's clock is ahead) is published at once rather than waited for. From zero to 365
     * days.
     */
    public Builder grace(Duration grace) {
      this.grace = DurationSettings.notNegative("grace", grace);
      return this;
    }

    /**
     * How long an idle relay waits before it reads the log again (default 200 ms, at most 365
     * days).
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = DurationSettings.positive("pollInterval", pollInterval);
      return this;
    }

    /** How many log entries one pass reads (default 500). */
    public Builder batchSize(int batchSize) {
      if (batchSize < 1) {
        throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
      }
      this.batchSize = batchSize;
      return this;
    }

    /**
     * The clock the lease and the grace period are timed by (default the system clock, UTC). Claims
     * are fenced, so relays whose clocks disagree never both move the checkpoint.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The relay, not yet started. */
    public EventRelay build() {
      if (leaseTtl.compareTo(pollInterval) <= 0) {
        throw new IllegalArgumentException(
            "leaseTtl (" + leaseTtl + ") must be longer than pollInterval (" + pollInterval + ")");
      }
      return new EventRelay(this);
    }

    private static String requireText(String value, String setting) {
      Objects.requireNonNull(value, setting);
      if (value.isBlank()) {
        throw new IllegalArgumentException(setting + " must not be blank");
      }
      return value;
    }
  }
}
