package io.cqrs.example.bank.http;

import io.cqrs.example.bank.request.FieldRules;
import io.javalin.http.Context;
import java.util.List;
import java.util.function.Function;

/**
 * The page a listing request asks for: {@code ?limit=n}, a whole number from 1 to {@link
 * #MAX_LIMIT} (default {@link #DEFAULT_LIMIT}), and {@code ?after=<id>}, the {@code next} of the
 * page before (absent for the first). A listing reads at most {@code limit} entries, whatever the
 * read model holds.
 *
 * @param after the last id of the page before, or {@code null}
 * @param limit the most entries the page holds
 */
record PageRequest(String after, int limit) {
  /** A page's entries when the request names no limit. */
  static final int DEFAULT_LIMIT = FieldRules.DEFAULT_PAGE_SIZE;

  /** The most entries a page may hold. */
  static final int MAX_LIMIT = FieldRules.MAX_PAGE_SIZE;

  /**
   * The page {@code ctx} asks for.
   *
   * @throws ApiException 400 for a limit or cursor that is not one, or either given twice
   */
  static PageRequest of(Context ctx) {
    String after = single(ctx, "after");
    return new PageRequest(
        after == null ? null : JsonBody.id("after", after), limit(single(ctx, "limit")));
  }

  /**
   * The page of a stream's events {@code ctx} asks for: {@code ?after=<version>}, a whole number
   * from 0 (the default: from the first event) to {@link Long#MAX_VALUE}, and {@code ?limit=n} as
   * for a listing.
   *
   * @param after the version the page follows
   * @param limit the most events the page holds
   */
  record Versions(long after, int limit) {
    /**
     * The page {@code ctx} asks for.
     *
     * @throws ApiException 400 for a limit or version that is not one, or either given twice
     */
    static Versions of(Context ctx) {
      String after = single(ctx, "after");
      return new Versions(
          after == null ? 0 : version("after", after), PageRequest.limit(single(ctx, "limit")));
    }
  }

  /** The version {@code value} names: plain ASCII digits, 0 to {@link Long#MAX_VALUE}. */
  static long version(String name, String value) {
    long version = value.length() <= 19 ? FieldRules.wholeNumber(value) : -1;
    if (version >= 0) {
      return version;
    }
    throw ApiException.invalid(
        name,
        name
            + " must be a version, a whole number from 0 to "
            + Long.MAX_VALUE
            + ", was '"
            + FieldRules.printable(value)
            + "'");
  }

  /** The limit {@code value} says: {@link #DEFAULT_LIMIT} if absent. */
  static int limit(String value) {
    if (value == null) {
      return DEFAULT_LIMIT;
    }
    int limit = FieldRules.pageSize(value);
    if (limit > 0) {
      return limit;
    }
    throw ApiException.invalid(
        "limit",
        "limit must be a whole number from 1 to "
            + MAX_LIMIT
            + ", was '"
            + FieldRules.printable(value)
            + "'");
  }

  /**
   * A query parameter given at most once (two values would leave the page to chance), and whose
   * value decodes: Javalin drops a value that is not well-formed percent-encoding ({@code %ZZ}, a
   * lone {@code %}) and keeps the name, which must not read as "absent" (a damaged cursor would
   * answer the first page again, and a client following it loop for ever).
   */
  private static String single(Context ctx, String name) {
    return single(ctx, name, message -> ApiException.invalid(name, message));
  }

  /**
   * {@link #single(Context, String)} for any query parameter, refused with what {@code invalid}
   * makes of the reason (the dead-letter replay's {@code max} has a problem code of its own).
   */
  static String single(Context ctx, String name, Function<String, ApiException> invalid) {
    List<String> values = ctx.queryParams(name);
    if (values.size() > 1) {
      throw invalid.apply(name + " must be given at most once");
    }
    if (values.isEmpty()) {
      if (ctx.queryParamMap().containsKey(name)) {
        throw invalid.apply(name + " is not well-formed percent-encoding");
      }
      return null;
    }
    return values.get(0);
  }
}
