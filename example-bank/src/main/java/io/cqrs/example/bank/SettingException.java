package io.cqrs.example.bank;

/**
 * A connection setting (a flag or a {@code CQRS_*} variable) that is malformed: the message names
 * the setting and says what is wrong, and never repeats a password. The command line reports it as
 * a usage error.
 */
public final class SettingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  SettingException(String setting, String problem) {
    super(setting + ": " + problem);
  }
}
