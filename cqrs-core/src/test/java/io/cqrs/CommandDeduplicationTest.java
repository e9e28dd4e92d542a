package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.memory.InMemoryEventStreamRepository;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CommandDeduplicationTest {
  record Add(String counterId, int amount) {}

  record Added(int amount) {}

  static final class Counter extends EventSourceBased {
    private int total;

    Counter(String id) {
      super(id);
    }

    void add(int amount) {
      if (amount < 0) {
        throw new IllegalArgumentException("negative amount");
      }
      update(new Added(amount));
    }

    private void handleAdded(Added e) {
      total += e.amount();
    }
  }

  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final TypeRegistry types =
      new TypeRegistry().registerAggregate(Counter.class, Added.class);
  private final EventSourcingRepository repository =
      EventSourcingRepository.builder(store, types).build();
  private final AtomicInteger runs = new AtomicInteger();

  private CommandDispatchManager manager(boolean deduplicate) {
    return manager(deduplicate, false);
  }

  private CommandDispatchManager manager(boolean deduplicate, boolean recordNoEffect) {
    return CommandDispatchManager.builder(null, types)
        .errorLog(store)
        .deduplicate(deduplicate)
        .recordNoEffect(recordNoEffect)
        .build()
        .registerCommandHandler(
            Add.class,
            (add, envelope) -> {
              runs.incrementAndGet();
              Counter counter =
                  repository
                      .find(add.counterId(), Counter::new)
                      .orElseGet(() -> new Counter(add.counterId()));
              counter.add(add.amount());
              repository.save(counter, envelope);
            });
  }

  @Test
  void a_redelivered_command_takes_effect_once() throws Exception {
    CommandDispatchManager commands = manager(true);
    Command add = Command.create(new Add("counter-1", 5));

    commands.dispatch(add);
    commands.dispatch(add);

    assertThat(runs.get()).isEqualTo(1);
    assertThat(repository.get("counter-1", Counter::new).total).isEqualTo(5);
  }

  @Test
  void a_redelivered_rejected_command_is_not_tried_again() throws Exception {
    CommandDispatchManager commands = manager(true);
    Command add = Command.create(new Add("counter-1", -1));
    assertThatThrownBy(() -> commands.dispatch(add)).isInstanceOf(IllegalArgumentException.class);

    commands.dispatch(add);

    assertThat(runs.get()).isEqualTo(1);
  }

  @Test
  void without_the_lookup_a_redelivered_command_runs_again_but_its_save_is_refused()
      throws Exception {
    CommandDispatchManager commands = manager(false);
    Command add = Command.create(new Add("counter-1", 5));

    commands.dispatch(add);
    commands.dispatch(add);

    assertThat(runs.get()).isEqualTo(2);
    assertThat(repository.get("counter-1", Counter::new).total).isEqualTo(5);
  }

  @Test
  void saving_one_instance_twice_for_one_command_is_one_effect_not_a_duplicate() throws Exception {
    Command add = Command.create(new Add("counter-1", 5));
    Counter counter = new Counter("counter-1");
    counter.add(2);
    repository.save(counter, add);
    counter.add(3);

    repository.save(counter, add);

    assertThat(repository.get("counter-1", Counter::new).total).isEqualTo(5);
    Counter fresh = repository.get("counter-1", Counter::new);
    fresh.add(7);
    assertThatThrownBy(() -> repository.save(fresh, add))
        .isInstanceOf(DuplicateCommandException.class)
        .hasMessageContaining("counter-1")
        .hasMessageContaining(add.messageId());
  }

  @Test
  void deduplication_without_a_store_to_look_in_is_rejected() {
    assertThatThrownBy(() -> CommandDispatchManager.builder(null, types).deduplicate(true).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("errorLog");
  }

  record SetTo(String counterId, int total) {}

  /**
   * A decision to do nothing is an outcome: a command that found the counter at its target changed
   * nothing, a later command moved the counter, and the first one's redelivery (a client's retry)
   * set it back, a second effect of one command, until such outcomes were recorded.
   */
  @Test
  void a_redelivered_command_that_changed_nothing_is_not_handled_again() throws Exception {
    CommandDispatchManager commands = manager(true, true);
    AtomicInteger setRuns = new AtomicInteger();
    commands.registerCommandHandler(
        SetTo.class,
        (set, envelope) -> {
          setRuns.incrementAndGet();
          Counter counter = repository.get(set.counterId(), Counter::new);
          if (counter.total != set.total()) {
            counter.add(set.total() - counter.total);
          }
          repository.save(counter, envelope);
        });
    commands.dispatch(Command.create(new Add("counter-1", 5)));
    Command setToFive = Command.create(new SetTo("counter-1", 5));

    commands.dispatch(setToFive); // already 5: nothing to do
    commands.dispatch(Command.create(new Add("counter-1", 3)));
    commands.dispatch(setToFive); // again

    assertThat(setRuns).hasValue(1);
    assertThat(repository.get("counter-1", Counter::new).total).isEqualTo(8);
    assertThat(store.eventsCausedBy(setToFive.correlationId(), setToFive.messageId()))
        .extracting(VersionedEvent::event)
        .containsExactly(new CommandHandled(setToFive.messageId(), "SetTo"));
  }

  /**
   * Recorded once everything after the handler succeeded too: a global handler that fails after a
   * handler that changed nothing leaves the command's failure alone, not a second outcome.
   */
  @Test
  void a_global_handler_failing_after_a_command_that_changed_nothing_records_one_outcome()
      throws Exception {
    CommandDispatchManager commands = manager(true, true);
    commands.registerCommandHandler(SetTo.class, (set, envelope) -> {});
    commands.registerGlobalHandler(
        (body, envelope) -> {
          throw new IllegalStateException("audit down");
        });
    Command nothing = Command.create(new SetTo("counter-1", 0));

    assertThatThrownBy(() -> commands.dispatch(nothing)).hasMessage("audit down");

    assertThat(store.eventsCausedBy(nothing.correlationId(), nothing.messageId()))
        .extracting(e -> e.event().getClass().getSimpleName())
        .containsExactly("CommandFailed");
  }

  @Test
  void recording_no_effect_needs_deduplication() {
    assertThatThrownBy(
            () ->
                CommandDispatchManager.builder(null, types)
                    .errorLog(store)
                    .recordNoEffect(true)
                    .build())
        .hasMessageContaining("recordNoEffect needs deduplicate(true)");
  }

  @Test
  void without_recording_nothing_is_recorded_for_a_command_that_changed_nothing() throws Exception {
    CommandDispatchManager commands = manager(true);
    commands.dispatch(Command.create(new Add("counter-1", 0)));
    Command nothing = Command.create(new SetTo("counter-1", 0));
    commands.registerCommandHandler(SetTo.class, (set, envelope) -> {});

    commands.dispatch(nothing);

    assertThat(store.eventsCausedBy(nothing.correlationId(), nothing.messageId())).isEmpty();
  }
}
