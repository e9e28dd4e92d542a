package io.cqrs.couchbase.mock;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Sub-document requests for comparing a patched mock with an unpatched one: a fixed list that
 * touches every operation and the usual errors, then any number drawn from a seeded generator.
 * Everything is ASCII: CouchbaseMock 1.5.27 sizes a multi-path response by characters, not bytes,
 * and a non-ASCII value overflows the buffer on its KV thread.
 */
final class SubdocRequests {
  static final List<String> KEYS = List.of("doc0", "doc1", "doc2");

  private static final Set<String> LOOKUPS = Set.of("GET", "EXISTS", "GET_COUNT", "GET_FULLDOC");
  private static final Set<String> MATCHES = Set.of("GET", "GET_COUNT", "GET_FULLDOC", "COUNTER");

  private static final List<String> DOCUMENTS =
      List.of(
          "{}",
          "{\"a\":{\"b\":1,\"c\":[1,2,3]},\"arr\":[1,2,3],\"n\":5,\"s\":\"str\"}",
          "[1,2,{\"a\":1}]",
          "\"str\"",
          "5",
          "not json",
          "{\"a\":1} x",
          "{\"big\":99999999999999999999,\"a\":{}}",
          "{\"a\":1,\"a\":2,\"n\":1.50}",
          "{\"x y\":{\"a.b\":[[1],[2]]},\"arr\":[]}",
          "  { \"sp\" : [ 1 , 2 ] , \"n\" : -3 }  ",
          "{\"e\":\"<tag> & 'q' = \\\"x\\\" \\\\ \\n\\t\",\"u\":\"\\u0041\"}");

  private static final List<String> VALUES =
      List.of(
          "1",
          "-7",
          "0",
          "42",
          "9223372036854775807",
          "99999999999999999999",
          "1.5",
          "2e3",
          "\"s\"",
          "\"a<b>&'=\"",
          "\"q\\\"uote\"",
          "true",
          "false",
          "null",
          "{}",
          "[]",
          "{\"k\":1,\"l\":[1,2]}",
          "[1,\"two\",{\"three\":3}]",
          "1,2",
          "\"a\",\"b\"");

  /** Not JSON, or more than one value where one is wanted. */
  private static final List<String> BAD_VALUES =
      List.of("{", "tru", "", "[1,", "{\"a\":1}}", "'single'", "1 2");

  private static final List<String> DELTAS =
      List.of(
          "1",
          "-1",
          "5",
          "0",
          "9223372036854775807",
          "-9223372036854775808",
          "x",
          "1.5",
          "99999999999999999999");

  private static final List<String> NAMES = List.of("a", "b", "c", "n", "arr", "s", "x y");

  private static final List<String> BAD_PATHS =
      List.of("a..b", "a[", "a]", "[x]", "a[-2]", "a[[1]]", "`a`b`");

  private static final List<String> MUTATIONS =
      List.of(
          "DICT_ADD",
          "DICT_UPSERT",
          "REMOVE",
          "REPLACE",
          "ARRAY_APPEND",
          "ARRAY_PREPEND",
          "ARRAY_INSERT",
          "ADD_UNIQUE",
          "COUNTER");

  private SubdocRequests() {}

  /** One spec: an operation named as CouchbaseMock's {@code Operation} constants are. */
  record Spec(String operation, String path, String value, boolean createParents) {
    boolean isMutation() {
      return !LOOKUPS.contains(operation);
    }

    boolean returnsMatch() {
      return MATCHES.contains(operation);
    }

    /** The memcached opcode of the operation, in a single-path command or a multi-path spec. */
    int opcode() {
      return switch (operation) {
        case "GET_FULLDOC" -> 0x00;
        case "WRITE_FULLDOC" -> 0x01;
        case "GET" -> 0xc5;
        case "EXISTS" -> 0xc6;
        case "DICT_ADD" -> 0xc7;
        case "DICT_UPSERT" -> 0xc8;
        case "REMOVE" -> 0xc9;
        case "REPLACE" -> 0xca;
        case "ARRAY_APPEND" -> 0xcb;
        case "ARRAY_PREPEND" -> 0xcc;
        case "ARRAY_INSERT" -> 0xcd;
        case "ADD_UNIQUE" -> 0xce;
        case "COUNTER" -> 0xcf;
        case "GET_COUNT" -> 0xd2;
        default -> throw new IllegalArgumentException(operation);
      };
    }

