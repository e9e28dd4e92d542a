package io.cqrs.internal;

/** Text that goes into logs and stored failures, where input of any length must not. */
public final class Texts {
  /**
   * The longest id or type name a log line shows in full; ids are far shorter, a forged one is cut.
   */
  public static final int MAX_SHOWN = 200;

  /** The longest failure a log line shows in full: what a handler threw may quote its input. */
  public static final int MAX_SHOWN_FAILURE = 1024;

  private Texts() {}

  /**
   * {@code text} cut to {@code max} characters, saying how many were cut; never half a character (a
   * surrogate pair is kept whole or cut whole).
   */
  public static String cut(String text, int max) {
    if (text == null || text.length() <= max) {
      return text;
    }
    int cut = wholeCharacters(text, max);
    return text.substring(0, cut) + "... (" + (text.length() - cut) + " characters cut)";
  }

  /**
   * Where to cut {@code text}, longer than {@code max}, to keep at most {@code max} chars and never
   * half a character: {@code max}, or one less where a surrogate pair would be split.
   */
  public static int wholeCharacters(String text, int max) {
    return Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
  }

  /**
   * {@code text} with every control character made {@code ?}; {@code text} itself where it has
   * none. Ids, type names and what a handler threw come from messages, which a client may have
   * forged, and a line break in one, shown in a log line, would forge the lines after it.
   */
  public static String printable(String text) {
    if (text == null) {
      return null;
    }
    int length = text.length();
    for (int i = 0; i < length; i++) {
      if (breaksLines(text.charAt(i))) {
        return clean(text);
      }
    }
    return text;
  }

  /**
   * Whether {@code c} may end a line for a reader of the log: a control character, or U+2028 LINE
   * SEPARATOR or U+2029 PARAGRAPH SEPARATOR, which are not control characters but end lines for
   * editors, JavaScript and Python's {@code splitlines}.
   */
  private static boolean breaksLines(char c) {
    return Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
  }

  private static String clean(String text) {
    char[] chars = text.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      if (breaksLines(chars[i])) {
        chars[i] = '?';
      }
    }
    return new String(chars);
  }

  /**
   * An id or type name from a message as a log line shows it: {@linkplain #cut cut} to {@link
   * #MAX_SHOWN} characters and {@linkplain #printable printable}.
   */
  public static String shown(String text) {
    return printable(cut(text, MAX_SHOWN));
  }

  /**
   * A failure as a log line shows it in its text: its {@code toString()} {@linkplain #cut cut} to
   * {@link #MAX_SHOWN_FAILURE} characters and {@linkplain #printable printable}.
   */
  public static String shown(Throwable failure) {
    return printable(cut(String.valueOf(failure), MAX_SHOWN_FAILURE));
  }
}
