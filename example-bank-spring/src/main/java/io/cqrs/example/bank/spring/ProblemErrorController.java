package io.cqrs.example.bank.spring;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The servlet container's error page ({@code /error}, reached by an error dispatch: a method Tomcat
 * refuses itself, such as {@code TRACE}, or a {@code sendError} no handler answered) as {@code
 * application/problem+json} with the status and its reason phrase, like every other error of the
 * service, instead of Spring Boot's {@code {"timestamp", "status", "error", "path"}}. A client's
 * own request for {@code /error} never gets here ({@link RequestGate} answers it 404).
 */
@RestController
class ProblemErrorController implements ErrorController {
  @RequestMapping("/error")
  ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
    Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    HttpStatus status =
        code instanceof Integer number && HttpStatus.resolve(number) != null
            ? HttpStatus.resolve(number)
            : HttpStatus.INTERNAL_SERVER_ERROR;
    if (!status.isError()) {
      status = HttpStatus.INTERNAL_SERVER_ERROR;
    }
    ProblemDetail problem = ProblemDetail.forStatus(status);
    // The path the client asked for, as it sent it (percent-encoded), not the error page's.
    if (request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String uri) {
      try {
        problem.setInstance(URI.create(uri));
      } catch (IllegalArgumentException e) {
        // Not a URI reference: the problem goes without an instance.
      }
    }
    return ResponseEntity.status(status)
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(problem);
  }
}
