package io.cqrs.memory;

import io.cqrs.ConcurrencyException;
import io.cqrs.DuplicateCommandException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.ContractEvents.Happened;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Model-checks {@link InMemoryEventStreamRepository}'s save and loads against {@link Model}, a
 * sequential store written from {@link io.cqrs.spi.EventStreamRepository}'s Javadoc: every
 * concurrent history Lincheck explores must be explainable by some order of whole operations. That
 * is what "exactly one writer wins per version", "versions are contiguous", "the log is in an order
 * consistent with every stream's" and "a stream holds a command's effect at most once" mean under
 * any interleaving.
 *
 * <p>Two streams, so that the log's order across streams is exercised; a save's events are labelled
 * by the operation that wrote them, so loads and log reads show who won each version.
 */
@Param(name = "stream", gen = IntGen.class, conf = "0:1")
@Param(name = "expected", gen = IntGen.class, conf = "0:2")
@Param(name = "size", gen = IntGen.class, conf = "1:2")
@Param(name = "label", gen = IntGen.class, conf = "0:2")
@Param(name = "command", gen = IntGen.class, conf = "0:1")
public class InMemoryEventStreamRepositoryLincheckTest {
  private static final String[] STREAMS = {"a", "b"};
  private static final String CORRELATION = "correlation";
  private static final int MAX_VERSION = 24;
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

  /**
   * Events built once, by stream, version and label: built inside an operation they would add the
   * id generator and the clock to every interleaving explored.
   */
  private static final Map<String, VersionedEvent> EVENTS = new HashMap<>();

  static {
    for (String stream : STREAMS) {
      for (int version = 1; version <= MAX_VERSION; version++) {
        for (String label : List.of("w0", "w1", "w2", "c0", "c1", "d0", "d1")) {
          EVENTS.put(
              key(stream, version, label),
              VersionedEvent.builder(stream, version, new Happened(label, version))
                  .id(key(stream, version, label))
                  .correlationId(CORRELATION)
                  .created(CREATED)
                  .build());
        }
      }
    }
  }

  private static String key(String stream, long version, String label) {
    return stream + ":" + version + ":" + label;
  }

  private static List<VersionedEvent> events(String stream, long expected, int size, String label) {
    List<VersionedEvent> events = new ArrayList<>(size);
    for (int i = 1; i <= size; i++) {
      events.add(EVENTS.get(key(stream, expected + i, label)));
    }
    return events;
  }

  /** An event as the results show it: stream, version and the label of the save that wrote it. */
  private static String describe(VersionedEvent event) {
    return key(event.sourceId(), event.version(), ((Happened) event.event()).text());
  }

  private static List<String> describe(List<VersionedEvent> events) {
    List<String> described = new ArrayList<>(events.size());
    for (VersionedEvent event : events) {
      described.add(describe(event));
    }
    return described;
  }

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();

  /** A save without a command: {@code ok}, or {@code conflict} if the stream is elsewhere. */
  @Operation
  public String save(
      @Param(name = "stream") int stream,
      @Param(name = "expected") int expected,
      @Param(name = "size") int size,
      @Param(name = "label") int label) {
    String id = STREAMS[stream];
    try {
      store.save(StreamAppend.of(id, expected, events(id, expected, size, "w" + label)));
      return "ok";
    } catch (ConcurrencyException e) {
      return "conflict";
    }
  }

  /**
   * A save as the effect of a command, at a version the caller chose: {@code ok}, or {@code
   * refused}. A duplicate that also expects a stale version may be told either exception (the
   * Javadoc of save), so both are one result here; {@link #deliver} tells them apart.
   */
  @Operation
  public String saveFor(
      @Param(name = "stream") int stream,
      @Param(name = "expected") int expected,
      @Param(name = "command") int command) {
    String id = STREAMS[stream];
    try {
      store.save(
          StreamAppend.of(id, expected, events(id, expected, 1, "c" + command))
              .withCommandId("cmd" + command));
      return "ok";
    } catch (ConcurrencyException | DuplicateCommandException e) {
      return "refused";
    }
  }

  /**
   * A delivery of a command as a handler makes it: read the version, save at it with the command's
   * id, and on a conflict read again and retry. It ends {@code ok} if the stream did not hold the
   * command, {@code duplicate} if it did: after reloading, a duplicate is told so.
   */
  @Operation
  public String deliver(@Param(name = "stream") int stream, @Param(name = "command") int command) {
    String id = STREAMS[stream];
    while (true) {
      long version = store.version(id);
      try {
        store.save(
            StreamAppend.of(id, version, events(id, version, 1, "d" + command))
                .withCommandId("cmd" + command));
        return "ok";
      } catch (ConcurrencyException e) {
        // another writer got there first: read again
      } catch (DuplicateCommandException e) {
        return "duplicate";
      }
    }
  }

  @Operation
  public List<String> load(@Param(name = "stream") int stream) {
    return describe(store.load(STREAMS[stream]));
  }

