package io.cqrs.couchbase;

import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.couchbase.testing.CouchbaseTestServer;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.testing.CommandDeduplicationContract;

/** Exactly-once effect of commands, end to end, on Couchbase. */
class CouchbaseCommandDeduplicationIT extends CommandDeduplicationContract {
  @Override
  protected EventStreamRepository newStore(TypeRegistry types) {
    CouchbaseTestServer server = CouchbaseTestServer.shared();
    return CouchbaseEventStreamRepository.builder(server.collection(), new EventSerializer(types))
        .keyPrefix(server.newKeyPrefix())
        .build();
  }

  @Override
  protected int stressCommands() {
    // Each save is three round trips to a simulator on two cores: fewer commands, same races.
    return 300;
  }
}
