package io.cqrs.example.bank.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deadlines for a client to send its request, whatever pace it keeps: Jetty's idle timeout is reset
 * by every byte, so on its own a client sending a byte just inside it may take days over one
 * request. Jetty 12 has no such deadline itself (its minimum data rate applies to bodies only, and
 * is checked only when the next byte comes).
 *
 * <ul>
 *   <li>A request's headers must be complete within the header timeout of its first byte; a new
 *       connection's first request, of the connection's opening. Jetty reads headers without a
 *       request thread, but each connection reading them holds one of the connection limit's
 *       places.
 *   <li>A request's body must be complete within the body timeout of the application starting to
 *       read it (after authentication): reading it holds a request thread.
 * </ul>
 *
 * <p>A connection past a deadline is closed, which fails a read blocked on it and so frees its
 * thread; it gets no answer. Jetty has no hook for a request's first byte, so one task on Jetty's
 * scheduler checks the open connections (their byte counts and the requests this handler saw) every
 * tick, a tenth of the shorter timeout and at most a second: a deadline holds to within a tick. The
 * handler must wrap every other, and {@link #connections()} must listen to the connector.
 */
final class RequestDeadlines extends Handler.Wrapper {
  private static final Logger log = LoggerFactory.getLogger(RequestDeadlines.class);
  private static final long NONE = Long.MIN_VALUE;

  private final long headerNanos;
  private final long bodyNanos;
  private final long tickMillis;
  private final Map<Connection, Exchange> exchanges = new ConcurrentHashMap<>();
  private final Connection.Listener connections =
      new Connection.Listener() {
        @Override
        public void onOpened(Connection connection) {
          exchanges.put(connection, new Exchange(connection, System.nanoTime()));
        }

        @Override
        public void onClosed(Connection connection) {
          exchanges.remove(connection);
        }
      };
  private Scheduler scheduler;
  private volatile Scheduler.Task tick;

  RequestDeadlines(Duration headerTimeout, Duration bodyTimeout) {
    this.headerNanos = headerTimeout.toNanos();
    this.bodyNanos = bodyTimeout.toNanos();
    long shorter = Math.min(headerTimeout.toMillis(), bodyTimeout.toMillis());
    this.tickMillis = Math.max(10, Math.min(1_000, shorter / 10));
  }

  /** What the connector must tell of its connections' opening and closing. */
  Connection.Listener connections() {
    return connections;
  }

  @Override
  protected void doStart() throws Exception {
    super.doStart();
    scheduler = getServer().getScheduler();
    schedule();
  }

  @Override
  protected void doStop() throws Exception {
    Scheduler.Task task = tick;
    if (task != null) {
      task.cancel();
    }
    super.doStop();
  }

  private void schedule() {
    if (isRunning()) {
      tick = scheduler.schedule(this::check, tickMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void check() {
    try {
      long now = System.nanoTime();
      for (Exchange exchange : exchanges.values()) {
        String late = exchange.late(now);
        if (late != null) {
          log.debug("Closing {}: {}", exchange.connection, late);
          exchange.connection.getEndPoint().close(new TimeoutException(late));
        }
      }
    } catch (RuntimeException e) {
      log.warn("Could not check the requests' deadlines", e);
    } finally {
      schedule();
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    Exchange exchange = exchanges.get(request.getConnectionMetaData().getConnection());
    if (exchange == null) {
      return super.handle(request, response, callback);
    }
    exchange.started();
    // Ended before Jetty hears of it, since it may then take the connection's next request at once.
    Callback ended =
        new Callback.Nested(callback) {
          @Override
          public void succeeded() {
            exchange.ended();
            super.succeeded();
          }

          @Override
          public void failed(Throwable failure) {
            exchange.ended();
            super.failed(failure);
          }
        };
    boolean handled;
    try {
      handled = super.handle(new BodyReading(request, exchange), response, ended);
    } catch (Exception | Error e) {
      exchange.ended();
      throw e;
    }
    if (!handled) {
      exchange.ended();
    }
    return handled;
  }

  /** The request, telling its exchange when the application starts and ends reading the body. */
  private static final class BodyReading extends Request.Wrapper {
    private final Exchange exchange;

    BodyReading(Request request, Exchange exchange) {
      super(request);
      this.exchange = exchange;
    }

    @Override
    public Content.Chunk read() {
      exchange.reading();
      Content.Chunk chunk = super.read();
      if (chunk != null && chunk.isLast()) {
        exchange.read();
      }
      return chunk;
    }

    @Override
    public void demand(Runnable demandCallback) {
      exchange.reading();
      super.demand(demandCallback);
    }
  }

  /** One connection (HTTP/1.1: one request at a time) and where its current request stands. */
  private final class Exchange {
    private final Connection connection;
    private boolean handling;
    private long bytesWhenIdle;
    private long headersSince;
    private long bodySince = NONE;
    private boolean bodyRead;

    Exchange(Connection connection, long openedAt) {
      this.connection = connection;
      this.headersSince = openedAt;
    }

    synchronized void started() {
      handling = true;
      bodySince = NONE;
      bodyRead = false;
    }

    synchronized void reading() {
      if (bodySince == NONE && !bodyRead) {
        bodySince = System.nanoTime();
      }
    }

    synchronized void read() {
      bodyRead = true;
    }

    synchronized void ended() {
      handling = false;
      bytesWhenIdle = connection.getBytesIn();
      headersSince = NONE;
    }

    /** Why the connection is past a deadline at {@code now}, or {@code null} if it is not. */
    synchronized String late(long now) {
      if (handling) {
        return bodySince != NONE && !bodyRead && now - bodySince > bodyNanos
            ? "request body not complete within " + bodyNanos / 1_000_000 + " ms"
            : null;
      }
      if (headersSince == NONE && connection.getBytesIn() > bytesWhenIdle) {
        headersSince = now;
      }
      return headersSince != NONE && now - headersSince > headerNanos
          ? "request headers not complete within " + headerNanos / 1_000_000 + " ms"
          : null;
    }
  }
}
