package io.cqrs.example.bank.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The answers Jetty gives itself, as problems like every other error of the API: a request Jetty
 * refuses before Javalin sees it (a header block over its limit: 431; a control character in a
 * header value or a path that is not UTF-8, such as the overlong {@code %C0%AF}: 400) would
 * otherwise get Jetty's HTML page. Installed as the server's error handler. The detail is fixed per
 * status: Jetty's reason may quote the request, which a problem never echoes unchecked.
 */
final class JettyProblems extends ErrorHandler {

  /** Every method gets a body, not only Jetty's GET, POST and HEAD (HEAD's is dropped anyway). */
  @Override
  public boolean errorPageForMethod(String method) {
    return true;
  }

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int code,
      String message,
      Throwable cause,
      Callback callback) {
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problem.CONTENT_TYPE);
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(problem(code)), callback);
  }

  /** The body of an error Jetty writes without a request to hand to a handler. */
  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, Problem.CONTENT_TYPE);
    fields.put("X-Content-Type-Options", "nosniff");
    return ByteBuffer.wrap(problem(status));
  }

  private static byte[] problem(int status) {
    String detail =
        switch (status) {
          case HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431 ->
              "The request's headers are too large";
          case HttpStatus.BAD_REQUEST_400 ->
              "The request is malformed: its request line, a header, or the path's encoding";
          default -> "The request could not be handled: " + HttpStatus.getMessage(status);
        };
    return ApiJson.problemBytes(Problem.of(status, ErrorMapping.code(status), detail, null, null));
  }
}
