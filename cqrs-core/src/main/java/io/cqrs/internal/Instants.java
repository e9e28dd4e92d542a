package io.cqrs.internal;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/**
 * {@link Instant#toString()} and {@link Instant#parse} for the envelopes' {@code created} field,
 * without {@code DateTimeFormatter}: every message on a bus writes and reads one, and the
 * formatter's general machinery (a map of parsed fields, resolvers) cost a third of a listener's
 * decoding time.
 *
 * <p>Both handle the form {@code Instant.toString()} writes for years 0000 to 9999 ({@code
 * 2024-02-29T23:59:59.123456789Z}: a fraction of 0, 3, 6 or 9 digits) and hand anything else to
 * {@code java.time}, so the results are always the same as theirs.
 */
public final class Instants {
  private static final int SECONDS_PER_DAY = 86_400;
  private static final int[] POWERS = {
    1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000
  };

  private Instants() {}

  /** The same text as {@link Instant#toString()}. */
  public static String format(Instant instant) {
    long seconds = instant.getEpochSecond();
    long day = Math.floorDiv(seconds, SECONDS_PER_DAY);
    LocalDate date = day >= -719_528 && day <= 2_932_896 ? LocalDate.ofEpochDay(day) : null;
    if (date == null) {
      return instant.toString(); // before 0000-01-01 or after 9999-12-31
    }
    int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
    int nanos = instant.getNano();
    int digits = nanos == 0 ? 0 : nanos % 1_000_000 == 0 ? 3 : nanos % 1_000 == 0 ? 6 : 9;
    char[] text = new char[digits == 0 ? 20 : 21 + digits];
    put(text, 0, date.getYear(), 4);
    text[4] = '-';
    put(text, 5, date.getMonthValue(), 2);
    text[7] = '-';
    put(text, 8, date.getDayOfMonth(), 2);
    text[10] = 'T';
    put(text, 11, secondOfDay / 3600, 2);
    text[13] = ':';
    put(text, 14, secondOfDay / 60 % 60, 2);
    text[16] = ':';
    put(text, 17, secondOfDay % 60, 2);
    if (digits > 0) {
      text[19] = '.';
      put(text, 20, nanos / POWERS[9 - digits], digits);
    }
    text[text.length - 1] = 'Z';
    return new String(text);
  }

  private static void put(char[] text, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      text[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /**
   * The same as {@link Instant#parse}.
   *
   * @throws DateTimeParseException if the text is not an ISO-8601 instant
   */
  public static Instant parse(CharSequence text) {
    Instant parsed = parseCommonForm(text);
    return parsed != null ? parsed : Instant.parse(text);
  }

  /** {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z} with 1 to 9 fraction digits, or {@code null}. */
  private static Instant parseCommonForm(CharSequence text) {
    int length = text.length();
    if (length < 20
        || length == 21
        || length > 30
        || text.charAt(4) != '-'
        || text.charAt(7) != '-'
        || text.charAt(10) != 'T'
        || text.charAt(13) != ':'
        || text.charAt(16) != ':'
        || text.charAt(length - 1) != 'Z'
        || (length > 20 && text.charAt(19) != '.')) {
      return null;
    }
    int year = digits(text, 0, 4);
    int month = digits(text, 5, 2);
    int day = digits(text, 8, 2);
    int hour = digits(text, 11, 2);
    int minute = digits(text, 14, 2);
    int second = digits(text, 17, 2);
    int fraction = length > 20 ? digits(text, 20, length - 21) : 0;
    if ((year | month | day | hour | minute | second | fraction) < 0
        || hour > 23
        || minute > 59
        || second > 59) {
      return null; // leap seconds and malformed text: java.time decides
    }
    long epochDay;
    try {
      epochDay = LocalDate.of(year, month, day).toEpochDay();
    } catch (DateTimeException e) {
      return null;
    }
    long seconds = epochDay * SECONDS_PER_DAY + hour * 3600L + minute * 60L + second;
    int nanos = length > 20 ? fraction * POWERS[9 - (length - 21)] : 0;
    return Instant.ofEpochSecond(seconds, nanos);
  }

  /** The decimal value of {@code count} ASCII digits, or -1 if one is not a digit. */
  private static int digits(CharSequence text, int at, int count) {
    int value = 0;
    for (int i = at; i < at + count; i++) {
      int digit = text.charAt(i) - '0';
      if (digit < 0 || digit > 9) {
        return -1;
      }
      value = value * 10 + digit;
    }
    return value;
  }
}
