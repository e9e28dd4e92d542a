package io.cqrs.scaleout;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code --name value} arguments of this module's processes. */
final class Options {
  private Options() {}

  /**
   * Parses {@code --name value} pairs.
   *
   * @throws IllegalArgumentException on anything else
   */
  static Map<String, String> parse(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "expected --name value pairs, found '" + args[i] + "' at " + i);
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    return options;
  }

  /**
   * The value of a required option.
   *
   * @throws IllegalArgumentException naming the option if it is missing
   */
  static String required(Map<String, String> options, String name) {
    String value = options.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("missing --" + name);
    }
    return value;
  }
}
