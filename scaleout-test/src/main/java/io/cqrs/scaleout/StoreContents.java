package io.cqrs.scaleout;

import io.cqrs.CommandFailed;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything the event store holds for one run, read once after quiescence: the whole integration
 * log, and every stream named in the log or by a sent command, loaded on its own.
 *
 * @param log the integration log in commit order
 * @param streams each stream's events as {@code load} returns them, by stream id
 */
public record StoreContents(List<LoggedEvent> log, Map<String, List<VersionedEvent>> streams) {
  private static final int PAGE = 1_000;

  /** Reads the log and the streams of the log plus {@code moreStreamIds}. */
  public static StoreContents read(EventStreamRepository store, Collection<String> moreStreamIds) {
    List<LoggedEvent> log = new ArrayList<>();
    long position = 1;
    List<LoggedEvent> page;
    while (!(page = store.readLog(position, PAGE)).isEmpty()) {
      log.addAll(page);
      position = page.get(page.size() - 1).position() + 1;
    }
    Set<String> ids = new TreeSet<>(moreStreamIds);
    for (LoggedEvent entry : log) {
      if (entry.event().version() > 0) {
        ids.add(entry.event().sourceId());
      }
    }
    Map<String, List<VersionedEvent>> streams = new LinkedHashMap<>();
    for (String id : ids) {
      List<VersionedEvent> events = store.load(id);
      if (!events.isEmpty()) {
        streams.put(id, events);
      }
    }
    return new StoreContents(List.copyOf(log), streams);
  }

  /**
   * Stream events (not integration events such as failures) by the id of the command causing them.
   */
  public Map<String, List<VersionedEvent>> streamEventsByCause() {
    Map<String, List<VersionedEvent>> byCause = new HashMap<>();
    for (List<VersionedEvent> stream : streams.values()) {
      for (VersionedEvent event : stream) {
        if (event.causationId() != null) {
          byCause.computeIfAbsent(event.causationId(), k -> new ArrayList<>()).add(event);
        }
      }
    }
    return byCause;
  }

  /**
   * When the first {@link CommandFailed} of each failed command was raised (its envelope's {@code
   * created}), by the id of the command.
   */
  public Map<String, Instant> firstFailureTimes() {
    Map<String, Instant> times = new HashMap<>();
    for (LoggedEvent entry : log) {
      if (entry.event().event() instanceof CommandFailed failed) {
        times.merge(failed.commandId(), entry.event().created(), Outcomes::earlier);
      }
    }
    return times;
  }

  /** The {@link CommandFailed} events of the log by the id of the command that failed. */
  public Map<String, List<CommandFailed>> failuresByCommand() {
    Map<String, List<CommandFailed>> failures = new HashMap<>();
    for (LoggedEvent entry : log) {
      if (entry.event().event() instanceof CommandFailed failed) {
        failures.computeIfAbsent(failed.commandId(), k -> new ArrayList<>()).add(failed);
      }
    }
    return failures;
  }
}
