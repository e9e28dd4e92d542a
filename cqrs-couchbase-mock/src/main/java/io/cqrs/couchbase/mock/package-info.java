/**
 * CouchbaseMock started the one way the tests, the benchmarks and the scale-out run use: in this
 * JVM ({@link io.cqrs.couchbase.mock.InProcessCouchbaseMock}) or as a separate process ({@link
 * io.cqrs.couchbase.mock.CouchbaseMockProcess}), both with TCP_NODELAY on its KV connections, as
 * Couchbase Server has it, and without the mock's re-parsing of a whole document for every
 * sub-document spec ({@link io.cqrs.couchbase.mock.SubdocParsePatch}), which otherwise dominates
 * what a benchmark allocates, and answering the protocol's {@code GET_META} (the SDK's {@code
 * exists}) as Couchbase Server does ({@link io.cqrs.couchbase.mock.GetMetaPatch}).
 */
package io.cqrs.couchbase.mock;