    static Spec lookup(String operation, String path) {
      return new Spec(operation, path, null, false);
    }

    static Spec mutation(String operation, String path, String value) {
      return new Spec(operation, path, value, false);
    }
  }

  /**
   * A request on {@code key}: a full-document store ({@code document} set, no specs), a single-path
   * command (one spec, {@code multi} false) or a multi-path lookup or mutation.
   */
  record Request(String key, String document, boolean multi, List<Spec> specs) {
    static Request store(String key, String document) {
      return new Request(key, document, false, List.of());
    }

    static Request single(String key, Spec spec) {
      return new Request(key, null, false, List.of(spec));
    }

    static Request multi(String key, Spec... specs) {
      return new Request(key, null, true, List.of(specs));
    }

    boolean isStore() {
      return document != null;
    }

    boolean isMutation() {
      return !isStore() && specs.get(0).isMutation();
    }
  }

  /** Requests that touch every operation once or more, and the common errors. */
  static List<Request> fixed() {
    String doc = "doc0";
    List<Request> requests = new ArrayList<>();
    requests.add(Request.single("missing", Spec.lookup("GET", "a")));
    requests.add(Request.store(doc, DOCUMENTS.get(1)));
    requests.add(
        Request.multi(
            doc,
            Spec.lookup("GET", "a.b"),
            Spec.lookup("EXISTS", "arr[1]"),
            Spec.lookup("GET_COUNT", "arr"),
            Spec.lookup("GET", "nope"),
            Spec.lookup("GET_FULLDOC", "")));
    requests.add(Request.single(doc, Spec.lookup("GET", "a.c[-1]")));
    requests.add(Request.single(doc, Spec.lookup("EXISTS", "a.zz")));
    requests.add(
        Request.multi(
            doc,
            Spec.mutation("DICT_UPSERT", "a.d", "{\"e\":[1]}"),
            Spec.mutation("COUNTER", "n", "3"),
            Spec.mutation("ARRAY_APPEND", "arr", "4,5"),
            Spec.mutation("ARRAY_PREPEND", "arr", "0"),
            Spec.mutation("ARRAY_INSERT", "arr[2]", "\"mid\""),
            Spec.mutation("ADD_UNIQUE", "a.c", "9"),
            Spec.mutation("REPLACE", "s", "\"new\""),
            Spec.mutation("REMOVE", "a.b", null)));
    requests.add(Request.multi(doc, Spec.lookup("GET_FULLDOC", "")));
    requests.add(
        Request.multi(
            doc, Spec.mutation("COUNTER", "counters.x", "1"), Spec.mutation("DICT_ADD", "s", "1")));
    requests.add(
        Request.multi(
            doc,
            new Spec("COUNTER", "counters.x", "1", true),
            new Spec("DICT_UPSERT", "deep.er.path", "true", true)));
    requests.add(Request.single(doc, Spec.mutation("COUNTER", "n", "-100")));
    requests.add(Request.single(doc, Spec.mutation("COUNTER", "n", "9223372036854775807")));
    requests.add(Request.single(doc, Spec.mutation("ADD_UNIQUE", "arr", "4")));
    requests.add(Request.single(doc, Spec.mutation("DICT_ADD", "a", "1")));
    requests.add(Request.single(doc, Spec.mutation("REPLACE", "nope", "1")));
    requests.add(Request.single(doc, Spec.mutation("DICT_UPSERT", "x", "{")));
    requests.add(Request.single(doc, Spec.lookup("GET", "a[")));
    requests.add(Request.single(doc, Spec.lookup("GET", "s.t")));
    requests.add(
        Request.multi(
            doc,
            new Spec("WRITE_FULLDOC", "", "{\"fresh\":[1]}", false),
            Spec.mutation("ARRAY_APPEND", "fresh", "2")));
    requests.add(Request.multi(doc, Spec.lookup("GET", "fresh"), Spec.lookup("GET", "")));
    requests.add(Request.store("doc1", "not json"));
    requests.add(Request.multi("doc1", Spec.lookup("GET", "a")));
    requests.add(Request.single("doc1", Spec.mutation("DICT_UPSERT", "a", "1")));
    return requests;
  }

