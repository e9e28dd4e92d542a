/**
 * CouchbaseMock started the one way the tests, the benchmarks and the scale-out run use: in this
 * JVM ({@link io.cqrs.couchbase.mock.InProcessCouchbaseMock}) or as a separate process ({@link
 * io.cqrs.couchbase.mock.CouchbaseMockProcess}), both with TCP_NODELAY on its KV connections, as
 * Couchbase Server has it.
 */
package io.cqrs.couchbase.mock;
