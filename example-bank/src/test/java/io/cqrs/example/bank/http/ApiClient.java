package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.example.bank.domain.PasswordHasher;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.awaitility.Awaitility;

/** A client of the bank's API as one user: HTTP Basic credentials on every request. */
record ApiClient(HttpClient http, URI base, String name, String secret) {
  static final ObjectMapper JSON = ApiJson.mapper();
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** Test users: {@code alice} and {@code bob} (customers), {@code root} (administrator). */
  static final Map<String, String> SECRETS =
      Map.of("alice", "alice-secret-1", "bob", "bob-secret-22", "root", "root-secret-333");

  /** The users' configuration, hashed cheaply (a test need not pay 600k iterations). */
  static ApiUsers users() {
    PasswordHasher cheap = new PasswordHasher(1_000);
    return ApiUsers.parse(
        "alice:"
            + cheap.hash(SECRETS.get("alice"))
            + ",bob:"
            + cheap.hash(SECRETS.get("bob"))
            + "\nroot:"
            + cheap.hash(SECRETS.get("root"))
            + ":admin");
  }

  /** {@code value} percent-encoded for a query string (a space as %20, not +). */
  static String encoded(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static ApiClient as(String user, URI base) {
    return new ApiClient(HttpClient.newHttpClient(), base, user, SECRETS.get(user));
  }

  /** A response: its status, its JSON body (or null) and the raw response. */
  record Reply(int status, JsonNode body, HttpResponse<String> raw) {
    String code() {
      return body.get("code").asText();
    }

    String detail() {
      return body.get("detail").asText();
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  Reply send(String method, String path, String body, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path.substring(1)))
            .timeout(TIMEOUT)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    // A JSON client: a POST without a body says application/json too, as the API asks of every
    // request that may change state (CrossSiteRequests).
    if ((body != null || !method.equals("GET")) && !headers.containsKey("Content-Type")) {
      request.header("Content-Type", "application/json");
    }
    if (name != null) {
      request.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString((name + ":" + secret).getBytes(StandardCharsets.UTF_8)));
    }
    headers.forEach(request::header);
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json =
        response.body().isEmpty()
                || !response.headers().firstValue("Content-Type").orElse("").contains("json")
            ? null
            : JSON.readTree(response.body());
    return new Reply(response.statusCode(), json, response);
  }

  Reply get(String path) throws Exception {
    return send("GET", path, null, Map.of());
  }

  Reply post(String path, String body) throws Exception {
    return send("POST", path, body, Map.of());
  }

  Reply post(String path, String body, String idempotencyKey) throws Exception {
    return send("POST", path, body, Map.of("Idempotency-Key", idempotencyKey));
  }

  /** Asks for a transfer of {@code amount} (a JSON number) between two accounts. */
  Reply transfer(String from, String to, String amount) throws Exception {
    return post(
        "/transfers",
        "{\"fromAccountId\":\""
            + from
            + "\",\"toAccountId\":\""
            + to
            + "\",\"amount\":"
            + amount
            + "}");
  }

  /** Opens an account and returns its id, once the read model shows it. */
  String open(String firstName, String balance) throws Exception {
    Reply reply =
        post(
            "/accounts",
            "{\"firstName\":\""
                + firstName
                + "\",\"lastName\":\"Test\",\"email\":\""
                + firstName.toLowerCase()
                + "@cqrs.example\",\"password\":\"$ecretPassw0rd\",\"initialBalance\":"
                + balance
                + "}");
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(201);
    String id = reply.body().get("commandId").asText();
    awaitVersion("/accounts/" + id, reply.body().get("version").asLong());
    return id;
  }

  /** Waits until a read-model resource shows at least {@code version}, and returns it. */
  JsonNode awaitVersion(String path, long version) {
    return Awaitility.await(path + " at version " + version)
        .atMost(TIMEOUT)
        .ignoreExceptions()
        .until(
            () -> get(path),
            reply -> reply.status() == 200 && reply.body().get("version").asLong() >= version)
        .body();
  }

  /** Runs a command and waits until the read model reflects it; returns the resource's JSON. */
  JsonNode command(String path, String body) throws Exception {
    Reply reply = post(path, body);
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
    String resource = reply.body().get("resource").asText();
    JsonNode version = reply.body().get("version");
    return awaitVersion(resource, version == null ? 0 : version.asLong());
  }

  BigDecimal balance(String accountId) throws Exception {
    return get("/accounts/" + accountId).body().get("balance").decimalValue();
  }
}
