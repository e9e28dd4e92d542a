package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cqrs.example.bank.http.ApiClient.Reply;
import java.util.List;
import java.util.stream.StreamSupport;
import org.awaitility.Awaitility;

/** Reads {@code GET /admin/dead-letters} for the dead-letter tests, in memory and on servers. */
final class DeadLetterChecks {
  private DeadLetterChecks() {}

  static void assertProblem(Reply reply, int status, String code) {
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(status);
    assertThat(reply.header("Content-Type")).startsWith("application/problem+json");
    assertThat(reply.code()).isEqualTo(code);
  }

  static JsonNode list(ApiClient admin) throws Exception {
    Reply reply = admin.get("/admin/dead-letters");
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
    return reply.body();
  }

  /** The queue, once it holds {@code count} dead letters. */
  static JsonNode awaitQueue(ApiClient admin, String bus, String name, long count) {
    return Awaitility.await(count + " dead letters in " + bus + "/" + name)
        .atMost(ApiClient.TIMEOUT)
        .until(() -> queue(admin, bus, name), q -> q.get("count").asLong() == count);
  }

  private static JsonNode queue(ApiClient admin, String bus, String name) throws Exception {
    for (JsonNode queue : list(admin).get("queues")) {
      if (queue.get("bus").asText().equals(bus) && queue.get("name").asText().equals(name)) {
        return queue;
      }
    }
    throw new AssertionError("no queue " + bus + "/" + name);
  }

  /** The processors' dead letters of one stream. */
  static List<JsonNode> processorLetters(ApiClient admin, String sourceId) throws Exception {
    return StreamSupport.stream(list(admin).get("processors").spliterator(), false)
        .filter(letter -> letter.get("sourceId").asText().equals(sourceId))
        .toList();
  }

  /** The one processor dead letter of a stream, once it is listed. */
  static JsonNode awaitProcessorLetter(ApiClient admin, String sourceId) {
    return Awaitility.await("a processor's dead letter of " + sourceId)
        .atMost(ApiClient.TIMEOUT)
        .until(() -> processorLetters(admin, sourceId), letters -> letters.size() == 1)
        .get(0);
  }
}
