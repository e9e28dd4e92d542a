package io.cqrs.couchbase.mock;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.couchbase.mock.SubdocRequests.Request;
import io.cqrs.couchbase.mock.SubdocRequests.Spec;
import io.cqrs.testing.Await;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class InProcessCouchbaseMockIT {
  private static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(10);

  @Test
  void the_mock_accepts_kv_connections_with_tcp_nodelay_on() throws Exception {
    try (InProcessCouchbaseMock mock = InProcessCouchbaseMock.start("nodelay", "nodelay-pw");
        Socket first = new Socket(InetAddress.getLoopbackAddress(), mock.kvPort());
        Socket second = new Socket(InetAddress.getLoopbackAddress(), mock.kvPort())) {
      for (Socket client : new Socket[] {first, second}) {
        SocketChannel accepted = acceptedFor(mock, client.getLocalSocketAddress());

        assertThat(accepted.getOption(StandardSocketOptions.TCP_NODELAY))
            .as("TCP_NODELAY of the mock's end of %s", client)
            .isTrue();
      }
    }
  }

  @Test
  void mocks_started_one_after_another_in_one_jvm_are_all_patched() throws Exception {
    for (int i = 0; i < 2; i++) {
      try (InProcessCouchbaseMock mock = InProcessCouchbaseMock.start("again" + i, "again-pw");
          Socket client = new Socket(InetAddress.getLoopbackAddress(), mock.kvPort())) {
        SocketChannel accepted = acceptedFor(mock, client.getLocalSocketAddress());

        assertThat(accepted.getOption(StandardSocketOptions.TCP_NODELAY)).isTrue();
      }
    }
  }

  @Test
  void the_mock_answers_every_spec_of_a_multi_path_lookup_from_one_parse() throws Exception {
    try (InProcessCouchbaseMock mock = InProcessCouchbaseMock.start("memo", "memo-pw");
        KvClient client = new KvClient(mock.kvPort(), "memo", "memo-pw")) {
      client.send(Request.store("doc", "{\"a\":1,\"b\":[2]}"));
      long before = SubdocParseMemo.hits();

      byte[] response =
          client.send(
              Request.multi(
                  "doc",
                  Spec.lookup("GET", "a"),
                  Spec.lookup("GET_COUNT", "b"),
                  Spec.lookup("EXISTS", "c")));

      assertThat(KvClient.status(response)).as("one path of three missing").isEqualTo(0xcc);
      assertThat(SubdocParseMemo.hits() - before).isEqualTo(2);
    }
  }

  @Test
  void the_mock_answers_get_meta_as_couchbase_server_does() throws Exception {
    try (InProcessCouchbaseMock mock = InProcessCouchbaseMock.start("meta", "meta-pw");
        KvClient client = new KvClient(mock.kvPort(), "meta", "meta-pw")) {
      byte[] stored = client.send(Request.store("doc", "{\"a\":1}"));
      long cas = ByteBuffer.wrap(stored).getLong(16);

      byte[] missing = client.getMeta("no-such-doc", (byte) 2);
      byte[] version2 = client.getMeta("doc", (byte) 2);
      byte[] version1 = client.getMeta("doc");

      assertThat(KvClient.status(missing)).as("KEY_ENOENT").isEqualTo(0x01);
      for (byte[] response : List.of(version2, version1)) {
        ByteBuffer packet = ByteBuffer.wrap(response);
        assertThat(packet.get(0)).as("response magic").isEqualTo((byte) 0x81);
        assertThat(packet.get(1)).as("opcode").isEqualTo((byte) 0xa0);
        assertThat(KvClient.status(response)).isZero();
        assertThat(packet.getShort(2)).as("no key").isZero();
        assertThat(packet.getLong(16)).as("the document's CAS").isEqualTo(cas).isNotZero();
        assertThat(packet.getInt(24)).as("deleted flag").isZero();
        assertThat(packet.getInt(28)).as("flags of the SET").isZero();
        assertThat(packet.getInt(32)).as("expiry of the SET").isZero();
      }
      assertThat(version2[4])
          .as("extras: deleted, flags, expiry, seqno, datatype")
          .isEqualTo((byte) 21);
      assertThat(version2).hasSize(24 + 21);
      assertThat(version1[4]).as("extras: deleted, flags, expiry, seqno").isEqualTo((byte) 20);
      assertThat(version1).hasSize(24 + 20);
      assertThat(KvClient.document(client.get("doc")))
          .as("the document is untouched")
          .isEqualTo("{\"a\":1}");
    }
  }

  /**
   * The mock's end of the connection from {@code client}, once the mock has accepted it. The mock
   * offers no access to its sockets, so this reads the selector its KV thread registers them with.
   *
   * <p>No signature in this class names {@code MemcachedServer}: JUnit reads them all before the
   * first test, which would load the class before the patch could define it.
   */
  private static SocketChannel acceptedFor(InProcessCouchbaseMock mock, SocketAddress client)
      throws ReflectiveOperationException {
    Object server = mock.server();
    Field field = server.getClass().getDeclaredField("selector");
    field.setAccessible(true);
    Selector selector = (Selector) field.get(server);
    AtomicReference<SocketChannel> accepted = new AtomicReference<>();
    Await.until(
        ACCEPT_TIMEOUT,
        "the mock to accept " + client,
        () -> {
          selector.keys().stream()
              .map(SelectionKey::channel)
              .filter(SocketChannel.class::isInstance)
              .map(SocketChannel.class::cast)
              .filter(channel -> client.equals(remoteAddress(channel)))
              .findFirst()
              .ifPresent(accepted::set);
          return accepted.get() != null;
        });
    return accepted.get();
  }

  private static SocketAddress remoteAddress(SocketChannel channel) {
    try {
      return channel.getRemoteAddress();
    } catch (IOException e) {
      return null;
    }
  }
}
