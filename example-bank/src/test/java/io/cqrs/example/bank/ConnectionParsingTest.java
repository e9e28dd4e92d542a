package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Well-formed connection settings are read as written; the malformed are in ConnectionSettingsTest.
 */
class ConnectionParsingTest {
  @Test
  void a_well_formed_uri_is_decoded() {
    AmqpUri uri =
        AmqpUri.parse("amqps://bank%40ops:p%3Aw%2Fd@[::1]:5671/vh%2Fone", "--rabbitmq-uri");

    assertThat(uri.tls()).isTrue();
    assertThat(uri.username()).isEqualTo("bank@ops");
    assertThat(uri.password()).isEqualTo("p:w/d");
    assertThat(uri.host()).isEqualTo("[::1]");
    assertThat(uri.port()).isEqualTo(5671);
    assertThat(uri.virtualHost()).isEqualTo("vh/one");
    assertThat(uri.toString()).doesNotContain("p:w/d").doesNotContain("p%3Aw");
    assertThat(AmqpUri.parse("amqp://mq.example", "x").port()).isEqualTo(5672);
    assertThat(AmqpUri.parse("amqp://mq.example", "x").virtualHost()).isEqualTo("/");
    assertThat(AmqpUri.parse("amqp://10.0.0.1:5673/%2f", "x").host()).isEqualTo("10.0.0.1");
  }

  @Test
  void a_well_formed_couchbase_connection_is_taken_as_written() {
    assertThat(
            CouchbaseConnection.parse(
                    "couchbase://127.0.0.1:11210=kv,127.0.0.1:8091=manager", "setting")
                .hosts())
        .containsExactly("127.0.0.1:11210=kv", "127.0.0.1:8091=manager");
    assertThat(CouchbaseConnection.parse("couchbases://db.example?network=external", "s").tls())
        .isTrue();
  }
}
