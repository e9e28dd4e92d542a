package io.cqrs.example.bank;

import io.cqrs.rabbitmq.RabbitEventBus;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One RabbitMQ URI, {@code amqp[s]://[user[:password]@]host[:port][/vhost]}, checked strictly
 * before anything connects. The client library's own {@code setUri} reads it with {@link
 * java.net.URI}, which has no host for {@code rabbit_mq} or for a port that is not a number, and
 * then silently keeps its defaults: {@code localhost} as {@code guest}. Here such a URI is an error
 * that names the setting and says what is wrong, and never repeats the password.
 *
 * @param tls whether the scheme is {@code amqps}
 * @param username the decoded user, or {@code null} for the client's default
 * @param password the decoded password, or {@code null}; never printed
 * @param host a host name, an IPv4 address or a bracketed IPv6 address
 * @param port the port, 5672 (5671 with TLS) unless given
 * @param virtualHost the decoded virtual host, {@code /} unless given
 */
public record AmqpUri(
    boolean tls, String username, String password, String host, int port, String virtualHost) {
  private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://(.*)");

  /** Characters RFC 3986 allows in user info besides percent-escapes. */
  private static final Pattern USER_INFO = Pattern.compile("[A-Za-z0-9\\-._~!$&'()*+,;=:%]*");

  /** Characters RFC 3986 allows in a path segment besides percent-escapes. */
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9\\-._~!$&'()*+,;=:@%]*");

  public AmqpUri {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(virtualHost, "virtualHost");
  }

  /**
   * Parses and checks {@code uri}.
   *
   * @param setting the flag or variable it came from (with its place in a list), for messages
   * @throws SettingException naming {@code setting} and what is wrong
   */
  public static AmqpUri parse(String uri, String setting) {
    Objects.requireNonNull(setting, "setting");
    Matcher scheme = SCHEME.matcher(Objects.requireNonNull(uri, "uri").strip());
    if (!scheme.matches()) {
      throw new SettingException(
          setting, "must start with amqp:// or amqps:// (amqp://user:password@host:port/vhost)");
    }
    String name = scheme.group(1).toLowerCase(Locale.ROOT);
    if (!name.equals("amqp") && !name.equals("amqps")) {
      throw new SettingException(setting, "scheme must be amqp or amqps, was '" + name + "'");
    }
    boolean tls = name.equals("amqps");
    String rest = scheme.group(2);
    if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
      throw new SettingException(setting, "query parameters and fragments are not supported");
    }
    // Host, port and path hold no '@'; anything before the last one is user info.
    int at = rest.lastIndexOf('@');
    String userInfo = at < 0 ? null : rest.substring(0, at);
    String afterUserInfo = rest.substring(at + 1);
    int slash = afterUserInfo.indexOf('/');
    String authority = slash < 0 ? afterUserInfo : afterUserInfo.substring(0, slash);
    String path = slash < 0 ? null : afterUserInfo.substring(slash + 1);

    String username = null;
    String password = null;
    if (userInfo != null) {
      if (!USER_INFO.matcher(userInfo).matches()) {
        throw new SettingException(
            setting,
            "user info holds characters that must be percent-encoded ('/', '@', '?', '#', ...)");
      }
      int colon = userInfo.indexOf(':');
      username = decode(colon < 0 ? userInfo : userInfo.substring(0, colon), setting, "user");
      password = colon < 0 ? null : decode(userInfo.substring(colon + 1), setting, "password");
    }
    HostAndPort address = HostAndPort.parse(authority, setting, tls ? 5671 : 5672);
    String virtualHost = "/";
    if (path != null) {
      if (path.isEmpty()) {
        throw new SettingException(
            setting, "virtual host is empty: leave out the '/' for the default one, or write %2f");
      }
      if (!SEGMENT.matcher(path).matches()) {
        throw new SettingException(
            setting,
            "virtual host '"
                + path
                + "' holds a '/' or another character that must be percent-encoded (%2f for '/')");
      }
      virtualHost = decode(path, setting, "virtual host");
    }
    return new AmqpUri(tls, username, password, address.host(), address.port(), virtualHost);
  }

  /**
   * Parses one URI, or several separated by commas (one per node of a cluster, split as {@link
   * RabbitEventBus#splitUris} splits them), and checks that every node is reached with the first
   * one's scheme, user, password and virtual host, as one bus must be.
   *
   * @param setting the flag or variable they came from; a URI of several is named by its place
   * @throws SettingException naming the setting, the URI's place and what is wrong
   */
  public static List<AmqpUri> parseList(String uris, String setting) {
    List<String> parts = RabbitEventBus.splitUris(Objects.requireNonNull(uris, "uris"));
    List<AmqpUri> parsed = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      String where =
          parts.size() == 1 ? setting : setting + ", URI " + (i + 1) + " of " + parts.size();
      AmqpUri uri = parse(parts.get(i), where);
      if (i > 0 && !uri.sameAccount(parsed.get(0))) {
        throw new SettingException(
            where,
            "differs from URI 1 in its scheme, user, password or virtual host; every node of one"
                + " bus is reached with the same ones");
      }
      parsed.add(uri);
    }
    return List.copyOf(parsed);
  }

  /** Whether both reach a broker with the same scheme, user, password and virtual host. */
  boolean sameAccount(AmqpUri other) {
    return tls == other.tls
        && Objects.equals(username, other.username)
        && Objects.equals(password, other.password)
        && virtualHost.equals(other.virtualHost);
  }

  /**
   * Decodes percent-escapes as UTF-8; unlike {@link java.net.URLDecoder}, a '+' stays a '+'.
   *
   * @throws SettingException if an escape is malformed (the text itself is not repeated)
   */
  static String decode(String text, String setting, String part) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '%') {
        bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
        continue;
      }
      if (i + 2 >= text.length()
          || Character.digit(text.charAt(i + 1), 16) < 0
          || Character.digit(text.charAt(i + 2), 16) < 0) {
        throw new SettingException(setting, "the " + part + " is not percent-encoded correctly");
      }
      bytes.write(
          Character.digit(text.charAt(i + 1), 16) * 16 + Character.digit(text.charAt(i + 2), 16));
      i += 2;
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** The URI without its password, as it may be printed. */
  @Override
  public String toString() {
    return (tls ? "amqps://" : "amqp://")
        + (username == null ? "" : username + (password == null ? "" : ":***") + "@")
        + host
        + ":"
        + port
        + "/"
        + virtualHost;
  }
}
