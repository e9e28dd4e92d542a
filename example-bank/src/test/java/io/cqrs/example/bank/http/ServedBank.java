package io.cqrs.example.bank.http;

import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankInfrastructure;
import io.cqrs.example.bank.domain.PasswordHasher;
import java.net.URI;
import java.util.List;

/**
 * A bank served over HTTP on a free port of 127.0.0.1, as {@code serve} runs it, for the {@link
 * ApiClient} users: its infrastructure, the bank (cheap password hashes, the given interceptors)
 * and the server, closed in reverse order.
 *
 * @param infrastructure where the bank runs
 * @param bank the started bank
 * @param server its HTTP server
 */
record ServedBank(BankInfrastructure infrastructure, Bank bank, BankHttpServer server)
    implements AutoCloseable {

  /** The bank on the in-memory store and buses; commands run in the request. */
  static ServedBank inMemory(Object... interceptors) {
    return on(BankInfrastructure.inMemory(), false, interceptors);
  }

  /**
   * The bank on {@code infrastructure}, which it closes when closed (or when the bank cannot
   * start).
   *
   * @param commandsOverBus whether commands answer 202 and go over the bus
   */
  static ServedBank on(
      BankInfrastructure infrastructure, boolean commandsOverBus, Object... interceptors) {
    Bank bank = null;
    try {
      bank =
          Bank.builder(infrastructure)
              .passwords(new PasswordHasher(1_000))
              .interceptors(List.of(interceptors))
              .build()
              .start();
      BankHttpServer server =
          BankHttpServer.start(
              bank,
              BankHttpServer.Settings.of("127.0.0.1", 0, ApiClient.users())
                  .withCommandsOverBus(commandsOverBus));
      return new ServedBank(infrastructure, bank, server);
    } catch (RuntimeException | Error e) {
      if (bank != null) {
        bank.close();
      }
      infrastructure.close();
      throw e;
    }
  }

  URI uri() {
    return server.uri();
  }

  @Override
  public void close() {
    server.close();
    bank.close();
    infrastructure.close();
  }
}
