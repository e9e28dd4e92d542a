package io.cqrs.scaleout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The broker connections of one process as its log tells them ({@code io.cqrs.rabbitmq} at info):
 * the node each connection opened on, lost, and recovered on, in order. The buses name the node a
 * connection actually reached ({@code 127.0.0.1:5677}), not the list they were given.
 *
 * @param events every opening, loss and recovery, in the log's order
 */
record ConnectionLog(List<ConnectionLog.Event> events) {
  private static final Pattern OPENED =
      Pattern.compile("Opened connection '([^']+)' to node (\\S+)");
  private static final Pattern LOST =
      Pattern.compile("Connection '([^']+)' to node (\\S+) lost, reconnecting");
  private static final Pattern RECOVERED =
      Pattern.compile("Connection '([^']+)' recovered on node (\\S+) after ([0-9.]+) s");

  /** What happened to a connection. */
  enum Kind {
    OPENED,
    LOST,
    RECOVERED
  }

  /**
   * One line about a connection.
   *
   * @param connection the connection's name, e.g. {@code so1a2b-commands/consume}
   * @param node the node ({@code host:port}) it opened on, was lost from, or recovered on
   * @param downSeconds for a recovery, how long the connection was down by the process's clock
   */
  record Event(Kind kind, String connection, String node, double downSeconds) {}

  ConnectionLog {
    events = List.copyOf(events);
  }

  /** Reads a process's log. */
  static ConnectionLog read(Path log) throws IOException {
    return fromLines(Files.readAllLines(log));
  }

  /** Parses log lines; lines about other things are skipped. */
  static ConnectionLog fromLines(List<String> lines) {
    List<Event> events = new ArrayList<>();
    for (String line : lines) {
      Matcher m;
      if ((m = OPENED.matcher(line)).find()) {
        events.add(new Event(Kind.OPENED, m.group(1), m.group(2), 0));
      } else if ((m = LOST.matcher(line)).find()) {
        events.add(new Event(Kind.LOST, m.group(1), m.group(2), 0));
      } else if ((m = RECOVERED.matcher(line)).find()) {
        events.add(
            new Event(Kind.RECOVERED, m.group(1), m.group(2), Double.parseDouble(m.group(3))));
      }
    }
    return new ConnectionLog(events);
  }

  /** Each connection's node now: where it last opened or recovered (kept while it is down). */
  Map<String, String> currentNodes() {
    Map<String, String> nodes = new LinkedHashMap<>();
    for (Event event : events) {
      if (event.kind() != Kind.LOST) {
        nodes.put(event.connection(), event.node());
      }
    }
    return nodes;
  }

  /** The recoveries of {@code connection}, in order. */
  List<Event> recoveries(String connection) {
    return events.stream()
        .filter(e -> e.kind() == Kind.RECOVERED && e.connection().equals(connection))
        .toList();
  }

  /**
   * Each connection's history in one line, e.g. {@code so1-commands/consume n2 → n3 (down 2.1 s)},
   * with nodes named by {@code nodeName} (host:port to a short name).
   */
  List<String> describe(Function<String, String> nodeName) {
    Map<String, StringBuilder> lines = new LinkedHashMap<>();
    for (Event event : events) {
      StringBuilder line = lines.get(event.connection());
      switch (event.kind()) {
        case OPENED -> {
          if (line == null) {
            lines.put(
                event.connection(),
                new StringBuilder(event.connection() + " " + nodeName.apply(event.node())));
          }
        }
        case LOST -> {
          // The recovery line names where it went and how long it was down.
        }
        case RECOVERED -> {
          if (line != null) {
            line.append(" → ")
                .append(nodeName.apply(event.node()))
                .append(" (down ")
                .append(event.downSeconds())
                .append(" s)");
          }
        }
      }
    }
    return lines.values().stream().map(StringBuilder::toString).toList();
  }
}
