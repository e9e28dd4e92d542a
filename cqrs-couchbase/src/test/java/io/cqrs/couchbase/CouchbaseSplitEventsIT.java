package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.SplitEventsContract;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The split-events contract against Couchbase, where the earlier version writes its commits through
 * a store of its own (its classes, its JSON: no revisions) over the same documents, so the commit
 * decoder upcasts what that version really stored.
 */
class CouchbaseSplitEventsIT extends SplitEventsContract {
  private final CouchbaseTestServer server = CouchbaseTestServer.shared();
  private final String prefix = server.newKeyPrefix();

  @Override
  protected EventStreamRepository newStore() {
    return builder(contractTypes()).build();
  }

  @Override
  protected void saveAsEarlierVersion(StreamAppend append) {
    try (CouchbaseEventStreamRepository earlier = builder(earlierTypes()).build()) {
      earlier.save(append);
    }
  }

  private CouchbaseEventStreamRepository.Builder builder(TypeRegistry types) {
    return CouchbaseEventStreamRepository.builder(server.collection(), new EventSerializer(types))
        .keyPrefix(prefix)
        .gapGracePeriod(RepositoryIT.SHORT_GRACE);
  }

  @Test
  void the_earlier_versions_commits_hold_no_revision_and_todays_commit_does() {
    mixedStream("acc-1");

    assertThat(commit(1)).contains("\"Opened\"").doesNotContain("\"revision\"");
    assertThat(commit(2)).contains("\"Deposited\"").doesNotContain("\"revision\"");
    assertThat(commit(3)).contains("\"USD\"").contains("\"revision\"");
  }

  /** The raw JSON of the commit at log sequence {@code seq}. */
  private String commit(long seq) {
    return new Kv(server.collection(), 1)
        .get(new KeyLayout(prefix).log(seq))
        .map(document -> new String(document.content(), StandardCharsets.UTF_8))
        .orElseThrow();
  }
}
