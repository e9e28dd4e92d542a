package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.MetadataKey;
import io.cqrs.VersionedEvent;
import io.cqrs.couchbase.TestEvents.Deposited;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * HELD. Hostile metadata round-trips through Couchbase exactly: keys with dots, JSON-path and N1QL
 * syntax, unicode and control characters, values with line breaks, quotes and emoji, an empty
 * value, and a map at MetadataKey's limits (64 entries, 16 Ki characters).
 */
class CouchbaseMetadataAdversaryIT extends RepositoryIT {
  @Test
  void hostile_metadata_comes_back_from_the_stream_and_the_log_as_it_was_stored() {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("a.b.c", "dotted");
    metadata.put("`x`.y[0]", "n1ql and sub-document path syntax");
    metadata.put("$meta", "dollar");
    metadata.put("ключ-😀", "значение\u2028😀");
    metadata.put("ctl\u0001\u007f", "line\nbreak\r\t\"quoted\"\\");
    metadata.put("traceparent", "00-zz-forged\n-01");
    metadata.put("empty", "");
    int used = 0;
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      used += e.getKey().length() + e.getValue().length();
    }
    int fillers = MetadataKey.MAX_ENTRIES - metadata.size();
    int each = (MetadataKey.MAX_TOTAL_LENGTH - used) / fillers;
    for (int i = 0; i < fillers; i++) {
      String key = String.format("f%02d", i);
      metadata.put(key, "v".repeat(each - key.length()));
    }
    assertThat(MetadataKey.fits(metadata, Map.of())).isTrue();

    VersionedEvent event =
        VersionedEvent.builder("meta-1", 1, new Deposited(5))
            .correlationId("corr-meta")
            .metadata(metadata)
            .build();
    CouchbaseEventStreamRepository repository = repository();
    repository.save("meta-1", 0, List.of(event));

    VersionedEvent loaded = repository.load("meta-1").get(0);
    assertThat(loaded.metadata()).isEqualTo(metadata);
    VersionedEvent logged =
        repository.readLog(1, 100).stream()
            .map(entry -> entry.event())
            .filter(e -> e.id().equals(event.id()))
            .findFirst()
            .orElseThrow();
    assertThat(logged.metadata()).isEqualTo(metadata);
  }
}
