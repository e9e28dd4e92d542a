package io.cqrs.example.bank.spring;

import io.cqrs.example.bank.request.FieldRules;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Refused requests as {@code 400 application/problem+json} whose detail names the field at fault
 * (and whose {@code field} property is its name): an {@link InvalidRequestException}, and a body
 * the JSON mapper could not read (malformed JSON, an unknown or duplicate field, a value of the
 * wrong type). Nothing of the request has been done when either is answered.
 */
@RestControllerAdvice
class BankProblems extends ResponseEntityExceptionHandler {
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

  @ExceptionHandler(InvalidRequestException.class)
  ResponseEntity<ProblemDetail> invalid(InvalidRequestException e) {
    return badRequest(e.field(), e.getMessage());
  }

  /**
   * Spring Boot 4.0's health endpoint fails with this on a nested path whose first part names no
   * contributor ({@code /actuator/health/x/y}), where one part answers 404: a 404 here too, not a
   * 500 and an error logged for each such request. Any other such exception is not this handler's.
   */
  @ExceptionHandler(IllegalStateException.class)
  ResponseEntity<ProblemDetail> unknownHealthPath(
      IllegalStateException e, jakarta.servlet.http.HttpServletRequest request) {
    if (!"'contributor' must not be null".equals(e.getMessage())
        || !request.getRequestURI().startsWith("/actuator/health/")) {
      throw e;
    }
    return problem(HttpStatus.NOT_FOUND, "No health contributor at this path");
  }

  /**
   * More query parameters than Tomcat parses (1,000): the client's request, a 400 problem. Tomcat's
   * exception is an {@link IllegalStateException}, which went to {@code unknownHealthPath}, was
   * thrown on and logged as a servlet failure with its stack trace for every such request.
   */
  @ExceptionHandler(InvalidParameterException.class)
  ResponseEntity<ProblemDetail> tooManyParameters(InvalidParameterException e) {
    return problem(HttpStatus.BAD_REQUEST, "The request has more parameters than are read");
  }

  /** An unknown path: said without the path, which the client knows and may have made long. */
  @Override
  protected ResponseEntity<Object> handleNoResourceFoundException(
      NoResourceFoundException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    return untyped(problem(HttpStatus.NOT_FOUND, "No such resource"));
  }

  /** A problem as the base class's handlers return it. */
  private static ResponseEntity<Object> untyped(ResponseEntity<ProblemDetail> problem) {
    return ResponseEntity.status(problem.getStatusCode())
        .contentType(problem.getHeaders().getContentType())
        .body(problem.getBody());
  }

  @Override
  protected ResponseEntity<Object> handleHttpMessageNotReadable(
      HttpMessageNotReadableException ex,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    return untyped(unreadable(ex));
  }

  private static ResponseEntity<ProblemDetail> unreadable(HttpMessageNotReadableException ex) {
    JacksonException json = null;
    for (Throwable cause = ex; cause != null && json == null; cause = cause.getCause()) {
      if (cause instanceof JacksonException jackson) {
        json = jackson;
      }
    }
    if (json == null) {
      return badRequest("body", "The request body must be a JSON object");
    }
    if (json instanceof UnrecognizedPropertyException unknown) {
      String field = FieldRules.printable(String.valueOf(unknown.getPropertyName()));
      return badRequest(field, "Unknown field '" + field + "'");
    }
    String message = String.valueOf(json.getOriginalMessage());
    if (message.startsWith("Duplicate")) {
      String field = FieldRules.printable(duplicateName(json, message));
      return badRequest(field, "Duplicate field '" + field + "'");
    }
    String field = field(json.getPath());
    if (field != null) {
      return badRequest(field, "Field '" + field + "' has the wrong type or is not a valid value");
    }
    return badRequest("body", "Malformed JSON: the request body must be a JSON object");
  }

  /**
   * The name given twice: the parser's current name (the message quotes it unescaped, so a name
   * holding a quote would be cut at it), else what the message quotes, else "body".
   */
  private static String duplicateName(JacksonException json, String message) {
    if (json instanceof StreamReadException read && read.processor() != null) {
      String name = read.processor().currentName();
      if (name != null) {
        return name;
      }
    }
    Matcher quoted = QUOTED.matcher(message);
    return quoted.find() ? quoted.group(1) : "body";
  }

  private static String field(List<JacksonException.Reference> path) {
    for (int i = path.size() - 1; i >= 0; i--) {
      String name = path.get(i).getPropertyName();
      if (name != null) {
        return FieldRules.printable(name);
      }
    }
    return null;
  }

  private static ResponseEntity<ProblemDetail> badRequest(String field, String detail) {
    ResponseEntity<ProblemDetail> problem = problem(HttpStatus.BAD_REQUEST, detail);
    problem.getBody().setProperty("field", field);
    return problem;
  }

  private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String detail) {
    return ResponseEntity.status(status)
        .contentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON)
        .body(ProblemDetail.forStatusAndDetail(status, detail));
  }
}
