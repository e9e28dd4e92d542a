package io.cqrs.couchbase.mock;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * CouchbaseMock's command line with TCP_NODELAY on and sub-document parses memoised: patches the
 * mock ({@link TcpNoDelayPatch}, {@link SubdocParsePatch}, {@link ItemSizePatch}), prints each
 * patch's {@code APPLIED} line, then runs {@code com.couchbase.mock.CouchbaseMock}'s {@code main}
 * with the same arguments. {@link CouchbaseMockProcess} starts mocks this way; by hand:
 *
 * <pre>
 * java -cp CouchbaseMock-1.5.27.jar:byte-buddy.jar:cqrs-couchbase-mock.jar \
 *     io.cqrs.couchbase.mock.CouchbaseMockMain --port 0 --buckets NAME:PASS:couchbase ...
 * </pre>
 *
 * A mock a patch does not fit exits with the patch's exception before it starts.
 */
public final class CouchbaseMockMain {
  private CouchbaseMockMain() {}

  /** Patches, then runs CouchbaseMock with {@code args}. */
  public static void main(String[] args) throws Throwable {
    TcpNoDelayPatch.apply();
    System.out.println(TcpNoDelayPatch.APPLIED);
    SubdocParsePatch.apply();
    System.out.println(SubdocParsePatch.APPLIED);
    ItemSizePatch.apply();
    System.out.println(ItemSizePatch.APPLIED);
    System.out.flush();
    // Looked up by name after the patches: a direct call would not load the patched classes before
    // them, but this keeps the order obvious.
    MethodHandle main =
        MethodHandles.publicLookup()
            .findStatic(
                Class.forName("com.couchbase.mock.CouchbaseMock"),
                "main",
                MethodType.methodType(void.class, String[].class));
    main.invokeExact(args);
  }
}
