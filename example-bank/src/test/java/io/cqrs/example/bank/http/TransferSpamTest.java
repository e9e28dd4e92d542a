package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Transfers a source could not pay are not filed under their destination: an adversary sent 20,000
 * from an empty account to another customer, each failed and each was listed for him, his listing
 * slowed tenfold and its first page was all spam, at no cost to the sender.
 */
class TransferSpamTest {
  @Test
  void a_transfer_its_source_could_not_pay_is_not_listed_for_the_destination() throws Exception {
    try (ServedBank served = ServedBank.inMemory()) {
      ApiClient alice = ApiClient.as("alice", served.uri());
      ApiClient bob = ApiClient.as("bob", served.uri());
      String empty = alice.open("Empty", "0.00");
      String funded = alice.open("Funded", "10.00");
      String bobs = bob.open("Bob", "0.00");

      List<String> failed = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        failed.add(alice.transfer(empty, bobs, "5").body().get("commandId").asText());
      }
      String paid = alice.transfer(funded, bobs, "5").body().get("commandId").asText();
      for (String id : failed) {
        awaitState(alice, id, "FAILED");
      }
      awaitState(alice, paid, "COMPLETED");

      assertThat(ids(alice.get("/transfers"))).containsAll(failed).contains(paid);
      assertThat(ids(bob.get("/transfers"))).containsExactly(paid);
    }
  }

  private static void awaitState(ApiClient client, String transferId, String state) {
    Awaitility.await()
        .atMost(ApiClient.TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(client.get("/transfers/" + transferId).body().get("state").asText())
                    .isEqualTo(state));
  }

  private static List<String> ids(ApiClient.Reply reply) {
    List<String> ids = new ArrayList<>();
    for (JsonNode item : reply.body().get("items")) {
      ids.add(item.get("id").asText());
    }
    return ids;
  }
}
