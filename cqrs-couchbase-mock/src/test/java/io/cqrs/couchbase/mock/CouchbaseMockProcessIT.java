package io.cqrs.couchbase.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CouchbaseMockProcessIT {
  @Test
  void a_mock_process_runs_patched_and_takes_control_commands() throws Exception {
    try (CouchbaseMockProcess mock = CouchbaseMockProcess.start("process", "process-pw")) {
      assertThat(Files.readString(mock.logFile()))
          .contains(TcpNoDelayPatch.APPLIED, SubdocParsePatch.APPLIED);
      assertThat(
              mock.command(
                      "GET_MCPORTS", new ObjectMapper().createObjectNode().put("bucket", "process"))
                  .path("payload")
                  .path(0)
                  .asInt())
          .isEqualTo(mock.kvPort());
    }
  }

  @Test
  void a_mock_the_patch_does_not_fit_exits_at_once_and_the_start_names_the_method(
      @TempDir Path stubs) {
    String classPath =
        MockStubs.saveIn(MockStubs.withoutSetTcpNoDelay(), stubs)
            + File.pathSeparator
            + CouchbaseMockProcess.classPath();

    assertThatThrownBy(() -> CouchbaseMockProcess.start("stub", "stub-pw", classPath))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CouchbaseMock exited with code 1 before it started")
        .hasMessageContaining(
            "com.couchbase.mock.memcached.MemcachedServer.handleNewClient() has 0 calls to"
                + " java.net.Socket.setTcpNoDelay(boolean)");
  }

  @Test
  void a_mock_the_subdoc_patch_does_not_fit_exits_at_once_and_the_start_names_the_method(
      @TempDir Path stubs) {
    String classPath =
        MockStubs.saveIn(MockStubs.executorWithoutParseStrictJson(), stubs)
            + File.pathSeparator
            + CouchbaseMockProcess.classPath();

    assertThatThrownBy(() -> CouchbaseMockProcess.start("stub", "stub-pw", classPath))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CouchbaseMock exited with code 1 before it started")
        .hasMessageContaining(
            "com.couchbase.mock.subdoc.Executor.parseStrictJson(String, Class) is missing");
  }

  @Test
  void a_mock_that_does_not_report_the_subdoc_patch_is_refused() throws Exception {
    String classPath =
        CouchbaseMockProcess.classPath()
            + File.pathSeparator
            + Path.of(
                UnpatchedSubdocMockMain.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());

    assertThatThrownBy(
            () ->
                CouchbaseMockProcess.start(
                    "unpatched",
                    "unpatched-pw",
                    classPath,
                    UnpatchedSubdocMockMain.class.getName(),
                    List.of(TcpNoDelayPatch.APPLIED, SubdocParsePatch.APPLIED)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "CouchbaseMock started without reporting \"" + SubdocParsePatch.APPLIED + "\"");
  }
}
