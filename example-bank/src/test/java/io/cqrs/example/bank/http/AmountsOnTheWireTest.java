package io.cqrs.example.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.EventSerializer;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.example.bank.http.ApiClient.Reply;
import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.interceptor.Handling;
import io.cqrs.interceptor.Outcome;
import java.math.BigDecimal;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Amounts however a client writes them ({@code 0e-1500}, {@code 1e2147483647}) are answered with
 * success or a 400 naming the field, never a 500, and a command only ever carries a two-decimal
 * amount: one a bus writes in a few characters and a worker reads back (Jackson refuses numbers
 * over 1000 characters, which {@code 0E-1500} written out plainly is).
 */
class AmountsOnTheWireTest {
  private static final Queue<Command> HANDLED = new ConcurrentLinkedQueue<>();
  private static final EventSerializer WIRE = new EventSerializer(BankTypes.registry());
  private static ServedBank served;
  private static ApiClient alice;

  /** Keeps every command the bank handles. */
  private static final class Recorder implements CommandHandlerInterceptor {
    @Override
    public Outcome interceptCommand(Handling<Command> handling) throws Exception {
      HANDLED.add(handling.message());
      return handling.proceed();
    }
  }

  @BeforeAll
  static void start() {
    served = ServedBank.inMemory(new Recorder());
    alice = ApiClient.as("alice", served.uri());
  }

  @AfterAll
  static void stop() {
    served.close();
  }

  /** The amount a command carries, as a bus would deliver it to a worker. */
  private static BigDecimal delivered(String commandId) {
    Command command =
        HANDLED.stream()
            .filter(handled -> handled.messageId().equals(commandId))
            .findFirst()
            .orElseThrow();
    Object body = WIRE.deserializeCommand(WIRE.serialize(command)).body();
    if (body instanceof OpenAccount open) {
      return open.initialBalance();
    }
    if (body instanceof CreditAccount credit) {
      return credit.amount();
    }
    return ((CreateMoneyTransfer) body).amount();
  }

  private static String open(String initialBalance) {
    return "{\"firstName\":\"Zed\",\"lastName\":\"Zero\",\"email\":\"zed@cqrs.example\","
        + "\"password\":\"$ecretPassw0rd\",\"initialBalance\":"
        + initialBalance
        + "}";
  }

  private static void assertInvalid(Reply reply, String field) {
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(400);
    assertThat(reply.header("Content-Type")).startsWith(Problem.CONTENT_TYPE);
    assertThat(reply.body().path("field").asText(null)).as(reply.raw().body()).isEqualTo(field);
  }

  @Test
  void a_zero_balance_with_any_exponent_opens_an_account_with_0_00_on_the_wire() throws Exception {
    for (String zero :
        List.of(
            "0e-1500",
            "\"0e-1500\"",
            "0e-2147483647",
            "\"0e-2147483647\"",
            "\"0e2147483647\"",
            "-0e5",
            "\"-0e5\"")) {
      Reply reply = alice.post("/accounts", open(zero));

      assertThat(reply.status()).as(zero + ": " + reply.raw().body()).isEqualTo(201);
      BigDecimal delivered = delivered(reply.body().get("commandId").asText());
      assertThat(delivered.toPlainString()).as(zero).isEqualTo("0.00");
    }
  }

  @Test
  void amounts_reach_the_command_with_two_decimals() throws Exception {
    String id = alice.open("Wire", "0");
    String other = alice.open("Line", "0");

    Reply credit = alice.post("/accounts/" + id + "/credit", "{\"amount\":\"5e0\"}");
    Reply transfer = alice.transfer(id, other, "0.5E1");

    assertThat(credit.status()).as(credit.raw().body()).isEqualTo(200);
    assertThat(delivered(credit.body().get("commandId").asText()).toPlainString())
        .isEqualTo("5.00");
    assertThat(transfer.status()).as(transfer.raw().body()).isEqualTo(202);
    assertThat(delivered(transfer.body().get("commandId").asText()).toPlainString())
        .isEqualTo("5.00");
  }

  @Test
  void amounts_that_cannot_be_normalised_answer_400_naming_the_field() throws Exception {
    String id = alice.open("Huge", "1.00");
    String credit = "/accounts/" + id + "/credit";

    for (String amount :
        List.of(
            "1e2147483647",
            "\"1e2147483647\"",
            "1e-2147483647",
            "\"1e-2147483647\"",
            "\"1e2147483648\"",
            "0e-1500",
            "\"-0e5\"")) {
      assertInvalid(alice.post(credit, "{\"amount\":" + amount + "}"), "amount");
    }
    for (String balance : List.of("1e2147483647", "\"-1e-2147483647\"", "\"9e99999\"")) {
      assertInvalid(alice.post("/accounts", open(balance)), "initialBalance");
    }
    assertThat(served.bank().repository().store().version(id)).isEqualTo(1);
  }

  @Test
  void an_exponent_jackson_cannot_read_is_a_400_not_a_500() throws Exception {
    String id = alice.open("Exp", "1.00");

    for (String amount : List.of("1e2147483648", "1e-2147483649", "0e-99999999999")) {
      Reply reply = alice.post("/accounts/" + id + "/credit", "{\"amount\":" + amount + "}");

      assertThat(reply.status()).as(amount + ": " + reply.raw().body()).isEqualTo(400);
      assertThat(reply.header("Content-Type")).startsWith(Problem.CONTENT_TYPE);
    }
  }
}
