package io.cqrs.example.bank.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cqrs.example.bank.domain.PasswordHasher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The users of the HTTP API and their hashed secrets, checked with HTTP Basic authentication.
 *
 * <p>Configured as entries {@code name:hash} or {@code name:hash:admin}, separated by commas or
 * line breaks, where {@code hash} is a {@link PasswordHasher} hash ({@code pbkdf2-sha256$...}): the
 * server never holds a secret in the clear. An administrator reaches every account and the lists of
 * all accounts and transfers; any other user only the accounts it opened, and transfers from or to
 * them. {@link #generate()} makes one administrator with a random secret for a server started
 * without users, so no default secret ever works.
 *
 * <p>A PBKDF2 check costs tens to hundreds of milliseconds by design, so it is rationed: a verified
 * credential is remembered for {@link #REMEMBERED} and a refused one for {@link #REFUSED_FOR}
 * (under a digest of it, never the secret), so neither is checked again; at most {@link
 * #CONCURRENT_CHECKS} checks run at once, a request finding none free waits its turn up to {@link
 * #CHECK_WAIT} behind at most {@link #WAITING_CHECKS} others and is answered 503 beyond that
 * ({@link CheckSlots}). A flood of wrong secrets thus costs at most two cores' worth of checks and
 * a bounded number of request threads.
 *
 * <p>Online guessing is throttled per client address and user name: once checks for one name from
 * one address failed {@link #MAX_FAILURES_PER_MINUTE} times in a minute, that name's sign-ins from
 * that address are answered 429 without a check (a correct secret too, else the throttle would let
 * guesses through). A remembered credential is never throttled: it needs no check. Behind a reverse
 * proxy every client has the proxy's address, so one client's guessing must not refuse everyone's
 * sign-ins: it refuses only new sign-ins as the names it guessed, and its guesses at unknown names
 * are counted the same way, so that the throttle does not tell which names exist. Thread-safe.
 */
public final class ApiUsers {
  /** How long a verified credential is remembered. */
  public static final Duration REMEMBERED = Duration.ofMinutes(10);

  /** How many slow secret checks run at once. */
  public static final int CONCURRENT_CHECKS = 2;

  /**
   * How many requests may wait for a check to be free; beyond them a request is answered 503. About
   * what the checks get through in {@link #CHECK_WAIT} at a third of a second each.
   */
  public static final int WAITING_CHECKS = 30;

  /** How long a request waits for a check to be free before it is answered 503. */
  public static final Duration CHECK_WAIT = Duration.ofSeconds(5);

  /** How long a refused credential is answered 401 without a check. */
  public static final Duration REFUSED_FOR = Duration.ofMinutes(1);

  /**
   * How many failed checks for one user name a client address may cause in a minute before its
   * sign-ins as that name are answered 429.
   */
  public static final int MAX_FAILURES_PER_MINUTE = 20;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final String ADMIN = "admin";
  private static final Map<String, String> RETRY_LATER = Map.of("Retry-After", "60");

  /** One user of the API. */
  public record User(String name, boolean admin) {
    public User {
      Objects.requireNonNull(name, "name");
    }
  }

  private record Entry(User user, String hash) {}

  private final Map<String, Entry> entries;

  /** Per user, the places of requests handled at once ({@link Authentication}). */
  private final Map<String, Semaphore> requests = new ConcurrentHashMap<>();

  /** How many requests of one user are handled at once, at most. */
  static final int MAX_REQUESTS_PER_USER = 32;

  private final PasswordHasher hasher = new PasswordHasher();
  private final CheckSlots checks = new CheckSlots(CONCURRENT_CHECKS, WAITING_CHECKS, CHECK_WAIT);
  private final Cache<String, User> verified =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(REMEMBERED).build();
  private final Cache<String, Boolean> refused =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(REFUSED_FOR).build();
  private final Cache<String, AtomicInteger> failures =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofMinutes(1)).build();
  private final AtomicLong slowChecks = new AtomicLong();
  private final byte[] pepper = new byte[32];
  private final String decoyHash;

  private ApiUsers(Map<String, Entry> entries) {
    this.entries = Map.copyOf(entries);
    new SecureRandom().nextBytes(pepper);
    // An unknown user's secret is checked against this, so a wrong name costs what a wrong secret
    // does and timing does not tell which names exist.
    this.decoyHash =
        entries.values().stream()
            .map(Entry::hash)
            .findFirst()
            .orElse(
                "pbkdf2-sha256$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  }

  /**
   * Reads entries {@code name:hash[:admin]} separated by commas or line breaks.
   *
   * @throws IllegalArgumentException naming the entry (never its hash) if one is malformed, a name
   *     repeats, or there is none
   */
  public static ApiUsers parse(String configuration) {
    Objects.requireNonNull(configuration, "configuration");
    Map<String, Entry> entries = new HashMap<>();
    int index = 0;
    for (String raw : configuration.split("[,\\r\\n]+")) {
      String entry = raw.strip();
      if (entry.isEmpty()) {
        continue;
      }
      index++;
      String[] parts = entry.split(":", -1);
      if (parts.length < 2 || parts.length > 3 || parts.length == 3 && !ADMIN.equals(parts[2])) {
        throw new IllegalArgumentException(
            "API user entry " + index + " must be name:hash or name:hash:admin");
      }
      if (!NAME.matcher(parts[0]).matches()) {
        throw new IllegalArgumentException(
            "API user entry "
                + index
                + ": the name must be 1 to 64 letters, digits, '.', '_' or '-'");
      }
      if (!PasswordHasher.isEncodedHash(parts[1])) {
        throw new IllegalArgumentException(
            "API user '"
                + parts[0]
                + "': the secret must be given as a hash (pbkdf2-sha256$...), never in the clear");
      }
      if (entries.put(parts[0], new Entry(new User(parts[0], parts.length == 3), parts[1]))
          != null) {
        throw new IllegalArgumentException("API user '" + parts[0] + "' is given twice");
      }
    }
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("no API user is configured");
    }
    return new ApiUsers(entries);
  }

  /** The variable {@link #fromEnvironment} reads entries from. */
  public static final String USERS_VARIABLE = "BANK_API_USERS";

  /** The variable {@link #fromEnvironment} reads the path of a file of entries from. */
  public static final String USERS_FILE_VARIABLE = "BANK_API_USERS_FILE";

  /**
   * The users configured by {@value #USERS_VARIABLE} (entries) or {@value #USERS_FILE_VARIABLE} (a
   * file of entries, one per line), if either is set.
   *
   * @throws IllegalArgumentException if both are set, the file cannot be read, or an entry is
   *     malformed
   */
  public static Optional<ApiUsers> fromEnvironment(Map<String, String> environment) {
    // A blank variable counts as unset, as the CQRS_* ones do.
    String inline = unlessBlank(environment.get(USERS_VARIABLE));
    String file = unlessBlank(environment.get(USERS_FILE_VARIABLE));
    if (inline != null && file != null) {
      throw new IllegalArgumentException(
          "set " + USERS_VARIABLE + " or " + USERS_FILE_VARIABLE + ", not both");
    }
    if (inline != null) {
      return Optional.of(parse(USERS_VARIABLE, inline));
    }
    if (file != null) {
      String text;
      try {
        text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
      } catch (IOException | InvalidPathException e) {
        String why =
            e instanceof java.nio.file.NoSuchFileException
                ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException
                    ? "permission denied"
                    : e instanceof java.nio.charset.MalformedInputException
                        ? "not UTF-8 text"
                        : e.getMessage();
        throw new IllegalArgumentException(
            USERS_FILE_VARIABLE + ": cannot read '" + file + "': " + why, e);
      }
      // A byte order mark, as some editors save UTF-8, is not part of the first user's name.
      return Optional.of(
          parse(
              USERS_FILE_VARIABLE + " ('" + file + "')",
              text.startsWith("\uFEFF") ? text.substring(1) : text));
    }
    return Optional.empty();
  }

  /** {@link #parse(String)}, its error naming where the entries came from. */
  private static ApiUsers parse(String source, String entries) {
    try {
      return parse(entries);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  private static String unlessBlank(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  /** No users: every request that needs one is answered 401 (endpoints for operators only). */
  public static ApiUsers none() {
    return new ApiUsers(Map.of());
  }

  /** A new administrator {@code admin} with a random secret, for a server given no users. */
  public static Generated generate() {
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    String entry = ADMIN + ":" + new PasswordHasher().hash(secret) + ":" + ADMIN;
    return new Generated(parse(entry), ADMIN, secret, entry);
  }

  /**
   * A generated administrator.
   *
   * @param users the users: that administrator alone
   * @param name its name
   * @param secret its secret, to show the operator once
   * @param entry the configuration entry that keeps it (its hash, not the secret)
   */
  public record Generated(ApiUsers users, String name, String secret, String entry) {}

  /** How many users there are. */
  public int size() {
    return entries.size();
  }

  /** The places of {@code user}'s requests handled at once: {@link #MAX_REQUESTS_PER_USER}. */
  Semaphore requestPlaces(User user) {
    return requests.computeIfAbsent(user.name(), name -> new Semaphore(MAX_REQUESTS_PER_USER));
  }

  /**
   * The user an {@code Authorization: Basic} header proves, if it does.
   *
   * @throws ApiException 503 if too many checks are waiting, 429 if sign-ins as the name failed too
   *     often
   */
  Optional<User> authenticate(String authorization) {
    return authenticate(authorization, "");
  }

  /**
   * The user an {@code Authorization: Basic} header proves, if it does, for a request from {@code
   * client} (its address).
   *
   * @throws ApiException 503 if no check was free in time, 429 if the client's sign-ins as the name
   *     failed too often
   */
  Optional<User> authenticate(String authorization, String client) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      return Optional.empty();
    }
    String credentials;
    try {
      credentials =
          new String(
              Base64.getDecoder().decode(authorization.substring(6).strip()),
              StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    int colon = credentials.indexOf(':');
    if (colon < 0 || credentials.length() > 300) {
      return Optional.empty();
    }
    String name = credentials.substring(0, colon);
    String secret = credentials.substring(colon + 1);
    String key = digest(credentials);
    User remembered = verified.getIfPresent(key);
    if (remembered != null) {
      return Optional.of(remembered);
    }
    if (refused.getIfPresent(key) != null) {
      return Optional.empty();
    }
    // By address and name: a client behind a shared proxy refuses only the names it guessed.
    String guesser = digest(client + "\n" + name);
    AtomicInteger failed = failures.getIfPresent(guesser);
    if (failed != null && failed.get() >= MAX_FAILURES_PER_MINUTE) {
      throw new ApiException(
          429, "too_many_failures", "Too many failed sign-ins; wait a minute", null, RETRY_LATER);
    }
    Entry entry = entries.get(name);
    boolean matches = check(secret, entry == null ? decoyHash : entry.hash()) && entry != null;
    if (!matches) {
      failures.get(guesser, g -> new AtomicInteger()).incrementAndGet();
      refused.put(key, Boolean.TRUE);
      return Optional.empty();
    }
    verified.put(key, entry.user());
    return Optional.of(entry.user());
  }

  private boolean check(String secret, String hash) {
    return checks.run(
        () -> {
          slowChecks.incrementAndGet();
          return hasher.matches(secret, hash);
        });
  }

  private String digest(String credentials) {
    return Digests.sha256(pepper, credentials);
  }

  /** How many slow (PBKDF2) checks were made: what the caches and limits save. */
  long slowChecks() {
    return slowChecks.get();
  }

  @Override
  public String toString() {
    return "ApiUsers[" + entries.size() + " users]";
  }
}
