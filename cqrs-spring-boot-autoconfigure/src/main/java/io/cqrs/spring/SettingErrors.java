package io.cqrs.spring;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * Restates a builder's refusal of a setting with the property that set it: the builders name their
 * own settings ({@code commandListeners must be >= 1}), which an application configured as {@code
 * cqrs.bus.command-listeners} never wrote.
 */
final class SettingErrors {
  private SettingErrors() {}

  /**
   * Runs {@code build}; a refusal whose message starts with the name of a field of {@code settings}
   * (the properties class bound under {@code prefix}) is thrown again naming the property first.
   */
  static <T> T naming(String prefix, Class<?> settings, Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw restated(prefix, settings, e);
    }
  }

  static IllegalArgumentException restated(
      String prefix, Class<?> settings, IllegalArgumentException refusal) {
    String message = refusal.getMessage();
    if (message == null) {
      return refusal;
    }
    int end = 0;
    while (end < message.length() && Character.isJavaIdentifierPart(message.charAt(end))) {
      end++;
    }
    String setting = message.substring(0, end);
    if (setting.isEmpty() || !hasField(settings, setting)) {
      return refusal; // names no property of ours: as it is
    }
    return new IllegalArgumentException(prefix + kebab(setting) + ": " + message, refusal);
  }

  private static boolean hasField(Class<?> settings, String name) {
    try {
      settings.getDeclaredField(name);
      return true;
    } catch (NoSuchFieldException e) {
      return false;
    }
  }

  /** {@code confirmWindow} as Spring's relaxed binding writes it: {@code confirm-window}. */
  static String kebab(String camel) {
    StringBuilder kebab = new StringBuilder(camel.length() + 4);
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c)) {
        kebab.append('-').append(Character.toLowerCase(c));
      } else {
        kebab.append(c);
      }
    }
    return kebab.toString().toLowerCase(Locale.ROOT);
  }
}
