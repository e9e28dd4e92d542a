package io.cqrs.couchbase;

import static io.cqrs.couchbase.TestEvents.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.SerializationException;
import io.cqrs.VersionedEvent;
import io.cqrs.spi.LoggedEvent;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Bad input gets an exception naming the stream, and nothing else in the bucket changes. */
class CouchbaseBadInputIT extends RepositoryIT {
  private static final String STREAM = "acc-1";

  private final CouchbaseEventStreamRepository repository = repository();

  @Test
  void an_oversized_batch_is_rejected_naming_the_stream_before_anything_is_written() {
    List<VersionedEvent> stored = save(STREAM, 0, 2, "corr-ok");
    Map<String, String> before = documents();
    String sevenMegabytes = "x".repeat(7 * 1024 * 1024);
    List<VersionedEvent> huge =
        List.of(
            TestEvents.event(STREAM, 3, new TestEvents.Noted(sevenMegabytes), "corr-huge"),
            TestEvents.event(STREAM, 4, new TestEvents.Noted(sevenMegabytes), "corr-huge"),
            TestEvents.event(STREAM, 5, new TestEvents.Noted(sevenMegabytes), "corr-huge"));

    assertThatThrownBy(() -> repository.save(STREAM, 2, huge))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("'" + STREAM + "'")
        .hasMessageContaining(String.valueOf(CouchbaseEventStreamRepository.MAX_DOCUMENT_BYTES))
        .hasMessageContaining("nothing was written");

    assertThat(documents()).isEqualTo(before);
    assertThat(repository.load(STREAM)).containsExactlyElementsOf(stored);
  }

  @Test
  void a_batch_over_a_lower_configured_document_limit_is_rejected_the_same_way() {
    CouchbaseEventStreamRepository small = builder().maxDocumentBytes(4096).build();
    Map<String, String> before = documents();

    assertThatThrownBy(
            () ->
                small.save(
                    STREAM,
                    0,
                    List.of(
                        TestEvents.event(STREAM, 1, new TestEvents.Noted("y".repeat(5000)), "c"))))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("'" + STREAM + "'")
        .hasMessageContaining("4096");
    assertThat(documents()).isEqualTo(before);
  }

  record OpenWithHistory(String accountId) {}

  /**
   * An adopter's command whose event was over the document limit counted as a rejection by the
   * domain (an IllegalArgumentException): logged at INFO, recorded as its outcome and never
   * dead-lettered, so nothing was left to replay once the limit was raised. It is a failure of what
   * could be written now, recorded as retryable and thrown for the bus to dead-letter.
   */
  @Test
  void a_command_whose_effect_is_over_the_limit_is_a_retryable_failure_not_a_rejection() {
    CouchbaseEventStreamRepository small = builder().maxDocumentBytes(4096).build();
    io.cqrs.EventSourcingRepository accounts =
        io.cqrs.EventSourcingRepository.builder(small, TestEvents.registry()).build();
    io.cqrs.CommandDispatchManager manager =
        io.cqrs.CommandDispatchManager.builder(null, TestEvents.registry())
            .errorLog(small)
            .build()
            .registerCommandHandler(
                OpenWithHistory.class,
                (open, command) -> {
                  TestEvents.Account account = new TestEvents.Account(open.accountId());
                  for (int i = 0; i < 200; i++) {
                    account.deposit(i);
                  }
                  accounts.save(account, command);
                });
    io.cqrs.Command command = io.cqrs.Command.create(new OpenWithHistory(STREAM));

    assertThatThrownBy(() -> manager.dispatch(command))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("4096");
    assertThat(small.readLog(1, 100))
        .extracting(LoggedEvent::event)
        .filteredOn(event -> event.eventType().equals("CommandFailed"))
        .singleElement()
        .satisfies(
            failed ->
                assertThat(failed.eventAs(io.cqrs.CommandFailed.class).retryable())
                    .as("a later delivery is handled again")
                    .isTrue());
    assertThat(small.load(STREAM)).isEmpty();
  }

