package io.cqrs.couchbase.mock;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.util.concurrent.atomic.AtomicInteger;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.utility.OpenedClassReader;

/**
 * Teaches CouchbaseMock the memcached protocol's {@code GET_META}, which the Java SDK sends for
 * {@code Collection.exists} and which Couchbase Server answers: CouchbaseMock 1.5.27 answers it
 * with {@code UNKNOWN_COMMAND}. Part of {@link TcpNoDelayPatch}'s rewrite of {@code
 * MemcachedServer}: in {@code execute(BinaryCommand, MemcachedConnection)}, the executor {@code
 * getExecutor} returns (after the mock's authentication and failure injection) is passed through
 * {@code CqrsGetMetaExecutor.orGetMeta}, which answers {@code GET_META} and hands every other
 * command back to the mock's own executor.
 */
final class GetMetaPatch {
  /** The method holding the patch point. */
  static final String METHOD = "execute";

  private static final String SERVER = "com/couchbase/mock/memcached/MemcachedServer";
  private static final String EXECUTOR = "com/couchbase/mock/memcached/CommandExecutor";
  private static final String COMMAND = "com/couchbase/mock/memcached/protocol/BinaryCommand";
  private static final String GET_EXECUTOR_DESCRIPTOR =
      "(Lcom/couchbase/mock/memcached/protocol/CommandCode;)L" + EXECUTOR + ";";

  private GetMetaPatch() {}

  /** Rewrites {@code execute}, counting the calls to {@code getExecutor} it wraps. */
  static AsmVisitorWrapper.ForDeclaredMethods visitor(AtomicInteger rewrites) {
    return new AsmVisitorWrapper.ForDeclaredMethods()
        .method(
            named(METHOD).and(takesArguments(2)),
            PatchPoints.rewritten(visitor -> new ExecutorRewriter(visitor, rewrites)));
  }

  /**
   * @throws IllegalStateException unless exactly one call was wrapped
   */
  static void check(String type, int rewrites) {
    if (rewrites != 1) {
      throw new IllegalStateException(
          type
              + "."
              + METHOD
              + "(BinaryCommand, MemcachedConnection) has "
              + rewrites
              + " calls to getExecutor(CommandCode) where CouchbaseMock 1.5.27 has exactly one:"
              + " the GET_META patch does not fit this CouchbaseMock, and without it"
              + " Collection.exists fails with UNKNOWN_COMMAND");
    }
  }

  /**
   * After {@code getExecutor(CommandCode)} returns: {@code aload_1} (the command) and {@code
   * invokestatic CqrsGetMetaExecutor.orGetMeta(executor, command)}, which leaves one executor on
   * the stack, as before.
   */
  private static final class ExecutorRewriter extends MethodVisitor {
    private final AtomicInteger rewrites;

    ExecutorRewriter(MethodVisitor delegate, AtomicInteger rewrites) {
      super(OpenedClassReader.ASM_API, delegate);
      this.rewrites = rewrites;
    }

    @Override
    public void visitMethodInsn(
        int opcode, String owner, String name, String descriptor, boolean isInterface) {
      super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
      if (opcode == Opcodes.INVOKESPECIAL
          && owner.equals(SERVER)
          && name.equals("getExecutor")
          && descriptor.equals(GET_EXECUTOR_DESCRIPTOR)) {
        super.visitVarInsn(Opcodes.ALOAD, 1);
        super.visitMethodInsn(
            Opcodes.INVOKESTATIC,
            "com/couchbase/mock/memcached/CqrsGetMetaExecutor",
            "orGetMeta",
            "(L" + EXECUTOR + ";L" + COMMAND + ";)L" + EXECUTOR + ";",
            false);
        rewrites.incrementAndGet();
      }
    }
  }
}
