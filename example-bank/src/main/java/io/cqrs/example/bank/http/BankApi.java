package io.cqrs.example.bank.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankHealth;
import io.cqrs.example.bank.BankService;
import io.cqrs.example.bank.domain.Money;
import io.cqrs.example.bank.domain.UnknownAccountException;
import io.cqrs.example.bank.domain.UnknownTransferException;
import io.cqrs.example.bank.http.ApiJson.AccountJson;
import io.cqrs.example.bank.http.ApiJson.EventJson;
import io.cqrs.example.bank.http.ApiJson.HealthJson;
import io.cqrs.example.bank.http.ApiJson.TransferJson;
import io.cqrs.example.bank.http.Router.Request;
import java.util.List;
import java.util.Map;

/**
 * The bank's routes. Commands run synchronously through {@link BankService}, so a client learns at
 * once whether its command was refused; single resources are read from the write model, so a client
 * always sees its own writes; lists come from the read models, which lag by a few milliseconds.
 */
final class BankApi {
  private final Bank bank;
  private final BankService service;
  private final ObjectMapper mapper;

  BankApi(Bank bank, ObjectMapper mapper) {
    this.bank = bank;
    this.service = bank.service();
    this.mapper = mapper;
  }

  Router router() {
    return new Router()
        .add("GET", "/health", this::health)
        .add("POST", "/accounts", this::openAccount)
        .add("GET", "/accounts", request -> Response.ok(bank.accounts().all()))
        .add("GET", "/accounts/{id}", request -> Response.ok(account(request.path("id"))))
        .add("GET", "/accounts/{id}/history", this::history)
        .add("POST", "/accounts/{id}/credit", this::credit)
        .add("POST", "/accounts/{id}/debit", this::debit)
        .add("POST", "/accounts/{id}/email", this::changeEmail)
        .add("POST", "/accounts/{id}/password", this::changePassword)
        .add("POST", "/accounts/{id}/close", this::close)
        .add("POST", "/transfers", this::transfer)
        .add("GET", "/transfers", request -> Response.ok(bank.transfers().all()))
        .add("GET", "/transfers/{id}", request -> Response.ok(transfer(request.path("id"))));
  }

  /** 200 while both buses consume with every listener, 503 otherwise: a readiness check. */
  private Response health(Request request) {
    BankHealth health = bank.health();
    return new Response(health.ready() ? 200 : 503, HealthJson.of(health), Map.of());
  }

  private Response openAccount(Request request) {
    JsonBody body =
        JsonBody.parse(
            mapper, request.body(), "firstName", "lastName", "email", "password", "initialBalance");
    String id =
        service.openAccount(
            body.text("firstName"),
            body.text("lastName"),
            body.text("email"),
            body.text("password"),
            body.amount("initialBalance", Money.ZERO));
    return Response.created("/accounts/" + id, account(id));
  }

  private Response history(Request request) {
    List<EventJson> events =
        service.history(request.path("id")).stream()
            .map(event -> EventJson.of(mapper, event))
            .toList();
    return Response.ok(events);
  }

  private Response credit(Request request) {
    String id = request.path("id");
    service.credit(id, JsonBody.parse(mapper, request.body(), "amount").amount("amount"));
    return Response.ok(account(id));
  }

  private Response debit(Request request) {
    String id = request.path("id");
    service.debit(id, JsonBody.parse(mapper, request.body(), "amount").amount("amount"));
    return Response.ok(account(id));
  }

  private Response changeEmail(Request request) {
    String id = request.path("id");
    service.changeEmailAddress(id, JsonBody.parse(mapper, request.body(), "email").text("email"));
    return Response.ok(account(id));
  }

  private Response changePassword(Request request) {
    String id = request.path("id");
    service.changePassword(id, JsonBody.parse(mapper, request.body(), "password").text("password"));
    return Response.ok(account(id));
  }

  private Response close(Request request) {
    String id = request.path("id");
    if (request.body().length > 0) {
      JsonBody.parse(mapper, request.body());
    }
    service.closeAccount(id);
    return Response.ok(account(id));
  }

  private Response transfer(Request request) {
    JsonBody body =
        JsonBody.parse(mapper, request.body(), "fromAccountId", "toAccountId", "amount");
    String id =
        service.transfer(
            body.text("fromAccountId"), body.text("toAccountId"), body.amount("amount"));
    return Response.accepted("/transfers/" + id, transfer(id));
  }

  private AccountJson account(String id) {
    return AccountJson.of(
        service.findAccount(id).orElseThrow(() -> new UnknownAccountException(id)));
  }

  private TransferJson transfer(String id) {
    return TransferJson.of(
        service.findTransfer(id).orElseThrow(() -> new UnknownTransferException(id)));
  }
}