  @Operation
  public long version(@Param(name = "stream") int stream) {
    return store.version(STREAMS[stream]);
  }

  @Operation
  public List<String> readLog() {
    List<String> described = new ArrayList<>();
    long position = 0;
    for (LoggedEvent logged : store.readLog(1, 1000)) {
      if (logged.position() <= position) {
        throw new AssertionError("log positions do not increase: " + position + ", " + logged);
      }
      position = logged.position();
      described.add(describe(logged.event()));
    }
    return described;
  }

  @Operation
  public List<String> byCorrelation() {
    return describe(store.eventsByCorrelationId(CORRELATION));
  }

  /** The races each guarantee is about, then random scenarios. */
  @Test
  void model_checking() {
    new ModelCheckingOptions()
        // three writers for the first version of one stream, batches of one and two events
        .addCustomScenario(
            Scenarios.of(getClass())
                .thread("save", 0, 0, 2, 0)
                .thread("save", 0, 0, 1, 1)
                .then("load", 0)
                .thread("save", 0, 0, 1, 2)
                .then("readLog")
                .post("load", 0)
                .post("readLog")
                .build())
        // one command saved at two versions and a plain writer moving the stream between them
        .addCustomScenario(
            Scenarios.of(getClass())
                .initial("save", 0, 0, 1, 0)
                .thread("saveFor", 0, 1, 0)
                .thread("saveFor", 0, 2, 0)
                .thread("save", 0, 1, 1, 1)
                .post("load", 0)
                .post("readLog")
                .build())
        // deliveries of one command racing, with another command's on the same stream
        .addCustomScenario(
            Scenarios.of(getClass())
                .thread("deliver", 0, 0)
                .thread("deliver", 0, 0)
                .then("deliver", 0, 1)
                .thread("deliver", 0, 1)
                .then("saveFor", 0, 1, 0)
                .post("load", 0)
                .build())
        // two streams' commits racing readers of the log, versions and the correlation index
        .addCustomScenario(
            Scenarios.of(getClass())
                .thread("save", 0, 0, 1, 0)
                .then("save", 1, 1, 1, 0)
                .thread("save", 1, 0, 1, 1)
                .then("save", 0, 1, 2, 1)
                .thread("version", 0)
                .then("readLog")
                .then("byCorrelation")
                .post("readLog")
                .build())
        .iterations(3)
        .invocationsPerIteration(80)
        .threads(3)
        .actorsPerThread(2)
        .actorsBefore(1)
        .actorsAfter(1)
        .sequentialSpecification(Model.class)
        .check(getClass());
  }

  @Test
  void stress() {
    new StressOptions()
        .iterations(10)
        .invocationsPerIteration(500)
        .threads(3)
        .actorsPerThread(3)
        .sequentialSpecification(Model.class)
        .check(getClass());
  }

  /**
   * The store one operation at a time, as the Javadoc of {@code EventStreamRepository} describes
   * it: a save commits all its events if the stream is at the expected version and, for a save with
   * a command, holds no commit of that command; a command refused for both reasons may be told
   * either; the log is every committed event in commit order.
   */
  public static final class Model {
    private final Map<String, List<String>> streams = new HashMap<>();
    private final Map<String, Set<String>> commands = new HashMap<>();
    private final List<String> log = new ArrayList<>();

    private List<String> stream(String id) {
      return streams.computeIfAbsent(id, s -> new ArrayList<>());
    }

    private void commit(String id, String label, int size, String command) {
      List<String> events = stream(id);
      for (int i = 0; i < size; i++) {
        String event = key(id, events.size() + 1, label);
        events.add(event);
        log.add(event);
      }
      if (command != null) {
        commands.computeIfAbsent(id, s -> new HashSet<>()).add(command);
      }
    }

    private boolean holds(String id, String command) {
      return commands.getOrDefault(id, Set.of()).contains(command);
    }

    public String save(int stream, int expected, int size, int label) {
      String id = STREAMS[stream];
      if (stream(id).size() != expected) {
        return "conflict";
      }
      commit(id, "w" + label, size, null);
      return "ok";
    }

    public String saveFor(int stream, int expected, int command) {
      String id = STREAMS[stream];
      if (stream(id).size() != expected || holds(id, "cmd" + command)) {
        return "refused";
      }
      commit(id, "c" + command, 1, "cmd" + command);
      return "ok";
    }

    public String deliver(int stream, int command) {
      String id = STREAMS[stream];
      if (holds(id, "cmd" + command)) {
        return "duplicate";
      }
      commit(id, "d" + command, 1, "cmd" + command);
      return "ok";
    }

    public List<String> load(int stream) {
      return List.copyOf(stream(STREAMS[stream]));
    }

    public long version(int stream) {
      return stream(STREAMS[stream]).size();
    }

    public List<String> readLog() {
      return List.copyOf(log);
    }

    public List<String> byCorrelation() {
      return List.copyOf(log);
    }
  }
}
