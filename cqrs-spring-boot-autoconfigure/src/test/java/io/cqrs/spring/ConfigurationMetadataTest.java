package io.cqrs.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The metadata IDEs complete {@code cqrs.*} from is generated into the jar. */
class ConfigurationMetadataTest {

  @Test
  void every_cqrs_property_is_described_with_its_default() throws Exception {
    JsonNode metadata;
    try (InputStream in =
        getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("generated metadata").isNotNull();
      metadata = new ObjectMapper().readTree(in);
    }
    List<String> names = new ArrayList<>();
    for (JsonNode property : metadata.get("properties")) {
      names.add(property.get("name").asText());
      if (property.get("name").asText().startsWith("cqrs.")) {
        assertThat(property.path("description").asText())
            .as(property.get("name").asText())
            .isNotBlank();
      }
    }
    assertThat(names)
        .contains(
            "cqrs.service",
            "cqrs.store.type",
            "cqrs.store.couchbase.bucket",
            "cqrs.bus.type",
            "cqrs.bus.rabbitmq.uri",
            "cqrs.bus.rabbitmq.queue-type",
            "cqrs.bus.rabbitmq.retry-delays",
            "cqrs.bus.rabbitmq.declare-topology",
            "cqrs.bus.rabbitmq.publish-timeout",
            "cqrs.bus.rabbitmq.heartbeat",
            "cqrs.store.couchbase.durability",
            "cqrs.bus.command-listeners",
            "cqrs.relay.enabled",
            "cqrs.processors",
            "cqrs.snapshots.mode",
            "cqrs.deduplication.enabled",
            "cqrs.cache.maximum-size",
            "cqrs.cache.defer-checks",
            "management.health.cqrs.enabled");
    assertThat(metadata.get("hints").toString()).contains("quorum", "persist-to-majority");
  }
}
