package io.cqrs.couchbase.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.couchbase.mock.deps.com.google.gson.JsonElement;
import com.couchbase.mock.deps.com.google.gson.JsonParser;
import com.couchbase.mock.deps.com.google.gson.JsonPrimitive;
import com.couchbase.mock.deps.org.json.simple.JSONValue;
import com.couchbase.mock.subdoc.Operation;
import io.cqrs.couchbase.mock.IsolatedSubdoc.Outcome;
import io.cqrs.couchbase.mock.SubdocRequests.Request;
import io.cqrs.couchbase.mock.SubdocRequests.Spec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The patched sub-document engine against the shipped one, side by side in this JVM: the same specs
 * on the same documents, run as the mock's command executors run them (every spec of a lookup on
 * one {@code String}, each spec of a mutation on the string the one before wrote), must give the
 * same errors, matches and new documents. {@code SubdocParsePatchIT} does the same over the wire,
 * byte for byte.
 */
class SubdocParseEquivalenceTest {
  private static final IsolatedSubdoc ORIGINAL = IsolatedSubdoc.original();
  private static final IsolatedSubdoc PATCHED = IsolatedSubdoc.patched();

  /** No test starts with what another told the memo about the parse to come. */
  @BeforeEach
  void forgetIntent() {
    SubdocParseMemo.expect(null);
  }

  @Test
  void every_operation_and_the_usual_errors_give_the_same_outcomes() {
    long hits = SubdocParseMemo.hits();

    compare(SubdocRequests.fixed());

    assertThat(SubdocParseMemo.hits()).isGreaterThan(hits);
  }

  @Test
  void thousands_of_random_requests_give_the_same_outcomes() {
    long hits = SubdocParseMemo.hits();

    int crashes = compare(SubdocRequests.random(new Random(14), 4000));

    assertThat(SubdocParseMemo.hits() - hits).isGreaterThan(1000);
    // The generator also reaches the mock's own bugs (see SubdocRequests); they must stay as they
    // were, not appear or vanish.
    assertThat(crashes).isPositive();
  }

  @Test
  void a_lookup_parses_its_document_once_and_a_mutation_never_reparses_what_it_wrote() {
    String document = new String("{\"a\":{\"b\":1},\"n\":1}");
    long before = SubdocParseMemo.hits();

    for (String path : List.of("a", "a.b", "n")) {
      PATCHED.run(document, Spec.lookup("GET", path));
    }

    assertThat(SubdocParseMemo.hits() - before).isEqualTo(2);

    before = SubdocParseMemo.hits();
    String current = new String(document);
    for (int i = 0; i < 3; i++) {
      current = PATCHED.run(current, Spec.mutation("COUNTER", "n", "1")).newDocument();
    }

    assertThat(SubdocParseMemo.hits() - before).isEqualTo(2);
    assertThat(current).isEqualTo("{\"a\":{\"b\":1},\"n\":4}");
  }

  @Test
  void the_memo_answers_with_copies_the_caller_may_change() {
    String text = new String("{\"a\":[1,{\"b\":2}]}");
    JsonElement parsed = new JsonParser().parse(text);
    SubdocParseMemo.remember(text, JsonElement.class, parsed);
    parsed.getAsJsonObject().remove("a");

    JsonElement first = (JsonElement) SubdocParseMemo.cached(text, JsonElement.class);
    first.getAsJsonObject().getAsJsonArray("a").add(new JsonPrimitive(3));
    first.getAsJsonObject().getAsJsonArray("a").get(1).getAsJsonObject().addProperty("c", 1);
    JsonElement second = (JsonElement) SubdocParseMemo.cached(text, JsonElement.class);

    assertThat(second.toString()).isEqualTo("{\"a\":[1,{\"b\":2}]}");
    assertThat(SubdocParseMemo.cached(new String(text), JsonElement.class))
        .as("an equal string that is not the one parsed")
        .isNull();
    assertThat(SubdocParseMemo.cached(text, Object.class)).as("not a whole document").isNull();
  }

