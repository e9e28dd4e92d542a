package io.cqrs.example.bank.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 in hex. */
final class Digests {
  private static final byte[] NO_PEPPER = new byte[0];

  private Digests() {}

  static String sha256(String text) {
    return sha256(NO_PEPPER, text);
  }

  /** The digest of {@code pepper} followed by {@code text}'s UTF-8 bytes. */
  static String sha256(byte[] pepper, String text) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(pepper);
      return HexFormat.of().formatHex(sha.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
