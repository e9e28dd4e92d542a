package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.ConnectionFactory;
import io.cqrs.testing.ChildJvm;
import io.cqrs.testing.ServerMissingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS by URI against a private RabbitMQ node with a TLS listener (the shared broker on 5672 is left
 * alone): a CA and a server certificate for {@code localhost} are made for the test; an {@code
 * amqps://} URI connects when the JVM's trust store ({@code javax.net.ssl.trustStore}) holds that
 * CA, and is refused with another CA, with the JVM's default CAs, or with a host name the
 * certificate does not name. Each connection attempt runs in a child JVM, since the JVM's default
 * trust store is fixed once per JVM.
 */
class TlsBrokerIT {
  private static final Duration CHILD_TIMEOUT = Duration.ofSeconds(90);

  private static Path dir;
  private static TlsMaterial tls;
  private static RabbitCluster node;
  private static int tlsPort;

  @BeforeAll
  static void startNodeWithTls() throws IOException, GeneralSecurityException {
    String noOpenssl = TlsMaterial.unavailableReason();
    if (noOpenssl != null) {
      ServerMissingException.skipOrFail(
          "RabbitMQ with TLS", noOpenssl, "install openssl (Debian's openssl package)");
    }
    dir = Files.createTempDirectory("cqrs-tls-");
    tls = TlsMaterial.generate(dir);
    tlsPort = RabbitClusterPorts.pick(1).get(0)[0];
    node = RabbitCluster.start(1, tls.listenerConfig(tlsPort));
  }

  @AfterAll
  static void stopNode() throws IOException {
    if (node != null) {
      node.close();
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  @Test
  void an_amqps_uri_connects_when_the_jvm_trust_store_holds_the_servers_ca() throws Exception {
    List<String> output = probe(uri("localhost"), tls.trustStore());

    assertThat(output).contains("CONNECTED");
  }

  @Test
  void a_server_certificate_signed_by_another_ca_is_refused() throws Exception {
    List<String> output = probe(uri("localhost"), tls.otherTrustStore());

    assertThat(refusal(output))
        .contains("BrokerUnavailableException")
        .contains("SSLHandshakeException")
        .contains("PKIX path building failed");
  }

  @Test
  void the_jvms_default_cas_do_not_trust_a_private_ca_so_an_amqps_uri_never_trusts_all()
      throws Exception {
    List<String> output = probe(uri("localhost"), null);

    assertThat(refusal(output)).contains("SSLHandshakeException").contains("PKIX");
  }

  @Test
  void a_host_name_that_the_certificate_does_not_name_is_refused() throws Exception {
    // The certificate names DNS:localhost only; 127.0.0.1 reaches the same listener.
    List<String> output = probe(uri("127.0.0.1"), tls.trustStore());

    assertThat(refusal(output))
        .contains("SSLHandshakeException")
        .contains("No subject alternative names matching IP address 127.0.0.1");
  }

  @Test
  void a_callers_connection_factory_brings_its_own_trust_material_and_host_name_check()
      throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(tls.trustStore())) {
      trusted.load(in, TlsMaterial.TRUST_STORE_PASSWORD.toCharArray());
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(null, trust.getTrustManagers(), null);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("localhost");
    factory.setPort(tlsPort);
    factory.useSslProtocol(context);
    factory.enableHostnameVerification();

    try (RabbitEventBus bus =
        RabbitEventBus.builder(factory, TestMessages.serializer())
            .prefix("tls-factory")
            .connectionName("tls-factory")
            .build()) {
      CountDownLatch delivered = new CountDownLatch(1);
      bus.subscribe("probe", 1, event -> delivered.countDown());
      bus.publish(List.of(TestMessages.event("tls", 1)));
      assertThat(delivered.await(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static String uri(String host) {
    return "amqps://guest:guest@" + host + ":" + tlsPort + "/%2f";
  }

  /** Runs {@link TlsProbe} with {@code trustStore} as the JVM's, or the JVM's default one. */
  private static List<String> probe(String uri, Path trustStore) throws IOException {
    Map<String, String> environment = new HashMap<>();
    environment.put(TlsProbe.URI_VARIABLE, uri);
    environment.put(
        "JAVA_TOOL_OPTIONS",
        trustStore == null
            ? ""
            : "-Djavax.net.ssl.trustStore="
                + trustStore
                + " -Djavax.net.ssl.trustStorePassword="
                + TlsMaterial.TRUST_STORE_PASSWORD
                + " -Djavax.net.ssl.trustStoreType=PKCS12");
    try (ChildJvm child = ChildJvm.start(TlsProbe.class, environment)) {
      child.awaitLine("DONE", CHILD_TIMEOUT);
      return child.output();
    }
  }

  private static String refusal(List<String> output) {
    return output.stream()
        .filter(line -> line.startsWith("REFUSED"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("Not refused: " + output));
  }
}
