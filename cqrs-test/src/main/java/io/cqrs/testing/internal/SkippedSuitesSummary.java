package io.cqrs.testing.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Prints the one line that ends cqrs's build: how many suites were skipped for lack of a server,
 * per server, and what would give them one; or that none was. It sums up the files {@link
 * SkippedSuitesListener} wrote during this build.
 *
 * <p>The root pom runs it in the {@code verify} phase of every module, from source ({@code java
 * SkippedSuitesSummary.java}, so it needs nothing built and uses the JDK only), with the reactor's
 * projects; it prints only in the last of them, so the line comes once, after the last module's
 * tests. Arguments: the records directory, this build's subdirectory name, this module's pom and
 * the reactor's projects as Maven prints them.
 */
public final class SkippedSuitesSummary {
  private SkippedSuitesSummary() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 4) {
      throw new IllegalArgumentException(
          "usage: SkippedSuitesSummary <records dir> <build> <this pom> <reactor projects>");
    }
    Path records = Path.of(args[0]);
    String build = args[1];
    if (!args[3].strip().endsWith(" @ " + args[2] + "]")) {
      return; // not the reactor's last project: the line comes once, at the end
    }
    System.out.println(summary(read(records.resolve(build))));
    deleteOtherBuilds(records, build);
  }

  /** The line for these records (lines of server, remedy, suite, reason). */
  static String summary(List<String[]> records) {
    Map<String, TreeSet<String>> suites = new TreeMap<>();
    TreeSet<String> remedies = new TreeSet<>();
    for (String[] r : records) {
      suites.computeIfAbsent(r[0], s -> new TreeSet<>()).add(r[2]);
      remedies.add(r[1]);
    }
    // "set X" says less than "set X, e.g. ...": keep only the fuller of such remedies.
    remedies.removeIf(r -> remedies.stream().anyMatch(o -> !o.equals(r) && o.startsWith(r)));
    if (suites.isEmpty()) {
      return "No suite skipped for lack of a server";
    }
    int total = suites.values().stream().mapToInt(TreeSet::size).sum();
    List<String> counts = new ArrayList<>();
    suites.forEach((server, names) -> counts.add(server + ": " + names.size()));
    return "Skipped for lack of a server: "
        + total
        + (total == 1 ? " suite (" : " suites (")
        + String.join(", ", counts)
        + ") — "
        + String.join("; ", remedies);
  }

  private static List<String[]> read(Path dir) throws IOException {
    List<String[]> records = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return records;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".tsv")).toList()) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          String[] fields = line.split("\t", -1);
          if (fields.length >= 3) {
            records.add(fields);
          }
        }
      }
    }
    return records;
  }

  /** Earlier builds' records would be counted by no one: they go, this build's stay to read. */
  private static void deleteOtherBuilds(Path records, String build) throws IOException {
    if (!Files.isDirectory(records)) {
      return;
    }
    try (Stream<Path> dirs = Files.list(records)) {
      for (Path old : dirs.filter(d -> !d.getFileName().toString().equals(build)).toList()) {
        try (Stream<Path> tree = Files.walk(old)) {
          tree.sorted(Comparator.reverseOrder())
              .forEach(
                  p -> {
                    try {
                      Files.delete(p);
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  });
        }
      }
    }
  }
}
