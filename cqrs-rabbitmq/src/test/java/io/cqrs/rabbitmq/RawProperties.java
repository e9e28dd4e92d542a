package io.cqrs.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.impl.ContentHeaderPropertyWriter;
import com.rabbitmq.client.impl.ValueWriter;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.Map;

/**
 * AMQP properties whose message_id is raw bytes (any, even invalid UTF-8), as a hostile client
 * could send.
 */
final class RawProperties {
  private RawProperties() {}

  /** Properties with headers, delivery mode 2, a raw message_id and a type. */
  static AMQP.BasicProperties rawMessageId(
      byte[] messageId, String type, Map<String, Object> headers) {
    return new RawProps(messageId, type, headers);
  }

  private static final class RawProps extends AMQP.BasicProperties {
    private final byte[] rawId;
    private final String rawType;
    private final Map<String, Object> rawHeaders;

    RawProps(byte[] rawId, String type, Map<String, Object> headers) {
      super(null, null, headers, 2, null, null, null, null, null, null, type, null, null, null);
      this.rawId = rawId;
      this.rawType = type;
      this.rawHeaders = headers;
    }

    @Override
    public void writePropertiesTo(ContentHeaderPropertyWriter writer) throws IOException {
      writer.writePresence(false); // content type
      writer.writePresence(false); // content encoding
      writer.writePresence(rawHeaders != null);
      writer.writePresence(true); // delivery mode
      writer.writePresence(false); // priority
      writer.writePresence(false); // correlation id
      writer.writePresence(false); // reply to
      writer.writePresence(false); // expiration
      writer.writePresence(true); // message id
      writer.writePresence(false); // timestamp
      writer.writePresence(rawType != null);
      writer.writePresence(false); // user id
      writer.writePresence(false); // app id
      writer.writePresence(false); // cluster id
      writer.finishPresence();
      if (rawHeaders != null) {
        writer.writeTable(rawHeaders);
      }
      writer.writeOctet(2);
      DataOutputStream out = stream(writer);
      out.writeByte(rawId.length);
      out.write(rawId);
      if (rawType != null) {
        writer.writeShortstr(rawType);
      }
    }

    private static DataOutputStream stream(ContentHeaderPropertyWriter writer) {
      try {
        Field valueWriter = ContentHeaderPropertyWriter.class.getDeclaredField("out");
        valueWriter.setAccessible(true);
        ValueWriter values = (ValueWriter) valueWriter.get(writer);
        Field data = ValueWriter.class.getDeclaredField("out");
        data.setAccessible(true);
        return (DataOutputStream) data.get(values);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
