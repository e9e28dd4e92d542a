package io.cqrs.rabbitmq;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM's main for {@code TlsBrokerIT}: builds an event bus from the {@code amqps://} URI in
 * the environment variable {@value #URI_VARIABLE} (so that the password is not on the command
 * line), with nothing but the JVM's own trust settings ({@code javax.net.ssl.trustStore}, given
 * through {@code JAVA_TOOL_OPTIONS}), sends one event through a subscription and prints {@code
 * CONNECTED}, or {@code REFUSED} and the failure's chain of causes; then {@code DONE}.
 */
public final class TlsProbe {
  /** Where the URI comes from. */
  public static final String URI_VARIABLE = "TLS_PROBE_URI";

  private TlsProbe() {}

  /** Runs the probe; exits 0 whatever happened (the output says it). */
  public static void main(String[] args) throws InterruptedException {
    try (RabbitEventBus bus =
        RabbitEventBus.builder(System.getenv(URI_VARIABLE), TestMessages.serializer())
            .prefix("tls-probe")
            .connectionName("tls-probe")
            .publishTimeout(Duration.ofSeconds(20))
            .build()) {
      CountDownLatch delivered = new CountDownLatch(1);
      bus.subscribe("probe", 1, event -> delivered.countDown());
      bus.publish(List.of(TestMessages.event("tls", 1)));
      System.out.println(delivered.await(20, TimeUnit.SECONDS) ? "CONNECTED" : "NOT-DELIVERED");
    } catch (RuntimeException e) {
      StringBuilder chain = new StringBuilder("REFUSED");
      for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
        chain.append(" | ").append(t);
      }
      System.out.println(chain);
    }
    System.out.println("DONE");
    System.out.flush();
    System.exit(0);
  }
}
