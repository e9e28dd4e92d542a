package io.cqrs.testing;

import java.util.Objects;
import org.junit.jupiter.api.Assertions;
import org.opentest4j.TestAbortedException;

/**
 * Skips a test or a whole suite because a server it needs (a broker, a database) cannot be reached.
 * JUnit reports the test as aborted, as for a failed assumption, unless {@value
 * #REQUIRE_VARIABLE}{@code =true}, where {@link #skipOrFail} fails it instead.
 *
 * <p>An adapter's integration tests call {@link #skipOrFail} where they find their server (in a
 * {@code @BeforeAll} method, to skip the suite at once). When the system property {@value
 * #REPORT_PROPERTY} names a directory, cqrs-test records every suite skipped this way there, so
 * that a build can end with one line saying how many suites did not run and how to give them their
 * server; cqrs's own build does.
 */
public final class ServerMissingException extends TestAbortedException {
  /** The environment variable that, set to {@code true}, makes a missing server a failure. */
  public static final String REQUIRE_VARIABLE = "CQRS_REQUIRE_SERVERS";

  /** The system property naming the directory where skipped suites are recorded. */
  public static final String REPORT_PROPERTY = "cqrs.testing.skipped-suites";

  private static final long serialVersionUID = 1L;

  private final String server;
  private final String remedy;

  /**
   * A skip for lack of {@code server}.
   *
   * @param server the server's kind, as the summary names it ("RabbitMQ", "Couchbase")
   * @param reason why it cannot be had, e.g. the error of a connection attempt
   * @param remedy what makes it available, e.g. "set CQRS_RABBITMQ_URI"
   */
  public ServerMissingException(String server, String reason, String remedy) {
    super(
        Objects.requireNonNull(server, "server")
            + " missing: "
            + Objects.requireNonNull(reason, "reason")
            + " ("
            + Objects.requireNonNull(remedy, "remedy")
            + ")");
    this.server = server;
    this.remedy = remedy;
  }

  /**
   * Skips the calling test, or the suite when called from {@code @BeforeAll}, by throwing a {@code
   * ServerMissingException}; when {@value #REQUIRE_VARIABLE}{@code =true} fails it with an {@link
   * AssertionError} instead. Never returns normally.
   */
  public static void skipOrFail(String server, String reason, String remedy) {
    ServerMissingException skip = new ServerMissingException(server, reason, remedy);
    if ("true".equalsIgnoreCase(System.getenv(REQUIRE_VARIABLE))) {
      Assertions.fail(skip.getMessage() + " (" + REQUIRE_VARIABLE + "=true)");
    }
    throw skip;
  }

  /** The server's kind, e.g. "RabbitMQ". */
  public String server() {
    return server;
  }

  /** What makes the server available, e.g. "set CQRS_RABBITMQ_URI". */
  public String remedy() {
    return remedy;
  }
}