  @Test
  void an_empty_stream_id_is_rejected_and_nothing_is_written() {
    Map<String, String> before = documents();

    assertThatThrownBy(() -> repository.save("", 0, batch("", 0, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("streamId")
        .hasMessageContaining("''");
    assertThat(documents()).isEqualTo(before);
  }

  /**
   * UTF-8 has no encoding for an unpaired surrogate; the SDK writes '?' instead, so {@code
   * "acc-\uD83D"} (a truncated emoji) and {@code "acc-?"} shared their keys.
   */
  @Test
  void a_stream_id_with_an_unpaired_surrogate_is_rejected_and_nothing_is_written() {
    Map<String, String> before = documents();

    for (String id : List.of("acc-\uD83D", "acc-\uDE00", "\uDE00\uD83D")) {
      assertThatThrownBy(() -> repository.save(id, 0, batch(id, 0, 1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unpaired surrogate");
      assertThatThrownBy(() -> repository.load(id)).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(documents()).isEqualTo(before);
    repository.save("acc-\uD83D\uDE00", 0, batch("acc-\uD83D\uDE00", 0, 1)); // a whole emoji
    repository.save("acc-?", 0, batch("acc-?", 0, 1));
    assertThat(repository.load("acc-?")).hasSize(1);
  }

  /**
   * Command ids are hashed, not keys: one with an unpaired surrogate hashed as its '?' twin did,
   * and the second command was refused as the first's duplicate, its effect dropped.
   */
  @Test
  void command_ids_that_differ_only_by_an_unpaired_surrogate_are_two_commands() throws Exception {
    repository.save(STREAM, 0, batch(STREAM, 0, 1), "order-\uD83D");
    repository.save(STREAM, 1, batch(STREAM, 1, 1), "order-?");

    assertThat(repository.load(STREAM)).hasSize(2);
    assertThat(KeyLayout.commandHash("order-\uD83D"))
        .isNotEqualTo(KeyLayout.commandHash("order-?"));
    String wellFormed = "order-\uD83D\uDE00";
    assertThat(KeyLayout.commandHash(wellFormed))
        .as("well-formed ids hash as before, as their UTF-8, so stored commands keep their names")
        .isEqualTo(
            java.util.HexFormat.of()
                .formatHex(
                    java.security.MessageDigest.getInstance("SHA-256")
                        .digest(wellFormed.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .substring(0, 32));
  }

  @Test
  void a_stream_id_too_long_for_a_key_is_rejected_naming_it_and_the_limit() {
    int max = keys.maxStreamIdBytes();
    String tooLong = "é".repeat(max / 2 + 1); // two bytes a character in UTF-8
    Map<String, String> before = documents();

    for (ThrowingCallable call :
        List.<ThrowingCallable>of(
            () -> repository.save(tooLong, 0, batch(tooLong, 0, 1)),
            () -> repository.load(tooLong),
            () -> repository.version(tooLong),
            () -> repository.loadSnapshot(tooLong))) {
      assertThatThrownBy(call)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(tooLong.substring(0, 40))
          .hasMessageContaining("at most " + max + " bytes");
    }
    assertThat(documents()).isEqualTo(before);

    String longest = "i".repeat(max);
    List<VersionedEvent> events = save(longest, 0, 2, "corr-long");
    assertThat(repository.load(longest)).containsExactlyElementsOf(events);
  }

  @Test
  void a_corrupted_commit_document_fails_the_load_naming_the_stream_and_changes_nothing() {
    save(STREAM, 0, 2, "corr-1");
    save(STREAM, 2, 1, "corr-2");
    writeRaw(keys.log(1), "{\"f\":1,\"k\":\"c\",\"s\":\"" + STREAM + "\",\"v0\":1");
    Map<String, String> before = documents();

    assertCorrupt(() -> repository.load(STREAM), keys.log(1));
    // The writer answers its own fresh commits from memory: another process reads the document.
    assertCorrupt(() -> repository().readLog(1, 10), keys.log(1));

    assertThat(documents()).isEqualTo(before);
    assertThat(repository.load(STREAM, 3)).hasSize(1);
  }

  @Test
  void a_commit_document_of_another_stream_where_the_head_points_fails_naming_the_stream() {
    save(STREAM, 0, 1, "corr-1");
    save("other", 0, 1, "corr-2");
    writeRaw(keys.log(1), raw(keys.log(2)).orElseThrow());
    Map<String, String> before = documents();

    assertCorrupt(() -> repository.load(STREAM), keys.log(1));
    assertThat(documents()).isEqualTo(before);
  }

  @Test
  void a_corrupted_head_fails_save_load_and_version_naming_the_stream_and_changes_nothing() {
    save(STREAM, 0, 2, "corr-1");
    writeRaw(keys.head(STREAM), "not json at all");
    Map<String, String> before = documents();

    assertCorrupt(() -> repository.save(STREAM, 2, batch(STREAM, 2, 1)), keys.head(STREAM));
    assertCorrupt(
        () -> repository.save(STREAM, 2, batch(STREAM, 2, 1), "command-1"), keys.head(STREAM));
    assertCorrupt(() -> repository.load(STREAM), keys.head(STREAM));
    assertCorrupt(() -> repository.version(STREAM), keys.head(STREAM));

    assertThat(documents()).isEqualTo(before);
  }

  /**
   * The head's command set ("m") is read by a path inside it: when it is not an object, the path
   * cannot be there, and a save that took that for "not recorded" applied a command's effect again
   * and then could not move the head.
   */
  @Test
  void a_head_whose_command_set_is_not_an_object_fails_saves_of_commands_naming_the_stream() {
    repository.save(STREAM, 0, batch(STREAM, 0, 2, "corr-1"), "command-1");
    String head = raw(keys.head(STREAM)).orElseThrow();
    assertThat(head).contains("\"m\":{");
    for (String bad : List.of("7", "[]", "\"text\"", "null")) {
      writeRaw(keys.head(STREAM), head.replaceFirst("\"m\":\\{[^}]*}", "\"m\":" + bad));
      Map<String, String> before = documents();

      assertCorrupt(
          () -> repository.save(STREAM, 2, batch(STREAM, 2, 1), "command-1"), keys.head(STREAM));
      assertCorrupt(
          () -> repository.save(STREAM, 2, batch(STREAM, 2, 1), "command-2"), keys.head(STREAM));
      assertThat(documents()).as("m = " + bad).isEqualTo(before);
    }
  }

  @Test
  void a_head_without_a_version_fails_naming_the_stream_and_changes_nothing() {
    save(STREAM, 0, 1, "corr-1");
    writeRaw(keys.head(STREAM), "{\"f\":1,\"c\":[]}");
    Map<String, String> before = documents();

    assertCorrupt(() -> repository.save(STREAM, 1, batch(STREAM, 1, 1)), keys.head(STREAM));
    assertCorrupt(
        () -> repository.save(STREAM, 1, batch(STREAM, 1, 1), "command-1"), keys.head(STREAM));
    assertCorrupt(() -> repository.version(STREAM), keys.head(STREAM));
    assertThat(documents()).isEqualTo(before);
  }

  @Test
  void a_corrupted_claim_past_the_head_fails_naming_the_stream_and_changes_nothing() {
    save(STREAM, 0, 1, "corr-1");
    writeRaw(keys.claim(STREAM, 2), "{\"f\":1,\"q\":\"seven\"}");
    Map<String, String> before = documents();

    assertCorrupt(() -> repository.version(STREAM), keys.claim(STREAM, 2));
    assertCorrupt(() -> repository.load(STREAM), keys.claim(STREAM, 2));
    assertCorrupt(() -> repository.save(STREAM, 2, batch(STREAM, 2, 1)), keys.claim(STREAM, 2));
    assertThat(documents()).isEqualTo(before);
  }

  @Test
  void other_streams_stay_readable_next_to_a_corrupted_one() {
    List<VersionedEvent> healthy = save("healthy", 0, 2, "corr-h");
    save(STREAM, 0, 1, "corr-1");
    writeRaw(keys.head(STREAM), "[]");

    assertThat(repository.load("healthy")).containsExactlyElementsOf(healthy);
    assertThat(repository.eventsByCorrelationId("corr-h")).containsExactlyElementsOf(healthy);
    assertThat(repository.readLog(1, 10)).extracting(LoggedEvent::event).containsAll(healthy);
  }

  private void assertCorrupt(ThrowingCallable call, String key) {
    assertThatThrownBy(call)
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("'" + key + "'")
        .satisfiesAnyOf(
            e -> assertThat(e).hasMessageContaining("stream '" + STREAM + "'"),
            e -> assertThat(key).startsWith(prefix + "::log::"));
  }

  private List<VersionedEvent> save(String stream, long expected, int count, String correlation) {
    List<VersionedEvent> events = batch(stream, expected, count, correlation);
    repository.save(stream, expected, events);
    return events;
  }

  /**
   * The documents a failed operation must not change. A save takes its log position in the same
   * round trip as it reads the stream, so one refused there has moved the counter and gives the
   * position back (an abandon marker, written without waiting): those are left out, and nothing
   * else may differ.
   */
  private Map<String, String> documents() {
    Map<String, String> found =
        documents(
            Set.of(STREAM, "other", "healthy", ""),
            Set.of("corr-1", "corr-2", "corr-ok", "corr-huge"));
    found.remove(keys.sequence());
    found.values().removeIf("{\"f\":1,\"k\":\"a\"}"::equals);
    return found;
  }
}
