package io.cqrs.scenario;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Salted PBKDF2 password hashes (andrewwebber's {@code GetHashForPassword} used bcrypt), so that
 * events and read models never hold a password.
 */
final class Passwords {
  private static final String ALGORITHM = "PBKDF2WithHmacSHA256";
  // Low on purpose: this is a test, and the cost factor is not what it proves.
  private static final int ITERATIONS = 1_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Passwords() {}

  /** A hash of {@code password} under a fresh salt, as {@code salt$hash} in Base64. */
  static String hash(String password) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    Base64.Encoder b64 = Base64.getEncoder();
    return b64.encodeToString(salt) + "$" + b64.encodeToString(derive(password, salt));
  }

  /** Whether {@code password} hashes to {@code stored}. */
  static boolean matches(String password, String stored) {
    String[] parts = stored.split("\\$");
    Base64.Decoder b64 = Base64.getDecoder();
    return MessageDigest.isEqual(b64.decode(parts[1]), derive(password, b64.decode(parts[0])));
  }

  private static byte[] derive(String password, byte[] salt) {
    try {
      PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, ITERATIONS, 256);
      return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is missing from this JDK", e);
    }
  }
}