  /** {@code count} requests drawn from {@code random}, each key set to a document first. */
  static List<Request> random(Random random, int count) {
    List<Request> requests = new ArrayList<>();
    for (String key : KEYS) {
      requests.add(Request.store(key, DOCUMENTS.get(1)));
    }
    for (int i = 0; i < count; i++) {
      requests.add(next(random));
    }
    return requests;
  }

  private static Request next(Random random) {
    String key = pick(random, KEYS);
    int kind = random.nextInt(100);
    if (kind < 8) {
      // Mostly the document most paths fit, so that most mutations succeed and chain.
      return Request.store(key, random.nextBoolean() ? DOCUMENTS.get(1) : pick(random, DOCUMENTS));
    }
    if (kind < 25) {
      Spec spec = random.nextBoolean() ? lookup(random, false) : mutation(random, false);
      return Request.single(key, spec);
    }
    boolean mutation = kind >= 60;
    int specs = 1 + random.nextInt(mutation ? 4 : 5);
    List<Spec> chosen = new ArrayList<>();
    for (int i = 0; i < specs; i++) {
      chosen.add(mutation ? mutation(random, true) : lookup(random, true));
    }
    return new Request(key, null, true, chosen);
  }

  private static Spec lookup(Random random, boolean multi) {
    int kind = random.nextInt(10);
    if (multi && kind == 0) {
      return Spec.lookup("GET_FULLDOC", "");
    }
    String operation = kind < 6 ? "GET" : kind < 8 ? "EXISTS" : "GET_COUNT";
    return Spec.lookup(operation, path(random));
  }

  private static Spec mutation(Random random, boolean multi) {
    if (multi && random.nextInt(20) == 0) {
      return new Spec("WRITE_FULLDOC", "", pick(random, DOCUMENTS), false);
    }
    if (random.nextInt(10) < 8) {
      return likely(random);
    }
    String operation = pick(random, MUTATIONS);
    String value =
        switch (operation) {
          case "REMOVE" -> null;
          case "COUNTER" -> pick(random, DELTAS);
          default -> pick(random, random.nextInt(5) == 0 ? BAD_VALUES : VALUES);
        };
    String path = path(random);
    if (operation.equals("ARRAY_INSERT") && !path.endsWith("]")) {
      path = path + "[" + random.nextInt(4) + "]";
    }
    return new Spec(operation, path, value, random.nextInt(4) == 0);
  }

  /** A mutation that succeeds on most documents shaped like {@code DOCUMENTS.get(1)}. */
  private static Spec likely(Random random) {
    String name = pick(random, NAMES).replace(" ", "");
    String value = pick(random, VALUES.subList(0, 18));
    return switch (random.nextInt(8)) {
      case 0 -> Spec.mutation("DICT_UPSERT", "a." + name, value);
      case 1 -> new Spec("COUNTER", "counters." + name, "2", true);
      case 2 -> Spec.mutation("COUNTER", "n", random.nextBoolean() ? "1" : "-1");
      case 3 -> Spec.mutation("ARRAY_APPEND", "arr", value);
      case 4 -> Spec.mutation("ARRAY_PREPEND", "arr", value);
      case 5 -> Spec.mutation("ARRAY_INSERT", "arr[" + random.nextInt(2) + "]", value);
      case 6 -> Spec.mutation("REPLACE", "s", value);
      default -> Spec.mutation("ADD_UNIQUE", "a.c", String.valueOf(random.nextInt(20)));
    };
  }

  private static String path(Random random) {
    if (random.nextInt(25) == 0) {
      return pick(random, BAD_PATHS);
    }
    int depth = random.nextInt(4);
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      if (random.nextInt(3) == 0 && (i > 0 || random.nextInt(4) == 0)) {
        path.append('[').append(random.nextInt(5) - 1).append(']');
      } else {
        if (i > 0) {
          path.append('.');
        }
        String name = pick(random, NAMES);
        path.append(name.contains(" ") || random.nextInt(10) == 0 ? "`" + name + "`" : name);
      }
    }
    return path.toString();
  }

  private static <T> T pick(Random random, List<T> values) {
    return values.get(random.nextInt(values.size()));
  }
}
