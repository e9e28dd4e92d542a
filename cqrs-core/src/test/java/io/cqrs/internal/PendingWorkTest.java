package io.cqrs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.interceptor.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** Which handling an asynchronous handler's work belongs to. */
class PendingWorkTest {
  private final List<String> order = new ArrayList<>();
  private final List<CompletionStage<?>> seen = new ArrayList<>();

  /** An interceptor that notes, after it proceeded, the work pending for its handling. */
  private HandlingChain.Link<String> recording(String name) {
    return handling -> {
      Outcome outcome = handling.proceed();
      order.add(name);
      seen.add(handling.pending());
      return outcome;
    };
  }

  @SuppressWarnings("unchecked")
  private HandlingChain.Link<String>[] links(String name) {
    return new HandlingChain.Link[] {recording(name)};
  }

  @Test
  void the_event_s_own_chain_gets_the_work_and_a_chain_its_handler_runs_gets_none()
      throws Exception {
    CompletableFuture<Void> stage = new CompletableFuture<>();
    PendingWork.open();
    try {
      HandlingChain.run(
          links("event"),
          "event",
          "processor",
          (event, attempts) -> {
            // A command the handler dispatches in this process, through interceptors of its own.
            HandlingChain.run(
                links("command"), "command", "direct", (c, a) -> Outcome.SUCCEEDED, String::equals);
            PendingWork.add(stage);
            return Outcome.SUCCEEDED;
          },
          String::equals);
    } finally {
      PendingWork.close();
    }

    assertThat(order).containsExactly("command", "event");
    assertThat(seen).containsExactly(null, stage);
  }

  @Test
  void the_stages_of_a_split_event_s_parts_end_the_handling_together() throws Exception {
    CompletableFuture<Void> first = new CompletableFuture<>();
    CompletableFuture<Void> second = new CompletableFuture<>();
    PendingWork.open();
    try {
      HandlingChain.run(
          links("event"),
          "event",
          "processor",
          (event, attempts) -> {
            PendingWork.add(first);
            PendingWork.add(second);
            return Outcome.SUCCEEDED;
          },
          String::equals);
    } finally {
      PendingWork.close();
    }

    CompletableFuture<?> both = seen.get(0).toCompletableFuture();
    first.complete(null);
    assertThat(both).isNotDone();
    second.complete(null);
    assertThat(both).isCompleted();
  }

  @Test
  void a_handling_outside_an_asynchronous_processor_has_no_pending_work() throws Exception {
    HandlingChain.run(
        links("event"), "event", "subscription", (e, a) -> Outcome.SUCCEEDED, String::equals);

    assertThat(seen).containsExactly((CompletionStage<?>) null);
    assertThatThrownBy(() -> PendingWork.add(new CompletableFuture<>()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("No asynchronous handling is open");
  }
}
