package io.cqrs.couchbase.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.utility.OpenedClassReader;
import org.junit.jupiter.api.Test;

class TcpNoDelayPatchTest {
  private static final ClassFileLocator CLASS_PATH =
      ClassFileLocator.ForClassLoader.ofSystemLoader();

  @Test
  void couchbase_mock_1_5_27_turns_nagle_on_where_the_patch_expects_it() throws IOException {
    byte[] original = CLASS_PATH.locate(TcpNoDelayPatch.TYPE).resolve();

    assertThat(instructionsBeforeSetTcpNoDelay(original))
        .containsExactly(List.of("call java/nio/channels/SocketChannel.socket", "ICONST_0"));
  }

  @Test
  void the_rewritten_handle_new_client_passes_true_to_its_one_set_tcp_no_delay() {
    byte[] patched = TcpNoDelayPatch.rewrite(CLASS_PATH);

    assertThat(instructionsBeforeSetTcpNoDelay(patched))
        .containsExactly(
            List.of("call java/nio/channels/SocketChannel.socket", "ICONST_0", "POP", "ICONST_1"));
  }

  @Test
  void a_mock_without_the_call_fails_naming_the_class_and_method() {
    ClassFileLocator stub =
        new ClassFileLocator.Compound(
            ClassFileLocator.Simple.of(
                TcpNoDelayPatch.TYPE, MockStubs.withoutSetTcpNoDelay().getBytes()),
            CLASS_PATH);

    assertThatThrownBy(() -> TcpNoDelayPatch.rewrite(stub))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "com.couchbase.mock.memcached.MemcachedServer.handleNewClient() has 0 calls to"
                + " java.net.Socket.setTcpNoDelay(boolean) where CouchbaseMock 1.5.27 has exactly"
                + " one");
  }

  @Test
  void a_mock_with_two_calls_fails_too() {
    ClassFileLocator stub =
        new ClassFileLocator.Compound(
            ClassFileLocator.Simple.of(
                TcpNoDelayPatch.TYPE, MockStubs.withTwoSetTcpNoDelayCalls().getBytes()),
            CLASS_PATH);

    assertThatThrownBy(() -> TcpNoDelayPatch.rewrite(stub))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("handleNewClient() has 2 calls");
  }

  @Test
  void a_mock_without_the_get_meta_patch_point_fails_naming_it() {
    ClassFileLocator stub =
        new ClassFileLocator.Compound(
            ClassFileLocator.Simple.of(TcpNoDelayPatch.TYPE, MockStubs.withoutExecute().getBytes()),
            CLASS_PATH);

    assertThatThrownBy(() -> TcpNoDelayPatch.rewrite(stub))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "com.couchbase.mock.memcached.MemcachedServer.execute(BinaryCommand,"
                + " MemcachedConnection) has 0 calls to getExecutor(CommandCode) where"
                + " CouchbaseMock 1.5.27 has exactly one: the GET_META patch does not fit");
  }

  @Test
  void the_rewritten_execute_passes_the_mock_s_executor_through_the_get_meta_executor() {
    byte[] patched = TcpNoDelayPatch.rewrite(CLASS_PATH);

    List<String> calls = new ArrayList<>();
    new ClassReader(patched)
        .accept(
            new ClassVisitor(OpenedClassReader.ASM_API) {
              @Override
              public MethodVisitor visitMethod(
                  int access, String name, String descriptor, String signature, String[] ex) {
                if (!name.equals("execute")) {
                  return null;
                }
                return new MethodVisitor(OpenedClassReader.ASM_API) {
                  @Override
                  public void visitMethodInsn(
                      int opcode, String owner, String method, String desc, boolean itf) {
                    if (method.equals("getExecutor")
                        || method.equals("orGetMeta")
                        || method.equals("execute")) {
                      calls.add(owner.substring(owner.lastIndexOf('/') + 1) + "." + method);
                    }
                  }
                };
              }
            },
            0);

    assertThat(calls)
        .containsExactly(
            "MemcachedServer.getExecutor",
            "CqrsGetMetaExecutor.orGetMeta",
            "CommandExecutor.execute");
  }

  @Test
  void no_mock_on_the_class_path_fails_saying_so() {
    ClassFileLocator empty = ClassFileLocator.Simple.of(Map.of());

    assertThatThrownBy(() -> TcpNoDelayPatch.rewrite(empty))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "com.couchbase.mock.memcached.MemcachedServer is not on the class path: no"
                + " CouchbaseMock to patch");
  }

  /**
   * For each {@code Socket.setTcpNoDelay} call in {@code handleNewClient()}, the instructions since
   * the previous method call, as "OPCODE" or "call owner.name".
   */
  private static List<List<String>> instructionsBeforeSetTcpNoDelay(byte[] classFile) {
    List<List<String>> found = new ArrayList<>();
    new ClassReader(classFile)
        .accept(
            new ClassVisitor(OpenedClassReader.ASM_API) {
              @Override
              public MethodVisitor visitMethod(
                  int access, String name, String descriptor, String signature, String[] ex) {
                if (!name.equals(TcpNoDelayPatch.METHOD)) {
                  return null;
                }
                return new MethodVisitor(OpenedClassReader.ASM_API) {
                  private List<String> since = new ArrayList<>();

                  @Override
                  public void visitInsn(int opcode) {
                    since.add(
                        switch (opcode) {
                          case Opcodes.ICONST_0 -> "ICONST_0";
                          case Opcodes.ICONST_1 -> "ICONST_1";
                          case Opcodes.POP -> "POP";
                          default -> "opcode " + opcode;
                        });
                  }

                  @Override
                  public void visitMethodInsn(
                      int opcode, String owner, String method, String desc, boolean itf) {
                    if (method.equals("setTcpNoDelay")) {
                      found.add(since);
                    }
                    since = new ArrayList<>();
                    since.add("call " + owner + "." + method);
                  }
                };
              }
            },
            0);
    return found;
  }
}
