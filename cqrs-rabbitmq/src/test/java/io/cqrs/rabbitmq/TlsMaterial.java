package io.cqrs.rabbitmq;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Certificates for a TLS listener, made with {@code openssl} in a directory of the test's: a CA, a
 * server certificate it signs for {@code DNS:localhost} only, an unrelated second CA, and PKCS12
 * trust stores holding one CA each.
 */
final class TlsMaterial {
  static final String TRUST_STORE_PASSWORD = "changeit";
  private static final Duration OPENSSL_TIMEOUT = Duration.ofSeconds(60);

  private final Path dir;

  private TlsMaterial(Path dir) {
    this.dir = dir;
  }

  /**
   * Generates everything in {@code dir}.
   *
   * @throws IllegalStateException if {@code openssl} fails or is missing
   */
  static TlsMaterial generate(Path dir) throws IOException, GeneralSecurityException {
    TlsMaterial material = new TlsMaterial(dir);
    material.ca("ca", "cqrs-test-ca");
    material.ca("other-ca", "cqrs-test-other-ca");
    Files.writeString(
        dir.resolve("server.ext"),
        "subjectAltName=DNS:localhost\n"
            + "basicConstraints=CA:FALSE\n"
            + "keyUsage=digitalSignature,keyEncipherment\n"
            + "extendedKeyUsage=serverAuth\n");
    material.openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost");
    material.openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext");
    material.trustStore("ca.pem", "ca.p12");
    material.trustStore("other-ca.pem", "other-ca.p12");
    return material;
  }

  /** Whether {@code openssl} can be run here. */
  static String unavailableReason() {
    for (String directory : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
      if (Files.isExecutable(Path.of(directory, "openssl"))) {
        return null;
      }
    }
    return "openssl is not installed (it makes the test's CA and server certificate)";
  }

  Path caCertificate() {
    return dir.resolve("ca.pem");
  }

  Path serverCertificate() {
    return dir.resolve("server.pem");
  }

  Path serverKey() {
    return dir.resolve("server.key");
  }

  /** A trust store holding the CA that signed the server's certificate. */
  Path trustStore() {
    return dir.resolve("ca.p12");
  }

  /** A trust store holding only an unrelated CA. */
  Path otherTrustStore() {
    return dir.resolve("other-ca.p12");
  }

  private void ca(String name, String commonName) {
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        name + ".key",
        "-out",
        name + ".pem",
        "-days",
        "2",
        "-subj",
        "/CN=" + commonName,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign");
  }

  private void trustStore(String certificate, String store)
      throws IOException, GeneralSecurityException {
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    keyStore.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve(certificate))) {
      keyStore.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    try (OutputStream out = Files.newOutputStream(dir.resolve(store))) {
      keyStore.store(out, TRUST_STORE_PASSWORD.toCharArray());
    }
  }

  private void openssl(String... arguments) {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(arguments));
    ExternalCommand.run(command, Map.of(), dir, OPENSSL_TIMEOUT, () -> "");
  }

  /** The {@code rabbitmq.conf} lines of a TLS listener on {@code port} with these files. */
  String listenerConfig(int port) {
    return "listeners.ssl.default = 127.0.0.1:"
        + port
        + "\nssl_options.cacertfile = "
        + caCertificate()
        + "\nssl_options.certfile = "
        + serverCertificate()
        + "\nssl_options.keyfile = "
        + serverKey()
        + "\nssl_options.verify = verify_none\nssl_options.fail_if_no_peer_cert = false\n";
  }
}
