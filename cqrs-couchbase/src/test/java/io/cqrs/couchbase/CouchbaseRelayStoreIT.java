package io.cqrs.couchbase;

import io.cqrs.EventSerializer;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.RelayStoreContract;

/** The core relay-store contract, unchanged, against Couchbase. */
class CouchbaseRelayStoreIT extends RelayStoreContract {
  @Override
  protected EventStreamRepository newStore() {
    CouchbaseTestServer server = CouchbaseTestServer.shared();
    return CouchbaseEventStreamRepository.builder(
            server.collection(), new EventSerializer(contractTypes()))
        .keyPrefix(server.newKeyPrefix())
        .build();
  }
}
