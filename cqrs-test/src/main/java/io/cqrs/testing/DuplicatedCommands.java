package io.cqrs.testing;

import io.cqrs.Command;
import io.cqrs.testing.CommandDeduplicationContract.Add;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A load for exactly-once tests: {@code Add} commands on a few hot counters, each delivered two or
 * three times, the deliveries shuffled so that copies of one command arrive both together and far
 * apart.
 *
 * @param sent every command once
 * @param deliveries every delivery, in the order to publish them
 */
public record DuplicatedCommands(List<Command> sent, List<Command> deliveries) {

  /** {@code commands} commands on counters {@code hot-0 .. hot-<hot - 1>}, seeded. */
  public static DuplicatedCommands of(int commands, int hot, long seed) {
    Random random = new Random(seed);
    List<Command> sent = new ArrayList<>();
    List<Command> deliveries = new ArrayList<>();
    for (int i = 0; i < commands; i++) {
      Command add = Command.create(new Add("hot-" + random.nextInt(hot), 1 + random.nextInt(9)));
      sent.add(add);
      for (int copies = 2 + random.nextInt(2); copies > 0; copies--) {
        deliveries.add(add);
      }
    }
    Collections.shuffle(deliveries, random);
    return new DuplicatedCommands(List.copyOf(sent), List.copyOf(deliveries));
  }
}
