package io.cqrs.example.bank;

import io.cqrs.TrackingEventProcessor;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.example.bank.readmodel.ReadModelGeneration;
import java.io.PrintStream;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A blue/green rebuild of the bank's read models, the {@code rebuild} command: processors of a new
 * generation replay the whole integration log into fresh views while the live generation keeps
 * serving (and workers keep sending commands); once they have caught up with the log, the new views
 * are compared with the live ones, and if they agree the {@link ReadModelGeneration} switches to
 * the new generation. Serving processes read the generation when they start, so restarting them
 * moves them over; the new generation's processors resume from the checkpoints the rebuild saved.
 * The old generation's views and processor state stay until someone removes them.
 */
public final class BlueGreenRebuild {
  private static final DateTimeFormatter NAMES = DateTimeFormatter.ofPattern("'g'yyyyMMdd-HHmmss");

  private final Bank bank;
  private final PrintStream out;
  private final Duration timeout;

  /**
   * @param bank the bank whose read models (of the serving generation) are the live ones
   * @param out where progress is printed
   * @param timeout how long the replay may take to catch up with the log
   */
  public BlueGreenRebuild(Bank bank, PrintStream out, Duration timeout) {
    this.bank = Objects.requireNonNull(bank, "bank");
    this.out = Objects.requireNonNull(out, "out");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  /**
   * The new generation's place in the bucket is taken: documents exist under its namespace ({@code
   * <prefix>-<generation>}), which is then another bank's prefix, another bank's generation, or an
   * earlier rebuild's. Emptying it first, as a rebuild does, would delete them; nothing was
   * changed.
   */
  public static final class TargetInUseException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    TargetInUseException(String message) {
      super(message);
    }
  }

  /** What a rebuild did: the generations, and where the new one disagreed with the live one. */
  public record Result(String live, String rebuilt, boolean switched, List<String> differences) {}

  /**
   * Rebuilds into a generation named after the time, {@code gYYYYMMDD-HHMMSS-xxxx}, and switches to
   * it if it agrees with the live one.
   */
  public Result run() throws Exception {
    // The time for people, a random part so that two rebuilds never share processor names.
    return run(
        ZonedDateTime.now(ZoneOffset.UTC).format(NAMES)
            + "-"
            + UUID.randomUUID().toString().substring(0, 4));
  }

  /**
   * Rebuilds into generation {@code next} (a name never used before: its processors must start from
   * the beginning of the log) and switches to it if it agrees with the live one.
   *
   * @throws TargetInUseException if documents exist where the new generation's would go; then
   *     nothing was written or deleted
   */
  public Result run(String next) throws Exception {
    if (ReadModelGeneration.validated(next).isEmpty()) {
      throw new IllegalArgumentException("a rebuild needs a new generation's name, not ''");
    }
    ReadModelGeneration pointer = bank.infrastructure().generation();
    String live = bank.generation();
    String namespace = bank.infrastructure().namespaceOf(next);
    // Keys are '<namespace>::...' and no prefix holds ':', so only documents under exactly this
    // namespace could be emptied below: a bank whose prefix it is, a generation of a shorter
    // prefix that ends the same way ('P' serving 'a-b' and 'P-a' rebuilding into 'b'), or an
    // earlier rebuild that used the name.
    if (bank.infrastructure().holdsDocuments(namespace)) {
      throw new TargetInUseException(
          "rebuild would write generation '"
              + next
              + "' under '"
              + namespace
              + "', which already holds documents (a bank whose prefix that is, a generation of"
              + " another bank, or an earlier rebuild); choose another --generation. Nothing was"
              + " changed.");
    }
    BankReadModels rebuilt =
        new BankReadModels(bank.infrastructure().store(), bank.infrastructure().viewsOf(next));
    out.println("Rebuilding the read models as generation '" + next + "' beside '" + live + "'");
    List<TrackingEventProcessor> processors =
        rebuilt.processors(next, Bank.READ_MODEL_SEGMENTS, bank.cqrs().interceptors());
    List<String> differences;
    try {
      processors.forEach(TrackingEventProcessor::start);
      long head =
          BankReadModels.awaitCaughtUp(
              processors, timeout, Progress.to(out, "replay", "log positions"));
      out.println(
          "Caught up with the integration log at position "
              + head
              + ": "
              + rebuilt.accounts().size()
              + " accounts, "
              + rebuilt.users().size()
              + " users, "
              + rebuilt.transfers().size()
              + " transfers");
      differences = new ArrayList<>(rebuilt.differencesAtEqualVersions(bank.readModels(), out));
      // Compared at equal versions only, a view no event made would pass for one in flight.
      differences.addAll(bank.readModels().viewsAheadOfTheStore());
    } finally {
      processors.forEach(TrackingEventProcessor::close);
    }
    if (!differences.isEmpty()) {
      out.println("The rebuilt read models differ from the live ones; not switched:");
      differences.forEach(difference -> out.println("  " + difference));
      return new Result(live, next, false, differences);
    }
    boolean switched = pointer.switchFrom(live, next);
    out.println(
        switched
            ? "Rebuilt read models equal to the live ones: switched from generation '"
                + live
                + "' to '"
                + next
                + "'; processes started from now on serve it (restart serve and worker processes)"
            : "Another rebuild switched the generation first; '" + next + "' is not serving");
    return new Result(live, next, switched, differences);
  }
}
