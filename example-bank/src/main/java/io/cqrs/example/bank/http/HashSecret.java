package io.cqrs.example.bank.http;

import io.cqrs.example.bank.domain.PasswordHasher;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Prints the hash of a secret for {@code BANK_API_USERS}: {@code java -cp example-bank.jar
 * io.cqrs.example.bank.http.HashSecret}. The secret is read from the terminal without echo, or as
 * the first line of standard input, never from the command line, where {@code ps} would show it.
 */
public final class HashSecret {
  private HashSecret() {}

  /** Reads a secret and prints its hash; exits 2 if there is none or it is too short or long. */
  public static void main(String[] args) throws IOException {
    System.exit(run(System.out, System.err));
  }

  static int run(PrintStream out, PrintStream err) throws IOException {
    Console console = System.console();
    String secret;
    if (console != null) {
      char[] typed = console.readPassword("Secret: ");
      secret = typed == null ? null : new String(typed);
    } else {
      secret =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    }
    if (secret == null) {
      err.println("HashSecret: no secret given on standard input");
      return 2;
    }
    try {
      out.println(new PasswordHasher().hash(secret));
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("HashSecret: " + e.getMessage());
      return 2;
    }
  }
}
