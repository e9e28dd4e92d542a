package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.SerializationException;
import io.cqrs.UnknownTypeException;
import io.cqrs.VersionedEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class DocumentCodecTest {
  private final DocumentCodec codec = new DocumentCodec(TestEvents.serializer());

  @Test
  void a_commit_reads_back_with_its_stream_versions_and_events() {
    List<VersionedEvent> events = batch("acc-1", 4, 3);

    LogDocument read = codec.log("k", codec.commit("acc-1", events), null);

    assertThat(read).isEqualTo(new LogDocument.Commit("acc-1", 5, 7, events, null, null));
  }

  @Test
  void a_streams_first_commit_claim_and_head_carry_its_aggregate_type() {
    List<VersionedEvent> events = batch("acc-1", 0, 2);
    byte[] commit = codec.commit("acc-1", events, null, "Account");
    byte[] claim = codec.claim(9, 2, null, "Account");
    List<StreamHead.Entry> entries = List.of(new StreamHead.Entry(1, 2, 9));
    byte[] head = codec.head(2, entries, "Account");

    assertThat(codec.log("k", commit, null))
        .isEqualTo(new LogDocument.Commit("acc-1", 1, 2, events, null, "Account"));
    assertThat(codec.claim("k", claim, "acc-1", 1).type()).isEqualTo("Account");
    assertThat(codec.head("k", head, "acc-1", 5))
        .isEqualTo(new StreamHead(2, entries, 5, "Account"));
    assertThat(new String(head, StandardCharsets.UTF_8)).contains("\"t\":\"Account\"");
  }

  @Test
  void a_head_written_before_types_were_recorded_reads_with_no_type() {
    byte[] json = json("{\"f\":1,\"v\":2,\"c\":[[2,10]],\"m\":{}}");

    assertThat(codec.head("k", json, "acc-1", 1).type()).isNull();
    assertThat(codec.claim("k", json("{\"f\":1,\"q\":10,\"l\":2}"), "acc-1", 1).type()).isNull();
  }

  @Test
  void a_type_that_is_not_a_name_is_corrupt() {
    byte[] json = json("{\"f\":1,\"v\":2,\"c\":[[2,10]],\"t\":7}");

    assertThatThrownBy(() -> codec.head("app::h::acc-1", json, "acc-1", 1))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("field 't'");
  }

  @Test
  void an_integration_event_and_markers_read_back_as_what_they_are() {
    VersionedEvent event = batch("cmd-1", 0, 1).get(0).withVersion(0);

    assertThat(codec.log("k", codec.integration(event), null))
        .isEqualTo(new LogDocument.Integration(List.of(event)));
    assertThat(codec.log("k", codec.marker(DocumentCodec.GAP), null))
        .isEqualTo(new LogDocument.Marker(DocumentCodec.GAP));
  }

  @Test
  void a_head_reads_back_with_each_commits_first_version() {
    List<StreamHead.Entry> entries =
        List.of(new StreamHead.Entry(1, 2, 10), new StreamHead.Entry(3, 3, 12));

    StreamHead head = codec.head("k", codec.head(3, entries, null), "acc-1", 77);

    assertThat(head).isEqualTo(new StreamHead(3, entries, 77, null));
  }

  @Test
  void a_head_whose_commits_do_not_reach_its_version_is_corrupt() {
    byte[] json = json("{\"f\":1,\"v\":5,\"c\":[[2,10]]}");

    assertThatThrownBy(() -> codec.head("app::h::acc-1", json, "acc-1", 1))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("'app::h::acc-1' of stream 'acc-1'")
        .hasMessageContaining("commits end at 2, not at 5");
  }

  @Test
  void a_commit_whose_events_do_not_match_its_versions_is_corrupt_naming_its_stream() {
    String commit =
        new String(codec.commit("acc-1", batch("acc-1", 0, 2)), StandardCharsets.UTF_8)
            .replace("\"v1\":2", "\"v1\":3");

    assertThatThrownBy(() -> codec.log("app::log::9", json(commit), null))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("'app::log::9' of stream 'acc-1'")
        .hasMessageContaining("holds 2 events for versions 1..3");
  }

  @Test
  void documents_of_another_layout_version_or_not_json_are_corrupt() {
    assertThatThrownBy(() -> codec.log("k", json("{\"f\":2,\"k\":\"c\"}"), "acc-1"))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("layout version");
    assertThatThrownBy(() -> codec.claim("k", json("nope"), "acc-1", 1))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("of stream 'acc-1'");
    assertThatThrownBy(() -> codec.claim("k", json("{\"f\":1,\"q\":3,\"l\":0}"), "acc-1", 1))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("inconsistent claim");
  }

  @Test
  void an_event_type_missing_from_the_registry_stays_an_unknown_type_error() {
    String commit =
        new String(codec.commit("acc-1", batch("acc-1", 0, 1)), StandardCharsets.UTF_8)
            .replace("\"Deposited\"", "\"Withdrawn\"");

    assertThatThrownBy(() -> codec.log("k", json(commit), null))
        .isInstanceOf(UnknownTypeException.class)
        .hasMessageContaining("Withdrawn");
  }

  @Test
  void a_correlation_index_lists_its_sequences() {
    assertThat(codec.sequences("k", json("{\"q\":[3,1,3]}"))).containsExactly(3L, 1L, 3L);
    assertThatThrownBy(() -> codec.sequences("k", json("{\"q\":[\"a\"]}")))
        .isInstanceOf(SerializationException.class);
  }

  @Test
  void a_correlation_index_knows_each_entrys_cause_while_its_arrays_line_up() {
    DocumentCodec.CorrelationEntries aligned =
        codec.correlation("k", json("{\"q\":[7,3,5,3],\"c\":[\"m-1\",\"m-2\",null,\"m-2\"]}"));

    assertThat(aligned.sequences()).containsExactly(7L, 3L, 5L, 3L);
    assertThat(aligned.causes()).containsExactly("m-1", "m-2", null, "m-2");
    // Those with the cause and those whose cause is unknown, once each, in log order.
    assertThat(aligned.causedBy("m-2")).containsExactly(3L, 5L);
    assertThat(aligned.causedBy("m-1")).containsExactly(5L, 7L);
    assertThat(aligned.causedBy("m-9")).containsExactly(5L);
    // Causes that are not strings are unknown too.
    assertThat(codec.correlation("k", json("{\"q\":[1,2],\"c\":[4,\"m\"]}")).causedBy("x"))
        .containsExactly(1L);
  }

  @Test
  void a_correlation_index_whose_causes_do_not_line_up_lists_every_entry() {
    // Written before causes were recorded, or partly by such a writer: no cause can be trusted.
    for (String doc :
        List.of(
            "{\"q\":[4,2]}",
            "{\"q\":[4,2,9],\"c\":[\"m-1\",\"m-2\"]}",
            "{\"q\":[4,2],\"c\":\"m-1\"}")) {
      DocumentCodec.CorrelationEntries entries = codec.correlation("k", json(doc));
      assertThat(entries.causes()).as(doc).isNull();
      assertThat(entries.causedBy("m-1"))
          .as(doc)
          .containsExactlyElementsOf(entries.sequences().stream().distinct().sorted().toList());
    }
  }

  private static byte[] json(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
