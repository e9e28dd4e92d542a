package io.cqrs.example.bank.spring;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.springframework.http.HttpStatus;

/**
 * Tomcat's own error answers (a path with {@code %2F} or {@code %00}, a header over 8 KiB, a
 * malformed request line, an unsupported transfer coding), which no servlet sees, as {@code
 * application/problem+json} like every other error of the service, instead of Tomcat's HTML page.
 * The body holds the status and its reason phrase only: nothing of the request, nothing of the
 * server.
 */
public final class ProblemReportValve extends ErrorReportValve {
  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int status = response.getStatus();
    // As Tomcat's own report: nothing below 400, nothing once a body was written or the error was
    // reported, nothing when the connection can no longer carry it.
    if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
      return;
    }
    AtomicBoolean ioAllowed = new AtomicBoolean(false);
    response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
    if (!ioAllowed.get()) {
      return;
    }
    try {
      response.setContentType("application/problem+json");
      response.setCharacterEncoding("UTF-8");
      Writer writer = response.getReporter();
      if (writer != null) {
        writer.write(body(status, null));
        response.finishResponse();
      }
    } catch (IOException | IllegalStateException e) {
      // The client went away, or the response cannot take a body: nothing more to say.
    }
  }

  /**
   * A problem's JSON, written by hand where no message converter runs (this valve, {@link
   * RequestGate}): the status, its reason phrase as the title, and {@code detail} if not null. The
   * detail must be the service's own text (it is not escaped), never the client's.
   */
  static String body(int status, String detail) {
    HttpStatus known = HttpStatus.resolve(status);
    String title = known == null ? "Error" : known.getReasonPhrase();
    return "{\"type\":\"about:blank\",\"title\":\""
        + title
        + "\",\"status\":"
        + status
        + (detail == null ? "" : ",\"detail\":\"" + detail + "\"")
        + "}";
  }
}
