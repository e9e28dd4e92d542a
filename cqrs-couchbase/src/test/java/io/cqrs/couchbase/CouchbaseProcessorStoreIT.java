package io.cqrs.couchbase;

import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.testing.ProcessorStoreContract;

/** The core processor-store contract, unchanged, against Couchbase. */
class CouchbaseProcessorStoreIT extends ProcessorStoreContract {
  @Override
  protected ProcessorStore store() {
    CouchbaseTestServer server = CouchbaseTestServer.shared();
    return CouchbaseEventStreamRepository.builder(server.collection(), TestEvents.serializer())
        .keyPrefix(server.newKeyPrefix())
        .build();
  }
}
