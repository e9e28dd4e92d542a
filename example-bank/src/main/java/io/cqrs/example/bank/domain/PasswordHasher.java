package io.cqrs.example.bank.domain;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Turns passwords into salted PBKDF2-HMAC-SHA256 hashes and checks passwords against them, with the
 * JDK's own implementation (no extra dependency).
 *
 * <p>A hash is encoded as {@code pbkdf2-sha256$<iterations>$<salt>$<key>} (salt and key in unpadded
 * Base64), so it carries everything needed to check a password later, even after the default
 * iteration count has been raised. The bank hashes a password where it enters the system, before
 * any command is built: commands, events, logs and dead-letter queues only ever see the hash.
 *
 * <p>Thread-safe.
 */
public final class PasswordHasher {
  /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
  public static final int DEFAULT_ITERATIONS = 600_000;

  /** The shortest password accepted. */
  public static final int MIN_PASSWORD_LENGTH = 8;

  /** The longest password accepted; PBKDF2's cost grows with it, so it is bounded. */
  public static final int MAX_PASSWORD_LENGTH = 128;

  private static final String ALGORITHM = "pbkdf2-sha256";
  private static final int SALT_BYTES = 16;
  private static final int KEY_BITS = 256;
  private static final Pattern ENCODED =
      Pattern.compile("pbkdf2-sha256\\$[1-9][0-9]{0,8}\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");

  private final int iterations;
  private final SecureRandom random = new SecureRandom();

  /** A hasher with {@link #DEFAULT_ITERATIONS}. */
  public PasswordHasher() {
    this(DEFAULT_ITERATIONS);
  }

  /**
   * A hasher with another iteration count: more is slower for attackers and for the bank alike.
   * Tests may use fewer to stay fast; hashes made with any count can be checked by any hasher.
   */
  public PasswordHasher(int iterations) {
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations must be >= 1, was " + iterations);
    }
    this.iterations = iterations;
  }

  /**
   * A new salted hash of {@code password}.
   *
   * @throws IllegalArgumentException if the password is shorter than {@value #MIN_PASSWORD_LENGTH}
   *     or longer than {@value #MAX_PASSWORD_LENGTH} characters, or blank
   */
  public String hash(String password) {
    Objects.requireNonNull(password, "password");
    if (password.isBlank()
        || password.length() < MIN_PASSWORD_LENGTH
        || password.length() > MAX_PASSWORD_LENGTH) {
      throw new IllegalArgumentException(
          "password must be "
              + MIN_PASSWORD_LENGTH
              + " to "
              + MAX_PASSWORD_LENGTH
              + " characters and not blank");
    }
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    Base64.Encoder base64 = Base64.getEncoder().withoutPadding();
    return ALGORITHM
        + "$"
        + iterations
        + "$"
        + base64.encodeToString(salt)
        + "$"
        + base64.encodeToString(derive(password, salt, iterations));
  }

  /** Whether {@code password} is the one {@code encodedHash} was made from. */
  public boolean matches(String password, String encodedHash) {
    Objects.requireNonNull(password, "password");
    if (!isEncodedHash(encodedHash)) {
      return false;
    }
    String[] parts = encodedHash.split("\\$");
    byte[] salt = Base64.getDecoder().decode(parts[2]);
    byte[] expected = Base64.getDecoder().decode(parts[3]);
    // Constant-time comparison: the time taken must not tell how many bytes matched.
    return MessageDigest.isEqual(expected, derive(password, salt, Integer.parseInt(parts[1])));
  }

  /**
   * Whether {@code value} is a hash in this class's format; the domain uses it to refuse a plain
   * password passed where a hash belongs.
   */
  public static boolean isEncodedHash(String value) {
    return value != null && ENCODED.matcher(value).matches();
  }

  private static byte[] derive(String password, byte[] salt, int iterations) {
    char[] chars = password.toCharArray();
    PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, KEY_BITS);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      // Every Java SE runtime must provide PBKDF2WithHmacSHA256.
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
    } finally {
      spec.clearPassword();
      Arrays.fill(chars, '\0');
    }
  }

  @Override
  public String toString() {
    return "PasswordHasher[" + ALGORITHM + ", " + iterations + " iterations]";
  }
}
