package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.scaleout.ConnectionLog.Kind;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ConnectionLogTest {
  private static final List<String> LOG =
      List.of(
          "09:50:01.100 [main] INFO BrokerConnection - Opened connection 'so1-commands/publish'"
              + " to node 127.0.0.1:20001",
          "09:50:01.300 [main] INFO BrokerConnection - Opened connection 'so1-commands/consume'"
              + " to node 127.0.0.1:20002",
          "09:50:02.000 [cqrs-bank-1] DEBUG CommandDispatchManager - Handled CreditAccount (p1-1)",
          "09:50:09.000 [AMQP Connection 127.0.0.1:20002] WARN ConnectionStatus - Connection"
              + " 'so1-commands/consume' to node 127.0.0.1:20002 lost, reconnecting to any of"
              + " [127.0.0.1:20001, 127.0.0.1:20002, 127.0.0.1:20003]: connection reset",
          "09:50:11.200 [AMQP Connection 127.0.0.1:20003] INFO ConnectionStatus - Connection"
              + " 'so1-commands/consume' recovered on node 127.0.0.1:20003 after 2.2 s (1 failed"
              + " attempt(s))");

  @Test
  void openings_losses_and_recoveries_are_read_with_the_node_each_reached() {
    ConnectionLog log = ConnectionLog.fromLines(LOG);

    assertThat(log.events())
        .extracting(ConnectionLog.Event::kind)
        .containsExactly(Kind.OPENED, Kind.OPENED, Kind.LOST, Kind.RECOVERED);
    assertThat(log.recoveries("so1-commands/consume"))
        .containsExactly(
            new ConnectionLog.Event(
                Kind.RECOVERED, "so1-commands/consume", "127.0.0.1:20003", 2.2));
    assertThat(log.recoveries("so1-commands/publish")).isEmpty();
  }

  @Test
  void a_connection_is_on_the_node_it_last_opened_or_recovered_on() {
    ConnectionLog before = ConnectionLog.fromLines(LOG.subList(0, 4));
    ConnectionLog after = ConnectionLog.fromLines(LOG);

    assertThat(before.currentNodes())
        .as("lost, not yet recovered: still counted on its old node")
        .isEqualTo(
            Map.of(
                "so1-commands/publish", "127.0.0.1:20001",
                "so1-commands/consume", "127.0.0.1:20002"));
    assertThat(after.currentNodes()).containsEntry("so1-commands/consume", "127.0.0.1:20003");
  }

  @Test
  void each_connection_is_described_by_the_nodes_it_went_through() {
    Function<String, String> node = address -> "n" + address.charAt(address.length() - 1);

    assertThat(ConnectionLog.fromLines(LOG).describe(node))
        .containsExactly("so1-commands/publish n1", "so1-commands/consume n2 → n3 (down 2.2 s)");
  }
}
