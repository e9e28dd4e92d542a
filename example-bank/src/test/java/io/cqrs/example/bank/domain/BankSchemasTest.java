package io.cqrs.example.bank.domain;

import io.cqrs.testing.SchemaLock;
import org.junit.jupiter.api.Test;

/**
 * The bank's events and commands still read what it has stored: their JSON shapes at every revision
 * are recorded in {@code src/test/resources/cqrs-schemas.json}, which a change to a message class
 * must keep readable (docs/schema-evolution.md, "Checking changes in a test"). The record holds
 * {@code AccountOpened} at revision 1, before accounts had owners, as well as today's revision 2.
 */
class BankSchemasTest {
  @Test
  void storedMessagesStillRead() {
    SchemaLock.of(BankTypes.registry()).requireUpToDate(true).verify();
  }
}
