package io.cqrs.couchbase.mock;

import io.cqrs.couchbase.mock.SubdocRequests.Request;
import io.cqrs.couchbase.mock.SubdocRequests.Spec;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A memcached binary protocol connection that sends one request at a time and returns each response
 * whole, header included, so two servers' answers can be compared byte for byte. No HELLO: no
 * tracing durations or mutation tokens in the responses.
 */
final class KvClient implements AutoCloseable {
  static final int STATUS_OFFSET = 6;
  private static final int GET = 0x00;
  private static final int SET = 0x01;
  private static final int SASL_AUTH = 0x21;
  private static final int GET_META = 0xa0;
  private static final int MULTI_LOOKUP = 0xd0;
  private static final int MULTI_MUTATION = 0xd1;
  private static final int MKDIR_P = 0x01;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private int opaque;

  KvClient(int port, String bucket, String password) throws IOException {
    this.socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setTcpNoDelay(true);
    // A request that kills the mock's KV thread fails the test instead of hanging it.
    socket.setSoTimeout(30_000);
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
    byte[] auth = ("\0" + bucket + "\0" + password).getBytes(StandardCharsets.US_ASCII);
    byte[] response = send(SASL_AUTH, new byte[0], "PLAIN", auth);
    if (status(response) != 0) {
      throw new IOException("SASL PLAIN refused: status " + status(response));
    }
  }

  /** The response to {@code request}. */
  byte[] send(Request request) throws IOException {
    if (request.isStore()) {
      return send(SET, new byte[8], request.key(), ascii(request.document()));
    }
    if (!request.multi()) {
      Spec spec = request.specs().get(0);
      byte[] path = ascii(spec.path());
      byte[] extras =
          ByteBuffer.allocate(3)
              .putShort((short) path.length)
              .put((byte) (spec.createParents() ? MKDIR_P : 0))
              .array();
      byte[] value = spec.value() == null ? new byte[0] : ascii(spec.value());
      return send(spec.opcode(), extras, request.key(), concat(path, value));
    }
    ByteArrayOutputStream specs = new ByteArrayOutputStream();
    for (Spec spec : request.specs()) {
      byte[] path = ascii(spec.path());
      ByteBuffer header = ByteBuffer.allocate(request.isMutation() ? 8 : 4);
      header.put((byte) spec.opcode());
      header.put((byte) (spec.createParents() ? MKDIR_P : 0));
      header.putShort((short) path.length);
      byte[] value = spec.value() == null ? new byte[0] : ascii(spec.value());
      if (request.isMutation()) {
        header.putInt(value.length);
      }
      specs.writeBytes(header.array());
      specs.writeBytes(path);
      if (request.isMutation()) {
        specs.writeBytes(value);
      }
    }
    return send(
        request.isMutation() ? MULTI_MUTATION : MULTI_LOOKUP,
        new byte[0],
        request.key(),
        specs.toByteArray());
  }

  /** The response to a GET of {@code key}. */
  byte[] get(String key) throws IOException {
    return send(GET, new byte[0], key, new byte[0]);
  }

  /**
   * The response to a GET_META of {@code key} with the given extras (none, or one version byte).
   */
  byte[] getMeta(String key, byte... extras) throws IOException {
    return send(GET_META, extras, key, new byte[0]);
  }

  /** The document in a GET's response, or null if there is none. */
  static String document(byte[] getResponse) {
    if (status(getResponse) != 0) {
      return null;
    }
    int extras = getResponse[4] & 0xff;
    int key = ByteBuffer.wrap(getResponse).getShort(2);
    return new String(Arrays.copyOfRange(getResponse, 24 + extras + key, getResponse.length));
  }

  static int status(byte[] response) {
    return ByteBuffer.wrap(response).getShort(STATUS_OFFSET) & 0xffff;
  }

  private byte[] send(int opcode, byte[] extras, String key, byte[] value) throws IOException {
    byte[] keyBytes = ascii(key);
    int body = extras.length + keyBytes.length + value.length;
    ByteBuffer request = ByteBuffer.allocate(24 + body);
    request.put((byte) 0x80).put((byte) opcode).putShort((short) keyBytes.length);
    request.put((byte) extras.length).put((byte) 0).putShort((short) 0);
    request.putInt(body).putInt(++opaque).putLong(0);
    request.put(extras).put(keyBytes).put(value);
    out.write(request.array());
    out.flush();
    byte[] header = new byte[24];
    in.readFully(header);
    int length = ByteBuffer.wrap(header).getInt(8);
    byte[] response = Arrays.copyOf(header, 24 + length);
    in.readFully(response, 24, length);
    return response;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] concat(byte[] first, byte[] second) {
    byte[] both = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, both, first.length, second.length);
    return both;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
