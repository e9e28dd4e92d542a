package io.cqrs.example.bank.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.testing.OwnThread;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/**
 * {@link RequestGate} against slow and broken bodies, on a monotonic time the test moves: each
 * refusal is a problem that closes the connection and marks the request for {@link
 * UnreadBodyValve}, and no refused body reaches the chain.
 */
class RequestGateTest {
  private static final byte[] BODY = "{\"amount\":1}".getBytes(StandardCharsets.UTF_8);

  private final AtomicLong nanos = new AtomicLong();

  /** Reads one byte at a time, each read running {@code beforeRead} first. */
  private static HttpServletRequest slowBody(byte[] body, IoStep beforeRead) {
    MockHttpServletRequest request = post(body.length);
    return new HttpServletRequestWrapper(request) {
      @Override
      public ServletInputStream getInputStream() {
        return new ServletInputStream() {
          private int next;

          @Override
          public int read() throws IOException {
            beforeRead.run();
            return next < body.length ? body[next++] & 0xff : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int c = read();
            if (c < 0) {
              return -1;
            }
            b[off] = (byte) c;
            return 1;
          }

          @Override
          public boolean isFinished() {
            return next >= body.length;
          }

          @Override
          public boolean isReady() {
            return true;
          }

          @Override
          public void setReadListener(ReadListener listener) {
            throw new UnsupportedOperationException();
          }
        };
      }
    };
  }

  interface IoStep {
    void run() throws IOException;
  }

  private static MockHttpServletRequest post(int length) {
    MockHttpServletRequest request = new MockHttpServletRequest("POST", "/accounts/a/credits");
    request.setContentType("application/json");
    request.addHeader("Content-Length", length);
    request.setContent(new byte[length]); // replaced by slowBody's stream where wrapped
    return request;
  }

  private RequestGate gate(int readers) {
    return new RequestGate(readers, Duration.ofSeconds(10), nanos::get);
  }

  private static void assertRefused(
      MockHttpServletResponse response, MockFilterChain chain, int status) throws Exception {
    assertThat(response.getStatus()).isEqualTo(status);
    assertThat(response.getContentType()).isEqualTo("application/problem+json");
    assertThat(response.getHeader("Connection")).isEqualTo("close");
    assertThat(chain.getRequest()).as("the chain never ran").isNull();
  }

  @Test
  void a_body_still_arriving_at_its_deadline_is_refused_408() throws Exception {
    HttpServletRequest request =
        slowBody(BODY, () -> nanos.addAndGet(Duration.ofSeconds(3).toNanos()));
    MockHttpServletResponse response = new MockHttpServletResponse();
    MockFilterChain chain = new MockFilterChain();

    gate(4).doFilter(request, response, chain);

    assertRefused(response, chain, 408);
    assertThat(response.getContentAsString()).contains("did not arrive within the time allowed");
  }

  @Test
  void a_body_within_its_deadline_passes_whole() throws Exception {
    HttpServletRequest request =
        slowBody(BODY, () -> nanos.addAndGet(Duration.ofMillis(100).toNanos()));
    MockHttpServletResponse response = new MockHttpServletResponse();
    MockFilterChain chain = new MockFilterChain();

    gate(4).doFilter(request, response, chain);

    assertThat(chain.getRequest()).isNotNull();
    assertThat(chain.getRequest().getInputStream().readAllBytes()).isEqualTo(BODY);
  }

  @Test
  void a_client_that_stops_sending_is_refused_408_and_one_gone_400() throws Exception {
    HttpServletRequest stopped =
        slowBody(
            BODY,
            () -> {
              throw new IOException("wrapped", new SocketTimeoutException("Read timed out"));
            });
    MockHttpServletResponse timedOut = new MockHttpServletResponse();
    MockFilterChain first = new MockFilterChain();
    gate(4).doFilter(stopped, timedOut, first);

    HttpServletRequest gone =
        slowBody(
            BODY,
            () -> {
              throw new IOException("Connection reset");
            });
    MockHttpServletResponse reset = new MockHttpServletResponse();
    MockFilterChain second = new MockFilterChain();
    gate(4).doFilter(gone, reset, second);

    assertRefused(timedOut, first, 408);
    assertThat(timedOut.getContentAsString()).contains("stopped sending");
    assertRefused(reset, second, 400);
  }

  @Test
  void a_chunked_body_is_refused_411_unread() throws Exception {
    MockHttpServletRequest request = new MockHttpServletRequest("POST", "/accounts");
    request.setContentType("application/json");
    request.addHeader("Transfer-Encoding", "chunked");
    request.setContent(BODY);
    MockHttpServletResponse response = new MockHttpServletResponse();
    MockFilterChain chain = new MockFilterChain();

    gate(4).doFilter(request, response, chain);

    assertRefused(response, chain, 411);
    assertThat(request.getInputStream().readAllBytes()).as("left unread").isEqualTo(BODY);
  }

  @Test
  void bodies_beyond_the_readers_are_refused_503_at_once() throws Exception {
    RequestGate gate = gate(1);
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HttpServletRequest slow =
        slowBody(
            BODY,
            () -> {
              reading.countDown();
              try {
                release.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    MockFilterChain slowChain = new MockFilterChain();
    CompletableFuture<Void> held =
        OwnThread.runAsync(
            () -> {
              try {
                gate.doFilter(slow, new MockHttpServletResponse(), slowChain);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(reading.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(gate.bodiesBeingRead()).isEqualTo(1);

    MockHttpServletRequest refused = post(BODY.length);
    MockHttpServletResponse busy = new MockHttpServletResponse();
    MockFilterChain chain = new MockFilterChain();
    gate.doFilter(refused, busy, chain);

    assertRefused(busy, chain, 503);
    assertThat(busy.getHeader("Retry-After")).isEqualTo("1");
    release.countDown();
    held.get(30, TimeUnit.SECONDS);
    assertThat(gate.bodiesBeingRead()).isZero();
    assertThat(slowChain.getRequest()).as("the held body went through").isNotNull();
    MockHttpServletRequest next = post(BODY.length);
    next.setContent(BODY);
    MockFilterChain nextChain = new MockFilterChain();
    gate.doFilter(next, new MockHttpServletResponse(), nextChain);
    assertThat(nextChain.getRequest()).as("the reader's place is free again").isNotNull();
  }
}
