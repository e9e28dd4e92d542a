/**
 * Test support for Couchbase: the server integration tests run against ({@link
 * io.cqrs.couchbase.testing.CouchbaseTestServer}), a cluster, a container or CouchbaseMock (started
 * by the cqrs-couchbase-mock module). Published in this module's test-jar for other modules' tests.
 */
package io.cqrs.couchbase.testing;
