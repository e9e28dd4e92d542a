package io.cqrs.couchbase.mock;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.couchbase.mock.IsolatedSubdoc.Outcome;
import io.cqrs.couchbase.mock.SubdocRequests.Request;
import io.cqrs.couchbase.mock.SubdocRequests.Spec;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A patched and an unpatched mock process get the same sub-document requests over the memcached
 * binary protocol and must answer them byte for byte alike (status, CAS, body), and hold the same
 * documents after.
 */
class SubdocParsePatchIT {
  private static final String BUCKET = "subdoc";
  private static final String PASSWORD = "subdoc-pw";

  private static CouchbaseMockProcess patchedMock;
  private static CouchbaseMockProcess unpatchedMock;

  @BeforeAll
  static void startMocks() throws URISyntaxException {
    patchedMock = CouchbaseMockProcess.start(BUCKET, PASSWORD);
    String testClasses =
        Path.of(
                UnpatchedSubdocMockMain.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI())
            .toString();
    unpatchedMock =
        CouchbaseMockProcess.start(
            BUCKET,
            PASSWORD,
            CouchbaseMockProcess.classPath() + File.pathSeparator + testClasses,
            UnpatchedSubdocMockMain.class.getName(),
            List.of(TcpNoDelayPatch.APPLIED));
  }

  @AfterAll
  static void stopMocks() {
    if (patchedMock != null) {
      patchedMock.close();
    }
    if (unpatchedMock != null) {
      unpatchedMock.close();
    }
  }

  @Test
  void the_mocks_run_with_and_without_the_patch() throws Exception {
    assertThat(Files.readString(patchedMock.logFile())).contains(SubdocParsePatch.APPLIED);
    assertThat(Files.readString(unpatchedMock.logFile())).doesNotContain(SubdocParsePatch.APPLIED);
  }

  @Test
  void every_operation_and_the_usual_errors_get_identical_responses() throws Exception {
    List<String> skipped = compare(SubdocRequests.fixed());

    assertThat(skipped).isEmpty();
  }

  @Test
  void hundreds_of_random_requests_get_identical_responses() throws Exception {
    List<Request> requests = SubdocRequests.random(new Random(20261204L), 500);

    List<String> skipped = compare(requests);

    assertThat(skipped.size()).as("requests skipped: %s", skipped).isLessThan(50);
  }

  /**
   * Sends {@code requests} to both mocks, each followed by a GET of its key, and asserts identical
   * responses. Skips (and returns) the requests that would kill the unpatched mock's KV thread,
   * found by running them first through the shipped sub-document engine on the stored document.
   */
  private static List<String> compare(List<Request> requests) throws Exception {
    IsolatedSubdoc engine = IsolatedSubdoc.original();
    List<String> skipped = new ArrayList<>();
    try (KvClient patched = new KvClient(patchedMock.kvPort(), BUCKET, PASSWORD);
        KvClient unpatched = new KvClient(unpatchedMock.kvPort(), BUCKET, PASSWORD)) {
      for (int r = 0; r < requests.size(); r++) {
        Request request = requests.get(r);
        byte[] before = unpatched.get(request.key());
        assertSame(r + " GET before " + request, patched.get(request.key()), before);
        if (!request.isStore() && crashes(engine, KvClient.document(before), request)) {
          skipped.add(request.toString());
          continue;
        }
        assertSame(r + " " + request, patched.send(request), unpatched.send(request));
      }
      for (String key : SubdocRequests.KEYS) {
        assertSame("GET " + key, patched.get(key), unpatched.get(key));
      }
    }
    return skipped;
  }

  private static boolean crashes(IsolatedSubdoc engine, String document, Request request) {
    if (document == null) {
      return false;
    }
    String current = document;
    for (Spec spec : request.specs()) {
      Outcome outcome = engine.run(current, spec);
      if (outcome.crashed()) {
        return true;
      }
      if (spec.isMutation()) {
        if (!outcome.succeeded()) {
          return false;
        }
        current = outcome.newDocument();
      }
    }
    return false;
  }

  private static String printable(byte[] response) {
    return new String(response, StandardCharsets.US_ASCII).replaceAll("[^\\x20-\\x7e]", ".");
  }

  private static void assertSame(String what, byte[] patched, byte[] unpatched) {
    assertThat(HexFormat.of().formatHex(patched))
        .as("%s: patched %s, unpatched %s", what, printable(patched), printable(unpatched))
        .isEqualTo(HexFormat.of().formatHex(unpatched));
  }
}
