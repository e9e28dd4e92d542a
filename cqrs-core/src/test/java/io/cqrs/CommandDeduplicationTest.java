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
    return CommandDispatchManager.builder(null, types)
        .errorLog(store)
        .deduplicate(deduplicate)
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
}
