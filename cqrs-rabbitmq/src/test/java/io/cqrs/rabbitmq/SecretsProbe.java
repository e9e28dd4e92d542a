package io.cqrs.rabbitmq;

import io.cqrs.NonTransientCqrsException;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A child JVM's main for {@code SecretsIT}: uses the buses with URIs that hold passwords in every
 * way that logs or throws (a working bus whose consumers fail, retry and dead-letter, an unroutable
 * command, a replay; a wrong password; an unreachable node; malformed URIs), and prints every
 * exception with its causes and stack trace. Logging goes to standard output at {@code trace} (set
 * through {@code JAVA_TOOL_OPTIONS}), so that the test sees all of it. The URIs come from
 * environment variables, never from the command line.
 */
public final class SecretsProbe {
  /** A URI that logs in. */
  public static final String URI_VARIABLE = "SECRETS_PROBE_URI";

  /** The same user with a wrong password. */
  public static final String WRONG_URI_VARIABLE = "SECRETS_PROBE_WRONG_URI";

  /** The prefix the working bus uses. */
  public static final String PREFIX_VARIABLE = "SECRETS_PROBE_PREFIX";

  private SecretsProbe() {}

  /** Runs every scenario; exits 0 (the output says what happened). */
  public static void main(String[] args) {
    String uri = System.getenv(URI_VARIABLE);
    String wrong = System.getenv(WRONG_URI_VARIABLE);
    String userInfo = uri.substring(uri.indexOf("://") + 3, uri.lastIndexOf('@'));
    scenario("working", () -> working(uri, System.getenv(PREFIX_VARIABLE)));
    scenario(
        "wrong-password", () -> RabbitEventBus.builder(wrong, TestMessages.serializer()).build());
    scenario(
        "unreachable",
        () ->
            RabbitCommandBus.builder(
                    "amqp://" + userInfo + "@127.0.0.1:1/%2f", TestMessages.serializer())
                .build());
    scenario(
        "host-with-underscore",
        () -> RabbitEventBus.builder("amqp://" + userInfo + "@bad_host:5672/%2f", null));
    scenario(
        "port-not-a-number",
        () -> RabbitEventBus.builder("amqp://" + userInfo + "@host:port/%2f", null));
    scenario(
        "bad-escape", () -> RabbitEventBus.builder("amqp://" + userInfo + "@host:5672/%zz", null));
    scenario(
        "bad-scheme", () -> RabbitEventBus.builder("http://" + userInfo + "@host:5672/%2f", null));
    scenario(
        "nodes-disagree",
        () -> RabbitEventBus.builder(List.of(uri, wrong), TestMessages.serializer()));
    scenario(
        "split-and-connect-wrong",
        () ->
            RabbitEventBus.builder(
                    RabbitEventBus.splitUris(wrong + "," + wrong), TestMessages.serializer())
                .build());
    System.out.println("DONE");
    System.out.flush();
    System.exit(0);
  }

  private static String working(String uri, String prefix) throws InterruptedException {
    try (RabbitEventBus events =
            RabbitEventBus.builder(uri, TestMessages.serializer())
                .prefix(prefix)
                .connectionName(prefix + "-events")
                .retryDelays(Duration.ofMillis(50))
                .build();
        RabbitCommandBus commands =
            RabbitCommandBus.builder(uri, TestMessages.serializer())
                .prefix(prefix)
                .connectionName(prefix + "-commands")
                .retryDelays(Duration.ofMillis(50))
                .build()) {
      AtomicInteger attempts = new AtomicInteger();
      CountDownLatch handled = new CountDownLatch(1);
      events.subscribe(
          "failing",
          1,
          event -> {
            if (attempts.incrementAndGet() <= 2) {
              throw new IllegalStateException("fails twice, then is dead-lettered");
            }
            handled.countDown();
          });
      CountDownLatch command = new CountDownLatch(1);
      commands.subscribe("service", Set.of("AddItem"), 1, c -> command.countDown());
      events.publish(List.of(TestMessages.event("secret-test", 1)));
      commands.publish(List.of(TestMessages.addItem("x")));
      awaitDeadLetter(events);
      events.replayDeadLetters("failing", 10);
      System.out.println("replayed handled: " + handled.await(30, TimeUnit.SECONDS));
      System.out.println("command handled: " + command.await(30, TimeUnit.SECONDS));
      System.out.println("event health: " + events.health());
      System.out.println("command health: " + commands.health());
      try {
        commands.publish(List.of(TestMessages.removeItem("nobody handles it")));
      } catch (RuntimeException e) {
        e.printStackTrace(System.out);
      }
      try {
        RabbitEventBus.builder(uri, TestMessages.serializer())
            .prefix(prefix + "-missing")
            .declareTopology(false)
            .build();
      } catch (NonTransientCqrsException e) {
        e.printStackTrace(System.out);
      }
      System.out.println("WORKED");
    }
    return "closed";
  }

  private static void awaitDeadLetter(RabbitEventBus events) {
    Await.until(
        Duration.ofSeconds(30),
        () -> "no dead letter",
        () -> events.deadLetterCount("failing") > 0);
  }

  @FunctionalInterface
  private interface Scenario {
    Object run() throws Exception;
  }

  private static void scenario(String name, Scenario scenario) {
    System.out.println("SCENARIO " + name);
    try {
      Object result = scenario.run();
      if (result instanceof AutoCloseable closeable) {
        closeable.close();
      }
      System.out.println("RESULT " + name + " ok");
    } catch (Throwable e) {
      System.out.println("RESULT " + name + " " + e);
      e.printStackTrace(System.out);
    }
  }
}
