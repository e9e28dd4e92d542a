package io.cqrs.internal;

/** Text that goes into logs and stored failures, where input of any length must not. */
public final class Texts {
  private Texts() {}

  /**
   * {@code text} cut to {@code max} characters, saying how many were cut; never half a character (a
   * surrogate pair is kept whole or cut whole).
   */
  public static String cut(String text, int max) {
    if (text == null || text.length() <= max) {
      return text;
    }
    int cut = max;
    if (Character.isHighSurrogate(text.charAt(cut - 1))) {
      cut--;
    }
    return text.substring(0, cut) + "... (" + (text.length() - cut) + " characters cut)";
  }
}
