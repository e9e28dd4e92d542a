package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.testing.OwnThread;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A pin changed while a write downcasts: the envelope's revision is the one its payload was
 * downcast to (a review found the serializer reading the pin twice, which wrote revision 2 over
 * revision-1 JSON that every reader then bound without upcasting).
 */
class DowncastPinRaceTest {
  @Test
  void a_pin_dropped_while_a_write_downcasts_leaves_revision_and_payload_agreeing()
      throws Exception {
    CountDownLatch inDowncaster = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TypeRegistry registry =
        new TypeRegistry()
            .registerEvents(DowncastingTest.V2.OrderPlaced.class)
            .upcaster(
                DowncastingTest.V2.OrderPlaced.class,
                1,
                p -> {
                  p.set("quantity", p.remove("qty"));
                  return p;
                })
            .downcaster(
                DowncastingTest.V2.OrderPlaced.class,
                2,
                p -> {
                  inDowncaster.countDown();
                  try {
                    release.await(10, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  p.set("qty", p.remove("quantity"));
                  return p;
                })
            .writeRevision(DowncastingTest.V2.OrderPlaced.class, 1);
    EventSerializer serializer = new EventSerializer(registry);
    VersionedEvent event =
        VersionedEvent.of("o-1", 1, new DowncastingTest.V2.OrderPlaced("o-1", 3), "c-1");

    CompletableFuture<byte[]> written = OwnThread.supplyAsync(() -> serializer.serialize(event));
    assertThat(inDowncaster.await(10, TimeUnit.SECONDS)).isTrue();
    registry.writeRevision(DowncastingTest.V2.OrderPlaced.class, 2); // step 2: the pin is dropped
    release.countDown();
    byte[] json = written.get(10, TimeUnit.SECONDS);

    JsonNode envelope = new ObjectMapper().readTree(json);
    int revision = envelope.path("revision").asInt(1);
    ObjectNode payload = (ObjectNode) envelope.get("event");
    assertThat(payload.has(revision == 1 ? "qty" : "quantity"))
        .as("revision %s over payload %s", revision, payload)
        .isTrue();
  }
}
