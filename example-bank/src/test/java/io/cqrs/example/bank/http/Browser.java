package io.cqrs.example.bank.http;

import io.cqrs.testing.ServerMissingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium driven through chromedriver (Debian's {@code chromium} and {@code
 * chromium-driver}; {@code CQRS_CHROMIUM} and {@code CQRS_CHROMEDRIVER} name other binaries).
 * Without them a suite is skipped, or fails where {@code CQRS_REQUIRE_SERVERS=true} (as in CI,
 * whose script installs them). Registered as an extension, it keeps a screenshot and the page's
 * markup of every failed test in {@code target/browser-failures/}.
 */
final class Browser implements AutoCloseable, AfterTestExecutionCallback {
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final Path FAILURES = Path.of("target", "browser-failures");

  private WebDriver driver;

  /** Starts Chromium, or skips (fails in CI) the calling suite when it is not installed. */
  void start(int width, int height) {
    Path chromium = Path.of(setting("CQRS_CHROMIUM", "/usr/bin/chromium"));
    Path chromedriver = Path.of(setting("CQRS_CHROMEDRIVER", "/usr/bin/chromedriver"));
    for (Path binary : new Path[] {chromium, chromedriver}) {
      if (!Files.isExecutable(binary)) {
        ServerMissingException.skipOrFail(
            "Chromium",
            binary + " is not installed",
            "apt-get install -y --no-install-recommends chromium chromium-driver, or set"
                + " CQRS_CHROMIUM and CQRS_CHROMEDRIVER");
      }
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--window-size=" + width + "," + height);
    // The driver named explicitly: Selenium Manager, which would look for one on the internet, is
    // never asked.
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(chromedriver.toFile())
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(TIMEOUT);
  }

  private static String setting(String variable, String otherwise) {
    String value = System.getenv(variable);
    return value == null || value.isBlank() ? otherwise : value;
  }

  WebDriver driver() {
    return driver;
  }

  WebDriverWait waiting() {
    return new WebDriverWait(driver, TIMEOUT);
  }

  WebElement byId(String id) {
    return driver.findElement(By.id(id));
  }

  /** Runs {@code script} in the page and returns its result. */
  Object script(String script, Object... arguments) {
    return ((org.openqa.selenium.JavascriptExecutor) driver).executeScript(script, arguments);
  }

  @Override
  public void afterTestExecution(ExtensionContext context) {
    if (context.getExecutionException().isEmpty() || driver == null) {
      return;
    }
    String name = context.getRequiredTestClass().getSimpleName() + "-" + context.getDisplayName();
    name = name.replaceAll("[^A-Za-z0-9._-]", "_");
    try {
      Files.createDirectories(FAILURES);
      Path shot =
          ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
      Files.copy(shot, FAILURES.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
      Files.writeString(
          FAILURES.resolve(name + ".html"), driver.getPageSource(), StandardCharsets.UTF_8);
      // Where only the build's output is kept (CI), what the page showed is in it too.
      Object text = script("return document.body.innerText;");
      System.err.printf(
          "%s failed; the page showed (%s has its screenshot and markup):%n%s%n",
          name, FAILURES.toAbsolutePath(), shown(String.valueOf(text)));
    } catch (IOException e) {
      throw new UncheckedIOException("Could not keep the failed test's screenshot", e);
    } catch (RuntimeException e) {
      // A browser that died with the test has no screenshot to give; the test's own failure says
      // what happened.
    }
  }

  /** At most the first 4,000 characters of {@code text}. */
  private static String shown(String text) {
    return text.length() <= 4_000 ? text : text.substring(0, 4_000) + " [...]";
  }

  @Override
  public void close() {
    if (driver != null) {
      driver.quit();
    }
  }
}
