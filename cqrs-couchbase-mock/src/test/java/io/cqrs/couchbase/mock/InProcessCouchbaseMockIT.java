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
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
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
