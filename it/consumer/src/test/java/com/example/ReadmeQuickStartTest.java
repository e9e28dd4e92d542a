package com.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Cqrs;
import io.cqrs.testing.Await;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start, run as it stands: the first {@code ```java} block of README.md is read
 * when the test runs, its type declarations placed in a class and its statements in a method of
 * that class, as a user would paste them, compiled against this project's classpath and run. Then
 * the deposit it sends must reach its read model and its aggregate. An edit that breaks the
 * README's code fails this test, with the compiler's messages and the generated source.
 */
class ReadmeQuickStartTest {
  private static final Pattern DECLARATION =
      Pattern.compile(
          "^(record |final class |class |sealed |non-sealed |enum |interface |}|@|//).*");

  @Test
  void the_quick_start_compiles_and_its_deposit_reaches_the_read_model_and_the_aggregate()
      throws Exception {
    Path readme = Path.of(System.getProperty("readme.file", "README.md"));
    Path work = Files.createDirectories(Path.of("target", "readme"));
    Path source = work.resolve("ReadmeQuickStart.java");
    Files.writeString(source, program(javaBlock(readme)), StandardCharsets.UTF_8);
    Path classes = Files.createDirectories(work.resolve("classes"));
    compile(source, classes);

    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
      Object quickStart = loader.loadClass("ReadmeQuickStart").getConstructor().newInstance();
      @SuppressWarnings("unchecked")
      Map<String, Object> ran =
          (Map<String, Object>) quickStart.getClass().getMethod("run").invoke(quickStart);
      @SuppressWarnings("unchecked")
      Function<String, BigDecimal> balances = (Function<String, BigDecimal>) ran.get("balances");
      @SuppressWarnings("unchecked")
      Supplier<BigDecimal> aggregateBalance = (Supplier<BigDecimal>) ran.get("balance");
      try (Cqrs cqrs = (Cqrs) ran.get("cqrs")) {
        Await.until(
            Duration.ofSeconds(10),
            () -> "balance of acc-1 to be 50.00, is " + balances.apply("acc-1"),
            () -> new BigDecimal("50.00").equals(balances.apply("acc-1")));
        assertThat(aggregateBalance.get()).isEqualByComparingTo("50.00");
      }
    }
  }

  /** The lines of the first {@code ```java} block. */
  private static List<String> javaBlock(Path readme) throws IOException {
    List<String> block = new ArrayList<>();
    boolean inside = false;
    for (String line : Files.readAllLines(readme, StandardCharsets.UTF_8)) {
      if (!inside && line.strip().equals("```java")) {
        inside = true;
      } else if (inside && line.strip().equals("```")) {
        return block;
      } else if (inside) {
        block.add(line);
      }
    }
    throw new AssertionError(readme + " has no complete ```java block");
  }

  /**
   * A source file: a class holding the block's declarations and a {@code run()} method with the
   * block's statements (from the first unindented line that starts no declaration), returning what
   * the test checks.
   */
  private static String program(List<String> block) {
    int statements = 0;
    while (statements < block.size()
        && (block.get(statements).isBlank()
            || Character.isWhitespace(block.get(statements).charAt(0))
            || DECLARATION.matcher(block.get(statements)).matches())) {
      statements++;
    }
    StringBuilder java = new StringBuilder();
    java.append("import io.cqrs.*;\n")
        .append("import java.math.*;\n")
        .append("import java.util.*;\n")
        .append("import java.util.concurrent.*;\n\n");
    java.append("public class ReadmeQuickStart {\n");
    block.subList(0, statements).forEach(line -> java.append(line).append('\n'));
    java.append("public Map<String, Object> run() throws Exception {\n");
    block.subList(statements, block.size()).forEach(line -> java.append(line).append('\n'));
    java.append("return Map.of(\"cqrs\", cqrs,\n")
        .append(
            "    \"balances\", (java.util.function.Function<String, BigDecimal>) balances::balance,\n")
        .append("    \"balance\",\n")
        .append("    (java.util.function.Supplier<BigDecimal>)\n")
        .append("        () -> accounts.get(\"acc-1\", Account::new).balance);\n")
        .append("}\n}\n");
    return java.toString();
  }

  private static void compile(Path source, Path classes) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter messages = new StringWriter();
    boolean compiled =
        javac
            .getTask(
                messages,
                null,
                null,
                List.of(
                    "-classpath",
                    System.getProperty("java.class.path"),
                    "-d",
                    classes.toString(),
                    "--release",
                    "17"),
                null,
                javac
                    .getStandardFileManager(null, null, StandardCharsets.UTF_8)
                    .getJavaFileObjects(source))
            .call();
    if (!compiled) {
      List<String> lines = Files.readAllLines(source, StandardCharsets.UTF_8);
      StringBuilder numbered = new StringBuilder();
      for (int i = 0; i < lines.size(); i++) {
        numbered.append(String.format("%3d  %s%n", i + 1, lines.get(i)));
      }
      throw new AssertionError(
          "The README's Java block no longer compiles:\n" + messages + "\n" + numbered);
    }
  }
}
