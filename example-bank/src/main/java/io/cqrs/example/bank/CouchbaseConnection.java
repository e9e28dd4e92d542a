package io.cqrs.example.bank;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Couchbase connection string, {@code
 * couchbase[s]://host[:port[=kv|manager]][,host...][?k=v&...]}, checked strictly before the SDK
 * sees it, and the rules for a bucket name. The SDK would report a malformed string only when it
 * fails to connect, if at all; here it is an error that names the setting and says what is wrong.
 *
 * @param tls whether the scheme is {@code couchbases}
 * @param hosts the seed nodes as written, {@code host[:port[=mode]]} each
 * @param text the connection string as given, for the SDK
 */
public record CouchbaseConnection(boolean tls, List<String> hosts, String text) {
  private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://(.*)");
  private static final Pattern PARAMETER = Pattern.compile("[A-Za-z0-9_.]+=[^&=]+");
  private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9_.%-]{1,100}");

  public CouchbaseConnection {
    hosts = List.copyOf(hosts);
    Objects.requireNonNull(text, "text");
  }

  /**
   * Parses and checks {@code connection}.
   *
   * @param setting the flag or variable it came from, for messages
   * @throws SettingException naming {@code setting} and what is wrong
   */
  public static CouchbaseConnection parse(String connection, String setting) {
    Objects.requireNonNull(setting, "setting");
    String text = Objects.requireNonNull(connection, "connection").strip();
    Matcher scheme = SCHEME.matcher(text);
    if (!scheme.matches()) {
      throw new SettingException(
          setting, "must start with couchbase:// or couchbases:// (couchbase://host[:port],...)");
    }
    String name = scheme.group(1).toLowerCase(Locale.ROOT);
    if (!name.equals("couchbase") && !name.equals("couchbases")) {
      throw new SettingException(
          setting, "scheme must be couchbase or couchbases, was '" + name + "'");
    }
    String rest = scheme.group(2);
    int question = rest.indexOf('?');
    String hostList = question < 0 ? rest : rest.substring(0, question);
    if (hostList.endsWith("/")) {
      hostList = hostList.substring(0, hostList.length() - 1);
    }
    if (hostList.indexOf('/') >= 0 || hostList.indexOf('@') >= 0) {
      throw new SettingException(
          setting, "holds a path or user info; give the bucket and user as their own settings");
    }
    if (question >= 0) {
      parameters(rest.substring(question + 1), setting);
    }
    if (hostList.isEmpty()) {
      throw new SettingException(setting, "has no host");
    }
    String[] parts = hostList.split(",", -1);
    List<String> hosts = new ArrayList<>();
    for (int i = 0; i < parts.length; i++) {
      String where =
          parts.length == 1 ? setting : setting + ", host " + (i + 1) + " of " + parts.length;
      hosts.add(host(parts[i].strip(), where, i + 1, parts.length, setting));
    }
    return new CouchbaseConnection(name.equals("couchbases"), hosts, text);
  }

  private static String host(String part, String where, int place, int count, String setting) {
    if (part.isEmpty()) {
      throw new SettingException(setting, "host " + place + " of " + count + " is empty");
    }
    String authority = part;
    int equals = part.indexOf('=');
    if (equals >= 0) {
      String mode = part.substring(equals + 1).toLowerCase(Locale.ROOT);
      if (!mode.equals("kv") && !mode.equals("manager")) {
        throw new SettingException(where, "mode '" + mode + "' must be kv or manager");
      }
      authority = part.substring(0, equals);
    }
    HostAndPort.parse(authority, where, 11210);
    return part;
  }

  private static void parameters(String query, String setting) {
    for (String parameter : query.split("&", -1)) {
      if (!PARAMETER.matcher(parameter).matches()) {
        throw new SettingException(
            setting, "parameters must be name=value pairs separated by '&', was '" + query + "'");
      }
    }
  }

  /**
   * Checks a bucket name against Couchbase's rules: 1 to 100 characters of letters, digits, '_',
   * '-', '.' and '%', not starting with '.'.
   *
   * @return {@code bucket}
   * @throws SettingException naming {@code setting} otherwise
   */
  public static String bucket(String bucket, String setting) {
    Objects.requireNonNull(bucket, "bucket");
    if (!BUCKET.matcher(bucket).matches()) {
      throw new SettingException(
          setting,
          "must be 1 to 100 characters of A-Z, a-z, 0-9, '_', '-', '.', '%', was '" + bucket + "'");
    }
    if (bucket.startsWith(".")) {
      throw new SettingException(setting, "must not start with '.', was '" + bucket + "'");
    }
    return bucket;
  }

  @Override
  public String toString() {
    return text;
  }
}
