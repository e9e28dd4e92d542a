package io.cqrs.example.bank.spring;

import io.cqrs.example.bank.request.Utf8;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * What every request passes before Tomcat or Spring parse anything of it, each refusal a {@code
 * application/problem+json}:
 *
 * <ul>
 *   <li>a query string that is not well-formed percent-encoded UTF-8: 400 (Tomcat's parser would
 *       fail on it later, and log the client's decoded bytes, line breaks included, at ERROR);
 *   <li>a body over {@value #MAX_BODY} bytes (example-bank's limit): 413, at once when its {@code
 *       Content-Length} says so, else (a chunked body) once that many bytes have been read;
 *   <li>a body that is not JSON ({@code application/json} or {@code application/*+json}, in UTF-8):
 *       415, so that no form or multipart parser ever reads one;
 *   <li>a JSON body that is not well-formed UTF-8: 400 ({@link Utf8}: Jackson alone reads the
 *       overlong {@code C0 B1} as {@code 1});
 *   <li>a request for Spring's error page itself ({@code /error}, which only Tomcat's error
 *       dispatch should reach): 404;
 *   <li>a body sent without a {@code Content-Length} (chunked): 411. A chunked body's framing is
 *       read by Tomcat inside a single read, across as many packets as a client cares to send, so
 *       no deadline between reads could bound it;
 *   <li>a body not complete within the body timeout of this filter starting to read it: 408, and a
 *       body whose client stopped sending for Tomcat's connection timeout (each read's limit) or
 *       went away: 408 or 400 (Tomcat, whose read failed, answers those itself through the error
 *       page, without this filter's detail);
 *   <li>a body while as many requests as the body-reader limit are reading theirs: 503 with {@code
 *       Retry-After}, at once. A body takes a request thread while it arrives, and a client may
 *       send it a byte at a time: without the limit, a few hundred slow clients held every thread
 *       of Tomcat's pool, and the health endpoint went unanswered until they stopped.
 * </ul>
 *
 * A body within the limit is read here, so what reads it after never reads more. Every refusal
 * closes the connection without reading what is left of the body ({@link UnreadBodyValve}): Tomcat
 * would otherwise read it on the request thread, at the client's pace, before closing.
 */
final class RequestGate extends OncePerRequestFilter {
  /** The largest request body taken, in bytes. */
  static final int MAX_BODY = 64 * 1024;

  private final Semaphore readers;
  private final AtomicInteger reading = new AtomicInteger();
  private final long bodyTimeoutNanos;
  private final LongSupplier nanoTime;

  /**
   * @param bodyReaders how many requests may be reading their bodies at once
   * @param bodyTimeout how long a body may take to arrive, from the first read of it
   * @param nanoTime the monotonic time the body timeout is measured with, in nanoseconds ({@link
   *     System#nanoTime} but in tests)
   */
  RequestGate(int bodyReaders, Duration bodyTimeout, LongSupplier nanoTime) {
    if (bodyReaders < 1) {
      throw new IllegalArgumentException("bodyReaders must be at least 1, was " + bodyReaders);
    }
    if (bodyTimeout.isNegative() || bodyTimeout.isZero()) {
      throw new IllegalArgumentException("bodyTimeout must be positive, was " + bodyTimeout);
    }
    this.readers = new Semaphore(bodyReaders);
    this.bodyTimeoutNanos = bodyTimeout.toNanos();
    this.nanoTime = nanoTime;
  }

  /** How many requests are reading their bodies now, their deadlines set; for tests. */
  int bodiesBeingRead() {
    return reading.get();
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if ("/error".equals(request.getServletPath())) {
      problem(request, response, 404, "No endpoint " + request.getMethod() + " /error");
      return;
    }
    String query = request.getQueryString();
    if (query != null && !wellFormedQuery(query)) {
      problem(
          request,
          response,
          400,
          "The query string must be percent-encoded UTF-8 (a '%' followed by two hex digits)");
      return;
    }
    long length = request.getContentLengthLong();
    if (request.getHeader("Transfer-Encoding") != null) {
      problem(request, response, 411, "Send the request body with a Content-Length");
      return;
    }
    if (length > MAX_BODY) {
      tooLarge(request, response);
      return;
    }
    if (length <= 0) {
      chain.doFilter(request, response);
      return;
    }
    if (!isUtf8Json(request.getContentType())) {
      unsupported(request, response);
      return;
    }
    if (!readers.tryAcquire()) {
      response.setHeader("Retry-After", "1");
      problem(request, response, 503, "Too many requests are sending their bodies; please retry");
      return;
    }
    byte[] body;
    try {
      body = readBody(request, length, response);
    } finally {
      readers.release();
    }
    if (body == null) {
      return; // answered
    }
    int malformed = Utf8.firstMalformedByte(body);
    if (malformed >= 0) {
      problem(
          request,
          response,
          400,
          "The request body is not well-formed UTF-8 (at byte " + malformed + ")");
      return;
    }
    chain.doFilter(new Buffered(request, body), response);
  }

  /**
   * The body, at most its {@code length} (its Content-Length, at most {@link #MAX_BODY}); or null,
   * the request answered, if it did not arrive within the body timeout, or the client stopped
   * sending or went away.
   */
  private byte[] readBody(HttpServletRequest request, long length, HttpServletResponse response)
      throws IOException {
    long deadline = nanoTime.getAsLong() + bodyTimeoutNanos;
    reading.incrementAndGet();
    try {
      return readBody(request, length, response, deadline);
    } finally {
      reading.decrementAndGet();
    }
  }

  private byte[] readBody(
      HttpServletRequest request, long length, HttpServletResponse response, long deadline)
      throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream((int) length);
    byte[] chunk = new byte[8192];
    try (InputStream in = request.getInputStream()) {
      while (body.size() < length) {
        if (nanoTime.getAsLong() - deadline >= 0) {
          problem(
              request, response, 408, "The request body did not arrive within the time allowed");
          return null;
        }
        int read = in.read(chunk, 0, (int) Math.min(chunk.length, length - body.size()));
        if (read < 0) {
          break;
        }
        body.write(chunk, 0, read);
      }
    } catch (IOException e) {
      // Tomcat's read timeout (the connection timeout, per read) or a client gone mid-body.
      if (timedOut(e)) {
        problem(request, response, 408, "The client stopped sending the request body");
      } else {
        problem(request, response, 400, "The request body could not be read");
      }
      return null;
    }
    return body.toByteArray();
  }

  private static boolean timedOut(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code application/json} or {@code application/*+json}, with no charset, UTF-8, or US-ASCII (a
   * subset of UTF-8).
   */
  static boolean isUtf8Json(String contentType) {
    if (contentType == null) {
      return false;
    }
    MediaType type;
    try {
      type = MediaType.parseMediaType(contentType);
    } catch (InvalidMediaTypeException e) {
      return false;
    }
    boolean json =
        type.getType().equalsIgnoreCase("application")
            && (type.getSubtype().equalsIgnoreCase("json")
                || type.getSubtype().toLowerCase(Locale.ROOT).endsWith("+json"));
    String charset = type.getParameter("charset");
    if (charset != null && charset.length() >= 2 && charset.startsWith("\"")) {
      charset = charset.substring(1, charset.length() - 1);
    }
    return json
        && (charset == null
            || charset.equalsIgnoreCase("utf-8")
            || charset.equalsIgnoreCase("us-ascii"));
  }

  /**
   * Whether every {@code %} of {@code query} is followed by two hex digits, and what the escapes
   * and the rest decode to is well-formed UTF-8.
   */
  static boolean wellFormedQuery(String query) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(query.length());
    for (int i = 0; i < query.length(); i++) {
      char c = query.charAt(i);
      if (c == '%') {
        if (i + 2 >= query.length()) {
          return false;
        }
        int high = Character.digit(query.charAt(i + 1), 16);
        int low = Character.digit(query.charAt(i + 2), 16);
        if (high < 0 || low < 0) {
          return false;
        }
        bytes.write(high << 4 | low);
        i += 2;
      } else if (c <= 0xFF) {
        bytes.write(c); // a raw byte of the request line, as Tomcat hands it on (ISO-8859-1)
      } else if (Character.isSurrogate(c)) {
        return false;
      } else {
        byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(encoded, 0, encoded.length);
      }
    }
    return Utf8.firstMalformedByte(bytes.toByteArray()) < 0;
  }

  private static void unsupported(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    problem(request, response, 415, "Send the body as application/json, in UTF-8");
  }

  private static void tooLarge(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    problem(request, response, 413, "The request body must be at most " + MAX_BODY + " bytes");
  }

  /**
   * Refuses the request with a problem whose detail is this class's own text, never the client's,
   * and closes its connection once answered, leaving what is left of its body unread ({@link
   * UnreadBodyValve}: every status here is 400 or more).
   */
  private static void problem(
      HttpServletRequest request, HttpServletResponse response, int status, String detail)
      throws IOException {
    response.setHeader("Connection", "close");
    response.setStatus(status);
    response.setContentType("application/problem+json");
    response
        .getOutputStream()
        .write(ProblemReportValve.body(status, detail).getBytes(StandardCharsets.UTF_8));
  }

  /** The request with its body already read. */
  private static final class Buffered extends HttpServletRequestWrapper {
    private final byte[] body;

    Buffered(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public int getContentLength() {
      return body.length;
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
          return in.read(b, off, len);
        }

        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new UnsupportedOperationException("The body is already read");
        }
      };
    }

    @Override
    public BufferedReader getReader() {
      return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
    }
  }
}
