package io.cqrs.couchbase.mock;

import com.couchbase.mock.deps.com.google.gson.JsonArray;
import com.couchbase.mock.deps.com.google.gson.JsonElement;
import com.couchbase.mock.deps.com.google.gson.JsonObject;
import com.couchbase.mock.deps.com.google.gson.JsonPrimitive;
import com.couchbase.mock.deps.com.google.gson.internal.LazilyParsedNumber;
import com.couchbase.mock.deps.org.json.simple.parser.ContainerFactory;
import com.couchbase.mock.deps.org.json.simple.parser.JSONParser;
import com.couchbase.mock.deps.org.json.simple.parser.ParseException;
import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * What CouchbaseMock's sub-document code calls once {@link SubdocParsePatch} has rewritten it: a
 * json-simple parser per thread, and a per-thread memo of the documents parsed last.
 *
 * <p>Public only because the rewritten mock classes, in another package, call it; nothing else
 * should. Each mock node runs its KV commands on one thread, so the memo needs no locking, and it
 * holds at most {@value #SLOTS} documents per thread.
 *
 * <p>The memo is keyed by the identity of the {@code String} parsed, which the memo holds, so a key
 * can never stand for other text. No tree the mock changes is ever answered again:
 *
 * <ul>
 *   <li>A lookup (the {@code Executor} being built for {@code GET}, {@code EXISTS}, {@code
 *       GET_COUNT} or {@code GET_FULLDOC}, see {@link #expect}) only reads its tree, so lookups
 *       share one: the one parsed first, or the copy {@link #rememberDocument} made.
 *   <li>A mutation changes its tree in place, so a hit hands the remembered tree over and forgets
 *       it: a later parse of the same string parses again. A mutation's own parse is not
 *       remembered; the document it writes is ({@link #rememberDocument}).
 *   <li>A parse whose purpose is unknown gets, and leaves, copies only.
 * </ul>
 */
public final class SubdocParseMemo {
  /**
   * A multi-path command parses its body, and its extended attributes when a spec names them: two
   * slots keep both.
   */
  private static final int SLOTS = 2;

  /** The {@code com.couchbase.mock.subdoc.Operation} constants that only read a document. */
  private static final Set<String> LOOKUPS = Set.of("GET", "EXISTS", "GET_COUNT", "GET_FULLDOC");

  private static final ThreadLocal<SubdocParseMemo> MEMO =
      ThreadLocal.withInitial(SubdocParseMemo::new);

  private static final LongAdder HITS = new LongAdder();

  private enum Intent {
    UNKNOWN,
    LOOKUP,
    MUTATION
  }

  /**
   * Reused: json-simple's {@code JSONValue.parseWithException} makes a new parser per call, whose
   * lexer allocates a 32 KB buffer.
   */
  private final JSONParser parser = new JSONParser();

  private final String[] texts = new String[SLOTS];
  private final JsonElement[] trees = new JsonElement[SLOTS];
  private int oldest;
  private Intent intent = Intent.UNKNOWN;

  private SubdocParseMemo() {}

  /**
   * What {@code JSONValue.parseWithException(text)} does, with this thread's parser ({@code
   * JSONParser.parse} resets the parser and its lexer first, also after a parse that threw) and
   * containers that keep nothing: the mock discards the result, only whether the text parses
   * matters, and json-simple only ever adds to its containers.
   */
  public static Object validate(String text) throws ParseException {
    return MEMO.get().parser.parse(text, Discarding.FACTORY);
  }

  /**
   * Says what the {@code Executor} now being built for {@code operation} (an {@code Operation}
   * constant) does with the document it is about to parse; holds until that parse ends.
   */
  public static void expect(Object operation) {
    MEMO.get().intent =
        operation instanceof Enum<?> constant
            ? LOOKUPS.contains(constant.name()) ? Intent.LOOKUP : Intent.MUTATION
            : Intent.UNKNOWN;
  }

  /**
   * The document this thread last parsed from this very {@code text} object (or wrote as {@code
   * text}, see {@link #rememberDocument}), or null; see the class comment for which tree. Only
   * whole documents ({@code type} {@code JsonElement}) are memoised: value fragments are new
   * strings every time.
   */
  public static Object cached(String text, Class<?> type) {
    if (text == null || type != JsonElement.class) {
      return null;
    }
    SubdocParseMemo memo = MEMO.get();
    for (int i = 0; i < SLOTS; i++) {
      if (memo.texts[i] == text) {
        HITS.increment();
        JsonElement tree = memo.trees[i];
        Intent intent = memo.intent;
        memo.intent = Intent.UNKNOWN;
        switch (intent) {
          case LOOKUP:
            return tree;
          case MUTATION:
            memo.texts[i] = null;
            memo.trees[i] = null;
            return tree;
          default:
            return copy(tree);
        }
      }
    }
    return null;
  }

  /** Remembers {@code parsed}, what the mock parsed from {@code text} as {@code type}, or not. */
  public static void remember(String text, Class<?> type, Object parsed) {
    if (type != JsonElement.class) {
      return;
    }
    SubdocParseMemo memo = MEMO.get();
    Intent intent = memo.intent;
    memo.intent = Intent.UNKNOWN;
    if (text != null && parsed instanceof JsonElement tree && intent != Intent.MUTATION) {
      memo.put(text, intent == Intent.LOOKUP ? tree : copy(tree));
    }
  }

  /**
   * Remembers a copy of {@code document} as the parse of {@code text}, its serialization: the next
   * spec of a multi-path mutation parses exactly that string. Parsing gson's output yields the same
   * tree, except that numbers come back as {@link LazilyParsedNumber}, which {@link #copy} makes
   * them.
   */
  public static void rememberDocument(String text, JsonElement document) {
    if (text != null && document != null) {
      MEMO.get().put(text, copy(document));
    }
  }

  /** How many parses the memo answered in this JVM, for tests. */
  static long hits() {
    return HITS.sum();
  }

  private void put(String text, JsonElement tree) {
    for (int i = 0; i < SLOTS; i++) {
      if (texts[i] == text) {
        trees[i] = tree;
        return;
      }
    }
    texts[oldest] = text;
    trees[oldest] = tree;
    oldest = (oldest + 1) % SLOTS;
  }

  /** json-simple containers that drop what is added to them; shared, as they hold nothing. */
  private static final class Discarding {
    static final Map<Object, Object> OBJECT =
        new AbstractMap<>() {
          @Override
          public Object put(Object key, Object value) {
            return null;
          }

          @Override
          public Set<Map.Entry<Object, Object>> entrySet() {
            return Set.of();
          }
        };

    static final List<Object> ARRAY =
        new AbstractList<>() {
          @Override
          public boolean add(Object value) {
            return true;
          }

          @Override
          public Object get(int index) {
            throw new IndexOutOfBoundsException(index);
          }

          @Override
          public int size() {
            return 0;
          }
        };

    static final ContainerFactory FACTORY =
        new ContainerFactory() {
          @Override
          public Map<Object, Object> createObjectContainer() {
            return OBJECT;
          }

          @Override
          public List<Object> creatArrayContainer() {
            return ARRAY;
          }
        };
  }

  /**
   * A deep copy as gson's own (package-private) {@code deepCopy} makes it: objects and arrays are
   * new, primitives shared (they are immutable outside gson's package), with any number that is not
   * a {@link LazilyParsedNumber} (a counter's result) turned into the one parsing its text gives.
   */
  static JsonElement copy(JsonElement element) {
    if (element.isJsonObject()) {
      JsonObject copy = new JsonObject();
      for (Map.Entry<String, JsonElement> member : element.getAsJsonObject().entrySet()) {
        copy.add(member.getKey(), copy(member.getValue()));
      }
      return copy;
    }
    if (element.isJsonArray()) {
      JsonArray copy = new JsonArray();
      for (JsonElement item : element.getAsJsonArray()) {
        copy.add(copy(item));
      }
      return copy;
    }
    if (element.isJsonPrimitive()) {
      JsonPrimitive primitive = element.getAsJsonPrimitive();
      if (primitive.isNumber() && !(primitive.getAsNumber() instanceof LazilyParsedNumber)) {
        return new JsonPrimitive(new LazilyParsedNumber(primitive.getAsString()));
      }
    }
    return element;
  }
}
