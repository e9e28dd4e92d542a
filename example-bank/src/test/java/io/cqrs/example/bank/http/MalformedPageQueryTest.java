package io.cqrs.example.bank.http;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A page parameter whose value is not even well-formed percent-encoding ({@code %ZZ}, a lone {@code
 * %}) is refused with 400 like any other bad value: Javalin decodes such a value to nothing and
 * keeps the name, and a listing that took it for "absent" would serve the first page again to a
 * client following a damaged cursor, for ever. Sent on a raw socket, since an HTTP client library
 * would not send the malformed query.
 */
class MalformedPageQueryTest {
  private static ServedBank served;

  @BeforeAll
  static void start() {
    served = ServedBank.inMemory();
  }

  @AfterAll
  static void stop() {
    served.close();
  }

  private static String get(String target) throws Exception {
    String auth =
        Base64.getEncoder()
            .encodeToString(
                ("alice:" + ApiClient.SECRETS.get("alice")).getBytes(StandardCharsets.UTF_8));
    try (Socket socket = new Socket("127.0.0.1", served.server().port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET "
                  + target
                  + " HTTP/1.1\r\nHost: bank\r\nAuthorization: Basic "
                  + auth
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) > 0; ) {
        all.write(buffer, 0, n);
      }
      return all.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void page_parameters_whose_percent_encoding_is_malformed_are_refused_not_ignored()
      throws Exception {
    SoftAssertions soft = new SoftAssertions();
    for (String path : List.of("/accounts", "/transfers")) {
      for (String query :
          List.of(
              "limit=%ZZ",
              "limit=5%",
              "after=%",
              "after=%C3%28",
              "after=%FF",
              "after=a%00",
              "limit=5&after=%")) {
        String response = get(path + "?" + query);
        String status = response.substring(9, 12);
        soft.assertThat(status).as(path + "?" + query).isEqualTo("400");
      }
    }
    soft.assertAll();
  }
}
