package io.cqrs.couchbase;

import io.cqrs.EventSerializer;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.ProcessorDeadLetterContract;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The processors' dead letters on Couchbase: listed from its integration log, replayed, and raced
 * by a second process on a connection of its own.
 */
class CouchbaseProcessorDeadLetterIT extends ProcessorDeadLetterContract {
  private final Map<EventStreamRepository, String> prefixes = new IdentityHashMap<>();

  @Override
  protected EventStreamRepository newRepository() {
    CouchbaseTestServer server = CouchbaseTestServer.shared();
    String prefix = server.newKeyPrefix();
    EventStreamRepository repository =
        CouchbaseEventStreamRepository.builder(server.collection(), serializer())
            .keyPrefix(prefix)
            .gapGracePeriod(RepositoryIT.SHORT_GRACE)
            .build();
    prefixes.put(repository, prefix);
    return repository;
  }

  @Override
  protected EventStreamRepository secondProcessOf(EventStreamRepository repository) {
    CouchbaseTestServer server = CouchbaseTestServer.shared();
    return CouchbaseEventStreamRepository.builder(server.connectionString(), serializer())
        .credentials(server.username(), server.password())
        .bucket(server.bucketName())
        .keyPrefix(prefixes.get(repository))
        .gapGracePeriod(RepositoryIT.SHORT_GRACE)
        .build();
  }

  private static EventSerializer serializer() {
    return new EventSerializer(contractTypes());
  }
}
