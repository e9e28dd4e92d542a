package io.cqrs.rabbitmq;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free ports for {@link RabbitCluster}'s nodes, picked at random below the kernel's ephemeral ports
 * (32768-60999) rather than with {@code new ServerSocket(0)}: an ephemeral port can be taken while
 * a killed node is down, by any outgoing connection as its source port or by a client reconnecting
 * to that very port (TCP simultaneous open), and the restart would then fail with "Address already
 * in use", as {@link TcpProxy}'s restart once did in CI. {@link TcpProxy} takes 10000-19999; these
 * come from 20000-31999.
 */
final class RabbitClusterPorts {
  private static final int PORT_MIN = 20_000;
  private static final int PORT_MAX = 32_000;

  /**
   * Every port this JVM has handed out: a port is given once, since a caller may hold it unbound
   * for a while (a TLS listener's port, picked before the node's own) and a later pick would find
   * it free.
   */
  private static final Set<Integer> GIVEN = new HashSet<>();

  private RabbitClusterPorts() {}

  /**
   * For each node, three free ports: AMQP, distribution, and the first of ten for the CLI tools.
   * All are held open while they are picked, so that none is given twice.
   */
  static synchronized List<int[]> pick(int size) {
    List<ServerSocket> held = new ArrayList<>();
    List<int[]> ports = new ArrayList<>();
    try {
      for (int i = 0; i < size; i++) {
        ports.add(new int[] {bindFree(held, 1), bindFree(held, 1), bindFree(held, 10)});
      }
      return ports;
    } finally {
      held.forEach(RabbitClusterPorts::closeQuietly);
    }
  }

  /** Binds {@code count} consecutive free ports, keeps them in {@code held}, returns the first. */
  private static int bindFree(List<ServerSocket> held, int count) {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int first = ThreadLocalRandom.current().nextInt(PORT_MIN, PORT_MAX - count);
      List<ServerSocket> range = new ArrayList<>();
      try {
        for (int port = first; port < first + count; port++) {
          if (GIVEN.contains(port)) {
            throw new IOException("Given before: " + port);
          }
          ServerSocket socket = new ServerSocket();
          range.add(socket);
          socket.setReuseAddress(false);
          socket.bind(new InetSocketAddress(port)); // the wildcard, so any listener conflicts
        }
        held.addAll(range);
        for (int port = first; port < first + count; port++) {
          GIVEN.add(port);
        }
        return first;
      } catch (IOException taken) {
        range.forEach(RabbitClusterPorts::closeQuietly);
      }
    }
    throw new IllegalStateException("No " + count + " free ports in " + PORT_MIN + "-" + PORT_MAX);
  }

  private static void closeQuietly(ServerSocket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Nothing to do.
    }
  }
}
