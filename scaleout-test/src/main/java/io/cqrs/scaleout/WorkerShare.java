package io.cqrs.scaleout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What one worker did, counted from its log ({@code io.cqrs.CommandDispatchManager} at debug): the
 * commands it handled, of which rejected ones are logged apart, deliveries it skipped as handled
 * before, deliveries whose commit the store refused as a second effect of their command, and
 * optimistic-concurrency conflicts it retried. Commands include those the transfer process sends,
 * not only the publishers'.
 *
 * @param worker the worker's name
 * @param handled commands whose handler completed here
 * @param rejected commands rejected here (a domain rule refused them)
 * @param duplicatesSkipped deliveries recognised as handled before, without running the handler
 * @param duplicatesRefused deliveries that ran the handler and whose commit the store refused
 *     because the stream already held the command's effect ({@code DuplicateCommandException})
 * @param conflicts conflicts retried here
 */
public record WorkerShare(
    String worker,
    long handled,
    long rejected,
    long duplicatesSkipped,
    long duplicatesRefused,
    long conflicts) {

  /** Counts the lines of {@code log}. */
  static WorkerShare fromLog(String worker, Path log) throws IOException {
    return fromLines(worker, Files.readAllLines(log));
  }

  /** Counts {@code lines}. */
  static WorkerShare fromLines(String worker, List<String> lines) {
    long handled = 0;
    long rejected = 0;
    long duplicates = 0;
    long refused = 0;
    long conflicts = 0;
    for (String line : lines) {
      if (!line.contains("CommandDispatchManager - ")) {
        continue;
      }
      if (line.contains(" - Handled ")) {
        handled++;
      } else if (line.contains(") rejected: ")) {
        rejected++;
      } else if (line.contains(" was handled before")) {
        duplicates++;
      } else if (line.contains(" took effect in an earlier delivery")) {
        refused++;
      } else if (line.contains(" - Conflict on ")) {
        conflicts++;
      }
    }
    return new WorkerShare(worker, handled, rejected, duplicates, refused, conflicts);
  }

  /** Commands this worker took to an outcome: handled plus rejected. */
  public long commands() {
    return handled + rejected;
  }
}
