package io.cqrs.couchbase;

import io.cqrs.EventSerializer;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.EventStreamRepositoryContract;

/** The core contract, unchanged, against Couchbase. */
class CouchbaseEventStreamRepositoryIT extends EventStreamRepositoryContract {
  @Override
  protected EventStreamRepository newRepository() {
    CouchbaseTestServer server = CouchbaseTestServer.shared();
    return CouchbaseEventStreamRepository.builder(
            server.collection(), new EventSerializer(contractTypes()))
        .keyPrefix(server.newKeyPrefix())
        .build();
  }
}
