package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.ProcessManagerShutdownTest.Follow;
import io.cqrs.ProcessManagerShutdownTest.Followed;
import io.cqrs.ProcessManagerShutdownTest.Open;
import io.cqrs.ProcessManagerShutdownTest.Opened;
import io.cqrs.ProcessManagerShutdownTest.Thing;
import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@link Cqrs#processor(String, java.util.function.Consumer)}: a process manager on a tracking
 * processor, given its handler by the settings, with the instance's interceptors around it as a
 * read model's processor has them.
 */
class CqrsProcessManagerTest {
  private static Cqrs app(InMemoryEventStreamRepository store, List<String> seen) {
    EventHandlerInterceptor watch =
        handling -> {
          seen.add(handling.component() + ":" + handling.message().eventType());
          return handling.proceed();
        };
    Cqrs cqrs =
        Cqrs.builder()
            .store(store)
            .aggregate(Thing.class, Opened.class, Followed.class)
            .interceptors(watch)
            .build();
    EventSourcingRepository repository = cqrs.repository();
    cqrs.onCommand(
        Open.class,
        (open, command) -> {
          Thing thing = new Thing(open.id());
          thing.open();
          repository.save(thing, command);
        });
    cqrs.onCommand(
        Follow.class,
        (follow, command) -> {
          Thing thing = repository.get(follow.id(), Thing::new);
          thing.follow();
          repository.save(thing, command);
        });
    return cqrs;
  }

  @Test
  void a_process_manager_given_by_the_settings_runs_with_the_instances_interceptors() {
    InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
    List<String> seen = new CopyOnWriteArrayList<>();
    try (Cqrs cqrs = app(store, seen)) {
      cqrs.processor(
          "steps",
          p ->
              p.asyncHandler(
                      event ->
                          event.event() instanceof Opened opened
                              ? cqrs.commandBus()
                                  .publishAsync(
                                      List.of(
                                          Command.reactingTo(
                                              event, new Follow(opened.id()), opened.id() + "/f")))
                              : CompletableFuture.completedFuture(null))
                  .segments(2));
      cqrs.start();
      cqrs.send(new Open("t-1"));

      Await.until(
          Duration.ofSeconds(10),
          "the process manager's step took effect",
          () -> store.load("t-1").stream().anyMatch(e -> e.event() instanceof Followed));
      assertThat(seen).contains("steps:Opened");
    }
  }

  @Test
  void settings_that_give_no_handler_are_refused_naming_the_processor() {
    try (Cqrs cqrs = app(new InMemoryEventStreamRepository(), new CopyOnWriteArrayList<>())) {
      assertThatThrownBy(() -> cqrs.processor("steps", p -> p.segments(2)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("'steps'")
          .hasMessageContaining("asyncHandler");
    }
  }
}
