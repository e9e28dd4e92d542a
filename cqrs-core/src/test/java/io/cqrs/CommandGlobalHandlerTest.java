package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.memory.InMemoryEventStreamRepository;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class CommandGlobalHandlerTest {
  record Ping(String text) {}

  record Pong(String text) {}

  private final InMemoryEventStreamRepository errorLog = new InMemoryEventStreamRepository();
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final CommandDispatchManager commands =
      CommandDispatchManager.builder(null, new TypeRegistry()).errorLog(errorLog).build();

  @Test
  void global_handlers_run_after_the_typed_handler_for_every_command() throws Exception {
    commands
        .registerCommandHandler(Ping.class, (ping, envelope) -> calls.add("ping " + ping.text()))
        .registerCommandHandler(Pong.class, (pong, envelope) -> calls.add("pong " + pong.text()))
        .registerGlobalHandler((body, envelope) -> calls.add("audit " + envelope.commandType()));

    commands.dispatch(Command.create(new Ping("a")));
    commands.dispatch(Command.create(new Pong("b")));

    assertThat(calls).containsExactly("ping a", "audit Ping", "pong b", "audit Pong");
  }

  @Test
  void a_failing_global_handler_fails_the_command_once_and_records_the_failure() {
    commands
        .registerCommandHandler(Ping.class, (ping, envelope) -> calls.add("ping"))
        .registerGlobalHandler(
            (body, envelope) -> {
              throw new ConcurrencyException("audit", 1, 2);
            });
    Command ping = Command.create(new Ping("a"));

    assertThatThrownBy(() -> commands.dispatch(ping)).isInstanceOf(ConcurrencyException.class);

    assertThat(calls).containsExactly("ping");
    assertThat(errorLog.eventsByCorrelationId(ping.correlationId()))
        .extracting(VersionedEvent::eventType)
        .containsExactly("CommandFailed");
  }
}
