package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Kv#exists}, the metadata probe behind a cached load, against the server: it must answer
 * what a get would, for documents that are there, were never there and were removed.
 */
class KvExistsIT extends RepositoryIT {

  @Test
  void exists_answers_what_a_get_answers() {
    Random random = new Random(42);
    List<String> keysAsked = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String key = prefix + "::exists::" + i;
      keysAsked.add(key);
      if (random.nextBoolean()) {
        kv.insert(key, ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8));
      }
    }

    for (String key : keysAsked) {
      assertThat(kv.exists(key)).as(key).isEqualTo(kv.get(key).isPresent());
    }
    assertThat(keysAsked).anyMatch(kv::exists).anyMatch(key -> !kv.exists(key));
  }

  @Test
  void a_removed_document_does_not_exist() {
    String key = prefix + "::exists::removed";
    kv.insert(key, "{}".getBytes(StandardCharsets.UTF_8));
    assertThat(kv.exists(key)).isTrue();

    collection.remove(key);

    assertThat(kv.exists(key)).isFalse();
  }

  @Test
  void the_server_answers_get_meta_so_no_probe_falls_back_to_a_get() {
    String key = prefix + "::exists::direct";
    kv.insert(key, "{}".getBytes(StandardCharsets.UTF_8));

    assertThat(collection.exists(key).exists()).isTrue();
    assertThat(collection.exists(key + "-missing").exists()).isFalse();
  }
}
