package io.cqrs.scaleout;

import io.cqrs.Command;
import io.cqrs.CqrsException;
import io.cqrs.EventSerializer;
import io.cqrs.TypeRegistry;
import io.cqrs.example.bank.InfrastructureOptions;
import io.cqrs.example.bank.InfrastructureOptions.Bus;
import io.cqrs.example.bank.InfrastructureOptions.Store;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.rabbitmq.RabbitCommandBus;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * A publisher process of the scale-out test: sends its {@link CommandPlan} to the bank's command
 * service through {@link RabbitCommandBus} and appends every command the broker confirmed to a
 * file, one JSON line each ({@link SentCommand}, with the time its batch was first sent), for the
 * harness to check against the store and to chart.
 *
 * <p>Usage: {@code Publisher --prefix P --id p1 --accounts a,b,c --count N --seed S --out FILE
 * [--rate R] [--duplicates D] [--wait-for-go true]} with the broker from {@code CQRS_RABBITMQ_URI}
 * (one URI, or one per node of a cluster separated by commas, as example-bank takes it) and the
 * queue type from {@code CQRS_RABBITMQ_QUEUE_TYPE} ({@code classic} by default), so that its bus is
 * built as the workers' are. With a rate, it sends at most R commands per second, so that its
 * commands are spread over the run rather than sent at once. With duplicates, D % of the N commands
 * are published a second time with the same message id, some right after the original and some
 * later ({@link CommandPlan#publications}); the second publication is logged as a line of its own,
 * marked {@code duplicate}. A batch the broker did not confirm (for instance while the harness
 * closes connections or stops the broker) is sent again with the same message ids until a deadline;
 * the workers' deduplication makes a resent command harmless. Prints {@code SENT n} (first
 * publications) as it goes and {@code DONE n d} (commands, duplicates) at the end; exits 1 if a
 * batch could not be sent in time. With {@code --wait-for-go true} it connects, prints {@code
 * READY} and sends nothing until it reads {@code GO} on standard input.
 */
public final class Publisher {
  static final int BATCH = 20;
  private static final int PROGRESS_EVERY = 100;
  private static final Duration RESEND_DEADLINE = Duration.ofSeconds(90);
  private static final Duration RESEND_PAUSE = Duration.ofMillis(250);

  private Publisher() {}

  /** Runs a publisher; see the class description for the arguments. */
  public static void main(String[] args) throws IOException {
    Map<String, String> options = Options.parse(args);
    String prefix = Options.required(options, "prefix");
    // The broker settings as example-bank reads them, so that this bus is built as the workers'
    // are; a publisher declares exchanges only, so the queue type matters once it declares more.
    InfrastructureOptions broker =
        InfrastructureOptions.fromEnvironment(Store.MEMORY, Bus.RABBITMQ, prefix, System.getenv());
    List<String> uris =
        RabbitCommandBus.splitUris(
            Objects.requireNonNull(broker.rabbitmqUri(), "CQRS_RABBITMQ_URI"));
    String id = Options.required(options, "id");
    List<String> accounts = Arrays.asList(Options.required(options, "accounts").split(","));
    int count = Integer.parseInt(Options.required(options, "count"));
    long seed = Long.parseLong(Options.required(options, "seed"));
    Path out = Path.of(Options.required(options, "out"));
    int rate = Integer.parseInt(options.getOrDefault("rate", "0"));
    int duplicatePercent = Integer.parseInt(options.getOrDefault("duplicates", "0"));
    boolean waitForGo = Boolean.parseBoolean(options.getOrDefault("wait-for-go", "false"));
    TypeRegistry types = BankTypes.registry();
    List<SentCommand> publications =
        CommandPlan.publications(
            CommandPlan.generate(id, seed, accounts, count),
            duplicatePercent,
            seed ^ id.hashCode());
    try (RabbitCommandBus bus =
        RabbitCommandBus.builder(uris, new EventSerializer(types))
            .prefix(prefix)
            .connectionName(prefix + "-publisher-" + id)
            .queueType(broker.rabbitmqQueueType())
            .build()) {
      if (waitForGo) {
        awaitGo();
      }
      int sent = send(publications, bus, types, out, rate, System.out);
      System.out.println("DONE " + sent + " " + (publications.size() - sent));
    } catch (IllegalStateException e) {
      System.out.println("FAILED " + e.getMessage());
      System.exit(1);
    }
    System.exit(0);
  }

  /**
   * Says {@code READY} (its JVM started, its plan made, its bus connected) and waits for the line
   * {@code GO} on standard input, so that a run can start its clock on publishers that are ready to
   * send rather than on JVMs starting.
   *
   * @throws IllegalStateException if standard input ends or says anything else
   */
  private static void awaitGo() throws IOException {
    System.out.println("READY");
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line = in.readLine();
    if (!"GO".equals(line)) {
      throw new IllegalStateException("expected GO on standard input, got " + line);
    }
  }

  /**
   * Sends the publications in batches and records each confirmed batch; returns how many commands
   * were sent, duplicates not counted.
   *
   * @param rate at most this many publications per second, or 0 for no limit
   */
  static int send(
      List<SentCommand> publications,
      RabbitCommandBus bus,
      TypeRegistry types,
      Path out,
      int rate,
      PrintStream log)
      throws IOException {
    long planned = publications.stream().filter(p -> !p.duplicate()).count();
    int sent = 0;
    long start = System.nanoTime();
    try (BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      for (int from = 0; from < publications.size(); from += BATCH) {
        if (rate > 0) {
          // Pacing, not synchronisation: batch k is due k * BATCH / rate seconds after the start.
          long due = start + (long) (from * 1e9 / rate);
          LockSupport.parkNanos(due - System.nanoTime());
        }
        List<SentCommand> batch =
            publications.subList(from, Math.min(publications.size(), from + BATCH));
        List<Command> commands = CommandPlan.toCommands(batch, types);
        long sentAt = System.currentTimeMillis();
        publishUntilConfirmed(bus, commands, log);
        for (SentCommand command : batch) {
          writer.write(command.sentAt(sentAt).toJsonLine());
          writer.newLine();
        }
        writer.flush();
        int before = sent;
        sent += (int) batch.stream().filter(c -> !c.duplicate()).count();
        if (sent / PROGRESS_EVERY != before / PROGRESS_EVERY || sent == planned) {
          log.println("SENT " + sent);
        }
      }
    }
    return sent;
  }

  /**
   * Publishes {@code commands} until the broker confirms them, sending them again (same message
   * ids) after a refusal or a timeout, until {@link #RESEND_DEADLINE}.
   *
   * @throws IllegalStateException if the deadline passes first
   */
  static void publishUntilConfirmed(RabbitCommandBus bus, List<Command> commands, PrintStream log) {
    long deadline = System.nanoTime() + RESEND_DEADLINE.toNanos();
    while (true) {
      try {
        bus.publish(commands);
        return;
      } catch (CqrsException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the broker did not confirm a batch within " + RESEND_DEADLINE + ": " + e, e);
        }
        log.println("RESEND " + commands.get(0).messageId() + " after " + e);
        // A back-off while the broker recovers, not a synchronisation: the next attempt decides.
        LockSupport.parkNanos(RESEND_PAUSE.toNanos());
      }
    }
  }
}
