package io.cqrs.example.bank.spring;

import java.net.URI;
import org.springframework.core.MethodParameter;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyAdvice;

/**
 * Caps a problem's {@code instance} at {@value #MAX_INSTANCE} characters, as example-bank's {@code
 * Problem} does: Spring fills it with the request's path, which a client may have made thousands of
 * characters long (a 404 for a 7,000-character path echoed all of it).
 */
@RestControllerAdvice
class ProblemInstances implements ResponseBodyAdvice<Object> {
  static final int MAX_INSTANCE = 200;

  @Override
  public boolean supports(
      MethodParameter returnType, Class<? extends HttpMessageConverter<?>> converterType) {
    return true;
  }

  @Override
  public Object beforeBodyWrite(
      Object body,
      MethodParameter returnType,
      MediaType selectedContentType,
      Class<? extends HttpMessageConverter<?>> selectedConverterType,
      ServerHttpRequest request,
      ServerHttpResponse response) {
    if (body instanceof ProblemDetail problem && problem.getInstance() != null) {
      String instance = problem.getInstance().toString();
      if (instance.length() > MAX_INSTANCE) {
        problem.setInstance(URI.create(cut(instance)));
      }
    }
    return body;
  }

  /**
   * {@code instance} cut to at most {@value #MAX_INSTANCE} characters, never inside a percent
   * escape or a surrogate pair, so that what is left is still a URI.
   */
  static String cut(String instance) {
    int end = MAX_INSTANCE;
    if (Character.isHighSurrogate(instance.charAt(end - 1))) {
      end--;
    }
    int percent = instance.lastIndexOf('%', end - 1);
    if (percent >= 0 && percent > end - 3) {
      end = percent; // an escape %XX that the cut would split
    }
    return instance.substring(0, end);
  }
}
