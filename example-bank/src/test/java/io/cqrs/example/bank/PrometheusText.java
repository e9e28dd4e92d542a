package io.cqrs.example.bank;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads samples out of the Prometheus text that {@code GET /metrics} answers, for the tests. */
final class PrometheusText {
  private PrometheusText() {}

  /**
   * The sum of the samples of metric {@code name} whose labels include every one of {@code labels};
   * 0 if there is none.
   */
  static long sum(String text, String name, Map<String, String> labels) {
    Pattern sample =
        Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} ([0-9.E]+)$", Pattern.MULTILINE);
    Matcher matcher = sample.matcher(text);
    long total = 0;
    while (matcher.find()) {
      String found = matcher.group(1);
      if (labels.entrySet().stream()
          .allMatch(label -> found.contains(label.getKey() + "=\"" + label.getValue() + "\""))) {
        total += (long) Double.parseDouble(matcher.group(2));
      }
    }
    return total;
  }
}
