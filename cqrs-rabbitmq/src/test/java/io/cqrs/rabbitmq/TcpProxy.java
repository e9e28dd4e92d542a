package io.cqrs.rabbitmq;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder between the buses and the broker, so that a test can make the broker "go away"
 * for its own connections only: {@link #stop()} drops every connection and refuses new ones until
 * {@link #start()} listens again on the same port. {@link #holdNext} makes it take connections but
 * pass nothing on, as a broker too busy to take them on would.
 */
final class TcpProxy implements AutoCloseable {
  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger toHold = new AtomicInteger();
  private final AtomicInteger held = new AtomicInteger();
  private volatile ServerSocket server;
  private Thread acceptor;

  private TcpProxy(String targetHost, int targetPort, int port) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.port = port;
  }

  /**
   * A started proxy on a free local port below the ephemeral range (10000-19999). A port from the
   * ephemeral range, as {@code new ServerSocket(0)} gives, can be taken while the proxy is stopped:
   * by any outgoing connection as its source port, or by the client's own reconnection attempt
   * connecting to itself (TCP simultaneous open); {@link #start()} then fails with "Address already
   * in use", as it once did in CI.
   */
  static TcpProxy to(String targetHost, int targetPort) throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = 10_000 + ThreadLocalRandom.current().nextInt(10_000);
      TcpProxy proxy = new TcpProxy(targetHost, targetPort, port);
      try {
        proxy.start();
        return proxy;
      } catch (BindException taken) {
        // Try another.
      }
    }
    throw new IOException("no free port for the proxy in 10000-19999");
  }

  int port() {
    return port;
  }

  /**
   * The next {@code count} connections are accepted but neither forwarded nor answered, until the
   * client gives up or the proxy stops: to the client the broker took the TCP connection and never
   * answered the AMQP handshake.
   */
  void holdNext(int count) {
    toHold.set(count);
  }

  /** How many connections were held unanswered so far. */
  int held() {
    return held.get();
  }

  /** Listens (again) and forwards every accepted connection to the target. */
  synchronized void start() throws IOException {
    ServerSocket listening = new ServerSocket();
    try {
      listening.setReuseAddress(true);
      listening.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    } catch (IOException e) {
      listening.close();
      throw e;
    }
    server = listening;
    acceptor = new Thread(() -> accept(listening), "tcp-proxy-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Stops listening and drops every forwarded connection at once. Returns only once the accepting
   * thread has left {@code accept()}: closing a server socket does not end a blocked accept at
   * once, and until it ends the kernel keeps the socket listening, so an immediate {@link #start()}
   * would fail with "Address already in use" (it did, about once in 15 stop/start pairs, and once
   * in CI). Connections accepted in that window are dropped too.
   */
  synchronized void stop() throws IOException {
    if (server != null) {
      server.close();
      server = null;
      try {
        acceptor.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while the proxy stopped listening", e);
      }
      if (acceptor.isAlive()) {
        throw new IOException("the proxy's accepting thread did not stop within 10 s");
      }
      acceptor = null;
    }
    for (Socket socket : sockets) {
      socket.close();
    }
    sockets.clear();
  }

  private void accept(ServerSocket listening) {
    while (!listening.isClosed()) {
      try {
        Socket client = listening.accept();
        if (toHold.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
          sockets.add(client);
          held.incrementAndGet();
          continue;
        }
        Socket broker = new Socket(targetHost, targetPort);
        sockets.add(client);
        sockets.add(broker);
        pump(client, broker);
        pump(broker, client);
      } catch (IOException e) {
        // Closed by stop(), or the target refused: either way nothing is forwarded.
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[64 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                  out.write(buffer, 0, read);
                  out.flush();
                }
              } catch (IOException e) {
                // A dropped connection ends the pump.
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "tcp-proxy-pump-" + port);
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Already closed.
    }
  }

  @Override
  public void close() throws IOException {
    stop();
  }
}
