package io.cqrs.scaleout;

import io.cqrs.example.bank.Await;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.SegmentState;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Decides when a run has settled: every queue of the prefix but the dead-letter queues is empty,
 * every stream event in the integration log is marked published (the relay caught up), every
 * processor has caught up with the log, and the log has not grown, in every poll (every {@link
 * #POLL}) for {@link #STABLE_FOR}. The run settled at the first of those polls ({@link
 * #settledAt()}); the others only confirm it. Each poll reads only the log entries it has not seen
 * and those not yet marked published, not the whole log: a run's figure is taken from {@link
 * #settledAt()}, so a poll that costs seconds would both load the workers and blur the figure.
 */
final class Quiescence {
  private static final Duration STABLE_FOR = Duration.ofSeconds(2);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final int PROGRESS_EVERY = 10; // polls: a line a second

  private final EventStreamRepository store;
  private final BrokerControl broker;
  private final String prefix;
  private final PrintStream progress;
  private final LogTail log = new LogTail();
  private List<String> queues;
  private Duration settledAt;

  Quiescence(
      EventStreamRepository store, BrokerControl broker, String prefix, PrintStream progress) {
    this.store = store;
    this.broker = broker;
    this.prefix = prefix;
    this.progress = progress;
  }

  /**
   * When the run last settled, on the clock its {@link #await} was given: the first of the polls in
   * a row over {@link #STABLE_FOR} that found it settled; {@code null} unless that {@link #await}
   * returned true.
   */
  Duration settledAt() {
    return settledAt;
  }

  /**
   * Waits for quiescence; false if the timeout passed first. A second wait (after a warm-up, say)
   * reads on from the log entries the first one read.
   *
   * @param clock the clock {@link #settledAt()} is read on
   */
  boolean await(Duration timeout, Supplier<Duration> clock) {
    settledAt = null;
    queues = null; // the workers may have declared more since the last wait
    Readings readings = new Readings(clock);
    try {
      Await.await("the run to settle").atMost(timeout).pollInterval(POLL).until(readings::settled);
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }

  /** The readings so far: how many in a row found everything settled and the log unchanged. */
  private final class Readings {
    private final Supplier<Duration> clock;
    private long lastSize = -1;
    private int stable;
    private int polls;

    Readings(Supplier<Duration> clock) {
      this.clock = clock;
    }

    /** Takes one reading; true once the readings were settled for {@link #STABLE_FOR}. */
    boolean settled() {
      long pending;
      try {
        pending = pendingMessages();
      } catch (RuntimeException e) {
        // A broker short of CPU can leave rabbitmqctl unable to reach its node for a while; that
        // says nothing about the queues, so this reading does not count and the next one asks
        // again.
        progress.printf("[scaleout] settling: cannot read the queues now (%s)%n", e.getMessage());
        stable = 0;
        return false;
      }
      if (pending > 0) {
        // Not settled whatever the store says: the store is not read while messages are queued,
        // so that the polls do not compete with the workers for the cores and the simulator
        // (reading the log's new and unpublished entries at every poll cost the harness
        // about half the CPU the worker used). The first poll that finds the queues empty reads
        // everything since, and needs the log unchanged at the next one to settle, as before.
        stable = 0;
        if (polls++ % PROGRESS_EVERY == 0) {
          progress.printf(
              "[scaleout] settling: %d message(s) queued, %d log entries read so far%n",
              pending, log.size());
        }
        return false;
      }
      log.read();
      long size = log.size();
      long unpublished = log.unpublished();
      // Read only when it can decide: the log alone already says no.
      long behind = unpublished == 0 && size == lastSize ? processorsBehind() : -1;
      stable = unpublished == 0 && behind == 0 && size == lastSize ? stable + 1 : 0;
      Duration now = clock.get();
      if (stable == 1) {
        settledAt = now;
      }
      lastSize = size;
      if (polls++ % PROGRESS_EVERY == 0 || stable == 1) {
        progress.printf(
            "[scaleout] settling: %d message(s) queued, %d log entries, %d unpublished, %s%n",
            pending,
            size,
            unpublished,
            behind < 0 ? "processors not read" : behind + " processor(s) behind the log");
      }
      return stable > 0 && now.minus(settledAt).compareTo(STABLE_FOR) >= 0;
    }
  }

  /**
   * What the polls know of the integration log: how many entries it holds and which stream events
   * are not yet marked published. A read starts at the first entry not yet seen, or earlier at the
   * first one still unpublished (its mark may have landed since), never at the start of the log.
   */
  private final class LogTail {
    private final TreeSet<Long> unpublished = new TreeSet<>();
    private long next = 1;
    private long size;

    void read() {
      long position = unpublished.isEmpty() ? next : Math.min(unpublished.first(), next);
      List<LoggedEvent> page;
      while (!(page = store.readLog(position, 1_000)).isEmpty()) {
        for (LoggedEvent entry : page) {
          if (entry.position() >= next) {
            size++;
            next = entry.position() + 1;
          }
          if (entry.event().version() > 0 && !entry.published()) {
            unpublished.add(entry.position());
          } else {
            unpublished.remove(entry.position());
          }
        }
        position = page.get(page.size() - 1).position() + 1;
      }
    }

    long size() {
      return size;
    }

    long unpublished() {
      return unpublished.size();
    }
  }

  /**
   * How many of the bank's tracking processors (the transfer process, the read models) have a
   * segment whose checkpoint is behind the log's head: a segment of a killed worker waits for its
   * claim to run out, and until another worker has taken it over and caught up, transfers may still
   * take steps and the read models still change, while queues and log look quiet.
   */
  private long processorsBehind() {
    if (!(store instanceof ProcessorStore processors)) {
      return 0;
    }
    List<String> names = new ArrayList<>();
    names.add(Bank.TRANSFER_PROCESS);
    for (String model : BankReadModels.MODELS) {
      names.add(BankReadModels.processorName(model, ""));
    }
    long head = store.logHead();
    return names.stream()
        .filter(
            name -> {
              List<SegmentState> segments = processors.segments(name);
              return segments.isEmpty()
                  || segments.stream().anyMatch(segment -> segment.checkpoint() < head);
            })
        .count();
  }

  private long pendingMessages() {
    return broker.depths(queues()).entrySet().stream()
        .filter(e -> !e.getKey().endsWith(".dlq"))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  private List<String> queues() {
    if (queues == null) {
      queues = broker.hasCtl() ? broker.queuesOf(prefix) : knownQueues(prefix);
    }
    return queues;
  }

  /** The queues the bank declares, for a broker rabbitmqctl cannot reach. */
  static List<String> knownQueues(String prefix) {
    List<String> names = new ArrayList<>();
    for (String base : List.of(prefix + ".commands.bank", prefix + ".events.bank-journal")) {
      names.add(base);
      names.add(base + ".dlq");
      for (String delay : List.of("1000", "10000", "60000")) {
        names.add(base + ".retry-" + delay + "ms");
      }
    }
    return names;
  }

  /** The queue depths, the dead-lettered message ids and the queue types, read after quiescence. */
  QueueState finalState(Poison poison) throws IOException {
    queues = null;
    Map<String, Long> depths = broker.depths(queues());
    List<String> deadLettered = new ArrayList<>();
    for (String queue : depths.keySet()) {
      if (queue.endsWith(".dlq")) {
        deadLettered.addAll(broker.drainIds(queue));
      }
    }
    Map<String, String> types = broker.hasCtl() ? broker.queueTypes(prefix) : Map.of();
    return new QueueState(depths, deadLettered, poison.messageIds(), types);
  }
}