  @Test
  void lookups_share_a_remembered_tree_and_a_mutation_takes_it_over() {
    String text = new String("{\"a\":1}");
    SubdocParseMemo.expect(Operation.GET);
    JsonElement parsed = new JsonParser().parse(text);
    SubdocParseMemo.remember(text, JsonElement.class, parsed);

    SubdocParseMemo.expect(Operation.EXISTS);
    assertThat(SubdocParseMemo.cached(text, JsonElement.class)).isSameAs(parsed);
    SubdocParseMemo.expect(Operation.DICT_UPSERT);
    assertThat(SubdocParseMemo.cached(text, JsonElement.class)).isSameAs(parsed);
    SubdocParseMemo.expect(Operation.GET);
    assertThat(SubdocParseMemo.cached(text, JsonElement.class))
        .as("the tree a mutation took over")
        .isNull();
  }

  @Test
  void a_mutation_s_own_parse_is_not_remembered() {
    String text = new String("{\"a\":1}");
    SubdocParseMemo.expect(Operation.COUNTER);
    SubdocParseMemo.remember(text, JsonElement.class, new JsonParser().parse(text));

    SubdocParseMemo.expect(Operation.GET);
    assertThat(SubdocParseMemo.cached(text, JsonElement.class)).isNull();
  }

  @Test
  void validation_accepts_and_refuses_what_json_simple_does_and_the_same_way() {
    List<String> texts =
        List.of(
            "{}",
            "[]",
            "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}",
            "5",
            "\"s\"",
            "",
            " ",
            "{",
            "}",
            "[1,",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "tru",
            "'s'",
            "{\"a\":1} x",
            "[1] [2]",
            "99999999999999999999",
            "[1.5e400]",
            "{\"a\":\"\\u00zz\"}",
            "[\"\\q\"]",
            "{\"a\":1,\"a\":2}",
            "[[[[[]]]]]",
            "{\"K\":1,2}",
            "[1,2]",
            "-",
            "01",
            "1.",
            "nul");

    for (String text : texts) {
      assertThat(outcome(() -> SubdocParseMemo.validate(text)))
          .as("json-simple on %s", text)
          .isEqualTo(outcome(() -> JSONValue.parseWithException(text)));
    }
  }

  private interface Parse {
    Object run() throws Exception;
  }

  /** "parses", or the exception as json-simple describes it. */
  private static String outcome(Parse parse) {
    try {
      parse.run();
      return "parses";
    } catch (Exception e) {
      return e.getClass().getName() + ": " + e;
    }
  }

  /**
   * Runs {@code requests} through both engines as the mock would and asserts equal outcomes;
   * returns how many specs crashed (alike) in both.
   */
  private static int compare(List<Request> requests) {
    Map<String, String> stored = new HashMap<>();
    int crashes = 0;
    for (int r = 0; r < requests.size(); r++) {
      Request request = requests.get(r);
      if (request.isStore()) {
        stored.put(request.key(), request.document());
        continue;
      }
      String document = stored.get(request.key());
      if (document == null) {
        continue;
      }
      // Each command makes its own String of the stored bytes.
      String original = new String(document);
      String patched = new String(document);
      boolean allSucceeded = true;
      for (int s = 0; s < request.specs().size(); s++) {
        Spec spec = request.specs().get(s);
        Outcome expected = ORIGINAL.run(original, spec);
        Outcome actual = PATCHED.run(patched, spec);
        assertThat(actual)
            .as("request %d %s, spec %d, on %s", r, request, s, original)
            .isEqualTo(expected);
        crashes += expected.crashed() ? 1 : 0;
        if (spec.isMutation()) {
          if (!expected.succeeded()) {
            allSucceeded = false;
            break;
          }
          original = expected.newDocument();
          patched = actual.newDocument();
        }
      }
      if (request.isMutation() && allSucceeded) {
        stored.put(request.key(), original);
      }
    }
    return crashes;
  }
}
