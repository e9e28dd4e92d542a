/**
 * Test support for Couchbase: the server integration tests run against ({@link
 * io.cqrs.couchbase.testing.CouchbaseTestServer}) and CouchbaseMock as a separate process.
 * Published in this module's test-jar for other modules' tests.
 */
package io.cqrs.couchbase.testing;
